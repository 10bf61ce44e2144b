"""How much one shopper may hold, and how fast anyone may post: the store's holding limits
(units of a variant per cart, unpaid orders per client) and the rate limits of the storefront."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from shophub.checkout import coupons
from shophub.extensions import db
from shophub.models import Order
from shophub.orders.service import now
from shophub.platform import store_settings
from tests.checkout_data import (
    add_to_cart,
    all_orders,
    make_coupon,
    make_method,
    page,
    pay,
    send_contact,
    send_shipping,
    stock_of,
    to_payment,
)
from tests.shop_data import make_user, make_variant

HX = {"HX-Request": "true"}


def visitor(app, address: str = "203.0.113.5"):
    """A new browser (its own session and cart cookie) from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def limits(**values) -> None:
    store_settings.save(**values)
    db.session.commit()


@pytest.fixture
def shop(app):
    """A variant with 15 units, a shipping method and a coupon; returns their ids."""
    with app.app_context():
        return {"pass": make_variant("Festival Pass", price=5000, stock=15),
                "method": make_method("Standard", price=0),
                "coupon": make_coupon("SAVE10", "percent", 10)}


# --- units of one variant per cart -----------------------------------------------------------

def test_a_cart_holds_at_most_the_stores_units_of_one_variant_and_says_so(app, shop):
    buyer = visitor(app)
    capped = buyer.post("/cart/items", data={"variant_id": shop["pass"], "quantity": "15"},
                        headers=HX)
    assert capped.status_code == 200
    assert "A cart can hold at most 10 of Festival Pass; it has 10." in page(capped)
    plain = buyer.post("/cart/items", data={"variant_id": shop["pass"], "quantity": "1"},
                       follow_redirects=True)
    assert "A cart can hold at most 10 of Festival Pass; it has 10." in page(plain)
    line = page(buyer.get("/cart"))
    item_id = int(line.split('action="/cart/items/')[1].split('"')[0])
    updated = buyer.post(f"/cart/items/{item_id}", data={"quantity": "14"}, headers=HX)
    assert "A cart can hold at most 10 of Festival Pass; it has 10." in page(updated)
    with app.app_context():
        limits(max_units_per_variant=12)
    raised = buyer.post(f"/cart/items/{item_id}", data={"quantity": "14"}, headers=HX)
    assert "A cart can hold at most 12 of Festival Pass; it has 12." in page(raised)


def test_a_cart_over_a_lowered_limit_is_sent_back_before_an_order_is_placed(app, shop):
    buyer = visitor(app)
    add_to_cart(buyer, shop["pass"], 10)
    with app.app_context():
        limits(max_units_per_variant=4)
    send_contact(buyer)
    refused = send_shipping(buyer, shop["method"], place_order=True)
    assert refused.status_code == 303 and refused.location.endswith("/cart")
    assert "A cart can hold at most 4 of Festival Pass; it has 10." in page(
        buyer.get(refused.location))
    with app.app_context():
        assert all_orders() == [] and stock_of(shop["pass"]) == 15


# --- unpaid orders per client ------------------------------------------------------------------

def _hold(app, shop, address: str, units: int = 5):
    """A new visitor from `address` who puts units in the cart and continues to payment."""
    buyer = visitor(app, address)
    add_to_cart(buyer, shop["pass"], units)
    send_contact(buyer)
    return buyer, send_shipping(buyer, shop["method"], place_order=True)


def test_one_address_cannot_hold_more_unpaid_orders_than_the_store_allows(app, shop):
    for _ in range(3):  # three fresh browsers: each has a new session and cart
        _, placed = _hold(app, shop, "203.0.113.5", units=4)
        assert placed.status_code == 303 and placed.location.endswith("/checkout/payment")
    with app.app_context():
        assert stock_of(shop["pass"]) == 3

    buyer, refused = _hold(app, shop, "203.0.113.5", units=3)
    assert refused.status_code == 422
    assert "You already have 3 unpaid orders holding items" in page(refused)
    htmx = send_shipping(buyer, shop["method"], place_order=True, headers=HX)
    assert htmx.status_code == 422 and "You already have 3 unpaid orders" in page(htmx)
    with app.app_context():
        assert len(all_orders()) == 3 and stock_of(shop["pass"]) == 3

    _, elsewhere = _hold(app, shop, "198.51.100.7", units=3)  # another shopper buys the rest
    assert elsewhere.status_code == 303
    with app.app_context():
        first = all_orders()[0]
        db.session.execute(update(Order).where(Order.id == first.id)
                           .values(reserved_until=now() - timedelta(minutes=1)))
        db.session.commit()
    assert send_shipping(buyer, shop["method"], place_order=True).status_code == 303


