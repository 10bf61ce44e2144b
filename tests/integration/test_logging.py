"""Logs in the running shop: request ids end to end, order numbers on order lines, no personal
data, and gunicorn, the worker and the scheduler writing one JSON format.

The process tests start a real gunicorn, `flask shophub worker` and `flask shophub scheduler`
on the test database; the worker and scheduler tests need Redis (database 11 of REDIS_URL).
"""

import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import Order, PendingJob
from shophub.orders import service as orders
from shophub.payments import provider
from shophub.payments.flow import ensure_intent
from shophub.platform import jobs, logs
from shophub.platform import queue as job_queue
from tests.checkout_data import ADDRESS, SUCCEEDS, make_method, place_from_cart
from tests.services import flushed_redis_url, free_port, wait_until
from tests.shop_data import make_variant

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BUYER_EMAIL = "ann@example.com"  # place_from_cart's buyer, at ADDRESS
MAIL_NAME = "Kimberly Quist"
MAIL_ADDRESS = "kim.quist@example.com"
REQUEST_ID = "req-logging-test-1"
# What the jobs of this module saw of the context they ran in.
seen_by_jobs: list[dict] = []


@pytest.fixture(autouse=True)
def _nothing_seen_yet():
    seen_by_jobs.clear()
    yield
    seen_by_jobs.clear()


@job_queue.job
def note_context_job(label: str) -> None:
    """Records the request id and order the job runs under."""
    seen_by_jobs.append({"label": label, "request_id": logs.current_request_id(),
                 "order": logs.current_order()})


@pytest.fixture
def redis_url():
    """Database 11 of REDIS_URL's server, emptied before and after."""
    url = flushed_redis_url(11, "the worker and scheduler log tests")
    yield url
    Redis.from_url(url).flushdb()


@pytest.fixture
def app_config(request):
    """RQ mode for the tests that use Redis."""
    if "redis_url" in request.fixturenames:
        return {"REDIS_URL": request.getfixturevalue("redis_url"), "JOB_RETRY_INTERVALS": []}
    return {}


@pytest.fixture
def json_lines():
    """The JSON lines this process logs from INFO up while the test runs (a function)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonLineFormatter())
    handler.addFilter(logs.ContextFields())
    handler.addFilter(logs.RedactEmails())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def probes(app):
    """Routes that answer with the request's context, queue a job, log, or fail."""
    def context():
        logging.getLogger("shophub.tests").info("Probe answered")
        return {"request_id": logs.current_request_id()}

    def queue_job():
        job_queue.enqueue_after_commit(note_context_job, "from a request")
        db.session.commit()
        return "queued"

    def boom():
        raise RuntimeError("the probe fails")

    app.add_url_rule("/_probe/context", "probe_context", context)
    app.add_url_rule("/_probe/queue", "probe_queue", queue_job)
    app.add_url_rule("/_probe/boom", "probe_boom", boom)
    return app


def paid_order(app) -> tuple[int, str]:
    """An order paid through mark_paid as a request would: (id, number)."""
    with app.app_context():
        variant_id = make_variant("Teapot", price=2000, stock=5)
        order = place_from_cart([(variant_id, 1)], make_method("Standard", price=500))
        ensure_intent(order)
        intent = provider().confirm(order.payment_intent_id, SUCCEEDS)
        db.session.commit()
        order_id, number = order.id, order.number
        with logs.for_request(REQUEST_ID):
            assert orders.mark_paid(order_id, intent, "webhook") == orders.PAID_NOW
    return order_id, number


def personal_data_in(text: str) -> list[str]:
    """The buyers' addresses, names and street found in `text`."""
    return [value for value in (BUYER_EMAIL, ADDRESS["full_name"], ADDRESS["line1"],
                                MAIL_ADDRESS, MAIL_NAME) if value in text]


# --- request ids --------------------------------------------------------------------------


def test_a_response_names_the_request_id_it_came_with_or_a_new_one(probes, client):
    kept = client.get("/_probe/context", headers={"X-Request-ID": "proxy-7f3a.1"})
    assert kept.headers["X-Request-ID"] == "proxy-7f3a.1" == kept.json["request_id"]
    for unfit in ("x" * 65, "two words", "<script>"):
        fresh = client.get("/_probe/context", headers={"X-Request-ID": unfit})
        assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-ID"])
        assert fresh.json["request_id"] == fresh.headers["X-Request-ID"]
    first, second = client.get("/_probe/context"), client.get("/_probe/context")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize(("path", "status"), [
    ("/_probe/boom", 500), ("/no-such-page", 404), ("/healthz", 200), ("/static/css/shop.css", 200),
])
def test_every_response_says_its_request_id_errors_included(probes, client, path, status):
    response = client.get(path, headers={"X-Request-ID": "given-1"})
    assert response.status_code == status
    assert response.headers["X-Request-ID"] == "given-1"


