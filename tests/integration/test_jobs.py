"""Background jobs: inline (no Redis) and on RQ with a real Redis; the idempotent mail job."""

import os
from urllib.parse import urlsplit

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.registry import FinishedJobRegistry, ScheduledJobRegistry
from sqlalchemy import func, select

from shophub.accounts import password_reset
from shophub.admin.people import service as staff
from shophub.extensions import db
from shophub.models import PendingJob, SentMail, User
from shophub.platform import jobs, mail
from shophub.platform import queue as job_queue
from tests.services import require_service
from tests.shop_data import mailed_link, make_user

# Attempts per name of the inline test jobs (inline jobs run in this process).
ATTEMPTS: dict[str, int] = {}
WELCOME = ("welcome:7", "kim@example.com", "Welcome", "welcome",
           {"name": "Kim", "shop_url": "http://shop.test/"})


@pytest.fixture(autouse=True)
def _fresh_attempts():
    ATTEMPTS.clear()
    yield
    ATTEMPTS.clear()


def flaky_inline_job(name: str, failures: int = 2) -> None:
    """Fails `failures` times, then succeeds."""
    ATTEMPTS[name] = ATTEMPTS.get(name, 0) + 1
    if ATTEMPTS[name] <= failures:
        raise RuntimeError(f"attempt {ATTEMPTS[name]} fails")


def broken_job(name: str) -> None:
    """Never succeeds."""
    ATTEMPTS[name] = ATTEMPTS.get(name, 0) + 1
    raise RuntimeError("broken for good")


@job_queue.job
def mark_seen_job(key: str) -> None:
    """Reads the row the caller committed and writes one of its own, through db.session."""
    row = db.session.scalar(select(SentMail).where(SentMail.key == key))
    ATTEMPTS[f"ran:{key}"] = ATTEMPTS.get(f"ran:{key}", 0) + 1
    if row is None:
        raise LookupError(f"{key} is not visible to the job")
    db.session.add(SentMail(key=f"seen:{key}", recipient=row.recipient, template="seen"))
    db.session.commit()


def flaky_redis_job(redis_url: str, counter: str) -> str:
    """Fails twice, then succeeds; attempts are counted in Redis (workers share no memory)."""
    attempts = Redis.from_url(redis_url).incr(counter)
    if attempts < 3:
        raise RuntimeError(f"attempt {attempts} fails")
    return "done"


def outbox(app):
    return mail.outbox_messages(app.config["MAIL_OUTBOX"])


def keys(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(SentMail.key)))


def add_row(key: str) -> None:
    db.session.add(SentMail(key=key, recipient="kim@example.com", template="test"))


# --- the mail job --------------------------------------------------------------------------


def test_mail_job_sends_each_key_once(app):
    with app.app_context():
        assert jobs.send_mail_job(*WELCOME) is True
        assert jobs.send_mail_job(*WELCOME) is False
        assert db.session.scalar(select(func.count()).select_from(SentMail)) == 1
    (message,) = outbox(app)
    assert message["To"] == "kim@example.com"
    assert keys(app) == ["welcome:7"]


def test_mail_job_that_fails_to_send_frees_its_key(app, monkeypatch):
    def smtp_down(*args, **kwargs):
        raise OSError("SMTP is down")

    monkeypatch.setattr(mail, "send_mail", smtp_down)
    with app.app_context(), pytest.raises(OSError):
        jobs.send_mail_job(*WELCOME)
    assert keys(app) == []
    monkeypatch.undo()
    with app.app_context():
        assert jobs.send_mail_job(*WELCOME) is True
    assert len(outbox(app)) == 1 and keys(app) == ["welcome:7"]


