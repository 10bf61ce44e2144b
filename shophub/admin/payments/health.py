"""The payment-health page's figures, read in seven indexed statements.

Where an owner looks first when "a customer paid but got no mail": the last webhook, the
deliveries that were refused or failed, the orders settled by reconciliation (no webhook came)
or paid after their reservation lapsed, and jobs (mostly mail) stuck in the outbox.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from shophub.core.time import as_utc, utcnow
from shophub.extensions import db
from shophub.models import AuditEntry, Order, PendingJob, ProcessedEvent, WebhookFailure
from shophub.models.webhooks import FAILURE_CAUSES
from shophub.payments import uses_stripe, webhook_secret
from shophub.payments.stripe import STRIPE_API_VERSION
from shophub.platform.queue import MAX_DISPATCHES

DAY = timedelta(hours=24)
WEEK = timedelta(days=7)
# A job still in the outbox after this has missed its first tries (mail goes out in seconds).
STUCK_AFTER = timedelta(minutes=5)
SETTLED_SHOWN = 20
FAILURES_SHOWN = 10
JOBS_SHOWN = 5
RECONCILIATION = "reconciliation"  # the source reconcile_pending_orders gives mark_paid

_RECONCILED = and_(AuditEntry.action == "order.paid", AuditEntry.actor_label == RECONCILIATION)
_LATE = AuditEntry.action == "order.late_payment"


@dataclass(frozen=True)
class Webhooks:
    """The newest event received, and whether Stripe is set up to send any."""

    last_type: str | None
    last_at: datetime | None
    stripe_paid_24h: int
    stripe_in_use: bool
    secret_set: bool
    recent: bool  # one arrived in the last 24 hours
    silent: bool  # none in 24 h while orders were paid with Stripe
    api_version: str = STRIPE_API_VERSION

    @property
    def ok(self) -> bool:
        """Green: events arrive (or the store takes no Stripe payments)."""
        return not self.stripe_in_use or (self.secret_set and not self.silent)


@dataclass(frozen=True)
class CauseCount:
    """Failures of one cause in the last 24 hours."""

    cause: str
    count: int
    last_at: datetime | None


@dataclass(frozen=True)
class SettledOrder:
    """An order paid without its webhook: by reconciliation, or after its reservation lapsed."""

    at: datetime
    late: bool
    order_id: int
    number: str
    status: str
    refunded_cents: int
    currency: str

    @property
    def needs_refund(self) -> bool:
        """A late payment whose automatic refund failed and that nobody has refunded since."""
        return self.late and self.refunded_cents == 0


@dataclass(frozen=True)
class StuckJob:
    """A job waiting in the outbox: its function, never its arguments (they hold emails)."""

    function: str
    created_at: datetime
    dispatches: int
    waiting: timedelta

    @property
    def name(self) -> str:
        """The job function's own name, without its module."""
        return self.function.rpartition(".")[2]

    @property
    def waiting_label(self) -> str:
        """How long it has waited, e.g. "3 h 5 min"."""
        return waiting_text(self.waiting)

    @property
    def stopped(self) -> bool:
        """Handed over so often that dispatch leaves it to a person."""
        return self.dispatches >= MAX_DISPATCHES


@dataclass(frozen=True)
class PaymentHealth:
    """Everything the page shows, as of `now`."""

    now: datetime
    webhooks: Webhooks
    failures: list[CauseCount]
    recent_failures: list[WebhookFailure]
    reconciled_24h: int
    reconciled_7d: int
    late_24h: int
    late_7d: int
    settled: list[SettledOrder]
    stuck_count: int
    stuck_oldest: datetime | None
    stuck_jobs: list[StuckJob]
    max_dispatches: int = MAX_DISPATCHES

    @property
    def stuck_oldest_label(self) -> str:
        """How long the oldest stuck job has waited; "" when none has."""
        return waiting_text(self.now - self.stuck_oldest) if self.stuck_oldest else ""

    @property
    def failures_ok(self) -> bool:
        """Green: no delivery failed in the last 24 hours."""
        return not any(cause.count for cause in self.failures)

    @property
    def settled_ok(self) -> bool:
        """Green: no order in the last 24 hours was settled without a webhook or paid late."""
        return not (self.reconciled_24h or self.late_24h
                    or any(order.needs_refund for order in self.settled))

    @property
    def outbox_ok(self) -> bool:
        """Green: no job has waited longer than STUCK_AFTER."""
        return self.stuck_count == 0

    @property
    def all_ok(self) -> bool:
        """Every section is green."""
        return self.webhooks.ok and self.failures_ok and self.settled_ok and self.outbox_ok