def test_lines_logged_for_a_request_carry_its_id(probes, client, json_lines):
    answered = client.get("/_probe/context")
    failed = client.get("/_probe/boom")
    lines = json_lines()
    (probe,) = [line for line in lines if line["message"] == "Probe answered"]
    assert probe["request_id"] == answered.headers["X-Request-ID"]
    (error,) = [line for line in lines if line["message"] == "Unhandled error"]
    assert error["request_id"] == failed.headers["X-Request-ID"]
    assert "RuntimeError: the probe fails" in error["exc_info"]
    assert logs.current_request_id() is None  # nothing is left behind by a request


# --- jobs a request queued ----------------------------------------------------------------


def test_an_inline_job_runs_under_the_id_of_the_request_that_queued_it(probes, client):
    response = client.get("/_probe/queue")
    request_id = response.headers["X-Request-ID"]
    assert seen_by_jobs == [{"label": "from a request", "request_id": request_id, "order": None}]


def test_a_job_dispatched_later_still_carries_the_request_id(probes, app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # the hand-over fails: it stays pending
    response = client.get("/_probe/queue")
    request_id = response.headers["X-Request-ID"]
    with app.app_context():
        (row,) = db.session.scalars(select(PendingJob))
        assert row.arguments == {"args": ["from a request"], "kwargs": {},
                                 "log": {"request_id": request_id, "store_id": 1}}
    app.config["REDIS_URL"] = None
    with app.app_context():
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 1
    assert seen_by_jobs == [{"label": "from a request", "request_id": request_id, "order": None}]


def test_a_job_stored_before_request_ids_existed_still_runs(app):
    with app.app_context():
        db.session.add(PendingJob(token="old-1", function=job_queue.function_path(
            note_context_job), arguments={"args": ["old"], "kwargs": {}}))
        db.session.commit()
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 1
    assert seen_by_jobs == [{"label": "old", "request_id": None, "order": None}]


def test_an_rq_job_carries_the_request_id_and_describes_itself_without_arguments(
        probes, app, client, redis_url):
    response = client.get("/_probe/queue")
    rq_queue = Queue(job_queue.QUEUE_NAME, connection=Redis.from_url(redis_url))
    (queued,) = rq_queue.get_jobs()
    # The job also runs in the store of its request (here the default one).
    assert queued.meta[job_queue.LOG_CONTEXT_META] == {
        "request_id": response.headers["X-Request-ID"], "store_id": 1}
    assert queued.description == "tests.integration.test_logging.note_context_job"

    job_queue.set_worker_app(app)
    try:
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    finally:
        job_queue.set_worker_app(None)
    request_id = response.headers["X-Request-ID"]
    assert seen_by_jobs == [{"label": "from a request", "request_id": request_id, "order": None}]


def test_a_mail_job_on_rq_is_described_by_its_function_alone(app, redis_url):
    with app.app_context():
        jobs.queue_mail("welcome:7", MAIL_ADDRESS, "Welcome", "welcome", name=MAIL_NAME,
                        shop_url="http://shop.test/")
        db.session.commit()
    (queued,) = Queue(job_queue.QUEUE_NAME, connection=Redis.from_url(redis_url)).get_jobs()
    assert queued.description == "shophub.platform.jobs.send_mail_job"
    assert personal_data_in(queued.description) == []


def test_the_order_mail_job_is_queued_under_the_request_and_the_order(app, redis_url):
    _order_id, number = paid_order(app)
    (queued,) = Queue(job_queue.QUEUE_NAME, connection=Redis.from_url(redis_url)).get_jobs()
    assert queued.meta[job_queue.LOG_CONTEXT_META] == {"request_id": REQUEST_ID,
                                                        "order": number, "store_id": 1}


# --- order numbers ------------------------------------------------------------------------


def test_lines_about_an_order_carry_its_number_and_no_personal_data(app, json_lines):
    _order_id, number = paid_order(app)  # the confirmation mail runs inline, right after
    with app.app_context():
        # A second order, paid with less than its total: flagged, with an error line.
        variant_id = make_variant("Cup", price=900, stock=5)
        order = place_from_cart([(variant_id, 1)], make_method("Express", price=900))
        ensure_intent(order)
        intent = provider().confirm(order.payment_intent_id, SUCCEEDS)
        db.session.commit()
        flagged_number = order.number
        short = replace(intent, amount=intent.amount - 100)
        assert orders.mark_paid(order.id, short, "webhook") == orders.FLAGGED

    lines = json_lines()
    (mail_line,) = [line for line in lines if "order_confirmation mail" in line["message"]]
    assert (mail_line["order"], mail_line["request_id"]) == (number, REQUEST_ID)
    (flag_line,) = [line for line in lines if line["level"] == "ERROR"]
    assert flag_line["order"] == flagged_number
    assert personal_data_in(json.dumps(lines)) == []


# --- the processes ------------------------------------------------------------------------


def process_env(database_url: str, tmp_path: Path, **settings: str) -> dict:
    """The environment of a ShopHub process started by a test: JSON lines, the test database."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SHOPHUB_", "LOG_", "MAIL_", "STRIPE_", "REDIS_"))}
    env.update(DATABASE_URL=database_url, SECRET_KEY="test-secret", LOG_FORMAT="json",
               MAIL_OUTBOX=str(tmp_path / "process-outbox"), PYTHONUNBUFFERED="1", **settings)
    return env


def json_objects(output: str) -> list[dict]:
    """Every line of a process's output, each of which must be one JSON object."""
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_gunicorn_writes_json_access_lines_with_the_request_id_of_the_response(
        database_url, tmp_path):
    port = free_port()
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(
        "from shophub.platform.logs import ACCESS_LOG_FORMAT, gunicorn_logconfig_dict\n"
        f"bind = '127.0.0.1:{port}'\n"
        "workers = 1\npreload_app = True\ncontrol_socket_disable = True\n"
        "accesslog = '-'\nerrorlog = '-'\n"
        "access_log_format = ACCESS_LOG_FORMAT\nlogconfig_dict = gunicorn_logconfig_dict()\n")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(config), "wsgi:app"],
        cwd=PROJECT_ROOT, env=process_env(database_url, tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def answer(headers: dict) -> dict | None:
            """The response's headers; None while nothing answers."""
            request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return dict(response.headers)
            except OSError:
                return None

        fresh = wait_until(lambda: answer({}), 30, "gunicorn to answer")
        given = answer({"X-Request-ID": "probe-1"})
        assert given is not None and given["X-Request-ID"] == "probe-1"
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)

    lines = json_objects(out + err)
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert [line["request_id"] for line in access] == [fresh["X-Request-ID"], "probe-1"]
    for line in access:
        assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
        assert line["message"] == "GET /healthz 200"
        assert line["remote_addr"] == "127.0.0.1" and line["bytes"] > 0
        assert isinstance(line["duration_ms"], float)
    assert any(line["message"].startswith("Booting worker") for line in lines)


