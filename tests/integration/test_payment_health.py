"""/admin/payments/health: the last webhook, failed deliveries (noted by the webhook and capped),
orders settled by reconciliation or paid late, and jobs stuck in the outbox."""

import json
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from shophub.core.time import utcnow
from shophub.extensions import db
from shophub.models import Order, PendingJob, ProcessedEvent, WebhookFailure
from shophub.orders import service as orders
from shophub.payments import PaymentError, provider
from shophub.payments import events as webhook_events
from shophub.payments import failures as webhook_failures
from shophub.payments.base import IntentView
from shophub.payments.flow import ensure_intent, reconcile_pending_orders
from tests.checkout_data import SUCCEEDS, count_rows, make_method, place_from_cart
from tests.localstripe import sign_payload
from tests.shop_data import log_in, make_user, make_variant, set_stock

WEBHOOK_SECRET = "whsec_payment_health_tests"
STRIPE_CONFIG = {"STRIPE_SECRET_KEY": "sk_test_shophub", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                 "STRIPE_API_BASE": "http://127.0.0.1:9"}  # nothing here calls Stripe's API
DEMO_CONFIG = {"RECONCILE_AFTER_MINUTES": 5}
URL = "/admin/payments/health"


@pytest.fixture
def app_config():
    """Webhooks are signed with a known secret; the store is set up for Stripe."""
    return dict(STRIPE_CONFIG)


@pytest.fixture
def admin(app):
    """A test client logged in as an admin."""
    with app.app_context():
        make_user("owner@example.com", role="admin")
    client = app.test_client()
    log_in(client, "owner@example.com")
    return client


def event_body(event_type: str, obj: dict, event_id: str | None = None) -> bytes:
    """A Stripe event envelope as JSON bytes."""
    return json.dumps({"id": event_id or f"evt_{uuid.uuid4().hex[:20]}", "object": "event",
                       "created": int(time.time()), "type": event_type,
                       "data": {"object": obj}}).encode()


def post_event(client, body: bytes, signature: str | None = None, address: str = "127.0.0.1"):
    """POST to the webhook, signed with the shop's secret unless a signature is given."""
    headers = {"Content-Type": "application/json",
               "Stripe-Signature": signature or sign_payload(body, WEBHOOK_SECRET)}
    return client.post("/webhooks/stripe", data=body, headers=headers,
                       environ_base={"REMOTE_ADDR": address})


def unknown_intent(intent_id: str = "pi_nobody") -> dict:
    """A succeeded PaymentIntent that belongs to no order of the shop."""
    return {"id": intent_id, "object": "payment_intent", "amount": 1000, "currency": "usd",
            "status": "succeeded", "latest_charge": "ch_nobody", "metadata": {}}


