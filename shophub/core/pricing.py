"""Pure order pricing in integer minor units: discounts, shipping and tax."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shophub.core.coupons import COUPON_KINDS, CouponTerms

# Basis points in one whole: 10000 bp = 100%.
BASIS_POINTS = 10000


@dataclass(frozen=True)
class PriceLine:
    """One cart line, priced from the database."""

    key: int
    unit_price_cents: int
    quantity: int


@dataclass(frozen=True)
class ShippingTerms:
    """A shipping method's price and the goods total above which it is free."""

    name: str
    price_cents: int
    free_over_cents: int | None = None


@dataclass(frozen=True)
class QuoteLine:
    """One priced line of a quote, with its share of the order discount and tax."""

    key: int
    unit_price_cents: int
    quantity: int
    subtotal_cents: int
    discount_cents: int
    tax_cents: int
    total_cents: int


@dataclass(frozen=True)
class Quote:
    """The priced order: lines and order totals."""

    lines: tuple[QuoteLine, ...]
    subtotal_cents: int
    discount_cents: int
    shipping_cents: int
    tax_cents: int
    total_cents: int
    coupon_code: str | None
    free_shipping: bool


def _require_int(value: object, what: str) -> int:
    # Money is integers only: a float (or a bool posing as an int) is a programming error.
    if type(value) is not int:
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value


def _div_half_up(numerator: int, denominator: int) -> int:
    """Divide non-negative integers, rounding half up: 1005 * 10 / 100 -> 101."""
    # ROUNDING: half up, integer only. floor((2n + d) / 2d) == floor(n/d + 1/2), so an
    # exact .5 goes up and anything below .5 goes down. Valid for n >= 0, d > 0.
    return (numerator * 2 + denominator) // (denominator * 2)