def test_the_limit_counts_the_browsers_cart_and_account_too(app, shop):
    with app.app_context():
        limits(max_pending_orders=1)
        make_user("kim@example.com")
    buyer, placed = _hold(app, shop, "203.0.113.5", units=2)
    assert placed.status_code == 303
    with buyer.session_transaction() as session:  # a new session, the same cart cookie
        session.clear()
    buyer.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    send_contact(buyer)
    refused = send_shipping(buyer, shop["method"], place_order=True)
    assert refused.status_code == 422 and "You already have 1 unpaid order" in page(refused)


def test_the_buyers_own_unpaid_order_is_revised_and_paid_at_the_limit(app, shop):
    with app.app_context():
        limits(max_pending_orders=1)
    buyer, placed = _hold(app, shop, "203.0.113.5", units=2)
    assert placed.status_code == 303
    add_to_cart(buyer, shop["pass"], 1)  # back to the cart, then to payment again
    to_payment(buyer, shop["method"])
    with app.app_context():
        (order,) = all_orders()
        assert order.item_count == 3
    paid = pay(buyer)
    assert buyer.get(paid.location).status_code == 200  # the return page sees it paid
    _, next_order = _hold(app, shop, "203.0.113.5", units=1)  # a paid order holds no place
    assert next_order.status_code == 303


# --- rate limits ---------------------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"RATELIMIT_ORDERS": "2 per minute"}])
def test_placing_orders_is_rate_limited_per_address(app, shop):
    buyer = visitor(app)
    add_to_cart(buyer, shop["pass"], 1)
    send_contact(buyer)
    assert send_shipping(buyer, shop["method"]).status_code == 200  # choosing is not placing
    for _ in range(2):
        assert send_shipping(buyer, shop["method"], place_order=True).status_code == 303
    refused = send_shipping(buyer, shop["method"], place_order=True)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Please try again in" in page(refused)
    assert send_shipping(buyer, shop["method"]).status_code == 200


def test_thirty_quick_coupon_guesses_are_refused_after_five(app, shop):
    guesser = visitor(app)
    add_to_cart(guesser, shop["pass"], 1)
    send_contact(guesser)
    statuses = []
    for n in range(30):
        answer = guesser.post("/checkout/coupon", data={"coupon_code": f"GUESS{n:02d}"},
                              headers=HX)
        statuses.append(answer.status_code)
    assert statuses == [422] * coupons.FREE_REFUSALS + [429] * (30 - coupons.FREE_REFUSALS)
    assert "Too many discount codes that did not work" in page(answer)
    assert int(answer.headers["Retry-After"]) > 0
    # While it waits, even a real code is not looked at, from either checkout form.
    real = guesser.post("/checkout/coupon", data={"coupon_code": "SAVE10"})
    assert real.status_code == 429 and "Please wait" in page(real)
    assert send_shipping(guesser, shop["method"], coupon="SAVE10").status_code == 429
    assert send_shipping(guesser, shop["method"]).status_code == 200  # no code: no guess
    other = visitor(app, "198.51.100.7")
    add_to_cart(other, shop["pass"], 1)
    send_contact(other)
    applied = other.post("/checkout/coupon", data={"coupon_code": "save10"}, headers=HX)
    assert applied.status_code == 200 and "Code SAVE10 applied." in page(applied)


