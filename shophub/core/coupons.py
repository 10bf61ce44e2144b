"""Coupon rules, pure: the kinds, what a coupon gives, and whether a buyer may use it now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shophub.core.money import format_money
from shophub.core.time import long_date

# What a coupon can give, with the name staff see for it.
COUPON_KINDS = {
    "percent": "Percent off",
    "fixed": "Fixed amount off",
    "free_shipping": "Free shipping",
}


@dataclass(frozen=True)
class CouponTerms:
    """A coupon already judged usable: what it takes off the order."""

    code: str
    kind: str
    value: int


@dataclass(frozen=True)
class CouponRules:
    """A coupon as stored: its terms and the conditions under which it may be used."""

    code: str
    kind: str
    value: int
    active: bool
    min_subtotal_cents: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    per_customer_limit: int | None = None


def normalise_code(text: str | None) -> str:
    """Return a coupon code as stored: no whitespace anywhere, upper-case."""
    return "".join((text or "").split()).upper()


def terms_of(rules: CouponRules) -> CouponTerms:
    """Return the pricing terms of a stored coupon."""
    return CouponTerms(code=rules.code, kind=rules.kind, value=rules.value)


def coupon_problem(
    rules: CouponRules,
    *,
    subtotal_cents: int,
    now: datetime,
    times_used: int,
    customer_uses: int,
    currency: str,
) -> str | None:
    """Return why a shopper cannot use a coupon now, or None when it is usable."""
    code = f"“{rules.code}”"
    if not rules.active:
        return f"The code {code} is not active."
    if rules.starts_at is not None and now < rules.starts_at:
        return f"The code {code} is not valid until {long_date(rules.starts_at)}."
    if rules.ends_at is not None and now >= rules.ends_at:
        return f"The code {code} expired on {long_date(rules.ends_at)}."
    if rules.usage_limit is not None and times_used >= rules.usage_limit:
        return f"The code {code} has been used up."
    if rules.per_customer_limit is not None and customer_uses >= rules.per_customer_limit:
        if rules.per_customer_limit > 1:
            return f"You have already used the code {code} the maximum number of times."
        return f"You have already used the code {code}."
    if subtotal_cents < rules.min_subtotal_cents:
        minimum = format_money(rules.min_subtotal_cents, currency)
        return f"The code {code} needs a subtotal of at least {minimum}."
    return None
