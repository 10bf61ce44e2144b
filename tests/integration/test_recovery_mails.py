"""Recovery mails: one reminder while a checkout's items are held, one "restore my cart" link
after the hold lapsed, and one "back in stock" mail per request; none after payment, none to
an address that unsubscribed, none while the store has switched the mail off."""

import re
from datetime import datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from shophub.core.time import as_utc, utcnow
from shophub.extensions import db
from shophub.models import BackInStockRequest, CartItem, Order, Variant
from shophub.newsletter.unsubscribe import unsubscribe
from shophub.orders import service as orders
from shophub.payments import provider
from shophub.payments.flow import ensure_intent, expire_stale_orders
from shophub.platform import store_settings
from shophub.recovery import jobs, rules
from shophub.recovery.jobs import order_recovery_mail_job
from tests.checkout_data import SUCCEEDS, make_method, outbox, page, place_from_cart
from tests.shop_data import log_in, make_user, make_variant, set_stock

BUYER = "ann@example.com"


@pytest.fixture
def app_config() -> dict:
    """Rate limits off, except where a test turns them on."""
    return {"RATELIMIT_ENABLED": False}


def _reminders(app, to: str = BUYER) -> list:
    return [m for m in outbox(app) if m["To"] == to and "held until" in m["Subject"]]


def _restores(app, to: str = BUYER) -> list:
    return [m for m in outbox(app) if m["To"] == to and "is waiting" in m["Subject"]]


def _back_in_stock(app, to: str | None = None) -> list:
    return [m for m in outbox(app) if "back in stock" in m["Subject"]
            and (to is None or m["To"] == to)]


def _pending(stock: int = 5, quantity: int = 2, price: int = 2000) -> tuple[int, int]:
    """A pending order holding its stock: (order id, variant id)."""
    variant_id = make_variant("Teapot", price=price, stock=stock)
    order = place_from_cart([(variant_id, quantity)], make_method())
    return order.id, variant_id


def _minutes_after_placing(order_id: int, minutes: int) -> datetime:
    order = db.session.get(Order, order_id)
    return as_utc(order.placed_at) + timedelta(minutes=minutes)


