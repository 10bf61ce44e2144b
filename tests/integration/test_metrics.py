"""GET /metrics: what it counts (after real checkouts, webhooks and jobs), who may read it, the
queue depth it reads from Redis and pending_job, and the counts of several processes together.

Without PROMETHEUS_MULTIPROC_DIR the counts live in the test process and go on from test to
test, so every test compares a count before and after. The multiprocess tests run in a child
interpreter, where the directory is set before the metrics exist.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue

from shophub.config import parse_networks
from shophub.extensions import db
from shophub.models import PendingJob
from shophub.orders import service as orders
from shophub.payments import events as webhook_events
from shophub.payments.base import IntentView
from shophub.platform import metrics
from shophub.platform import queue as job_queue
from shophub.platform.queue import MAINTENANCE_QUEUE, QUEUE_NAME, job
from tests.checkout_data import DECLINED, add_to_cart, make_method, only_order, pay, to_payment
from tests.conftest import make_app
from tests.localstripe import sign_payload
from tests.services import flushed_redis_url, free_port
from tests.shop_data import make_variant

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
WEBHOOK_SECRET = "whsec_metrics_tests"
OUTSIDER = {"REMOTE_ADDR": "203.0.113.9"}


def samples(text: str) -> dict[tuple, float]:
    """Every sample of an exposition: (name, sorted label pairs) -> value."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(client) -> dict[tuple, float]:
    """GET /metrics from the loopback address (allowed by default); its samples."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return samples(response.get_data(as_text=True))


def value(scraped: dict, name: str, **labels) -> float:
    """One sample's value; 0 when the series does not exist yet."""
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)



@job
def succeeding_job() -> int:
    """A job that works, and calls another job (which is part of it, not a run of its own)."""
    return nested_job() + 1


@job
def nested_job() -> int:
    """A job called from another job."""
    return 1


@job(queue_name=MAINTENANCE_QUEUE)
def failing_job() -> None:
    """A job that fails."""
    raise RuntimeError("boom")


@job
def killed_job() -> None:
    """A job whose work-horse dies under it."""
    os.kill(os.getpid(), signal.SIGKILL)


# --- what is counted -----------------------------------------------------------------------------

def test_a_demo_checkout_counts_the_order_placed_paid_and_a_declined_card(app, client):
    with app.app_context():
        variant = make_variant("Teapot", price=2000, stock=5)
        method = make_method()
    before = scrape(client)

    add_to_cart(client, variant)
    to_payment(client, method)
    declined = pay(client, DECLINED)
    assert declined.status_code == 303 and client.get(declined.location).status_code == 200
    paid = pay(client)
    assert paid.status_code == 303
    # The order page after paying revises nothing: still one order placed.
    assert client.get(paid.location).status_code == 200
    with app.app_context():
        order = only_order()
        assert order.status == "paid"
        # A repeated success changes nothing and is not counted again.
        intent = IntentView(id=order.payment_intent_id, status="succeeded",
                            amount=order.total_cents, currency=order.currency,
                            client_secret=None, latest_charge=None, failure_message=None,
                            created=0)
        assert orders.mark_paid(order.id, intent, "test") == orders.ALREADY_PAID

    after = scrape(client)
    assert value(after, "shophub_orders_placed_total") == (
        value(before, "shophub_orders_placed_total") + 1)
    assert value(after, "shophub_orders_paid_total", provider="demo") == (
        value(before, "shophub_orders_paid_total", provider="demo") + 1)
    assert value(after, "shophub_payments_failed_total", provider="demo") == (
        value(before, "shophub_payments_failed_total", provider="demo") + 1)


def test_request_timings_are_labelled_by_endpoint_never_by_path(app, client):
    client.get("/no/such/page/12345")
    client.open("/healthz", method="BREW")
    client.get("/healthz")
    scraped = scrape(client)
    series = [dict(labels) for (name, labels) in scraped
              if name == "shophub_http_request_duration_seconds_count"]
    assert {"method": "GET", "endpoint": "health.healthz", "status": "2xx"} in series
    assert {"method": "GET", "endpoint": "unmatched", "status": "4xx"} in series
    assert {"method": "other", "endpoint": "unmatched", "status": "4xx"} in series
    # Earlier tests' apps (some with routes of their own) count in the same process.
    assert all("/" not in labels["endpoint"] and "12345" not in labels["endpoint"]
               for labels in series), series
    assert all(labels["status"] in {"2xx", "3xx", "4xx", "5xx"} for labels in series)


def test_timing_a_request_sends_no_sql(app, client, count_statements):
    with count_statements() as counter:
        assert client.get("/healthz").status_code == 200
    assert counter.count == 0, counter.statements


