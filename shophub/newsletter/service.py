"""The newsletter's rules: double opt-in sign-up, campaigns, and sending them in batches.

Sign-up answers the same whatever the address's state: the request only queues a job, and
the job (`sending.process_signup`) decides, so neither the page nor its timing tells whether
an address is on the list. Only a confirmed address is ever sent a campaign; an address that
unsubscribed stays unsubscribed until it confirms a new sign-up. How a campaign is sent,
each mail once, is shophub.newsletter.sending's.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import CursorResult, func, select, update

from shophub.accounts import tokens
from shophub.core.paging import Page, page_at
from shophub.core.time import as_utc
from shophub.extensions import db
from shophub.models import Campaign, Subscriber, User
from shophub.models.newsletter import SUBSCRIBER_STATUSES
from shophub.newsletter.jobs import campaign_batch_job, signup_job
from shophub.platform import audit, queue

SOURCES = ("footer", "checkout")
STATUS_LABELS = {"pending": "Waiting for confirmation", "confirmed": "Confirmed",
                 "unsubscribed": "Unsubscribed"}
SUBJECT_MAX = 200
BODY_MAX = 50_000
PAGE_SIZE = 50


class NewsletterError(ValueError):
    """A newsletter action that cannot be done; the message is for the person who tried."""


# --- sign-up and confirmation -------------------------------------------------------------------

def subscribe(email: str, source: str = "footer") -> None:
    """Queue the sign-up of a normalised address; the same work whatever its state."""
    queue.enqueue_after_commit(signup_job, email, source if source in SOURCES else "footer")
    db.session.commit()


def confirmable(token: str) -> Subscriber:
    """The subscription a confirmation link names; NewsletterError when it cannot be used."""
    if not tokens.plausible(token):
        raise NewsletterError("This confirmation link is not valid.")
    subscriber = db.session.scalars(
        select(Subscriber).where(Subscriber.confirm_token_hash == tokens.digest(token))).first()
    if subscriber is None:
        raise NewsletterError("This confirmation link is not valid any more. If you confirmed "
                              "already, you are subscribed; otherwise sign up again.")
    expires = subscriber.confirm_expires_at
    if expires is None or as_utc(expires) <= datetime.now(UTC):
        raise NewsletterError("This confirmation link has expired. Sign up again for a new one.")
    return subscriber


def confirm(token: str) -> Subscriber:
    """Confirm the subscription a link's token names, and commit; NewsletterError if unusable."""
    subscriber = confirmable(token)
    subscriber.status = "confirmed"
    subscriber.confirmed_at = datetime.now(UTC)
    subscriber.unsubscribed_at = None
    subscriber.confirm_token_hash = None
    subscriber.confirm_expires_at = None
    db.session.commit()
    return subscriber


# --- the subscriber list ------------------------------------------------------------------------

def parse_status(raw: str | None) -> str:
    """The list's status filter from the query string: a known status, else "" (all)."""
    return raw if raw in SUBSCRIBER_STATUSES else ""


def status_counts() -> dict[str, int]:
    """How many subscribers each status has, every status named (zero when none)."""
    counts = dict.fromkeys(SUBSCRIBER_STATUSES, 0)
    rows = db.session.execute(select(Subscriber.status, func.count()).group_by(Subscriber.status))
    counts.update({status: count for status, count in rows})
    return counts


@dataclass(frozen=True, kw_only=True)
class SubscriberPage(Page):
    """One page of subscribers, newest first, with the counts by status."""

    subscribers: list[Subscriber]
    counts: Mapping[str, int]


def subscriber_page(status: str, page: int) -> SubscriberPage:
    """A page of subscribers with `status` ("" for all); past the end is the last page."""
    counts = status_counts()
    total = counts[status] if status else sum(counts.values())
    window = page_at(page, total, PAGE_SIZE)
    query = select(Subscriber)
    if status:
        query = query.where(Subscriber.status == status)
    rows = db.session.scalars(query.order_by(Subscriber.id.desc())
                              .offset(window.offset).limit(window.limit)).all()
    return SubscriberPage.of(window, subscribers=list(rows), counts=counts)