def test_a_mail_recorded_meanwhile_goes_out_again_with_the_same_message_id(app, monkeypatch):
    """Another run records the key between our check and our send: at least once, never lost."""
    original_scalar = db.session.scalar

    with app.app_context():
        def claimed_meanwhile(statement, *args, **kwargs):
            result = original_scalar(statement, *args, **kwargs)
            other = db.engine.connect()
            other.execute(SentMail.__table__.insert().values(
                key="welcome:7", recipient="kim@example.com", template="welcome"))
            other.commit()
            other.close()
            return result

        monkeypatch.setattr(db.session, "scalar", claimed_meanwhile)
        assert jobs.send_mail_job(*WELCOME) is True
        expected_id = mail.stable_message_id("welcome:7")
    (message,) = outbox(app)
    assert message["Message-ID"] == expected_id
    assert keys(app) == ["welcome:7"]


def test_a_mail_is_recorded_only_after_it_was_handed_to_the_server(app, monkeypatch):
    seen_while_sending = []
    real_send = mail.send_mail

    def watching_send(*args, **kwargs):
        with db.engine.connect() as other:
            seen_while_sending.append(other.execute(
                select(func.count()).select_from(SentMail)).scalar())
        real_send(*args, **kwargs)

    monkeypatch.setattr(mail, "send_mail", watching_send)
    with app.app_context():
        assert jobs.send_mail_job(*WELCOME) is True
    assert seen_while_sending == [0]
    assert keys(app) == ["welcome:7"]


def test_every_attempt_of_a_mail_carries_the_same_message_id(app):
    with app.app_context():
        first = mail.stable_message_id("order-confirmation:5")
        assert first == mail.stable_message_id("order-confirmation:5")
        assert first != mail.stable_message_id("order-confirmation:6")
        assert first.startswith("<") and first.endswith("@localhost>")


def test_the_job_decorator_gives_a_job_an_app_outside_any_context(app):
    with app.app_context():
        add_row("order:1")
        db.session.commit()
    job_queue.set_worker_app(app)
    try:
        mark_seen_job("order:1")  # no app context here: the decorator pushes the worker app's
    finally:
        job_queue.set_worker_app(None)
    assert keys(app) == ["order:1", "seen:order:1"]


# --- inline mode (no REDIS_URL) ------------------------------------------------------------


def test_inline_job_is_retried_until_it_succeeds(app):
    with app.app_context():
        job_queue.enqueue(flaky_inline_job, "flaky")
    assert ATTEMPTS["flaky"] == 3


@pytest.mark.parametrize(("app_config", "attempts"), [
    ({}, 4),                              # default [10, 60, 300]: 3 retries
    ({"JOB_RETRY_INTERVALS": [0]}, 2),    # 1 retry
    ({"JOB_RETRY_INTERVALS": []}, 4),     # none given: 3 retries
])
def test_inline_job_that_keeps_failing_is_logged_not_raised(app, attempts, caplog):
    with app.app_context():
        job_queue.enqueue(broken_job, "broken")  # must not raise
    assert ATTEMPTS["broken"] == attempts
    failures = [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info]
    assert len(failures) == 1
    assert f"failed {attempts} times" in failures[0].getMessage()
    assert "broken for good" in caplog.text


def test_inline_job_after_commit_sees_the_committed_rows(app):
    with app.app_context():
        add_row("order:1")
        job_queue.enqueue_after_commit(mark_seen_job, "order:1")
        db.session.flush()
        assert "ran:order:1" not in ATTEMPTS  # not before the commit
        db.session.commit()
        assert ATTEMPTS["ran:order:1"] == 1  # once, right after it, and it saw the row
        # The caller's session is still usable after the hook ran the job.
        assert db.session.scalar(select(func.count()).select_from(SentMail)) == 2
    assert keys(app) == ["order:1", "seen:order:1"]


def test_a_rollback_drops_the_queued_job(app):
    with app.app_context():
        add_row("order:1")
        job_queue.enqueue_after_commit(mark_seen_job, "order:1")
        db.session.rollback()
        job_queue.enqueue_after_commit(flaky_inline_job, "before-any-write", 0)
        db.session.rollback()
        add_row("order:2")
        db.session.commit()
    assert ATTEMPTS == {}
    assert keys(app) == ["order:2"]


def test_a_closed_session_drops_the_queued_job(app):
    with app.app_context():
        job_queue.enqueue_after_commit(flaky_inline_job, "closed", 0)
        db.session.close()
        add_row("order:1")
        db.session.commit()
    assert ATTEMPTS == {}