def test_job_runs_are_counted_by_queue_and_outcome(app, client):
    before = scrape(client)
    with app.app_context():
        assert succeeding_job() == 2
        with pytest.raises(RuntimeError):
            failing_job()
    after = scrape(client)

    def delta(queue_name: str, outcome: str) -> float:
        return (value(after, "shophub_job_runs_total", queue=queue_name, outcome=outcome)
                - value(before, "shophub_job_runs_total", queue=queue_name, outcome=outcome))

    assert delta(QUEUE_NAME, "succeeded") == 1  # the nested job is part of its caller's run
    assert delta(MAINTENANCE_QUEUE, "failed") == 1
    assert delta(QUEUE_NAME, "failed") == delta(MAINTENANCE_QUEUE, "succeeded") == 0


def _event(event_type: str, obj: dict, event_id: str | None = None) -> bytes:
    return json.dumps({"id": event_id or f"evt_{uuid.uuid4().hex[:16]}", "object": "event",
                       "created": int(time.time()), "type": event_type,
                       "data": {"object": obj}}).encode()


def _post(client, body: bytes, signature: str | None = None):
    return client.post("/webhooks/stripe", data=body, content_type="application/json",
                       headers={"Stripe-Signature": signature
                                or sign_payload(body, WEBHOOK_SECRET)})