def _lapse(order_id: int) -> None:
    """Let the hold run out and the expiry job give the stock back."""
    db.session.execute(update(Order).where(Order.id == order_id)
                       .values(reserved_until=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert expire_stale_orders() == 1


def _pay(order_id: int) -> None:
    order = db.session.get(Order, order_id)
    intent = provider().confirm(ensure_intent(order).id, SUCCEEDS)
    db.session.commit()
    assert orders.mark_paid(order_id, intent, "test") == orders.PAID_NOW


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


# --- the reminder -----------------------------------------------------------------------------


def test_a_held_checkout_gets_one_reminder_with_the_hold_time_and_a_link_back(app):
    with app.app_context():
        order_id, _ = _pending()
        assert jobs.queue_due_mails(_minutes_after_placing(order_id, 5)) == 0  # too soon
        later = _minutes_after_placing(order_id, 11)
        assert jobs.queue_due_mails(later) == 1
        assert jobs.queue_due_mails(later) == 0  # run again: nothing more
        order = db.session.get(Order, order_id)
        held = order.reserved_until.strftime("%H:%M")
        token = order.token
    (mail,) = _reminders(app)
    assert mail["Subject"] == f"Your items are held until {held} UTC"
    assert f"held until {held} UTC" in _body(mail)
    assert mail["List-Unsubscribe"].startswith("<http")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].strip("<>") in _body(mail)
    link = re.search(r"http\S+/checkout/resume/(\S+)", _body(mail))
    assert link.group(1) == token
    # The link brings any browser back to paying for that order.
    client = app.test_client()
    answer = client.get(f"/checkout/resume/{token}")
    assert answer.status_code == 303 and answer.location.endswith("/checkout/payment")
    assert "Teapot" in page(client.get("/checkout/payment"))


def test_a_second_scheduler_with_the_same_candidates_claims_nothing(app):
    with app.app_context():
        order_id, _ = _pending()
        later = _minutes_after_placing(order_id, 11)
        seen_by_both = jobs._rows(rules.reminder_candidates(later))
        assert [row[0] for row in seen_by_both] == [order_id]
        store_id = seen_by_both[0][1]
        claims = [jobs._claim_order_mail(order_id, store_id, "reminder", later)
                  for _ in range(2)]
    assert claims == [True, False]
    assert len(_reminders(app)) == 1


def test_no_reminder_after_payment(app):
    with app.app_context():
        order_id, _ = _pending()
        _pay(order_id)
        assert jobs.queue_due_mails(_minutes_after_placing(order_id, 11)) == 0
    assert _reminders(app) == []


def test_a_reminder_claimed_before_payment_is_not_sent_after_it(app):
    with app.app_context():
        order_id, _ = _pending()
        later = _minutes_after_placing(order_id, 11)
        assert rules.claim_reminder(order_id, later)
        db.session.commit()
        _pay(order_id)
        assert order_recovery_mail_job(order_id, "reminder") is False
    assert _reminders(app) == []


@pytest.mark.parametrize("minutes", [26, 29, 31])
def test_no_reminder_when_the_hold_is_nearly_over_or_lapsed(app, minutes):
    with app.app_context():
        order_id, _ = _pending()  # held 30 minutes; a reminder needs 5 of them left
        assert jobs.queue_due_mails(_minutes_after_placing(order_id, minutes)) == 0
    assert _reminders(app) == []


def test_no_reminder_to_a_buyer_who_unsubscribed(app):
    with app.app_context():
        order_id, _ = _pending()
        unsubscribe(BUYER)
        assert jobs.queue_due_mails(_minutes_after_placing(order_id, 11)) == 0
        assert db.session.get(Order, order_id).reminder_sent_at is None
    assert _reminders(app) == []


def test_no_reminder_when_the_store_switched_it_off(app):
    with app.app_context():
        store_settings.save(recovery_reminders=False)
        db.session.commit()
        order_id, _ = _pending()
        assert jobs.queue_due_mails(_minutes_after_placing(order_id, 11)) == 0
    assert _reminders(app) == []


# --- restore my cart --------------------------------------------------------------------------


def _restore_link(app) -> str:
    (mail,) = _restores(app)
    assert mail["List-Unsubscribe"]
    return re.search(r"http://[^/\s]+(/cart/restore/\S+)", _body(mail)).group(1)


def test_a_lapsed_order_gets_one_restore_mail_and_its_link_refills_at_todays_prices(app):
    with app.app_context():
        method = make_method()
        kept = make_variant("Teapot", price=2000, stock=5)
        gone = make_variant("Kettle", price=3000, stock=1)
        order = place_from_cart([(kept, 2), (gone, 1)], method)
        placed_from = order.cart_id
        _lapse(order.id)
        assert jobs.queue_due_mails() == 1
        assert jobs.queue_due_mails() == 0
        # Since then: the teapot costs more, the kettle sold out.
        db.session.get(Variant, kept).price_cents = 2500
        db.session.commit()
        set_stock(gone, 0)
    link = _restore_link(app)
    client = app.test_client()
    preview = client.get(link)
    assert preview.status_code == 200
    text = page(preview)
    assert "$25.00" in text and "Sold out" in text and "$20.00" not in text
    answer = client.post(link, follow_redirects=True)
    assert answer.status_code == 200
    text = page(answer)
    assert "Kettle is sold out" in text
    assert "$50.00" in text  # 2 × the current price
    with app.app_context():
        lines = db.session.scalars(select(CartItem).where(CartItem.cart_id != placed_from)).all()
        assert [(line.variant_id, line.quantity) for line in lines] == [(kept, 2)]
    # Once per mail: the second use fills nothing.
    again = client.post(link, follow_redirects=True)
    assert "used already" in page(again)
    assert client.get(link).status_code == 410
    with app.app_context():
        assert [line.quantity for line in db.session.scalars(
            select(CartItem).where(CartItem.cart_id != placed_from))] == [2]


@pytest.mark.parametrize("link", ["nonsense", "eyJvIjoxLCJzIjoxfQ.forged.signature", "x" * 300])
def test_a_bad_or_forged_restore_link_is_refused_and_changes_nothing(app, link):
    with app.app_context():
        order_id, _ = _pending()
        _lapse(order_id)
    client = app.test_client()
    assert client.get(f"/cart/restore/{link}").status_code == 404
    assert client.post(f"/cart/restore/{link}").status_code == 404
    with app.app_context():
        placed_from = db.session.get(Order, order_id).cart_id
        assert db.session.scalars(select(CartItem).where(CartItem.cart_id != placed_from)
                                  ).all() == []
        assert db.session.get(Order, order_id).cart_restored_at is None


def test_a_restore_link_signed_for_another_order_kind_is_refused(app):
    with app.app_context():
        order_id, _ = _pending()
        _lapse(order_id)
        other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other")
        forged = other_salt.dumps({"o": order_id, "s": 1})
    assert app.test_client().get(f"/cart/restore/{forged}").status_code == 404


def test_no_restore_mail_when_the_buyer_has_paid_for_the_items_since(app):
    with app.app_context():
        method = make_method()
        variant = make_variant("Teapot", stock=5)
        first = place_from_cart([(variant, 1)], method)
        _lapse(first.id)
        second = place_from_cart([(variant, 1)], method)
        _pay(second.id)
        assert jobs.queue_due_mails() == 0
    assert _restores(app) == []


def test_no_restore_mail_when_unsubscribed_or_switched_off_or_cancelled_by_staff(app):
    with app.app_context():
        order_id, _ = _pending()
        _lapse(order_id)
        store_settings.save(recovery_restore_cart=False)
        db.session.commit()
        assert jobs.queue_due_mails() == 0
        store_settings.save(recovery_restore_cart=True)
        db.session.commit()
        unsubscribe(BUYER)
        assert jobs.queue_due_mails() == 0
        # Cancelled by staff while still held: not a lapse.
        other, _ = _pending()
        db.session.execute(update(Order).where(Order.id == other).values(email="bo@example.com"))
        db.session.commit()
        assert orders.cancel_unpaid(other, "Cancelled by staff", "admin")
        assert jobs.queue_due_mails() == 0
    assert _restores(app) == [] and _restores(app, "bo@example.com") == []


# --- back in stock ----------------------------------------------------------------------------


def _ask(client, variant_id, email, **headers):
    return client.post("/notify-me", data={"variant_id": variant_id, "email": email},
                       headers=headers)


def test_notify_me_mails_each_asker_once_when_stock_comes_back(app):
    with app.app_context():
        variant_id = make_variant("Teapot", stock=0)
    client = app.test_client()
    for email in ("a@example.com", "b@example.com", "a@example.com"):
        assert _ask(client, variant_id, email).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(BackInStockRequest.email)
                                  .order_by(BackInStockRequest.email)).all() == [
            "a@example.com", "b@example.com"]
        assert jobs.queue_due_mails() == 0  # still sold out
        set_stock(variant_id, 3)
        assert jobs.queue_due_mails() == 2
        assert jobs.queue_due_mails() == 0
        set_stock(variant_id, 0)
        set_stock(variant_id, 4)
        assert jobs.queue_due_mails() == 0  # no second mail for the same request
    assert len(_back_in_stock(app, "a@example.com")) == 1
    assert len(_back_in_stock(app, "b@example.com")) == 1
    (mail,) = _back_in_stock(app, "a@example.com")
    assert mail["List-Unsubscribe"] and "Teapot" in mail["Subject"]