def test_jobs_in_savepoints_wait_for_the_outer_commit(app):
    with app.app_context():
        add_row("order:1")
        with db.session.begin_nested():
            add_row("order:2")
            job_queue.enqueue_after_commit(mark_seen_job, "order:2")
        assert ATTEMPTS == {}  # RELEASE SAVEPOINT is no commit
        savepoint = db.session.begin_nested()
        add_row("order:3")
        job_queue.enqueue_after_commit(mark_seen_job, "order:3")
        savepoint.rollback()
        db.session.commit()
    assert ATTEMPTS == {"ran:order:2": 1}
    assert keys(app) == ["order:1", "order:2", "seen:order:2"]


def stored_tokens(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(PendingJob.token).order_by(PendingJob.id)))


def pending_functions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(PendingJob.function).order_by(PendingJob.id)))


def test_a_queued_job_is_stored_with_its_transaction_until_it_is_handed_over(app):
    with app.app_context():
        add_row("order:1")
        job_queue.enqueue_after_commit(mark_seen_job, "order:1")
        db.session.flush()
        (stored,) = db.session.scalars(select(PendingJob))
        assert stored.function == "tests.integration.test_jobs.mark_seen_job"
        # The job runs in the store it was queued in (here the default one).
        assert stored.arguments == {"args": ["order:1"], "kwargs": {}, "log": {"store_id": 1}}
        db.session.commit()
    assert ATTEMPTS["ran:order:1"] == 1
    assert pending_functions(app) == []  # handed over (run inline), so forgotten


def test_an_inline_job_that_keeps_failing_stays_stored_until_a_later_run_succeeds(app):
    with app.app_context():
        job_queue.enqueue_after_commit(flaky_inline_job, "stubborn", 5)
        db.session.commit()  # four attempts run now and fail: the row stays
    assert ATTEMPTS["stubborn"] == 4
    assert pending_functions(app) == ["tests.integration.test_jobs.flaky_inline_job"]
    with app.app_context():
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 1
    assert ATTEMPTS["stubborn"] == 6 and pending_functions(app) == []


def test_rolled_back_jobs_leave_nothing_pending(app):
    with app.app_context():
        job_queue.enqueue_after_commit(mark_seen_job, "order:1")
        db.session.flush()
        db.session.rollback()
        add_row("order:2")
        savepoint = db.session.begin_nested()
        job_queue.enqueue_after_commit(mark_seen_job, "order:2")
        savepoint.rollback()
        db.session.commit()
    assert pending_functions(app) == [] and ATTEMPTS == {}


def test_a_mail_that_could_not_be_queued_is_dispatched_later_once(app, caplog):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    with app.app_context():
        jobs.queue_mail("order-confirmation:5", "kim@example.com", "Order confirmed",
                        "welcome", name="Kim", shop_url="http://shop.test/")
        add_row("order:5")
        db.session.commit()  # the commit stands although the queue is down
    assert keys(app) == ["order:5"]
    assert outbox(app) == []
    assert pending_functions(app) == ["shophub.platform.jobs.send_mail_job"]
    assert "The job queue (Redis) is unreachable" in caplog.text

    app.config["REDIS_URL"] = None  # the queue is back (inline here)
    with app.app_context():
        assert job_queue.dispatch_pending_jobs() == 0  # younger than a minute: not yet
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 1
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 0
    (message,) = outbox(app)
    assert message["To"] == "kim@example.com" and message["Subject"] == "Order confirmed"
    assert pending_functions(app) == []
    assert keys(app) == ["order-confirmation:5", "order:5"]


