"""The checkout through HTTP: steps, placing and revising the order, paying with the demo cards."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shophub.accounts.address_book import AddressData, save_address
from shophub.extensions import db
from shophub.models import CartItem, Order, Payment, User, Variant
from shophub.orders import inventory
from shophub.orders import service as orders
from shophub.payments.demo import DECLINE_MESSAGE, UNKNOWN_CARD_MESSAGE
from shophub.payments.flow import expire_stale_orders
from shophub.platform import store_settings
from tests.checkout_data import (
    DECLINED,
    NEEDS_CONFIRMATION,
    SUCCEEDS,
    add_to_cart,
    all_orders,
    audit_actions,
    count_rows,
    demo_intent,
    make_coupon,
    make_method,
    only_order,
    order_token_in,
    outbox,
    page,
    pay,
    send_contact,
    send_shipping,
    stock_of,
    to_payment,
)
from tests.shop_data import log_in, make_user, make_variant, set_stock

HX = {"HX-Request": "true"}


def _draft(client) -> dict | None:
    with client.session_transaction() as session:
        return session.get("checkout")


def _cart_item_id(variant_id: int) -> int:
    return db.session.scalar(select(CartItem.id).where(CartItem.variant_id == variant_id))


def _intent_id_of(response) -> str:
    return re.search(r"payment_intent=([\w]+)", response.location).group(1)


# --- the happy path ------------------------------------------------------------------------------

def test_guest_buys_with_a_coupon_and_the_demo_card(app, client):
    with app.app_context():
        teapot = make_variant("Teapot", price=2000, stock=5)
        method = make_method("Standard", price=500)
        make_coupon("SAVE10", "percent", 10)
        store_settings.save(tax_rate_bp=800)
        db.session.commit()

    add_to_cart(client, teapot, 2)
    start = client.get("/checkout")
    assert start.status_code == 200 and "Contact and address" in page(start)

    contact = send_contact(client)
    assert contact.status_code == 303 and contact.location.endswith("/checkout?step=shipping")
    shipping_step = client.get(contact.location)
    assert f'name="shipping_method" value="{method}"' in page(shipping_step)

    applied = send_shipping(client, method, coupon="save10")
    assert applied.status_code == 200
    assert "Code SAVE10 applied." in page(applied)
    # 2 x 20.00 = 40.00, -10% = 36.00, 8% tax = 2.88, shipping 5.00.
    assert "$43.88" in page(applied)
    with app.app_context():
        assert all_orders() == [] and stock_of(teapot) == 5  # nothing placed yet

    placed = send_shipping(client, method, coupon="save10", place_order=True)
    assert placed.status_code == 303 and placed.location.endswith("/checkout/payment")
    with app.app_context():
        order = only_order()
        assert (order.status, order.payment_status, order.stock_state) == (
            "pending", "requires_payment", "reserved")
        assert (order.subtotal_cents, order.discount_cents, order.shipping_cents,
                order.tax_cents, order.total_cents) == (4000, 400, 500, 288, 4388)
        assert order.coupon_code == "SAVE10" and order.email == "ann@example.com"
        assert stock_of(teapot) == 3

    payment = client.get("/checkout/payment")
    assert payment.status_code == 200
    assert "Demo payments" in page(payment) and "Pay $43.88" in page(payment)
    with app.app_context():
        order = only_order()
        assert demo_intent(order.payment_intent_id).amount == 4388

    paid = pay(client, SUCCEEDS)
    assert paid.status_code == 303 and "/checkout/complete?payment_intent=" in paid.location
    complete = client.get(paid.location)
    assert complete.status_code == 200
    assert "Thank you! Your order is confirmed." in page(complete)
    with app.app_context():
        order = only_order()
        number, token, order_id = order.number, order.token, order.id
        assert (order.status, order.payment_status, order.stock_state) == (
            "paid", "succeeded", "committed")
        assert f"Order <strong>{number}</strong> is paid" in page(complete)
        assert stock_of(teapot) == 3  # reserved at placement, committed, not taken twice
        assert count_rows(CartItem) == 0
    assert order_token_in(page(complete)) == token
    assert "Your cart is empty" in page(client.get("/cart"))

    order_page = client.get(f"/orders/{token}")
    assert order_page.status_code == 200
    assert number in page(order_page) and "Paid" in page(order_page)
    invoice = client.get(f"/orders/{token}/invoice")
    assert invoice.status_code == 200 and "$43.88" in page(invoice)

    # Reloading the return page changes nothing and sends no second mail.
    for _ in range(2):
        again = client.get(paid.location)
        assert again.status_code == 200 and "Your order is confirmed." in page(again)
    (mail,) = outbox(app)
    assert mail["To"] == "ann@example.com"
    assert mail["Subject"] == f"Order {number} confirmed"
    text = mail.get_body(("plain",)).get_content()
    assert "$43.88" in text and f"/orders/{token}" in text and "SAVE10" in text
    with app.app_context():
        assert count_rows(Payment) == 1
        assert audit_actions(order_id).count("order.paid") == 1
        assert stock_of(teapot) == 3


def test_a_declined_card_can_be_retried_on_the_same_order(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=1250, stock=4)
        method = make_method()
    add_to_cart(client, mug, 1)
    to_payment(client, method)
    with app.app_context():
        first = only_order()
        number, intent_id = first.number, first.payment_intent_id

    declined = pay(client, DECLINED)
    assert declined.status_code == 303 and _intent_id_of(declined) == intent_id
    failed = client.get(declined.location)
    assert failed.status_code == 200
    assert "Your payment did not go through" in page(failed)
    assert DECLINE_MESSAGE in page(failed)
    with app.app_context():
        order = only_order()
        assert (order.status, order.payment_status, order.stock_state) == (
            "pending", "failed", "reserved")
        assert order.is_payable and order.failure_message == DECLINE_MESSAGE
        assert stock_of(mug) == 3

    retry = client.get("/checkout/payment")
    assert retry.status_code == 200
    assert f"Your last attempt did not go through: {DECLINE_MESSAGE}" in page(retry)
    paid = pay(client, SUCCEEDS)
    assert paid.status_code == 303 and _intent_id_of(paid) == intent_id
    assert "Your order is confirmed." in page(client.get(paid.location))
    with app.app_context():
        order = only_order()
        assert (order.number, order.payment_intent_id) == (number, intent_id)
        assert (order.status, order.payment_status) == ("paid", "succeeded")
        assert order.failure_message is None
        assert db.session.scalars(select(Payment.intent_id)).all() == [intent_id]
        assert stock_of(mug) == 3


def test_payment_page_for_an_intent_already_paid_goes_to_the_result_not_a_second_payment(
        app, client):
    from shophub.payments import provider

    with app.app_context():
        mug = make_variant("Mug", price=1250, stock=4)
        method = make_method()
    add_to_cart(client, mug, 1)
    to_payment(client, method)
    with app.app_context():
        order = only_order()
        provider().confirm(order.payment_intent_id, SUCCEEDS)  # paid; nobody told the shop
        db.session.commit()
        assert only_order().payment_status == "requires_payment"
    again = client.get("/checkout/payment")
    assert again.status_code == 302 and "/checkout/complete?payment_intent=" in again.location
    assert "Your order is confirmed." in page(client.get(again.location))
    with app.app_context():
        assert (only_order().status, count_rows(Payment)) == ("paid", 1)


def test_shipping_step_prices_the_preselected_method_at_once(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=1250, stock=4)
        method = make_method(price=700)
    add_to_cart(client, mug, 1)
    response = send_contact(client)
    shipping_page = page(client.get(response.location))
    assert "Chosen next" not in shipping_page
    assert re.search(r"Total</dt><dd class=\"total\">\$19\.50", shipping_page)
    assert client.post("/checkout/shipping", data={"shipping_method": str(method),
                                                  "action": "continue"}).status_code == 303


def test_a_card_that_asks_for_confirmation_is_paid_once_approved(app, client):
    with app.app_context():
        mug = make_variant("Mug", stock=3)
        method = make_method()
    add_to_cart(client, mug, 1)
    to_payment(client, method)

    asked = pay(client, NEEDS_CONFIRMATION)
    assert asked.status_code == 303 and asked.location.endswith("/checkout/demo/authenticate")
    bank = client.get(asked.location)
    assert bank.status_code == 200 and "Confirm your payment" in page(bank)
    with app.app_context():
        assert only_order().payment_status == "requires_payment"

    approved = client.post("/checkout/demo/authenticate", data={"action": "approve"})
    assert approved.status_code == 303 and "/checkout/complete?" in approved.location
    assert "Your order is confirmed." in page(client.get(approved.location))
    with app.app_context():
        order = only_order()
        assert (order.status, order.payment_status, order.stock_state) == (
            "paid", "succeeded", "committed")


def test_a_failed_confirmation_step_shows_why_and_keeps_the_order_payable(app, client):
    with app.app_context():
        mug = make_variant("Mug", stock=3)
        method = make_method()
    add_to_cart(client, mug, 1)
    to_payment(client, method)
    assert pay(client, NEEDS_CONFIRMATION).status_code == 303

    refused = client.post("/checkout/demo/authenticate", data={"action": "fail"})
    assert refused.status_code == 303
    result = client.get(refused.location)
    assert "Your payment did not go through" in page(result)
    assert "The card's confirmation step was not completed." in page(result)
    with app.app_context():
        order = only_order()
        assert (order.status, order.payment_status) == ("pending", "failed")
        assert order.is_payable and stock_of(mug) == 2


def test_an_unknown_card_number_gets_the_demo_message_and_changes_nothing(app, client):
    with app.app_context():
        mug = make_variant("Mug", stock=3)
        method = make_method()
    add_to_cart(client, mug, 1)
    to_payment(client, method)
    with app.app_context():
        order = only_order()
        order_id, intent_id = order.id, order.payment_intent_id
        actions = audit_actions(order_id)

    response = pay(client, "5555 5555 5555 4444")
    assert response.status_code == 422
    assert UNKNOWN_CARD_MESSAGE in page(response)
    with app.app_context():
        order = only_order()
        assert (order.status, order.payment_status, order.failure_message) == (
            "pending", "requires_payment", None)
        intent = demo_intent(intent_id)
        assert (intent.status, intent.failure_message, intent.charge_id) == (
            "requires_payment_method", None, None)
        assert audit_actions(order_id) == actions
        assert stock_of(mug) == 2


# --- steps and validation ------------------------------------------------------------------------

def test_empty_cart_goes_back_to_the_cart(app, client):
    response = client.get("/checkout")
    assert response.status_code == 303 and response.location.endswith("/cart")
    assert "Your cart is empty." in page(client.get("/cart"))
    assert client.get("/checkout/payment").status_code in (302, 303)


@pytest.mark.parametrize("change, field_id", [
    ({"email": ""}, "email"),
    ({"email": "not-an-email"}, "email"),
    ({"country": ""}, "country"),
    ({"line1": ""}, "line1"),
])
def test_contact_step_refuses_bad_input_and_keeps_the_draft(app, client, change, field_id):
    with app.app_context():
        mug = make_variant("Mug")
        make_method()
    add_to_cart(client, mug)
    assert send_contact(client).status_code == 303
    before = _draft(client)
    assert before["email"] == "ann@example.com" and before["address"]["line1"] == "1 Main St"

    response = send_contact(client, full_name="Someone Else", **change)
    assert response.status_code == 422
    text = page(response)
    assert "Please correct the highlighted fields." in text
    assert f'id="{field_id}-error"' in text
    assert _draft(client) == before


def test_htmx_steps_get_the_fragment_and_an_out_of_band_summary(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=1250)
        method = make_method("Standard", price=500)
    add_to_cart(client, mug, 2)

    invalid = send_contact(client, headers=HX, email="")
    assert invalid.status_code == 422
    text = page(invalid)
    assert "<html" not in text and 'id="checkout-steps"' in text
    assert 'id="email-error"' in text and "This field is required." in text
    assert _draft(client) is None

    ok = send_contact(client, headers=HX)
    assert ok.status_code == 200
    assert "HX-Request" in ok.headers.get("Vary", "")
    text = page(ok)
    assert "<html" not in text
    assert 'id="checkout-steps"' in text and "Shipping method" in text
    summary = re.search(r'<aside id="checkout-summary"[^>]*>', text)
    assert summary and 'hx-swap-oob="true"' in summary.group(0)
    assert _draft(client)["email"] == "ann@example.com"

    chosen = send_shipping(client, method, headers=HX)
    assert chosen.status_code == 200 and "<html" not in page(chosen)
    assert "$30.00" in page(chosen)  # 25.00 + 5.00 shipping, in the out-of-band summary

    placed = send_shipping(client, method, place_order=True, headers=HX)
    assert placed.status_code == 204
    assert placed.headers["HX-Redirect"].endswith("/checkout/payment")

    full = client.get("/checkout?step=shipping")
    assert "<html" in page(full) and "hx-swap-oob" not in page(full)


def test_a_customer_ships_to_a_saved_address_but_not_to_anyone_elses(app, client):
    with app.app_context():
        mug = make_variant("Mug")
        method = make_method()
        make_user()
        make_user("other@example.com")
        me = db.session.scalar(select(User).where(User.email == "shopper@example.com"))
        other = db.session.scalar(select(User).where(User.email == "other@example.com"))
        mine = save_address(me, AddressData("Sam Shopper", "9 Elm Road", "Flat 2", "Leeds", "",
                                            "LS1 1AA", "GB", "")).id
        theirs = save_address(other, AddressData("Olly Other", "5 Oak Lane", "", "York", "",
                                                 "YO1 1AA", "GB", "")).id
        my_id = me.id
    assert client.post(f"/checkout/address/{mine}").status_code == 403  # not logged in
    log_in(client)
    add_to_cart(client, mug)

    assert client.post(f"/checkout/address/{theirs}").status_code == 404
    assert _draft(client) is None

    chosen = client.post(f"/checkout/address/{mine}")
    assert chosen.status_code == 303 and chosen.location.endswith("/checkout?step=shipping")
    draft = _draft(client)
    assert draft["email"] == "shopper@example.com" and draft["address_id"] == mine
    assert draft["address"]["line1"] == "9 Elm Road"

    assert send_shipping(client, method, place_order=True).status_code == 303
    with app.app_context():
        order = only_order()
        assert (order.ship_name, order.ship_line1, order.ship_line2, order.ship_city,
                order.ship_postcode, order.ship_country) == (
            "Sam Shopper", "9 Elm Road", "Flat 2", "Leeds", "LS1 1AA", "GB")
        assert order.user_id == my_id and order.email == "shopper@example.com"


def test_prices_come_from_the_database_whatever_the_form_says(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=1250, stock=5)
        method = make_method("Standard", price=500)
    add_to_cart(client, mug, 2, price="1", price_cents="1", unit_price_cents="1")
    send_contact(client, total_cents="1")
    response = send_shipping(client, method, place_order=True, total_cents="1",
                             subtotal_cents="1", discount_cents="2500", shipping_cents="0",
                             price_cents="1")
    assert response.status_code == 303
    client.get("/checkout/payment")
    with app.app_context():
        order = only_order()
        assert (order.subtotal_cents, order.discount_cents, order.shipping_cents,
                order.total_cents) == (2500, 0, 500, 3000)
        assert [(i.unit_price_cents, i.quantity) for i in order.items] == [(1250, 2)]
        assert demo_intent(order.payment_intent_id).amount == 3000


@pytest.mark.parametrize("app_config", [{"STORE_CURRENCY": "JPY"}])
def test_zero_decimal_currency_prices_in_whole_yen(app, client):
    with app.app_context():
        bowl = make_variant("Bowl", price=1250, stock=5)  # ¥1,250
        method = make_method("Standard", price=500)
        make_coupon("SAVE10", "percent", 10)
        store_settings.save(tax_rate_bp=800)
        db.session.commit()
    add_to_cart(client, bowl, 3)
    payment = to_payment(client, method, coupon="SAVE10")
    # 3750 - 375 = 3375; tax 8% = 270; + 500 shipping = 4145 yen.
    assert "Pay ¥4,145" in page(payment)
    with app.app_context():
        order = only_order()
        assert order.currency == "JPY"
        assert (order.subtotal_cents, order.discount_cents, order.tax_cents,
                order.shipping_cents, order.total_cents) == (3750, 375, 270, 500, 4145)
        intent = demo_intent(order.payment_intent_id)
        assert (intent.amount, intent.currency) == (4145, "JPY")
    paid = pay(client, SUCCEEDS)
    assert "Your order is confirmed." in page(client.get(paid.location))
    with app.app_context():
        payment_row = db.session.scalars(select(Payment)).one()
        assert (payment_row.amount_cents, payment_row.currency) == (4145, "JPY")
        assert only_order().review_reason is None


# --- changing a placed order ---------------------------------------------------------------------

def test_going_back_revises_the_same_order_and_its_intent(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=2000, stock=5)
        standard = make_method("Standard", price=500, position=0)
        express = make_method("Express", price=1500, position=1)
    add_to_cart(client, mug, 2)
    to_payment(client, standard)
    with app.app_context():
        order = only_order()
        order_id, token, number, intent_id = (order.id, order.token, order.number,
                                              order.payment_intent_id)
        assert order.total_cents == 4500 and stock_of(mug) == 3
        assert demo_intent(intent_id).amount == 4500
        item_id = _cart_item_id(mug)

    assert client.post(f"/cart/items/{item_id}", data={"quantity": "3"}).status_code == 303
    assert client.get("/checkout?step=shipping").status_code == 200
    revised = send_shipping(client, express, place_order=True)
    assert revised.status_code == 303 and revised.location.endswith("/checkout/payment")
    with app.app_context():
        order = only_order()
        assert (order.id, order.token, order.number) == (order_id, token, number)
        assert [(i.variant_id, i.quantity) for i in order.items] == [(mug, 3)]
        assert (order.shipping_method_name, order.shipping_cents, order.total_cents) == (
            "Express", 1500, 7500)
        assert stock_of(mug) == 2  # the old 2 released, the new 3 reserved

    payment = client.get("/checkout/payment")
    assert "Pay $75.00" in page(payment)
    with app.app_context():
        assert only_order().payment_intent_id == intent_id
        assert demo_intent(intent_id).amount == 7500

    # Fewer units: stock comes back.
    assert client.post(f"/cart/items/{item_id}", data={"quantity": "1"}).status_code == 303
    assert send_shipping(client, standard, place_order=True).status_code == 303
    client.get("/checkout/payment")
    with app.app_context():
        order = only_order()
        assert (order.id, order.total_cents) == (order_id, 2500) and stock_of(mug) == 4
        assert demo_intent(intent_id).amount == 2500

    paid = pay(client, SUCCEEDS)
    assert "Your order is confirmed." in page(client.get(paid.location))
    with app.app_context():
        order = only_order()
        assert (order.status, order.review_reason) == ("paid", None)
        assert stock_of(mug) == 4


def test_the_buyer_holding_the_last_units_can_still_change_shipping(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=2000, stock=2)
        standard = make_method("Standard", price=500, position=0)
        express = make_method("Express", price=1500, position=1)
    add_to_cart(client, mug, 2)
    to_payment(client, standard)
    with app.app_context():
        order_id = only_order().id
        assert stock_of(mug) == 0  # all held by this buyer's order

    back = client.get("/checkout?step=shipping")
    assert back.status_code == 200 and "Sold out" not in page(back)
    assert "$45.00" in page(back)
    revised = send_shipping(client, express, place_order=True)
    assert revised.status_code == 303 and revised.location.endswith("/checkout/payment"), (
        revised.location)
    with app.app_context():
        order = only_order()
        assert (order.id, order.total_cents, order.shipping_method_name) == (
            order_id, 5500, "Express")
        assert [(i.variant_id, i.quantity) for i in order.items] == [(mug, 2)]
        assert stock_of(mug) == 0


def test_the_buyer_holding_the_last_units_sees_and_changes_them_in_the_cart(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=2000, stock=2)
        standard = make_method("Standard", price=500)
    add_to_cart(client, mug, 2)
    to_payment(client, standard)
    with app.app_context():
        assert stock_of(mug) == 0  # all held by this buyer's order
        line_id = _cart_item_id(mug)

    cart = page(client.get("/cart"))
    assert "Sold out" not in cart and "$40.00" in cart
    # Down to one, then back up to the two they hold; three is more than there is.
    assert "quantity set to 1" in page(client.post(f"/cart/items/{line_id}",
                                                   data={"quantity": "1"}, headers=HX))
    assert "quantity set to 2" in page(client.post(f"/cart/items/{line_id}",
                                                   data={"quantity": "2"}, headers=HX))
    capped = page(client.post(f"/cart/items/{line_id}", data={"quantity": "3"}, headers=HX))
    assert "Only 2 of Mug in stock, so your cart has 2." in capped
    added = page(client.post("/cart/items", data={"variant_id": mug, "quantity": "1"},
                             headers=HX))
    assert "Only 2 of Mug in stock, so your cart has 2." in added

    # Another shopper sees what is really left.
    other = app.test_client()
    refused = other.post("/cart/items", data={"variant_id": mug, "quantity": "1"}, headers=HX)
    assert refused.status_code == 422 and "Mug is sold out." in page(refused)
    with app.app_context():
        assert stock_of(mug) == 0
        assert db.session.get(CartItem, line_id).quantity == 2


def test_an_expired_order_is_placed_again_as_a_new_order(app, client):
    with app.app_context():
        mug = make_variant("Mug", price=2000, stock=5)
        method = make_method()
    add_to_cart(client, mug, 2)
    to_payment(client, method)
    with app.app_context():
        first = only_order()
        first_id, first_number = first.id, first.number
        db.session.execute(update(Order).values(reserved_until=orders.now()
                                                - timedelta(minutes=1)))
        db.session.commit()
        assert expire_stale_orders() == 1
        assert stock_of(mug) == 5

    back = client.get("/checkout/payment")
    assert back.status_code == 302 and back.location.endswith("/checkout?step=shipping")
    assert "Your order needs placing again" in page(client.get(back.location))
    assert pay(client, SUCCEEDS).status_code == 303  # nothing to pay: back to payment
    with app.app_context():
        assert only_order().status == "cancelled"

    assert send_shipping(client, method, place_order=True).status_code == 303
    assert client.get("/checkout/payment").status_code == 200
    paid = pay(client, SUCCEEDS)
    assert paid.status_code == 303 and "/checkout/complete" in paid.location
    assert "Your order is confirmed." in page(client.get(paid.location))
    with app.app_context():
        old, new = all_orders()
        assert (old.id, old.number, old.status) == (first_id, first_number, "cancelled")
        assert new.number != first_number and new.status == "paid"
        assert stock_of(mug) == 3


def test_a_line_sold_out_before_placing_sends_the_buyer_back_to_the_cart(app, client):
    with app.app_context():
        mug = make_variant("Mug", stock=5)
        lamp = make_variant("Desk Lamp", stock=3)
        method = make_method()
    add_to_cart(client, mug, 2)
    add_to_cart(client, lamp, 2)
    send_contact(client)
    with app.app_context():
        set_stock(lamp, 1)  # someone else bought two lamps meanwhile

    response = send_shipping(client, method, place_order=True)
    assert response.status_code == 303 and response.location.endswith("/cart")
    cart = page(client.get("/cart"))
    assert "Desk Lamp" in cart and "Please update your cart before paying." in cart
    with app.app_context():
        assert all_orders() == []
        assert (stock_of(mug), stock_of(lamp)) == (5, 1)


def test_a_line_that_sells_out_while_reserving_reserves_nothing(app, client, monkeypatch):
    with app.app_context():
        mug = make_variant("Mug", stock=5)
        lamp = make_variant("Desk Lamp", stock=3)
        method = make_method()
    add_to_cart(client, mug, 2)
    add_to_cart(client, lamp, 2)
    send_contact(client)
    real_reserve = inventory.reserve

    def sold_meanwhile(lines):
        # Another buyer takes the lamps after the cart was read, before the UPDATEs run.
        db.session.execute(update(Variant).where(Variant.id == lamp).values(stock=1))
        real_reserve(lines)

    monkeypatch.setattr(inventory, "reserve", sold_meanwhile)
    response = send_shipping(client, method, place_order=True)
    assert response.status_code == 303 and response.location.endswith("/cart")
    cart = page(client.get("/cart"))
    assert "Sorry, Desk Lamp just sold out" in cart
    with app.app_context():
        assert all_orders() == []
        assert stock_of(mug) == 5  # the mugs were reserved first, and given back


# --- who may see what ----------------------------------------------------------------------------

def test_account_orders_page_lists_the_customers_orders_only(app, client):
    with app.app_context():
        mug = make_variant("Mug", stock=5)
        method = make_method()
        make_user()
        make_user("other@example.com")
    log_in(client)
    add_to_cart(client, mug, 2)
    to_payment(client, method)
    paid = pay(client, SUCCEEDS)
    client.get(paid.location)
    with app.app_context():
        number = only_order().number

    mine = client.get("/account/orders")
    assert mine.status_code == 200
    assert f"Order {number}" in page(mine) and "Paid" in page(mine)
    other = app.test_client()
    log_in(other, "other@example.com")
    theirs = page(other.get("/account/orders"))
    assert number not in theirs and "You have not ordered anything yet." in theirs


def test_order_pages_and_return_page_need_the_token_or_the_session(app, client):
    with app.app_context():
        mug = make_variant("Mug", stock=5)
        method = make_method()
    add_to_cart(client, mug, 1)
    to_payment(client, method)
    with app.app_context():
        order = only_order()
        token, intent_id = order.token, order.payment_intent_id
    assert client.get("/orders/not-a-real-token").status_code == 404
    assert client.get("/orders/" + "x" * 80).status_code == 404
    assert client.get(f"/orders/{token}/invoice").status_code == 404  # not paid yet

    stranger = app.test_client()
    assert stranger.get(f"/checkout/complete?payment_intent={intent_id}").status_code == 404
    assert stranger.get("/checkout/complete?payment_intent=demo_pi_nope").status_code == 404
    assert stranger.get(f"/checkout/complete?payment_intent={intent_id}"
                        "&payment_intent_client_secret=wrong").status_code == 404
    pay(client, SUCCEEDS)  # the buyer pays but has not come back yet
    assert stranger.get(f"/checkout/complete?payment_intent={intent_id}").status_code == 404
    with app.app_context():
        assert only_order().payment_status == "requires_payment"  # the stranger changed nothing


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_checkout_posts_need_the_csrf_token(app, client):
    with app.app_context():
        mug = make_variant("Mug")
        make_method()
    cart_page = page(client.get("/cart"))
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', cart_page).group(1)
    client.post("/cart/items", data={"variant_id": mug, "quantity": "1"},
                headers={"X-CSRFToken": header_token})

    refused = send_contact(client)
    assert refused.status_code == 400
    assert _draft(client) is None
    form_token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                           page(client.get("/checkout"))).group(1)
    accepted = send_contact(client, csrf_token=form_token)
    assert accepted.status_code == 303
    assert _draft(client)["email"] == "ann@example.com"

