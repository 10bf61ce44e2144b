"""Coupons: finding a code, judging whether this buyer may use it now, counting its use."""

from datetime import UTC, datetime

from sqlalchemy import func, or_, select, update

from shophub.core.coupons import (
    CouponRules,
    CouponTerms,
    coupon_problem,
    normalise_code,
    terms_of,
)
from shophub.core.time import as_utc, wait_text
from shophub.extensions import db
from shophub.models import Coupon, CouponRedemption
from shophub.platform.failure_guard import FailureGuard

# Guessing codes is slowed per client address: after FREE_REFUSALS refused codes, the next
# code waits FIRST_WAIT seconds, doubling with each further refusal up to LONGEST_WAIT.
FREE_REFUSALS = 5
FIRST_WAIT = 10
LONGEST_WAIT = 15 * 60
GUESS_GUARD = FailureGuard("coupon-refusals", FREE_REFUSALS, FIRST_WAIT, LONGEST_WAIT,
                           memory=6 * 60 * 60)


class CouponError(ValueError):
    """A code that cannot be used; the message says why."""


class TooManyGuesses(CouponError):
    """Too many refused codes from this client: no code is checked for `seconds`."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"Too many discount codes that did not work. Please wait "
                         f"{wait_text(seconds)} before you try another one.")
        self.seconds = seconds


def may_try(address: str | None) -> None:
    """Raise TooManyGuesses while this client address must wait before trying a new code."""
    seconds = GUESS_GUARD.seconds_to_wait(address) if address else 0
    if seconds:
        raise TooManyGuesses(seconds)


def note_refused(address: str | None) -> None:
    """Count a refused new code against this client address."""
    if address:
        GUESS_GUARD.note_failure(address)


def rules_of(coupon: Coupon) -> CouponRules:
    """The pure rules of a stored coupon."""
    return CouponRules(
        code=coupon.code, kind=coupon.kind, value=coupon.value, active=coupon.active,
        min_subtotal_cents=coupon.min_subtotal_cents, starts_at=_aware(coupon.starts_at),
        ends_at=_aware(coupon.ends_at), usage_limit=coupon.usage_limit,
        per_customer_limit=coupon.per_customer_limit,
    )


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def customer_uses(coupon_id: int, email: str, user_id: int | None) -> int:
    """How many paid orders of this buyer (by account or email) used the coupon."""
    buyer = []
    if email:
        buyer.append(CouponRedemption.email == email.lower())
    if user_id is not None:
        buyer.append(CouponRedemption.user_id == user_id)
    if not buyer:
        return 0
    who = or_(*buyer)
    return db.session.scalar(
        select(func.count()).select_from(CouponRedemption)
        .where(CouponRedemption.coupon_id == coupon_id, who)
    ) or 0


def find(code: str) -> Coupon | None:
    """The coupon with this code, whatever its case and spacing."""
    normalised = normalise_code(code)
    if not normalised:
        return None
    return db.session.scalar(select(Coupon).where(Coupon.code == normalised))


def check(code: str, *, subtotal_cents: int, email: str, user_id: int | None,
          currency: str, now: datetime | None = None) -> tuple[Coupon, CouponTerms]:
    """The coupon and its terms if this buyer may use it now, else CouponError saying why."""
    coupon = find(code)
    if coupon is None:
        shown = (code or "").strip()[:40]
        raise CouponError(f"There is no code “{shown}”. Check the spelling and try again.")
    # A customer is known by their account even before they have typed an email.
    uses = customer_uses(coupon.id, email, user_id)
    problem = coupon_problem(
        rules_of(coupon), subtotal_cents=subtotal_cents, now=now or datetime.now(UTC),
        times_used=coupon.times_used, customer_uses=uses, currency=currency,
    )
    if problem:
        raise CouponError(problem)
    return coupon, terms_of(rules_of(coupon))


def count_use(coupon_id: int, order_id: int, email: str, user_id: int | None) -> None:
    """Count a paid order's use of a coupon (once per order; not committed)."""
    already = db.session.scalar(
        select(CouponRedemption.id).where(CouponRedemption.order_id == order_id)
    )
    if already is not None:
        return
    db.session.add(CouponRedemption(coupon_id=coupon_id, order_id=order_id,
                                    email=email.lower(), user_id=user_id))
    # The payment has been taken, so the use counts even if it goes past the limit.
    db.session.execute(
        update(Coupon).where(Coupon.id == coupon_id)
        .values(times_used=Coupon.times_used + 1)
        .execution_options(synchronize_session=False)
    )
