"""Outages that degrade gently: Redis down or hung, the database away, a mail server that hangs.

Nothing here needs a real service: the "servers" are sockets that refuse, or accept and never
answer, on free loopback ports.
"""

import json
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from shophub.extensions import db
from shophub.models import PendingJob, SentMail
from shophub.platform import queue as job_queue
from tests.checkout_data import add_to_cart, make_method, page, pay, to_payment
from tests.conftest import make_app
from tests.localstripe import sign_payload
from tests.services import SilentServer, free_port
from tests.shop_data import PASSWORD, make_user, make_variant

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
WEBHOOK_SECRET = "whsec_outage_tests"


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


def redis_settings(url: str) -> dict:
    from shophub.config import with_request_timeouts

    return {"REDIS_URL": url, "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": with_request_timeouts(url), "RATELIMIT_STORAGE_URI": url,
            "CATALOG_CACHE_SECONDS": 10}


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


# --- Redis away ------------------------------------------------------------------------------

@SQLITE_ONLY
@pytest.mark.parametrize("app_config", [redis_settings(f"redis://127.0.0.1:{free_port()}/0")])
def test_with_redis_down_sign_in_pages_answer_and_checkout_completes(app, client, caplog):
    with app.app_context():
        make_user("kim@example.com")
        variant = make_variant(stock=3)
        method = make_method()
    wrong = client.post("/account/login", data={"email": "kim@example.com", "password": "nope"})
    assert wrong.status_code in (200, 422) and "do not match" in page(wrong)
    assert client.post("/account/login", data={"email": "kim@example.com",
                                               "password": PASSWORD}).status_code == 303
    other = app.test_client()
    registered = other.post("/account/register", data={"email": "lee@example.com",
                                                       "name": "Lee"})
    assert registered.status_code == 200 and "Check your email" in page(registered)
    reset = app.test_client().post("/account/password/reset", data={"email": "kim@example.com"})
    assert reset.status_code in (200, 303)

    buyer = app.test_client()
    add_to_cart(buyer, variant)
    to_payment(buyer, method)
    paid = pay(buyer)
    assert paid.status_code == 303
    assert buyer.get(paid.location).status_code == 200
    with app.app_context():
        # The confirmation could not be queued: it waits in pending_job for dispatch.
        functions = db.session.scalars(select(PendingJob.function)).all()
        assert "shophub.orders.jobs.order_mail_job" in functions
    assert caplog.text.count("The job queue (Redis) is unreachable") == 1
    assert caplog.text.count("The cache (Redis) is unreachable") == 1


@SQLITE_ONLY
def test_a_hung_redis_holds_no_page_longer_than_its_timeouts(database_url, tmp_path,
                                                              silent_server):
    app = make_app(database_url, tmp_path,
                   **redis_settings(f"redis://127.0.0.1:{silent_server.port}/0"))
    client = app.test_client()
    for path in ("/", "/products", "/account/login"):
        response, seconds = timed(lambda path=path: client.get(path))
        assert response.status_code == 200, path
        assert seconds < 3, f"{path} took {seconds:.1f} s"
    with app.app_context():
        db.engine.dispose()


# --- the database away -----------------------------------------------------------------------

def test_with_the_database_unreachable_pages_webhooks_and_readiness_answer_503(tmp_path,
                                                                             caplog):
    app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/shop", tmp_path,
                   STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    client = app.test_client()
    for path in ("/", "/products", "/cart"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        text = response.get_data(as_text=True)
        assert "will be back shortly" in text and "/static/css/shop." in text
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["database"] == "unreachable"
    assert client.get("/healthz").status_code == 200  # the process itself still serves
    body = json.dumps({"id": "evt_outage_1", "type": "payment_intent.succeeded",
                       "created": int(time.time()),
                       "data": {"object": {"id": "pi_outage", "object": "payment_intent",
                                           "amount": 100, "currency": "usd",
                                           "status": "succeeded", "metadata": {}}}}).encode()
    webhook = client.post("/webhooks/stripe", data=body, content_type="application/json",
                          headers={"Stripe-Signature": sign_payload(body, WEBHOOK_SECRET)})
    assert webhook.status_code == 503 and webhook.headers["Retry-After"] == "30"
    assert caplog.text.count("The database is unreachable") == 1  # one warning, not five
    assert "is back" not in caplog.text  # static files and 503s say nothing of the database


def test_a_database_that_never_answers_gives_503_within_about_3_seconds(tmp_path,
                                                                      silent_server):
    app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{silent_server.port}/shop",
                   tmp_path)
    response, seconds = timed(lambda: app.test_client().get("/products"))
    assert response.status_code == 503
    assert seconds < 6, f"took {seconds:.1f} s"


# --- a mail server that hangs ----------------------------------------------------------------

class Collecting:
    """An SMTP handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        """Keep the message."""
        self.messages.append(envelope.content)
        return "250 OK"


@SQLITE_ONLY
def test_a_hung_mail_server_never_holds_the_buyers_page_and_the_mail_goes_out_later(
        database_url, tmp_path, silent_server):
    app = make_app(database_url, tmp_path, MAIL_SERVER="127.0.0.1",
                   MAIL_PORT=silent_server.port, MAIL_USE_TLS=False, MAIL_TIMEOUT=1,
                   MAIL_SUPPRESS_SEND=False,
                   JOB_RETRY_INTERVALS=[0])
    with app.app_context():
        db.session.execute(PendingJob.__table__.delete())
        db.session.execute(SentMail.__table__.delete())
        db.session.commit()
        variant = make_variant(stock=3)
        method = make_method()
    buyer = app.test_client()
    add_to_cart(buyer, variant)
    to_payment(buyer, method)
    paid, paying = timed(lambda: pay(buyer))
    result, returning = timed(lambda: buyer.get(paid.location))
    assert paid.status_code == 303 and result.status_code == 200
    assert "Thank you" in page(result)
    assert paying < 2 and returning < 2, (paying, returning)

    # The mail job gives up on the silent server after its timeouts, and keeps its row.
    def inline_jobs_running() -> bool:
        return any(t.name == "shophub-inline-jobs" for t in threading.enumerate())

    deadline = time.monotonic() + 30
    while inline_jobs_running() and time.monotonic() < deadline:
        time.sleep(0.1)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingJob)) == 1
        assert db.session.scalar(select(func.count()).select_from(SentMail)) == 0

    # The server answers now: dispatch sends the confirmation.
    handler = Collecting()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        # The process that runs dispatch, with the mail server reachable again.
        later = make_app(database_url, tmp_path / "later", MAIL_SERVER="127.0.0.1",
                         MAIL_PORT=smtp.port, MAIL_USE_TLS=False, MAIL_SUPPRESS_SEND=False)
        with later.app_context():
            assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 1
            assert db.session.scalar(select(func.count()).select_from(PendingJob)) == 0
            db.engine.dispose()
    finally:
        smtp.stop()
    (message,) = handler.messages
    assert b"confirmed" in message
    with app.app_context():
        db.engine.dispose()