def test_the_worker_writes_each_line_once_as_json_with_orders_and_no_personal_data(
        app, database_url, redis_url, tmp_path):
    _order_id, number = paid_order(app)
    with app.app_context():
        jobs.queue_mail("welcome:7", MAIL_ADDRESS, "Welcome", "welcome", name=MAIL_NAME,
                        shop_url="http://shop.test/")
        db.session.commit()

    worker = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "shophub", "worker", "--burst"],
        cwd=PROJECT_ROOT, env=process_env(database_url, tmp_path, REDIS_URL=redis_url),
        capture_output=True, text=True, timeout=120)
    output = worker.stdout + worker.stderr
    assert worker.returncode == 0, output

    lines = json_objects(output)
    assert personal_data_in(output) == [] and "<email>" not in output
    job_ok = [line for line in lines if "Job OK" in line["message"]]
    assert len(job_ok) == 2  # one each, written once
    assert [line.get("order") for line in job_ok].count(number) == 1
    (mail_line,) = [line for line in lines if "order_confirmation mail" in line["message"]]
    assert (mail_line["order"], mail_line["request_id"]) == (number, REQUEST_ID)
    # RQ names each job by its description: the function, without its arguments.
    assert any("shophub.orders.jobs.order_mail_job (" in line["message"] for line in lines)
    assert "_job(" not in output
    assert len(list((tmp_path / "process-outbox").glob("*.eml"))) == 2
    with app.app_context():
        assert db.session.scalar(select(Order.status).where(Order.number == number)) == "paid"


def test_the_scheduler_queues_the_periodic_jobs_and_logs_as_json(database_url, redis_url,
                                                                 tmp_path):
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "shophub", "scheduler"],
        cwd=PROJECT_ROOT, env=process_env(database_url, tmp_path, REDIS_URL=redis_url),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    maintenance = Queue(job_queue.MAINTENANCE_QUEUE, connection=Redis.from_url(redis_url))
    try:
        wait_until(lambda: maintenance.count >= 5, 30, "the scheduler to queue its jobs")
    finally:
        scheduler.send_signal(signal.SIGTERM)
        out, err = scheduler.communicate(timeout=30)

    assert sorted(job.func_name for job in maintenance.get_jobs()) == [
        "shophub.newsletter.jobs.due_campaign_batches_job",
        "shophub.payments.jobs.expire_orders_job", "shophub.payments.jobs.reconcile_orders_job",
        "shophub.platform.jobs.dispatch_pending_jobs_job",
        "shophub.recovery.jobs.recovery_mails_job"]
    messages = [line["message"] for line in json_objects(out + err)]
    registered = [message for message in messages if message.startswith("Registered ")]
    assert len(registered) == 5  # each once: RQ added no handler of its own
    assert any("shutdown complete" in message for message in messages)


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_worker_and_scheduler_refuse_to_start_without_redis(app, command):
    result = app.test_cli_runner().invoke(args=["shophub", command])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: REDIS_URL is unset: the {command} needs Redis (without it, jobs run in the "
        "web process)."]


def test_a_testing_app_leaves_logging_to_pytest(app):
    assert not any(handler.name == logs.HANDLER_NAME for handler in logging.getLogger().handlers)
