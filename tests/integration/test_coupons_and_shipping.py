"""Coupon rules through coupons.check, and coupons and shipping prices in the checkout summary."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from shophub.checkout import coupons
from shophub.extensions import db
from shophub.models import Coupon, CouponRedemption
from shophub.orders import service as orders
from shophub.payments import provider
from shophub.payments.flow import ensure_intent
from tests.checkout_data import (
    SUCCEEDS,
    add_to_cart,
    all_orders,
    count_rows,
    make_coupon,
    make_method,
    only_order,
    page,
    pay,
    place_from_cart,
    send_contact,
    send_shipping,
    to_payment,
)
from tests.shop_data import make_user, make_variant

NOW = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
HX = {"HX-Request": "true"}


def _check(code: str, subtotal: int = 10000, email: str = "ann@example.com",
           user_id: int | None = None, now: datetime = NOW):
    return coupons.check(code, subtotal_cents=subtotal, email=email, user_id=user_id,
                         currency="USD", now=now)


def _refused(code: str, **kwargs) -> str:
    with pytest.raises(coupons.CouponError) as error:
        _check(code, **kwargs)
    return str(error.value)


def _paid_with(code: str, email: str = "ann@example.com", user_id: int | None = None) -> int:
    """Place and pay an order that uses `code` (service level); returns the order id."""
    variant_id = make_variant("Mug", price=2000, stock=5)
    order = place_from_cart([(variant_id, 1)], make_method(), coupon=code, email=email,
                            user_id=user_id)
    intent = provider().confirm(ensure_intent(order).id, SUCCEEDS)
    db.session.commit()
    assert orders.mark_paid(order.id, intent, "test") == orders.PAID_NOW
    return order.id


# --- coupons.check -------------------------------------------------------------------------------

def test_codes_are_found_whatever_their_case_and_spacing(app):
    with app.app_context():
        coupon_id = make_coupon("WELCOME10", "percent", 10)
        for typed in ("WELCOME10", "welcome10", " Welcome10 ", "wel come10"):
            coupon, terms = _check(typed)
            assert coupon.id == coupon_id
            assert (terms.code, terms.kind, terms.value) == ("WELCOME10", "percent", 10)
        assert _refused("welcome11") == (
            "There is no code “welcome11”. Check the spelling and try again.")
        assert "There is no code" in _refused("   ")


def test_an_inactive_code_is_refused(app):
    with app.app_context():
        make_coupon("OLD", active=False)
        assert _refused("old") == "The code “OLD” is not active."


def test_a_code_is_valid_only_between_its_dates(app):
    with app.app_context():
        make_coupon("SPRING", starts_at=datetime(2030, 3, 15, 0, 0, tzinfo=UTC),
                    ends_at=datetime(2030, 6, 1, 0, 0, tzinfo=UTC))
        assert _refused("spring") == "The code “SPRING” is not valid until 15 March 2030."
        assert _check("spring", now=datetime(2030, 3, 15, 0, 0, tzinfo=UTC))[0].code == "SPRING"
        assert _check("spring", now=datetime(2030, 5, 31, 23, 59, tzinfo=UTC))
        assert _refused("spring", now=datetime(2030, 6, 1, 0, 0, tzinfo=UTC)) == (
            "The code “SPRING” expired on 1 June 2030.")


def test_a_code_that_is_used_up_is_refused(app):
    with app.app_context():
        coupon_id = make_coupon("TWICE", usage_limit=2)
        _paid_with("TWICE", email="first@example.com")
        assert _check("twice")  # one use of two
        _paid_with("TWICE", email="second@example.com")
        assert db.session.get(Coupon, coupon_id).times_used == 2
        assert _refused("twice") == "The code “TWICE” has been used up."


def test_per_customer_limit_counts_the_email(app):
    with app.app_context():
        make_coupon("ONCE", per_customer_limit=1)
        make_coupon("TWO", per_customer_limit=2)
        assert _check("once", email="ann@example.com")
        _paid_with("ONCE", email="ann@example.com")
        assert _refused("once", email="ann@example.com") == (
            "You have already used the code “ONCE”.")
        assert _refused("once", email="ANN@Example.com") == (
            "You have already used the code “ONCE”.")
        assert _check("once", email="bob@example.com")

        _paid_with("TWO", email="ann@example.com")
        assert _check("two", email="ann@example.com")
        _paid_with("TWO", email="ann@example.com")
        assert _refused("two", email="ann@example.com") == (
            "You have already used the code “TWO” the maximum number of times.")


def test_per_customer_limit_counts_the_account(app):
    with app.app_context():
        make_coupon("ONCE", per_customer_limit=1)
        user_id = make_user("sam@example.com")
        _paid_with("ONCE", email="sam@example.com", user_id=user_id)
        assert count_rows(CouponRedemption, CouponRedemption.user_id == user_id) == 1
        # Another email does not get round the limit of the account...
        assert _refused("once", email="sam.other@example.com", user_id=user_id) == (
            "You have already used the code “ONCE”.")
        # ...nor does checking before an email is known.
        assert _refused("once", email="", user_id=user_id) == (
            "You have already used the code “ONCE”.")
        assert _check("once", email="someone@example.com", user_id=None)


def test_a_code_needs_its_minimum_subtotal(app):
    with app.app_context():
        make_coupon("BIG", "fixed", 1000, min_subtotal_cents=5000)
        assert _refused("big", subtotal=4999) == (
            "The code “BIG” needs a subtotal of at least $50.00.")
        coupon, terms = _check("big", subtotal=5000)
        assert (terms.kind, terms.value) == ("fixed", 1000)


def test_the_first_problem_is_the_one_reported(app):
    with app.app_context():
        make_coupon("ALL", active=False, ends_at=NOW - timedelta(days=1), usage_limit=0,
                    min_subtotal_cents=99999)
        assert _refused("all") == "The code “ALL” is not active."


# --- in the checkout -----------------------------------------------------------------------------

def _summary(response) -> str:
    return re.search(r'<aside id="checkout-summary".*?</aside>', page(response), re.S).group(0)


def _summary_shipping(response) -> str:
    return re.search(r"<dt>Shipping.*?</dt>\s*<dd>(.*?)</dd>", _summary(response),
                     re.S).group(1).strip()


def _summary_total(response) -> str:
    return re.search(r'<dd class="total">(.*?)</dd>', _summary(response)).group(1)


def test_a_free_shipping_code_takes_off_the_shipping_only(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=2000, stock=5)
        method = make_method("Standard", price=500)
        make_coupon("FREESHIP", "free_shipping", 0)
    add_to_cart(client, mug, 2)
    send_contact(client)

    without = send_shipping(client, method)
    assert (_summary_shipping(without), _summary_total(without)) == ("$5.00", "$45.00")
    with_code = send_shipping(client, method, coupon="freeship")
    assert "Code FREESHIP applied." in page(with_code)
    assert (_summary_shipping(with_code), _summary_total(with_code)) == ("Free", "$40.00")
    assert "Discount" not in _summary(with_code)

    assert send_shipping(client, method, coupon="freeship", place_order=True).status_code == 303
    with app.app_context():
        order = only_order()
        assert (order.subtotal_cents, order.discount_cents, order.shipping_cents,
                order.total_cents, order.coupon_code) == (4000, 0, 0, 4000, "FREESHIP")


def test_shipping_is_free_over_the_threshold_after_discounts(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=2000, stock=9)
        method = make_method("Standard", price=500, free_over=5000)
        make_coupon("TENOFF", "fixed", 1000)
        make_coupon("PCT10", "percent", 10)
    add_to_cart(client, mug, 2)
    send_contact(client)

    below = send_shipping(client, method)
    assert (_summary_shipping(below), _summary_total(below)) == ("$5.00", "$45.00")
    assert "Free over $50.00" in page(below)

    add_to_cart(client, mug, 1)  # 60.00
    over = send_shipping(client, method)
    assert (_summary_shipping(over), _summary_total(over)) == ("Free", "$60.00")
    still_over = send_shipping(client, method, coupon="pct10")  # 54.00 of goods
    assert (_summary_shipping(still_over), _summary_total(still_over)) == ("Free", "$54.00")
    under_again = send_shipping(client, method, coupon="tenoff")  # 50.00 of goods: free
    assert (_summary_shipping(under_again), _summary_total(under_again)) == ("Free", "$50.00")

    with app.app_context():
        coupon = db.session.scalar(db.select(Coupon).where(Coupon.code == "TENOFF"))
        coupon.value = 1001
        db.session.commit()
    just_under = send_shipping(client, method, coupon="tenoff")  # 49.99 of goods
    assert (_summary_shipping(just_under), _summary_total(just_under)) == ("$5.00", "$54.99")

    assert send_shipping(client, method, coupon="tenoff", place_order=True).status_code == 303
    with app.app_context():
        order = only_order()
        assert (order.subtotal_cents, order.discount_cents, order.shipping_cents,
                order.total_cents) == (6000, 1001, 500, 5499)


def test_a_refused_code_shows_why_and_places_nothing(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=2000, stock=5)
        method = make_method()
        make_coupon("BIG", "fixed", 1000, min_subtotal_cents=5000)
    add_to_cart(client, mug, 1)
    send_contact(client)

    shown = send_shipping(client, method, coupon="big")
    assert shown.status_code == 200
    assert "The code “BIG” needs a subtotal of at least $50.00." in page(shown)
    assert _summary_total(shown) == "$25.00"  # no discount taken

    refused = send_shipping(client, method, coupon="big", place_order=True)
    assert refused.status_code == 422
    assert "The code “BIG” needs a subtotal of at least $50.00." in page(refused)
    with app.app_context():
        assert all_orders() == []

    htmx = client.post("/checkout/coupon", data={"coupon_code": "nope"}, headers=HX)
    assert htmx.status_code == 422 and "There is no code “nope”." in page(htmx)
    removed = client.post("/checkout/coupon", data={"action": "remove"}, headers=HX)
    assert removed.status_code == 200 and "There is no code" not in page(removed)


def test_a_shipping_method_that_is_not_offered_is_refused(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=2000, stock=5)
        make_method("Standard", price=500)
        retired = make_method("Retired", price=1, active=False)
    add_to_cart(client, mug, 1)
    send_contact(client)
    response = send_shipping(client, retired, place_order=True)
    assert response.status_code == 422
    assert "Choose a shipping method." in page(response)
    with app.app_context():
        assert all_orders() == []


def test_an_overlong_code_is_explained_not_blamed_on_the_shipping_method(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=2000, stock=5)
        method = make_method()
    add_to_cart(client, mug, 1)
    send_contact(client)
    response = send_shipping(client, method, coupon="X" * 41, place_order=True)
    assert response.status_code == 422
    text = page(response)
    assert "Choose a shipping method." not in text
    assert "40 characters" in text
    with app.app_context():
        assert all_orders() == []


def test_a_customer_cannot_use_a_once_only_code_twice_through_the_checkout(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=2000, stock=5)
        method = make_method()
        make_coupon("ONCE", "percent", 10, per_customer_limit=1)
    add_to_cart(client, mug, 1)
    to_payment(client, method, coupon="once")
    assert "Your order is confirmed." in page(client.get(pay(client, SUCCEEDS).location))

    add_to_cart(client, mug, 1)
    again = send_shipping(client, method, coupon="once")
    assert "You have already used the code “ONCE”." in page(again)
    refused = send_shipping(client, method, coupon="once", place_order=True)
    assert refused.status_code == 422
    with app.app_context():
        assert len(all_orders()) == 1
        assert count_rows(CouponRedemption) == 1