def failures() -> list[WebhookFailure]:
    """Every noted failure, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookFailure).order_by(WebhookFailure.id)))


def health_page(client) -> str:
    """The page as an admin sees it; asserts a 200."""
    response = client.get(URL)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- failed deliveries ---------------------------------------------------------------------------

def test_a_bad_signature_is_noted_once_and_shows_on_the_page(app, admin):
    body = event_body("payment_intent.succeeded", unknown_intent(), "evt_forged")
    response = post_event(admin, body, signature=sign_payload(body, "whsec_someone_else"))
    assert response.status_code == 400
    with app.app_context():
        (failure,) = failures()
        assert (failure.provider, failure.cause, failure.event_id) == ("stripe", "signature", None)
        assert failure.client_address == "127.0.0.1"
        assert failure.detail.startswith("Bad webhook signature")
        assert count_rows(ProcessedEvent) == 0
    page = health_page(admin)
    assert "Refused: bad or missing signature" in page and "Bad webhook signature" in page
    assert "signing secret does not match" in page  # what to do
    assert 'health-badge-warn">Needs a look' in page


def test_fifty_bad_requests_from_one_address_leave_one_row(app, client):
    body = event_body("payment_intent.succeeded", unknown_intent())
    for attempt in range(50):
        assert post_event(client, body, signature=f"t=1,v1={attempt:064x}").status_code == 400
    with app.app_context():
        assert [failure.cause for failure in failures()] == ["signature"]


def test_refusals_from_many_addresses_are_capped_per_hour(app, client):
    body = event_body("payment_intent.succeeded", unknown_intent())
    for number in range(webhook_failures.REFUSED_PER_HOUR + 15):
        response = post_event(client, body, signature="t=1,v1=00",
                              address=f"10.0.{number // 250}.{number % 250 + 1}")
        assert response.status_code == 400
    with app.app_context():
        assert len(failures()) == webhook_failures.REFUSED_PER_HOUR


def test_an_event_for_an_unknown_order_is_noted_once_as_unknown_order(app, admin):
    body = event_body("payment_intent.succeeded", unknown_intent("pi_elsewhere"), "evt_stray")
    assert post_event(admin, body).get_json()["outcome"] == webhook_events.UNKNOWN_ORDER
    assert post_event(admin, body).get_json()["outcome"] == webhook_events.DUPLICATE
    with app.app_context():
        (failure,) = failures()
        assert (failure.cause, failure.event_id, failure.event_type) == (
            "unknown_order", "evt_stray", "payment_intent.succeeded")
        assert failure.detail == "No order for intent pi_elsewhere"
    page = health_page(admin)
    assert "Unknown order" in page and "evt_stray" in page and "pi_elsewhere" in page


def test_a_refund_of_an_unknown_charge_is_noted_as_unknown_order(app, client):
    charge = {"id": "ch_stranger", "object": "charge", "payment_intent": "pi_stranger",
              "amount_refunded": 500, "refunds": {"data": []}}
    body = event_body("charge.refunded", charge, "evt_refund_stray")
    assert post_event(client, body).get_json()["outcome"] == webhook_events.UNKNOWN_ORDER
    with app.app_context():
        assert [(f.cause, f.event_id) for f in failures()] == [("unknown_order",
                                                                "evt_refund_stray")]


def test_a_malformed_event_is_noted_once_even_when_replayed(app, admin):
    obj = {**unknown_intent(), "amount": "lots"}
    body = event_body("payment_intent.succeeded", obj, "evt_garbled")
    assert post_event(admin, body).get_json()["outcome"] == "malformed"
    assert post_event(admin, body).get_json()["outcome"] == "malformed"
    with app.app_context():
        (failure,) = failures()
        assert (failure.cause, failure.event_id, failure.detail) == (
            "malformed", "evt_garbled", "amount is not a whole number")
    assert "Malformed event" in health_page(admin)


def _raising(error: Exception):
    def handler(event):
        raise error
    return handler


@pytest.mark.parametrize(("error", "status"), [
    pytest.param(RuntimeError("boom for ann@example.com"), 500, id="a-bug"),
    pytest.param(OperationalError("UPDATE shop_order SET ...", {}, Exception("deadlock")), 503,
                 id="a-failed-statement"),
])
def test_an_error_while_applying_is_noted_and_answered_5xx(app, admin, monkeypatch, error,
                                                           status):
    check, _ = webhook_events.HANDLERS["payment_intent.succeeded"]
    monkeypatch.setitem(webhook_events.HANDLERS, "payment_intent.succeeded",
                        (check, _raising(error)))
    body = event_body("payment_intent.succeeded", unknown_intent(), "evt_breaks")
    assert post_event(admin, body).status_code == status
    with app.app_context():
        (failure,) = failures()
        assert (failure.cause, failure.event_id) == ("handler_error", "evt_breaks")
        assert failure.detail == type(error).__name__  # never the message: it may hold an email
        assert count_rows(ProcessedEvent) == 0  # not marked seen: Stripe's retry is handled
    page = health_page(admin)
    assert "Error while applying" in page and "ann@example.com" not in page


def test_a_database_that_cannot_be_reached_leaves_no_note_and_no_second_wait(app, client,
                                                                              monkeypatch):
    check, _ = webhook_events.HANDLERS["payment_intent.succeeded"]
    unreachable = OperationalError(None, None, Exception("connection refused"))
    monkeypatch.setitem(webhook_events.HANDLERS, "payment_intent.succeeded",
                        (check, _raising(unreachable)))
    response = post_event(client, event_body("payment_intent.succeeded", unknown_intent()))
    assert response.status_code == 503
    with app.app_context():
        assert failures() == []


def test_rows_older_than_30_days_go_when_a_new_one_is_written(app, client):
    with app.app_context():
        db.session.add(WebhookFailure(provider="stripe", cause="malformed", detail="old",
                                      created_at=utcnow() - timedelta(days=31)))
        db.session.add(WebhookFailure(provider="stripe", cause="malformed", detail="recent",
                                      created_at=utcnow() - timedelta(days=29)))
        db.session.commit()
    post_event(client, event_body("payment_intent.succeeded", unknown_intent()))
    with app.app_context():
        assert [f.detail for f in failures()] == ["recent", "No order for intent pi_nobody"]


# --- the last webhook ----------------------------------------------------------------------------

def _stripe_paid_order() -> int:
    variant_id = make_variant("Mug", price=1000, stock=5)
    order = place_from_cart([(variant_id, 1)], make_method("Standard", price=0))
    order.payment_provider = "stripe"
    order.payment_intent_id = f"pi_{uuid.uuid4().hex[:20]}"
    db.session.commit()
    intent = IntentView(id=order.payment_intent_id, status="succeeded",
                        amount=order.total_cents, currency=order.currency)
    assert orders.mark_paid(order.id, intent, "checkout return") == orders.PAID_NOW
    return order.id


def test_no_webhook_for_a_day_while_stripe_orders_were_paid_is_a_plain_warning(app, admin):
    with app.app_context():
        _stripe_paid_order()
        db.session.add(ProcessedEvent(event_id="evt_old", event_type="charge.refunded",
                                      received_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    page = health_page(admin)
    assert "No webhook has arrived in the last 24 hours, although 1 order was paid" in page
    assert "check the webhook endpoint and its signing secret in Stripe's dashboard" in page
    assert "charge.refunded" in page
    with app.app_context():
        db.session.add(ProcessedEvent(event_id="evt_new", event_type="payment_intent.succeeded",
                                      received_at=utcnow()))
        db.session.commit()
    page = health_page(admin)
    assert "No webhook has arrived" not in page and "Stripe's events arrive." in page


@pytest.mark.parametrize("app_config", [{k: v for k, v in STRIPE_CONFIG.items()
                                         if k != "STRIPE_WEBHOOK_SECRET"}])
def test_stripe_without_a_webhook_secret_says_every_webhook_is_refused(app, admin):
    assert "No webhook signing secret is set" in health_page(admin)


# --- orders settled without a webhook -------------------------------------------------------------

def _demo_order(stock: int = 5, quantity: int = 1) -> tuple[int, int]:
    variant_id = make_variant("Teapot", price=2000, stock=stock)
    order = place_from_cart([(variant_id, quantity)], make_method("Standard", price=500))
    ensure_intent(order)
    return order.id, variant_id


def _pay_demo_intent(order_id: int):
    intent = provider().confirm(db.session.get(Order, order_id).payment_intent_id, SUCCEEDS)
    db.session.commit()
    return intent


@pytest.mark.parametrize("app_config", [DEMO_CONFIG])
def test_reconciled_and_late_paid_orders_show_with_links(app, admin, monkeypatch):
    with app.app_context():
        reconciled_id, _ = _demo_order()
        _pay_demo_intent(reconciled_id)
        db.session.execute(update(Order).where(Order.id == reconciled_id)
                           .values(intent_created_at=orders.now() - timedelta(minutes=10)))
        db.session.commit()
        assert reconcile_pending_orders() == 1

        late_id, variant_id = _demo_order(stock=2, quantity=2)
        orders.cancel_unpaid(late_id, "Not paid in time; the items were released.", "expiry")
        set_stock(variant_id, 0)
        db.session.commit()
        assert orders.mark_paid(late_id, _pay_demo_intent(late_id),
                                "stripe webhook") == orders.REFUNDED_LATE

        stuck_id, stuck_variant = _demo_order(stock=1, quantity=1)
        orders.cancel_unpaid(stuck_id, "Not paid in time; the items were released.", "expiry")
        set_stock(stuck_variant, 0)
        db.session.commit()
        intent = _pay_demo_intent(stuck_id)
        demo = provider()

        def refused(**kwargs):
            raise PaymentError("The provider is away.")

        monkeypatch.setattr(demo, "refund", refused)
        assert orders.mark_paid(stuck_id, intent, "reconciliation") == orders.REFUNDED_LATE
        numbers = {order_id: db.session.get(Order, order_id).number
                   for order_id in (reconciled_id, late_id, stuck_id)}
    page = health_page(admin)
    assert "Settled by reconciliation" in page
    assert f'href="/admin/orders/{reconciled_id}">{numbers[reconciled_id]}</a>' in page
    assert f'href="/admin/orders/{late_id}">{numbers[late_id]}</a>' in page
    assert "Paid late, sold out: refunded $45.00" in page
    assert f'href="/admin/orders/{stuck_id}">{numbers[stuck_id]}</a>' in page
    assert "refund by hand" in page and "What to do about late payments" in page
    # One reconciled order; two late payments (one of them came through reconciliation).
    stats = page.split('class="stat-grid health-stats"')[1].split("</ul>")[0]
    assert [part.split("</strong>")[0] for part in stats.split("<strong>")[1:]] == [
        "1", "1", "2", "2"]


# --- the outbox ----------------------------------------------------------------------------------

def test_a_job_waiting_long_shows_without_its_arguments(app, admin):
    with app.app_context():
        now = utcnow()
        for token, age, dispatches in (("old", timedelta(hours=2), 3),
                                       ("stopped", timedelta(hours=1), 20),
                                       ("fresh", timedelta(minutes=1), 0)):
            db.session.add(PendingJob(
                token=token, function="shophub.platform.jobs.send_mail_job",
                arguments={"args": ["order-1-confirmation", "buyer@example.com"], "kwargs": {}},
                created_at=now - age, dispatches=dispatches))
        db.session.commit()
    page = health_page(admin)
    outbox = page.split('id="outbox"')[1]
    assert "Waiting over 5 min</span><strong>2</strong>" in outbox
    assert "2 h 0 min" in outbox and "send_mail_job" in outbox
    assert "Stopped: needs a person" in outbox and "Handed over again by dispatch" in outbox
    assert "buyer@example.com" not in page and "order-1-confirmation" not in page
    assert "rq worker" in outbox  # what to do


# --- who may see it, and an empty shop -----------------------------------------------------------

def test_only_admins_open_the_page_and_see_its_link(app, client):
    with app.app_context():
        make_user("staff@example.com", role="staff")
        make_user("kim@example.com")
    assert client.get(URL).status_code == 302
    log_in(client, "kim@example.com")
    assert client.get(URL).status_code == 403
    staff = app.test_client()
    log_in(staff, "staff@example.com")
    assert staff.get(URL).status_code == 403
    assert URL not in staff.get("/admin").get_data(as_text=True)


def test_the_page_renders_green_for_an_empty_shop(app, admin):
    page = health_page(admin)
    assert f'href="{URL}" aria-current="page"' in page
    assert "None received yet" in page and "Needs a look" not in page
    assert "none was due: no order was paid with Stripe" in page
    assert "No delivery was refused or failed." in page
    assert "No job has waited longer than 5 minutes." in page


def test_the_page_reads_the_same_few_statements_however_much_there_is(app, admin,
                                                                      count_statements):
    health_page(admin)  # warm: the store's settings and the session's user
    with count_statements() as empty:
        health_page(admin)
    with app.app_context():
        now = utcnow()
        for number in range(12):
            db.session.add(WebhookFailure(provider="stripe", cause="unknown_order",
                                          event_id=f"evt_{number}", detail="x", created_at=now))
            db.session.add(PendingJob(token=f"t{number}", function="a.b.job", arguments={},
                                      created_at=now - timedelta(hours=1)))
        db.session.commit()
    with count_statements() as full:
        health_page(admin)
    assert full.count == empty.count