def test_stock_given_back_by_a_lapsed_order_notifies_too(app):
    with app.app_context():
        order_id, variant_id = _pending(stock=2, quantity=2)
    client = app.test_client()
    assert _ask(client, variant_id, "c@example.com").status_code == 303
    with app.app_context():
        _lapse(order_id)
        assert jobs.queue_due_mails() >= 1
    assert len(_back_in_stock(app, "c@example.com")) == 1


def test_notify_me_answers_the_same_whatever_the_state(app):
    with app.app_context():
        sold_out = make_variant("Teapot", stock=0)
        in_stock = make_variant("Kettle", stock=3)
    client = app.test_client()
    hx = {"HX-Request": "true"}
    answers = [_ask(client, variant, "d@example.com", **hx)
               for variant in (sold_out, sold_out, in_stock, 999999)]
    assert {answer.status_code for answer in answers} == {200}
    assert len({page(answer) for answer in answers}) == 1
    assert "we will mail d@example.com once" in page(answers[0])
    with app.app_context():
        assert db.session.scalars(select(BackInStockRequest.variant_id)).all() == [sold_out]


def test_notify_me_refuses_a_bad_address_in_the_page(app):
    with app.app_context():
        variant_id = make_variant("Teapot", stock=0)
    answer = _ask(app.test_client(), variant_id, "not an address", **{"HX-Request": "true"})
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in page(answer) and "role=\"alert\"" in page(answer)
    with app.app_context():
        assert db.session.scalars(select(BackInStockRequest)).all() == []