def _allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over `weights` proportionally so that the parts sum exactly to `total`."""
    weight_sum = sum(weights)
    if total == 0:
        return [0] * len(weights)
    if weight_sum <= 0:
        raise ValueError("cannot allocate a non-zero amount over zero weights")
    # ROUNDING: largest-remainder method. Every part first gets the floor of its exact
    # proportional share total * w / sum(w); the units left over (fewer than the number of
    # parts) go one each to the parts with the largest remainders, ties going to the earlier
    # part. A part never exceeds ceil(exact share), so with total <= sum(weights) no part
    # exceeds its own weight, and a zero-weight part always gets 0.
    parts: list[int] = []
    remainders: list[int] = []
    for weight in weights:
        part, remainder = divmod(total * weight, weight_sum)
        parts.append(part)
        remainders.append(remainder)
    leftover = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return parts


def _check_line(line: PriceLine) -> None:
    _require_int(line.unit_price_cents, "unit_price_cents")
    _require_int(line.quantity, "quantity")
    if line.quantity <= 0:
        raise ValueError(f"line {line.key}: quantity must be positive, got {line.quantity}")
    if line.unit_price_cents < 0:
        raise ValueError(f"line {line.key}: negative unit price {line.unit_price_cents}")


def _check_coupon(coupon: CouponTerms) -> None:
    _require_int(coupon.value, "coupon value")
    if coupon.kind not in COUPON_KINDS:
        raise ValueError(f"unknown coupon kind {coupon.kind!r}")
    if coupon.kind == "percent" and not 1 <= coupon.value <= 100:
        raise ValueError(f"percent coupon must be 1..100, got {coupon.value}")
    if coupon.kind == "fixed" and coupon.value < 0:
        raise ValueError(f"fixed coupon cannot be negative, got {coupon.value}")


def _check_shipping(shipping: ShippingTerms) -> None:
    _require_int(shipping.price_cents, "shipping price_cents")
    if shipping.price_cents < 0:
        raise ValueError(f"negative shipping price {shipping.price_cents}")
    if shipping.free_over_cents is not None:
        _require_int(shipping.free_over_cents, "free_over_cents")
        if shipping.free_over_cents < 0:
            raise ValueError(f"negative free-shipping threshold {shipping.free_over_cents}")


def _order_discount(subtotal: int, coupon: CouponTerms | None) -> int:
    if coupon is None or coupon.kind == "free_shipping":
        return 0
    if coupon.kind == "percent":
        # ROUNDING: subtotal * pct / 100, half up to the minor unit (10% of 1005 -> 101).
        # pct <= 100, so the result never exceeds the subtotal.
        return _div_half_up(subtotal * coupon.value, 100)
    # A fixed amount takes off at most the whole subtotal, never more.
    return min(coupon.value, subtotal)


def shipping_price(
    shipping: ShippingTerms, goods_cents: int, coupon: CouponTerms | None = None
) -> int:
    """What a method costs for goods worth `goods_cents` after discounts, with this coupon."""
    _check_shipping(shipping)
    if _require_int(goods_cents, "goods_cents") < 0:
        raise ValueError(f"negative goods total {goods_cents}")
    if coupon is not None:
        _check_coupon(coupon)
    if coupon is not None and coupon.kind == "free_shipping":
        return 0
    if shipping.free_over_cents is not None and goods_cents >= shipping.free_over_cents:
        return 0
    return shipping.price_cents


def quote(
    lines: Iterable[PriceLine],
    coupon: CouponTerms | None = None,
    shipping: ShippingTerms | None = None,
    tax_rate_bp: int = 0,
) -> Quote:
    """Price an order: subtotal, coupon discount, shipping and tax, per line and in total."""
    lines = tuple(lines)
    for line in lines:
        _check_line(line)
    if coupon is not None:
        _check_coupon(coupon)
    if shipping is not None:
        _check_shipping(shipping)
    _require_int(tax_rate_bp, "tax_rate_bp")
    if not 0 <= tax_rate_bp <= BASIS_POINTS:
        raise ValueError(f"tax rate must be 0..{BASIS_POINTS} basis points, got {tax_rate_bp}")

    line_subtotals = [line.unit_price_cents * line.quantity for line in lines]
    subtotal = sum(line_subtotals)
    discount = _order_discount(subtotal, coupon)
    line_discounts = _allocate(discount, line_subtotals)
    goods = subtotal - discount

    # An order with no lines ships nothing. `free_shipping` means a method that has a price
    # was waived (by a coupon or its threshold), not that the method costs nothing anyway.
    shipping_cents, free_shipping = 0, False
    if lines and shipping is not None:
        shipping_cents = shipping_price(shipping, goods, coupon)
        free_shipping = shipping.price_cents > 0 and shipping_cents == 0

    # ROUNDING: tax is charged on goods after discount (never on shipping) at the order level,
    # goods * bp / 10000 rounded half up once; the lines then share that exact amount by
    # largest remainder, so line taxes may differ by a unit from a per-line computation.
    tax = _div_half_up(goods * tax_rate_bp, BASIS_POINTS)
    line_goods = [sub - disc for sub, disc in zip(line_subtotals, line_discounts, strict=True)]
    line_taxes = _allocate(tax, line_goods)

    quote_lines = tuple(
        QuoteLine(
            key=line.key,
            unit_price_cents=line.unit_price_cents,
            quantity=line.quantity,
            subtotal_cents=line_subtotal,
            discount_cents=line_discount,
            tax_cents=line_tax,
            total_cents=line_subtotal - line_discount + line_tax,
        )
        for line, line_subtotal, line_discount, line_tax in zip(
            lines, line_subtotals, line_discounts, line_taxes, strict=True
        )
    )
    return Quote(
        lines=quote_lines,
        subtotal_cents=subtotal,
        discount_cents=discount,
        shipping_cents=shipping_cents,
        tax_cents=tax,
        total_cents=goods + shipping_cents + tax,
        coupon_code=coupon.code if coupon is not None else None,
        free_shipping=free_shipping,
    )