def test_reset_and_invite_links_never_sit_in_pending_job(app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # the hand-over fails
    with app.app_context():
        make_user("kim@example.com")
        admin_id = make_user("boss@example.com", role="admin")
        password_reset.request_reset("kim@example.com")
        staff.invite(db.session.get(User, admin_id), "new@example.com", "staff")
        jobs.queue_mail(*WELCOME[:4], **WELCOME[4])
        db.session.commit()
        stored = {row.function: row.arguments["args"]
                  for row in db.session.scalars(select(PendingJob))}
    # No invite (its secret is in the mail); the reset's job names the email only, and makes
    # its link when it runs.
    assert stored.keys() == {"shophub.platform.jobs.send_mail_job",
                             "shophub.accounts.jobs.reset_link_job"}
    assert stored["shophub.platform.jobs.send_mail_job"][0] == "welcome:7"
    assert stored["shophub.accounts.jobs.reset_link_job"] == ["kim@example.com"]
    app.config["REDIS_URL"] = None
    with app.app_context():
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 2
    link = mailed_link(app.config["MAIL_OUTBOX"], "kim@example.com", "/account/password/reset/")
    assert app.test_client().get(link).status_code == 200
    assert pending_functions(app) == []


def test_dispatch_while_the_queue_is_away_hands_over_nothing_and_counts_nothing(app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    with app.app_context():
        jobs.queue_mail(*WELCOME[:4], **WELCOME[4])
        db.session.commit()
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 0
        assert db.session.scalars(select(PendingJob.dispatches)).all() == [0]


def test_dispatch_command_hands_over_old_pending_jobs(app):
    with app.app_context():
        db.session.add(PendingJob(token="t1", function="shophub.platform.jobs.send_mail_job",
                                  arguments={"args": list(WELCOME), "kwargs": {}}))
        db.session.commit()
    runner = app.test_cli_runner()
    assert "Dispatched 0 pending jobs." in runner.invoke(args=["shophub", "dispatch-jobs"]).output
    result = runner.invoke(args=["shophub", "dispatch-jobs", "--older-than", "0"])
    assert result.exit_code == 0 and "Dispatched 1 pending jobs." in result.output
    assert [m["To"] for m in outbox(app)] == ["kim@example.com"]
    assert pending_functions(app) == []


@pytest.mark.parametrize("path", ["shophub.jobs.send_mail_job",
                                  "shophub.platform.jobs.send_mail_job"])
def test_jobs_stored_under_the_previous_releases_path_still_run(app, path):
    with app.app_context():
        db.session.add(PendingJob(token="t1", function=path,
                                  arguments={"args": list(WELCOME), "kwargs": {}}))
        db.session.commit()
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 1
    assert [m["To"] for m in outbox(app)] == ["kim@example.com"]


def test_rq_finds_every_job_by_its_previous_path():
    from rq.utils import import_attribute

    from shophub.orders.jobs import order_mail_job
    from shophub.payments.jobs import expire_orders_job, reconcile_orders_job
    from shophub.platform.jobs import dispatch_pending_jobs_job

    assert import_attribute("shophub.orders.order_mail_job") is order_mail_job
    assert import_attribute("shophub.jobs.send_mail_job") is jobs.send_mail_job
    assert import_attribute("shophub.jobs.expire_orders_job") is expire_orders_job
    assert import_attribute("shophub.jobs.reconcile_orders_job") is reconcile_orders_job
    assert import_attribute("shophub.jobs.dispatch_pending_jobs_job") is dispatch_pending_jobs_job


def test_queue_mail_sends_after_the_commit(app):
    with app.app_context():
        jobs.queue_mail("welcome:9", "kim@example.com", "Welcome", "welcome",
                        name="Kim", shop_url="http://shop.test/")
        assert outbox(app) == []
        db.session.commit()
    (message,) = outbox(app)
    assert message["To"] == "kim@example.com"
    assert keys(app) == ["welcome:9"]


# --- RQ mode (REDIS_URL) -------------------------------------------------------------------


def _test_redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        require_service("REDIS_URL is not set; the RQ tests need Redis")
    # Database 14 of that server, so that the tests never touch the shop's own queue.
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("db="))
        url = parts._replace(query=f"{query}&db=14" if query else "db=14").geturl()
    else:
        url = parts._replace(path="/14").geturl()
    try:
        Redis.from_url(url).ping()
    except (RedisError, OSError) as error:
        require_service(f"Redis at REDIS_URL is unreachable: {error}")
    return url


@pytest.fixture
def redis_url():
    url = _test_redis_url()
    connection = Redis.from_url(url)
    connection.flushdb()
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture
def app_config(request):
    """RQ mode, with immediate requeue on failure, for the tests that use Redis."""
    if "redis_url" in request.fixturenames:
        return {"REDIS_URL": request.getfixturevalue("redis_url"), "JOB_RETRY_INTERVALS": []}
    return {}


def run_worker(app, queue: Queue) -> None:
    """A burst worker in this process, with no app context of ours: jobs use the test app."""
    job_queue.set_worker_app(app)
    try:
        SimpleWorker(queues=[queue], connection=queue.connection).work(burst=True)
    finally:
        job_queue.set_worker_app(None)


def test_rq_mail_job_is_queued_after_the_commit_and_sent_by_a_worker(app, redis_url):
    connection = Redis.from_url(redis_url)
    queue = Queue(job_queue.QUEUE_NAME, connection=connection)
    with app.app_context():
        jobs.queue_mail("welcome:1", "kim@example.com", "Welcome", "welcome",
                        name="Kim", shop_url="http://shop.test/")
        assert queue.count == 0  # not before the commit
        db.session.commit()
    assert queue.count == 1
    (job,) = queue.get_jobs()
    assert job.func_name == "shophub.platform.jobs.send_mail_job"
    assert job.retries_left == 3
    assert outbox(app) == []
    # The queue has it, and the row stays until the job has succeeded.
    assert pending_functions(app) == ["shophub.platform.jobs.send_mail_job"]
    assert job.id == stored_tokens(app)[0]

    run_worker(app, queue)

    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value() is True
    assert pending_functions(app) == []
    (message,) = outbox(app)
    assert message["To"] == "kim@example.com"
    assert keys(app) == ["welcome:1"]

    # The same key again: the job runs but sends nothing.
    with app.app_context():
        jobs.queue_mail("welcome:1", "kim@example.com", "Welcome", "welcome",
                        name="Kim", shop_url="http://shop.test/")
        db.session.commit()
    run_worker(app, queue)
    assert len(outbox(app)) == 1


def test_rq_job_is_not_queued_on_rollback(app, redis_url):
    queue = Queue(job_queue.QUEUE_NAME, connection=Redis.from_url(redis_url))
    with app.app_context():
        jobs.queue_mail("welcome:2", "kim@example.com", "Welcome", "welcome",
                        name="Kim", shop_url="/")
        db.session.rollback()
        db.session.commit()
    assert queue.count == 0


def test_rq_retries_a_failing_job_until_it_finishes(app, redis_url):
    connection = Redis.from_url(redis_url)
    queue = Queue(job_queue.QUEUE_NAME, connection=connection)
    with app.app_context():
        job_queue.enqueue(flaky_redis_job, redis_url, "attempts")
    (job,) = queue.get_jobs()

    for _ in range(5):  # a retried job is requeued; a burst worker may stop before it
        run_worker(app, queue)
        job.refresh()
        if job.get_status() == "finished":
            break

    assert int(connection.get("attempts")) == 3
    assert job.get_status() == "finished"
    assert job.return_value() == "done"
    assert job.id in FinishedJobRegistry(queue=queue).get_job_ids()


def test_rq_retry_intervals_come_from_the_config(app, redis_url):
    connection = Redis.from_url(redis_url)
    queue = Queue(job_queue.QUEUE_NAME, connection=connection)
    app.config["JOB_RETRY_INTERVALS"] = [30, 120]
    with app.app_context():
        job_queue.enqueue(flaky_redis_job, redis_url, "attempts")
    (job,) = queue.get_jobs()
    assert (job.retries_left, job.retry_intervals) == (2, [30, 120])

    run_worker(app, queue)

    # Failed once, and now waits for the scheduler (`rq worker --with-scheduler`).
    job.refresh()
    assert int(connection.get("attempts")) == 1
    assert job.get_status() == "scheduled"
    assert job.id in ScheduledJobRegistry(queue=queue).get_job_ids()
    assert queue.count == 0