def test_no_back_in_stock_mail_when_switched_off_or_unsubscribed(app):
    with app.app_context():
        variant_id = make_variant("Teapot", stock=0)
    client = app.test_client()
    assert _ask(client, variant_id, "e@example.com").status_code == 303
    assert _ask(client, variant_id, "f@example.com").status_code == 303
    with app.app_context():
        store_settings.save(recovery_back_in_stock=False)
        db.session.commit()
        set_stock(variant_id, 2)
        assert jobs.queue_due_mails() == 0
        store_settings.save(recovery_back_in_stock=True)
        db.session.commit()
        unsubscribe("e@example.com")
        assert jobs.queue_due_mails() == 1
    assert _back_in_stock(app, "e@example.com") == []
    assert len(_back_in_stock(app, "f@example.com")) == 1


def test_the_product_page_offers_notify_me_on_a_sold_out_variant_prefilled(app):
    with app.app_context():
        sold_out = make_variant("Teapot", stock=0, slug="teapot")
        make_variant("Kettle", stock=2, slug="kettle")
        make_user("shopper@example.com")
    client = app.test_client()
    assert 'id="notify-me"' in page(client.get("/products/teapot"))
    assert 'id="notify-me"' not in page(client.get("/products/kettle"))
    log_in(client)
    text = page(client.get("/products/teapot"))
    assert 'value="shopper@example.com"' in text and f'value="{sold_out}"' in text
    with app.app_context():
        store_settings.save(recovery_back_in_stock=False)
        db.session.commit()
    assert 'id="notify-me"' not in page(client.get("/products/teapot"))


@pytest.mark.parametrize("app_config", [{"RATELIMIT_BACK_IN_STOCK": "2 per minute"}])
def test_notify_me_is_rate_limited(app):
    with app.app_context():
        variant_id = make_variant("Teapot", stock=0)
    client = app.test_client()
    statuses = [_ask(client, variant_id, f"g{n}@example.com").status_code for n in range(3)]
    assert statuses == [303, 303, 429]


def test_staff_switch_the_recovery_mails_in_the_settings(app, client):
    with app.app_context():
        make_user("admin@example.com", role="admin")
    assert log_in(client, "admin@example.com").status_code in (302, 303)
    form = client.get("/admin/settings")
    assert "Recovery mails" in page(form)
    with app.app_context():
        data = {"store_name": "ShopHub", "currency": app.config["STORE_CURRENCY"],
                "tax_rate": "0", "low_stock_threshold": "5", "reservation_minutes": "30",
                "max_units_per_variant": "10", "max_pending_orders": "3",
                "recovery_restore_cart": "y"}
    answer = client.post("/admin/settings", data=data)
    assert answer.status_code == 303, page(answer)
    with app.app_context():
        settings = store_settings.current()
        assert (settings.recovery_reminders, settings.recovery_restore_cart,
                settings.recovery_back_in_stock) == (False, True, False)