@SQLITE_ONLY
@pytest.mark.parametrize("app_config", [{"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}])
def test_webhook_outcomes_are_counted_and_a_bad_signature_is_logged(app, client, caplog,
                                                                    monkeypatch):
    before = scrape(client)
    body = _event("customer.created", {"id": "cus_1", "email": "ann@example.com"}, "evt_m1")
    assert _post(client, body).get_json()["outcome"] == "ignored"
    assert _post(client, body).get_json()["outcome"] == "duplicate"
    stranger = {"id": "pi_nobody", "object": "payment_intent", "amount": 100,
                "currency": "usd", "status": "succeeded", "metadata": {}}
    assert _post(client, _event("payment_intent.succeeded", stranger)).get_json()[
        "outcome"] == "unknown_order"
    assert _post(client, _event("payment_intent.succeeded", {"id": 7})).get_json()[
        "outcome"] == "malformed"
    with caplog.at_level("WARNING", logger="shophub.payments.routes"):
        refused = _post(client, body, signature="t=1,v1=forged")
    assert refused.status_code == 400
    monkeypatch.setattr(webhook_events, "handle", lambda event: 1 / 0)
    assert _post(client, _event("customer.created", {"id": "cus_2"})).status_code == 500
    after = scrape(client)

    for outcome in ("ignored", "duplicate", "unknown_order", "malformed", "bad_signature",
                    "error"):
        assert outcome in metrics.WEBHOOK_OUTCOMES
        assert value(after, "shophub_webhook_events_total", provider="stripe",
                     outcome=outcome) == value(before, "shophub_webhook_events_total",
                                               provider="stripe", outcome=outcome) + 1, outcome
    (line,) = [record for record in caplog.records if record.name == "shophub.payments.routes"]
    assert line.levelname == "WARNING"
    assert "127.0.0.1" in line.getMessage() and "signature" in line.getMessage().lower()
    assert "cus_1" not in line.getMessage()  # nothing of the payload


def test_a_count_that_cannot_be_written_never_fails_what_it_counts(monkeypatch, caplog):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(metrics.ORDERS_PLACED, "inc", full)
    metrics.order_placed()
    metrics.order_placed()
    assert caplog.text.count("The metrics directory") == 1  # one warning, not one a count


# --- who may read it -----------------------------------------------------------------------------

def test_metrics_answer_loopback_and_nobody_else_by_default(app, client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/metrics",
                      environ_base={"REMOTE_ADDR": "::ffff:127.0.0.1"}).status_code == 200
    hidden = client.get("/metrics", environ_base=OUTSIDER)
    assert hidden.status_code == 404
    assert "shophub_" not in hidden.get_data(as_text=True)
    # No token is configured: no Authorization header opens it.
    assert client.get("/metrics", environ_base=OUTSIDER,
                      headers={"Authorization": "Bearer "}).status_code == 404


@SQLITE_ONLY
@pytest.mark.parametrize("app_config", [{"METRICS_TOKEN": "scrape-me-7f3a",
                                         "METRICS_ALLOW_FROM": parse_networks("10.0.0.0/8")}])
def test_metrics_take_the_bearer_token_or_an_allowed_network(app, client):
    def status(address: str, authorization: str | None = None) -> int:
        headers = {"Authorization": authorization} if authorization else {}
        return client.get("/metrics", environ_base={"REMOTE_ADDR": address},
                          headers=headers).status_code

    assert status("10.1.2.3") == 200
    assert status("127.0.0.1") == 404  # not in METRICS_ALLOW_FROM any more
    assert status("203.0.113.9", "Bearer scrape-me-7f3a") == 200
    assert status("203.0.113.9", "bearer scrape-me-7f3a") == 200
    assert status("203.0.113.9", "Bearer scrape-me-7f3b") == 404
    assert status("203.0.113.9", "Bearer scrape-me-7f3a-and-more") == 404
    assert status("203.0.113.9", "Basic scrape-me-7f3a") == 404
    assert status("203.0.113.9", "scrape-me-7f3a") == 404


@SQLITE_ONLY
@pytest.mark.parametrize("app_config", [{"PROXY_HOPS": 1}])
def test_behind_the_proxy_the_forwarded_client_address_decides(app, client):
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get("/metrics", headers=forwarded).status_code == 404
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200


# --- queue depth ---------------------------------------------------------------------------------

def test_pending_job_rows_are_reported_without_redis(app, client):
    with app.app_context():
        for number, dispatches in enumerate((0, 3, job_queue.MAX_DISPATCHES)):
            db.session.add(PendingJob(token=f"t{number}", function="x.y", arguments={},
                                      dispatches=dispatches))
        db.session.commit()
    scraped = scrape(client)
    assert value(scraped, "shophub_pending_jobs") == 3
    assert value(scraped, "shophub_pending_jobs_given_up") == 1
    assert not any(name == "shophub_queue_jobs" for name, _ in scraped)


@SQLITE_ONLY
def test_queue_depth_is_read_from_each_rq_queue(database_url, tmp_path):
    url = flushed_redis_url(13, "the queue depth test")
    connection = Redis.from_url(url)
    for name, count in ((MAINTENANCE_QUEUE, 2), (QUEUE_NAME, 3)):
        for _ in range(count):
            Queue(name, connection=connection).enqueue(succeeding_job)
    app = make_app(database_url, tmp_path, REDIS_URL=url)
    scraped = scrape(app.test_client())
    assert value(scraped, "shophub_queue_jobs", queue=MAINTENANCE_QUEUE) == 2
    assert value(scraped, "shophub_queue_jobs", queue=QUEUE_NAME) == 3
    connection.flushdb()


@SQLITE_ONLY
def test_an_unreachable_redis_is_counted_and_the_rest_still_answers(database_url, tmp_path):
    app = make_app(database_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    client = app.test_client()
    before = scrape(client)
    started = time.monotonic()
    after = scrape(client)
    assert time.monotonic() - started < 2
    assert not any(name == "shophub_queue_jobs" for name, _ in after)
    assert ("shophub_pending_jobs", ()) in after
    assert value(after, "shophub_metrics_unreachable_total", service="redis") == (
        value(before, "shophub_metrics_unreachable_total", service="redis") + 1)


def test_an_unreachable_database_is_counted_and_the_rest_still_answers(tmp_path):
    broken = make_app(f"sqlite:///{tmp_path}/missing-dir/none.db", tmp_path)
    client = broken.test_client()
    before = scrape(client)
    after = scrape(client)
    assert ("shophub_pending_jobs", ()) not in after
    assert value(after, "shophub_metrics_unreachable_total", service="database") == (
        value(before, "shophub_metrics_unreachable_total", service="database") + 1)


# --- several processes ---------------------------------------------------------------------------

MULTIPROCESS_SCRIPT = textwrap.dedent("""
    import json, os, sys

    from shophub import create_app
    from shophub.platform import metrics

    metrics.prepare_multiprocess_dir()
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "REDIS_URL": None,
                      "SQLALCHEMY_DATABASE_URI": sys.argv[1], "INSTANCE_PATH": sys.argv[2],
                      "CACHE_TYPE": "SimpleCache", "RATELIMIT_STORAGE_URI": "memory://"})

    def forked(work):
        pid = os.fork()
        if pid == 0:
            work()
            os._exit(0)
        return pid

    def web_worker(orders):
        def work():
            for _ in range(orders):
                metrics.order_placed()
            metrics.order_paid("demo")
        return work

    # Two web processes counting at the same time.
    web = [forked(web_worker(2)), forked(web_worker(3))]
    for pid in web:
        os.waitpid(pid, 0)

    # Three work-horses of this process (as an RQ worker), one after the other.
    def horse():
        metrics.count_as_work_horse_of(os.getppid())
        metrics.job_run("shophub", "succeeded")
    for _ in range(3):
        os.waitpid(forked(horse), 0)

    response = app.test_client().get("/metrics")
    print(json.dumps({"status": response.status_code, "parent": os.getpid(), "web": web,
                      "text": response.get_data(as_text=True)}))
""")


def _run_multiprocess(directory, script: str, *args: str) -> dict:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": PROJECT_ROOT}
    env.pop("SHOPHUB_ENV", None)
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


WORKER_SCRIPT = textwrap.dedent("""
    import json, os, sys

    from redis import Redis
    from rq import Queue

    from shophub import create_app
    from shophub.platform import metrics, queue
    from shophub.platform.worker import Worker

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "REDIS_URL": sys.argv[3],
                      "SQLALCHEMY_DATABASE_URI": sys.argv[1], "INSTANCE_PATH": sys.argv[2],
                      "CACHE_TYPE": "SimpleCache", "RATELIMIT_STORAGE_URI": "memory://"})
    connection = Redis.from_url(sys.argv[3])
    jobs = Queue(queue.QUEUE_NAME, connection=connection)
    for _ in range(3):
        jobs.enqueue("tests.integration.test_metrics.succeeding_job")
    jobs.enqueue("tests.integration.test_metrics.killed_job")
    queue.set_worker_app(app)
    Worker([jobs], connection=connection).work(burst=True)
    print(json.dumps({"status": 200, "parent": os.getpid(), "web": [],
                      "text": metrics.exposition().decode()}))
""")


def _identifiers(directory) -> set[str]:
    return {name[:-3].rsplit("_", 1)[1] for name in os.listdir(directory)}


def test_the_counts_of_forked_processes_and_work_horses_add_up(sqlite_database_url, tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_999999999.db").write_bytes(b"")  # a process of an earlier run

    result = _run_multiprocess(directory, MULTIPROCESS_SCRIPT, sqlite_database_url,
                               str(tmp_path / "instance"))

    assert result["status"] == 200
    scraped = samples(result["text"])
    assert value(scraped, "shophub_orders_placed_total") == 5
    assert value(scraped, "shophub_orders_paid_total", provider="demo") == 2
    assert value(scraped, "shophub_job_runs_total", queue="shophub", outcome="succeeded") == 3
    # Files of the earlier run went; the horses of one worker share one set of files.
    parent = str(result["parent"])
    assert _identifiers(directory) == {parent, *map(str, result["web"]), f"{parent}-horse"}


def test_start_up_keeps_the_files_of_running_processes_only(tmp_path, monkeypatch):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    alive, ended = os.getpid(), 999999999
    for name in (f"counter_{alive}.db", f"histogram_{alive}-horse.db", f"counter_{ended}.db",
                 f"counter_{ended}-horse.db", f"gauge_livesum_{ended}.db"):
        (directory / name).write_bytes(b"")
    monkeypatch.setattr(metrics, "MULTIPROC_DIR", str(directory))

    metrics.prepare_multiprocess_dir()

    assert sorted(os.listdir(directory)) == [f"counter_{alive}.db",
                                             f"histogram_{alive}-horse.db"]
    (directory / f"gauge_livesum_{alive}.db").write_bytes(b"")
    metrics.mark_process_dead(alive)
    assert f"gauge_livesum_{alive}.db" not in os.listdir(directory)
    assert f"counter_{alive}.db" in os.listdir(directory)  # counters stay in the totals


def test_the_work_horses_of_an_rq_worker_share_one_set_of_files(sqlite_database_url, tmp_path):
    url = flushed_redis_url(13, "the work-horse metrics test")
    directory = tmp_path / "prometheus"
    directory.mkdir()

    result = _run_multiprocess(directory, WORKER_SCRIPT, sqlite_database_url,
                               str(tmp_path / "instance"), url)

    scraped = samples(result["text"])
    assert value(scraped, "shophub_job_runs_total", queue="shophub", outcome="succeeded") == 3
    # The horse killed under its job is counted by its worker.
    assert value(scraped, "shophub_job_runs_total", queue="shophub", outcome="failed") == 1
    parent = str(result["parent"])
    assert _identifiers(directory) == {parent, f"{parent}-horse"}  # four horses, one set
    Redis.from_url(url).flushdb()


def test_a_worker_answers_scrapes_on_its_own_port():
    port = free_port()
    metrics.serve_on_port(port, "127.0.0.1")
    before = value(samples(_get(f"http://127.0.0.1:{port}/metrics")), "shophub_job_runs_total",
                   queue="shophub", outcome="succeeded")
    metrics.job_run("shophub", metrics.SUCCEEDED)
    after = value(samples(_get(f"http://127.0.0.1:{port}/metrics")), "shophub_job_runs_total",
                  queue="shophub", outcome="succeeded")
    assert after == before + 1


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()
