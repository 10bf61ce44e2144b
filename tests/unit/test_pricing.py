"""Pure pricing: discounts, shipping, tax, per-line allocation and coupon checks."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shophub.core.coupons import CouponRules, CouponTerms, coupon_problem, normalise_code, terms_of
from shophub.core.pricing import (
    PriceLine,
    Quote,
    QuoteLine,
    ShippingTerms,
    quote,
    shipping_price,
)

STANDARD = ShippingTerms("Standard", 500)
FREE_OVER_50 = ShippingTerms("Standard", 500, free_over_cents=5000)
THREE_333 = [(1, 333, 1), (2, 333, 1), (3, 333, 1)]


def percent(value, code="PCT"):
    return CouponTerms(code, "percent", value)


def fixed(value, code="FIXED"):
    return CouponTerms(code, "fixed", value)


FREE_SHIP = CouponTerms("SHIPFREE", "free_shipping", 0)


def case(name, lines, line_amounts, totals, *, coupon=None, shipping=None, tax_bp=0, free=False):
    """A table row.

    `lines` are (key, unit, qty); `line_amounts` are hand-computed (subtotal, discount, tax,
    total) per line; `totals` are (subtotal, discount, shipping, tax, total).
    """
    price_lines = [PriceLine(key, unit, qty) for key, unit, qty in lines]
    quote_lines = tuple(
        QuoteLine(key, unit, qty, *amounts)
        for (key, unit, qty), amounts in zip(lines, line_amounts, strict=True)
    )
    expected = Quote(
        quote_lines,
        *totals,
        coupon_code=coupon.code if coupon else None,
        free_shipping=free,
    )
    return pytest.param(price_lines, coupon, shipping, tax_bp, expected, id=name)


QUOTE_CASES = [
    case(
        "no-coupon",
        [(1, 1250, 2), (2, 499, 1)],
        [(2500, 0, 0, 2500), (499, 0, 0, 499)],
        (2999, 0, 0, 0, 2999),
    ),
    case(
        "flat-shipping",
        [(1, 1250, 2), (2, 499, 1)],
        [(2500, 0, 0, 2500), (499, 0, 0, 499)],
        (2999, 0, 500, 0, 3499),
        shipping=STANDARD,
    ),
    # 10% of 1005 = 100.5 -> 101 (half up); 10% of 1004 = 100.4 -> 100.
    case(
        "percent-half-rounds-up",
        [(1, 1005, 1)],
        [(1005, 101, 0, 904)],
        (1005, 101, 0, 0, 904),
        coupon=percent(10),
    ),
    case(
        "percent-below-half-rounds-down",
        [(1, 1004, 1)],
        [(1004, 100, 0, 904)],
        (1004, 100, 0, 0, 904),
        coupon=percent(10),
    ),
    # 15% of 1333 = 199.95 -> 200; exact shares 150.04 and 49.96 -> the larger remainder
    # (line 2) gets the leftover unit, not the first line.
    case(
        "percent-allocated-by-largest-remainder",
        [(1, 1000, 1), (2, 333, 1)],
        [(1000, 150, 0, 850), (333, 50, 0, 283)],
        (1333, 200, 0, 0, 1133),
        coupon=percent(15),
    ),
    case(
        "percent-100-makes-goods-free",
        [(1, 1999, 2)],
        [(3998, 3998, 0, 0)],
        (3998, 3998, 500, 0, 500),
        coupon=percent(100),
        shipping=STANDARD,
        tax_bp=825,
    ),
    case(
        "fixed-bigger-than-subtotal",
        [(1, 1250, 2), (2, 499, 1)],
        [(2500, 2500, 0, 0), (499, 499, 0, 0)],
        (2999, 2999, 500, 0, 500),
        coupon=fixed(5000),
        shipping=STANDARD,
        tax_bp=825,
    ),
    # 100 over three equal lines: 33.33 each -> 33/33/33 and one unit left, tie -> first line.
    case(
        "fixed-allocated-ties-by-line-order",
        THREE_333,
        [(333, 34, 0, 299), (333, 33, 0, 300), (333, 33, 0, 300)],
        (999, 100, 0, 0, 899),
        coupon=fixed(100),
    ),
    case(
        "free-shipping-coupon",
        [(1, 1250, 2), (2, 499, 1)],
        [(2500, 0, 0, 2500), (499, 0, 0, 499)],
        (2999, 0, 0, 0, 2999),
        coupon=FREE_SHIP,
        shipping=STANDARD,
        free=True,
    ),
    case(
        "free-shipping-coupon-without-shipping",
        [(1, 1000, 1)],
        [(1000, 0, 0, 1000)],
        (1000, 0, 0, 0, 1000),
        coupon=FREE_SHIP,
    ),
    case(
        "free-over-just-below",
        [(1, 4999, 1)],
        [(4999, 0, 0, 4999)],
        (4999, 0, 500, 0, 5499),
        shipping=FREE_OVER_50,
    ),
    case(
        "free-over-at",
        [(1, 2500, 2)],
        [(5000, 0, 0, 5000)],
        (5000, 0, 0, 0, 5000),
        shipping=FREE_OVER_50,
        free=True,
    ),
    case(
        "free-over-just-above",
        [(1, 5001, 1)],
        [(5001, 0, 0, 5001)],
        (5001, 0, 0, 0, 5001),
        shipping=FREE_OVER_50,
        free=True,
    ),
    # The threshold looks at goods after discount: 5500 - 600 = 4900 < 5000.
    case(
        "free-over-after-discount",
        [(1, 5500, 1)],
        [(5500, 600, 0, 4900)],
        (5500, 600, 500, 0, 5400),
        coupon=fixed(600),
        shipping=FREE_OVER_50,
    ),
    case(
        "free-over-ignores-tax",
        [(1, 4999, 1)],
        [(4999, 0, 412, 5411)],
        (4999, 0, 500, 412, 5911),
        shipping=FREE_OVER_50,
        tax_bp=825,
    ),
    # 8.25% of 1000 = 82.5 -> 83; of 999 = 82.4175 -> 82.
    case("tax-half-rounds-up", [(1, 1000, 1)], [(1000, 0, 83, 1083)], (1000, 0, 0, 83, 1083),
         tax_bp=825),
    case("tax-rounds-down", [(1, 999, 1)], [(999, 0, 82, 1081)], (999, 0, 0, 82, 1081),
         tax_bp=825),
    # Tax on goods only: 10% of 1000, not of 1000 + 500 shipping.
    case(
        "tax-not-on-shipping",
        [(1, 1000, 1)],
        [(1000, 0, 100, 1100)],
        (1000, 0, 500, 100, 1600),
        shipping=STANDARD,
        tax_bp=1000,
    ),
    # 82 over three equal lines: 27.33 each -> 28/27/27.
    case(
        "tax-allocated",
        THREE_333,
        [(333, 0, 28, 361), (333, 0, 27, 360), (333, 0, 27, 360)],
        (999, 0, 0, 82, 1081),
        tax_bp=825,
    ),
    # Discount 34/33/33 leaves goods 299/300/300 = 899; tax 8.25% of 899 = 74.1675 -> 74;
    # exact shares 24.61/24.69/24.69 -> the two larger remainders get the two leftover units.
    case(
        "discount-tax-shipping-allocated",
        THREE_333,
        [(333, 34, 24, 323), (333, 33, 25, 325), (333, 33, 25, 325)],
        (999, 100, 500, 74, 1473),
        coupon=fixed(100),
        shipping=STANDARD,
        tax_bp=825,
    ),
    # Zero-decimal currency: 15% of 4580 = 687 exactly (540 + 147); tax 10% of 3893 = 389.3
    # -> 389; exact shares 305.76 and 83.24 -> 306/83.
    case(
        "jpy-integers",
        [(1, 1200, 3), (2, 980, 1)],
        [(3600, 540, 306, 3366), (980, 147, 83, 916)],
        (4580, 687, 0, 389, 4282),
        coupon=percent(15),
        tax_bp=1000,
    ),
    case(
        "free-items-still-ship",
        [(1, 0, 2)],
        [(0, 0, 0, 0)],
        (0, 0, 500, 0, 500),
        coupon=percent(50),
        shipping=STANDARD,
        tax_bp=825,
    ),
    case("empty-cart", [], [], (0, 0, 0, 0, 0)),
    case(
        "empty-cart-with-terms",
        [],
        [],
        (0, 0, 0, 0, 0),
        coupon=fixed(500),
        shipping=STANDARD,
        tax_bp=825,
    ),
]


@pytest.mark.parametrize(("lines", "coupon", "shipping", "tax_bp", "expected"), QUOTE_CASES)
def test_quote_table(lines, coupon, shipping, tax_bp, expected):
    assert quote(lines, coupon, shipping, tax_bp) == expected


@pytest.mark.parametrize(
    ("lines", "coupon", "shipping", "tax_bp"),
    [
        pytest.param([PriceLine(1, 100, 0)], None, None, 0, id="zero-quantity"),
        pytest.param([PriceLine(1, 100, -1)], None, None, 0, id="negative-quantity"),
        pytest.param([PriceLine(1, -1, 1)], None, None, 0, id="negative-price"),
        pytest.param([PriceLine(1, 100, 1)], percent(0), None, 0, id="percent-0"),
        pytest.param([PriceLine(1, 100, 1)], percent(101), None, 0, id="percent-101"),
        pytest.param([PriceLine(1, 100, 1)], fixed(-1), None, 0, id="negative-fixed"),
        pytest.param([PriceLine(1, 100, 1)], CouponTerms("X", "bogo", 1), None, 0,
                     id="unknown-kind"),
        pytest.param([PriceLine(1, 100, 1)], None, ShippingTerms("S", -1), 0,
                     id="negative-shipping"),
        pytest.param([PriceLine(1, 100, 1)], None, ShippingTerms("S", 500, -1), 0,
                     id="negative-threshold"),
        pytest.param([PriceLine(1, 100, 1)], None, None, -1, id="tax-below-0"),
        pytest.param([PriceLine(1, 100, 1)], None, None, 10001, id="tax-above-10000"),
    ],
)
def test_quote_rejects_invalid_input(lines, coupon, shipping, tax_bp):
    with pytest.raises(ValueError):
        quote(lines, coupon, shipping, tax_bp)


@pytest.mark.parametrize(
    ("lines", "tax_bp"),
    [
        pytest.param([PriceLine(1, 9.99, 1)], 0, id="float-price"),
        pytest.param([PriceLine(1, 999, 1.0)], 0, id="float-quantity"),
        pytest.param([PriceLine(1, 999, 1)], 8.25, id="float-tax"),
    ],
)
def test_quote_rejects_floats(lines, tax_bp):
    with pytest.raises(TypeError):
        quote(lines, tax_rate_bp=tax_bp)


def test_tax_rate_bounds_are_inclusive():
    assert quote([PriceLine(1, 1000, 1)], tax_rate_bp=0).tax_cents == 0
    assert quote([PriceLine(1, 1000, 1)], tax_rate_bp=10000).tax_cents == 1000


# --- properties ---

line_strategy = st.builds(
    PriceLine,
    key=st.integers(1, 10**6),
    unit_price_cents=st.integers(0, 10**7),
    quantity=st.integers(1, 99),
)
lines_strategy = st.lists(line_strategy, min_size=1, max_size=8)
coupon_strategy = st.one_of(
    st.none(),
    st.builds(CouponTerms, code=st.just("PCT"), kind=st.just("percent"),
              value=st.integers(1, 100)),
    st.builds(CouponTerms, code=st.just("FIX"), kind=st.just("fixed"),
              value=st.integers(0, 10**9)),
    st.just(FREE_SHIP),
)
shipping_strategy = st.one_of(
    st.none(),
    st.builds(
        ShippingTerms,
        name=st.just("Standard"),
        price_cents=st.integers(0, 10**5),
        free_over_cents=st.none() | st.integers(0, 10**9),
    ),
)
tax_strategy = st.integers(0, 3000)


def amounts(result):
    yield from (
        result.subtotal_cents,
        result.discount_cents,
        result.shipping_cents,
        result.tax_cents,
        result.total_cents,
    )
    for line in result.lines:
        yield from (line.subtotal_cents, line.discount_cents, line.tax_cents, line.total_cents)


@given(lines_strategy, coupon_strategy, shipping_strategy, tax_strategy)
def test_quote_totals_add_up(lines, coupon, shipping, tax_bp):
    result = quote(lines, coupon, shipping, tax_bp)
    assert result.total_cents == (
        result.subtotal_cents - result.discount_cents + result.shipping_cents + result.tax_cents
    )
    assert result.subtotal_cents == sum(line.unit_price_cents * line.quantity for line in lines)
    assert all(type(amount) is int and amount >= 0 for amount in amounts(result))
    assert result.discount_cents <= result.subtotal_cents
    assert [line.key for line in result.lines] == [line.key for line in lines]


@given(lines_strategy, coupon_strategy, shipping_strategy, tax_strategy)
def test_quote_allocations_are_exact(lines, coupon, shipping, tax_bp):
    result = quote(lines, coupon, shipping, tax_bp)
    assert sum(line.discount_cents for line in result.lines) == result.discount_cents
    assert sum(line.tax_cents for line in result.lines) == result.tax_cents
    for line in result.lines:
        assert line.subtotal_cents == line.unit_price_cents * line.quantity
        assert line.discount_cents <= line.subtotal_cents
        assert line.total_cents == line.subtotal_cents - line.discount_cents + line.tax_cents


@given(lines_strategy, coupon_strategy, shipping_strategy, tax_strategy)
def test_quote_is_deterministic(lines, coupon, shipping, tax_bp):
    assert quote(lines, coupon, shipping, tax_bp) == quote(list(lines), coupon, shipping, tax_bp)


@given(lines_strategy, shipping_strategy, tax_strategy)
def test_percent_100_makes_goods_free(lines, shipping, tax_bp):
    result = quote(lines, percent(100), shipping, tax_bp)
    assert result.discount_cents == result.subtotal_cents
    assert result.tax_cents == 0
    assert result.total_cents == result.shipping_cents
    assert all(line.total_cents == 0 for line in result.lines)


# --- shipping prices ---

EXPRESS = ShippingTerms("Express", 1500)


def test_a_method_costs_its_price_below_its_threshold():
    assert shipping_price(FREE_OVER_50, 4999) == 500
    assert shipping_price(STANDARD, 10**6) == 500
    assert shipping_price(FREE_OVER_50, 4999, percent(10)) == 500


def test_a_method_is_free_from_its_threshold_on():
    assert shipping_price(FREE_OVER_50, 5000) == 0
    assert shipping_price(ShippingTerms("Pickup", 0), 0) == 0


def test_a_free_shipping_coupon_makes_every_method_free():
    for method in (STANDARD, FREE_OVER_50, EXPRESS):
        assert shipping_price(method, 100, FREE_SHIP) == 0


@pytest.mark.parametrize(("shipping", "goods", "coupon"), [
    (ShippingTerms("Bad", -1), 0, None),
    (STANDARD, -1, None),
    (STANDARD, 0, CouponTerms("X", "gift", 1)),
])
def test_shipping_price_rejects_invalid_input(shipping, goods, coupon):
    with pytest.raises(ValueError):
        shipping_price(shipping, goods, coupon)


def test_shipping_price_rejects_floats():
    with pytest.raises(TypeError):
        shipping_price(STANDARD, 10.0)


@given(lines_strategy, coupon_strategy, shipping_strategy.filter(bool), tax_strategy)
def test_quote_charges_what_shipping_price_says(lines, coupon, shipping, tax_bp):
    result = quote(lines, coupon, shipping, tax_bp)
    goods = result.subtotal_cents - result.discount_cents
    assert result.shipping_cents == shipping_price(shipping, goods, coupon)


# --- coupons ---

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)
NOV_1 = datetime(2026, 11, 1, tzinfo=UTC)


def rules(**overrides):
    fields = {"code": "SAVE10", "kind": "percent", "value": 10, "active": True}
    fields.update(overrides)
    return CouponRules(**fields)


def problem(coupon, *, subtotal=10000, now=NOW, times_used=0, customer_uses=0, currency="USD"):
    return coupon_problem(
        coupon,
        subtotal_cents=subtotal,
        now=now,
        times_used=times_used,
        customer_uses=customer_uses,
        currency=currency,
    )


def test_usable_coupon_has_no_problem():
    coupon = rules(
        starts_at=NOV_1, ends_at=DEC_1, usage_limit=100, per_customer_limit=1,
        min_subtotal_cents=5000,
    )
    assert problem(coupon, subtotal=5000, times_used=99, customer_uses=0) is None


def test_inactive():
    assert problem(rules(active=False)) == "The code “SAVE10” is not active."


def test_not_started():
    message = problem(rules(starts_at=DEC_1))
    assert message == "The code “SAVE10” is not valid until 1 December 2026."
    assert problem(rules(starts_at=DEC_1), now=DEC_1) is None


def test_expired():
    assert problem(rules(ends_at=NOV_1)) == "The code “SAVE10” expired on 1 November 2026."
    assert problem(rules(ends_at=NOW), now=NOW) == "The code “SAVE10” expired on 15 November 2026."
    assert problem(rules(ends_at=NOW), now=NOW - timedelta(seconds=1)) is None


def test_dates_are_shown_in_utc():
    # 01:00 UTC on 1 November is still 31 October in New York (UTC-5).
    ends = datetime(2026, 11, 1, 1, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=-5)))
    assert ends.day == 31
    assert problem(rules(ends_at=ends)) == "The code “SAVE10” expired on 1 November 2026."


def test_used_up():
    assert problem(rules(usage_limit=5), times_used=5) == "The code “SAVE10” has been used up."
    assert problem(rules(usage_limit=5), times_used=4) is None


def test_used_by_customer_once():
    message = problem(rules(per_customer_limit=1), customer_uses=1)
    assert message == "You have already used the code “SAVE10”."
    assert problem(rules(per_customer_limit=1), customer_uses=0) is None


def test_used_by_customer_maximum_times():
    message = problem(rules(per_customer_limit=3), customer_uses=3)
    assert message == "You have already used the code “SAVE10” the maximum number of times."
    assert problem(rules(per_customer_limit=3), customer_uses=2) is None


def test_minimum_subtotal():
    coupon = rules(min_subtotal_cents=5000)
    assert problem(coupon, subtotal=4999) == (
        "The code “SAVE10” needs a subtotal of at least $50.00."
    )
    assert problem(coupon, subtotal=4999, currency="JPY") == (
        "The code “SAVE10” needs a subtotal of at least ¥5,000."
    )
    assert problem(coupon, subtotal=5000) is None


def test_problems_are_reported_in_order():
    broken = {
        "active": False,
        "starts_at": DEC_1,
        "ends_at": NOV_1,
        "usage_limit": 1,
        "per_customer_limit": 1,
        "min_subtotal_cents": 5000,
    }
    fixes = [
        ("active", True, "The code “SAVE10” is not active."),
        ("starts_at", None, "The code “SAVE10” is not valid until 1 December 2026."),
        ("ends_at", None, "The code “SAVE10” expired on 1 November 2026."),
        ("usage_limit", None, "The code “SAVE10” has been used up."),
        ("per_customer_limit", None, "You have already used the code “SAVE10”."),
        ("min_subtotal_cents", 0, "The code “SAVE10” needs a subtotal of at least $50.00."),
    ]
    for field, fixed_value, expected in fixes:
        assert problem(rules(**broken), subtotal=100, times_used=1, customer_uses=1) == expected
        broken[field] = fixed_value
    assert problem(rules(**broken), subtotal=100, times_used=1, customer_uses=1) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("save10", "SAVE10"),
        ("  Save10 ", "SAVE10"),
        ("SAVE 10", "SAVE10"),
        ("s a\tv e\n10", "SAVE10"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_code(typed, expected):
    assert normalise_code(typed) == expected


def test_codes_are_case_insensitive():
    assert normalise_code("welcome-Back") == normalise_code("WELCOME-back") == "WELCOME-BACK"


def test_terms_of():
    coupon = rules(code="TENOFF", kind="fixed", value=1000, usage_limit=3)
    assert terms_of(coupon) == CouponTerms("TENOFF", "fixed", 1000)