def subscriber_rows(status: str):
    """Every subscriber with `status` ("" for all), oldest first, read in batches (the export)."""
    query = select(Subscriber.email, Subscriber.status, Subscriber.source,
                   Subscriber.created_at, Subscriber.confirmed_at, Subscriber.unsubscribed_at)
    if status:
        query = query.where(Subscriber.status == status)
    return db.session.execute(query.order_by(Subscriber.id).execution_options(yield_per=500))


def record_export(status: str) -> None:
    """Audit an export of the list, and commit."""
    audit.record("newsletter.exported", "newsletter_subscriber", None,
                 f"Subscribers exported ({status or 'all'})")
    db.session.commit()


# --- campaigns -----------------------------------------------------------------------------------

def campaigns() -> list[Campaign]:
    """The store's campaigns, newest first."""
    return list(db.session.scalars(select(Campaign).order_by(Campaign.id.desc())))


def find_campaign(campaign_id: int) -> Campaign | None:
    """The current store's campaign with this id, or None."""
    return db.session.scalars(select(Campaign).where(Campaign.id == campaign_id)).first()


def _checked(subject: str, body: str) -> tuple[str, str]:
    subject = " ".join((subject or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    if not subject:
        raise NewsletterError("A campaign needs a subject.")
    if len(subject) > SUBJECT_MAX:
        raise NewsletterError(f"The subject can have at most {SUBJECT_MAX} characters.")
    if not body:
        raise NewsletterError("A campaign needs some text.")
    if len(body) > BODY_MAX:
        raise NewsletterError(f"The text can have at most {BODY_MAX} characters.")
    return subject, body


def _snapshot(campaign: Campaign) -> dict:
    return {"subject": campaign.subject, "body_length": len(campaign.body_markdown)}


def save_campaign(user: User, campaign_id: int | None, subject: str, body: str) -> Campaign:
    """Create a draft, or edit one; audited and committed. NewsletterError when not possible."""
    subject, body = _checked(subject, body)
    if campaign_id is None:
        campaign = Campaign(subject=subject, body_markdown=body, created_by_id=user.id)
        db.session.add(campaign)
        db.session.flush()
        audit.record_save("newsletter_campaign", campaign.id, f"Campaign {subject!r}", None,
                          _snapshot(campaign))
    else:
        found = find_campaign(campaign_id)
        if found is None:
            raise NewsletterError("There is no such campaign.")
        campaign = found
        if campaign.status != "draft":
            raise NewsletterError("A campaign that is being sent or was sent cannot be edited.")
        before = _snapshot(campaign)
        campaign.subject, campaign.body_markdown = subject, body
        campaign.updated_at = datetime.now(UTC)
        audit.record_save("newsletter_campaign", campaign.id, f"Campaign {subject!r}", before,
                          _snapshot(campaign))
    db.session.commit()
    return campaign


def confirmed_count() -> int:
    """How many confirmed subscribers a campaign sent now would go to."""
    return db.session.scalar(select(func.count()).select_from(Subscriber)
                             .where(Subscriber.status == "confirmed")) or 0


def start_sending(campaign_id: int) -> Campaign:
    """Start sending a draft to the confirmed subscribers; audited and committed.

    Only one click starts it: the status moves from draft by a conditional UPDATE.
    """
    campaign = find_campaign(campaign_id)
    if campaign is None:
        raise NewsletterError("There is no such campaign.")
    if confirmed_count() == 0:
        raise NewsletterError("There are no confirmed subscribers to send it to.")
    now = datetime.now(UTC)
    started: CursorResult = db.session.execute(  # type: ignore[assignment]
        update(Campaign).where(Campaign.id == campaign.id, Campaign.status == "draft")
        .values(status="sending", started_at=now, next_batch_at=now)
        .execution_options(synchronize_session=False))
    if started.rowcount != 1:
        db.session.rollback()
        raise NewsletterError("This campaign is already being sent or was sent.")
    audit.record("newsletter_campaign.sent", "newsletter_campaign", campaign.id,
                 f"Campaign {campaign.subject!r} sent to the confirmed subscribers")
    queue.enqueue_after_commit(campaign_batch_job, campaign.id)
    db.session.commit()
    db.session.refresh(campaign)
    return campaign