def waiting_text(waiting: timedelta) -> str:
    """A wait as people say it: "7 min", "3 h 5 min", "2 d 4 h"."""
    minutes = max(int(waiting.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def _webhooks(now: datetime, stripe_paid_24h: int) -> Webhooks:
    last = db.session.execute(
        select(ProcessedEvent.event_type, ProcessedEvent.received_at)
        .order_by(ProcessedEvent.id.desc()).limit(1)
    ).first()
    last_type, last_at = (last[0], as_utc(last[1])) if last else (None, None)
    recent = last_at is not None and last_at >= now - DAY
    return Webhooks(last_type=last_type, last_at=last_at, stripe_paid_24h=stripe_paid_24h,
                    stripe_in_use=uses_stripe(),
                    secret_set=bool(webhook_secret()),
                    recent=recent, silent=stripe_paid_24h > 0 and not recent)


def _count(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((and_(*conditions), 1)))


def _audit_counts(now: datetime) -> tuple[int, int, int, int, int]:
    """Stripe orders paid in 24 h, reconciled in 24 h and 7 d, paid late in 24 h and 7 d."""
    day = AuditEntry.created_at >= now - DAY
    row = db.session.execute(
        select(_count(AuditEntry.action == "order.paid", day, Order.payment_provider == "stripe"),
               _count(_RECONCILED, day), _count(_RECONCILED), _count(_LATE, day), _count(_LATE))
        .select_from(AuditEntry)
        .outerjoin(Order, and_(AuditEntry.entity_type == "order",
                               Order.id == AuditEntry.entity_id))
        .where(AuditEntry.created_at >= now - WEEK,
               AuditEntry.action.in_(("order.paid", "order.late_payment")))
    ).one()
    paid, reconciled_day, reconciled_week, late_day, late_week = (int(value) for value in row)
    return paid, reconciled_day, reconciled_week, late_day, late_week


def _settled(now: datetime) -> list[SettledOrder]:
    rows = db.session.execute(
        select(AuditEntry.created_at, AuditEntry.action, Order.id, Order.number, Order.status,
               Order.refunded_cents, Order.currency)
        .join(Order, and_(AuditEntry.entity_type == "order", Order.id == AuditEntry.entity_id))
        .where(AuditEntry.created_at >= now - WEEK, or_(_RECONCILED, _LATE))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(SETTLED_SHOWN)
    ).all()
    return [SettledOrder(at=as_utc(at), late=action == "order.late_payment", order_id=order_id,
                         number=number or f"#{order_id}", status=status,
                         refunded_cents=refunded, currency=currency)
            for at, action, order_id, number, status, refunded, currency in rows]


def _failures(now: datetime) -> tuple[list[CauseCount], list[WebhookFailure]]:
    since = WebhookFailure.created_at >= now - DAY
    found = {cause: (count, last_at) for cause, count, last_at in db.session.execute(
        select(WebhookFailure.cause, func.count(WebhookFailure.id),
               func.max(WebhookFailure.created_at))
        .where(since).group_by(WebhookFailure.cause))}
    by_cause = []
    for cause in FAILURE_CAUSES:  # every cause, in a fixed order, a zero where none came
        count, last_at = found.get(cause, (0, None))
        by_cause.append(CauseCount(cause, int(count), as_utc(last_at) if last_at else None))
    recent = list(db.session.scalars(
        select(WebhookFailure).where(since)
        .order_by(WebhookFailure.created_at.desc(), WebhookFailure.id.desc())
        .limit(FAILURES_SHOWN)))
    return by_cause, recent


def _outbox(now: datetime) -> tuple[int, datetime | None, list[StuckJob]]:
    stuck = PendingJob.created_at < now - STUCK_AFTER
    count, oldest = db.session.execute(
        select(func.count(PendingJob.id), func.min(PendingJob.created_at)).where(stuck)).one()
    rows = db.session.execute(
        select(PendingJob.function, PendingJob.created_at, PendingJob.dispatches)
        .where(stuck).order_by(PendingJob.created_at, PendingJob.id).limit(JOBS_SHOWN)
    ).all()
    jobs = [StuckJob(function=function, created_at=as_utc(created), dispatches=dispatches,
                     waiting=now - as_utc(created))
            for function, created, dispatches in rows]
    return int(count), as_utc(oldest) if oldest else None, jobs


def report(now: datetime | None = None) -> PaymentHealth:
    """The page's figures as of `now` (default: this moment)."""
    now = now or utcnow()
    paid_24h, reconciled_24h, reconciled_7d, late_24h, late_7d = _audit_counts(now)
    failures, recent = _failures(now)
    stuck_count, stuck_oldest, stuck_jobs = _outbox(now)
    return PaymentHealth(
        now=now, webhooks=_webhooks(now, paid_24h), failures=failures, recent_failures=recent,
        reconciled_24h=reconciled_24h, reconciled_7d=reconciled_7d, late_24h=late_24h,
        late_7d=late_7d, settled=_settled(now), stuck_count=stuck_count,
        stuck_oldest=stuck_oldest, stuck_jobs=stuck_jobs,
    )