def test_each_refused_guess_after_the_free_ones_waits_longer(app):
    from shophub.checkout.coupons import GUESS_GUARD

    waits = [GUESS_GUARD.wait_after(failures) for failures in range(1, 12)]
    assert waits[:coupons.FREE_REFUSALS - 1] == [0] * (coupons.FREE_REFUSALS - 1)
    growing = waits[coupons.FREE_REFUSALS - 1:]
    assert growing[0] == coupons.FIRST_WAIT
    assert all(later > earlier for earlier, later in zip(growing, growing[1:], strict=False)
               if later < coupons.LONGEST_WAIT)
    assert max(waits) <= coupons.LONGEST_WAIT


@pytest.mark.parametrize("app_config", [{"RATELIMIT_COUPONS": "3 per minute"}])
def test_coupon_tries_are_rate_limited_even_when_they_work(app, shop):
    with app.app_context():
        for code in ("ONE", "TWO", "THREE", "FOUR"):
            make_coupon(code, "percent", 5)
    buyer = visitor(app)
    add_to_cart(buyer, shop["pass"], 1)
    send_contact(buyer)
    answers = [buyer.post("/checkout/coupon", data={"coupon_code": code}).status_code
               for code in ("ONE", "TWO", "THREE", "FOUR")]
    assert answers == [303, 303, 303, 429]
    # Removing a code, or sending the applied one again, is no new try.
    assert buyer.post("/checkout/coupon", data={"action": "remove"}).status_code == 303


ALL_LIMITS_AT_ONE = {"RATELIMIT_POSTS": "1 per minute", "RATELIMIT_ORDERS": "1 per minute",
                     "RATELIMIT_COUPONS": "1 per minute", "RATELIMIT_LOGIN": "1 per minute",
                     "RATELIMIT_ACCOUNT": "1 per minute"}
NOT_PUBLIC = ("admin.", "webhooks.")
# Authorised by a signed token, and sent by mail providers on their users' behalf (RFC 8058
# one-click unsubscribe): a 429 there would keep mailing someone who asked us to stop.
SIGNED_LINK_POSTS = ("unsubscribe.unsubscribe_now",)


@pytest.mark.parametrize("app_config", [ALL_LIMITS_AT_ONE])
def test_every_public_post_is_rate_limited(app, shop):
    with app.app_context():
        make_user("kim@example.com")
    rules = [rule for rule in app.url_map.iter_rules()
             if "POST" in rule.methods and not rule.endpoint.startswith(NOT_PUBLIC)
             and rule.endpoint not in SIGNED_LINK_POSTS]
    assert len(rules) > 15
    unlimited = []
    for number, rule in enumerate(sorted(rules, key=lambda rule: rule.rule)):
        client = visitor(app, f"10.9.0.{number + 1}")
        client.post("/account/login", data={"email": "kim@example.com",
                                            "password": "correct horse battery"})
        path = app.url_map.bind("localhost").build(
            rule.endpoint, dict.fromkeys(rule.arguments, 1), method="POST")
        answers = [client.post(path, data={"coupon_code": f"X{n}", "action": "continue"})
                   for n in range(2)]
        if answers[-1].status_code != 429:
            unlimited.append((rule.rule, [answer.status_code for answer in answers]))
        elif "try again in" not in page(answers[-1]).lower():
            unlimited.append((rule.rule, "429 without a reason"))
    assert unlimited == [], unlimited


@pytest.mark.parametrize("app_config", [{"RATELIMIT_POSTS": "3 per minute"}])
def test_the_public_posts_share_one_budget_that_explains_itself(app, shop):
    buyer = visitor(app)
    for _ in range(2):
        add_to_cart(buyer, shop["pass"], 1)
    assert send_contact(buyer).status_code == 303
    refused = buyer.post("/cart/items", data={"variant_id": shop["pass"], "quantity": "1"},
                         headers=HX)
    assert refused.status_code == 429
    assert "Too many attempts from you. Please try again in" in page(refused)
    assert buyer.get("/cart").status_code == 200  # looking is never limited
    assert visitor(app, "198.51.100.7").post(
        "/cart/items", data={"variant_id": shop["pass"], "quantity": "1"}).status_code == 303
