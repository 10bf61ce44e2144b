"""Background work under faults: a worker killed mid-mail, Redis restarted empty.

Each test starts its own Redis (so that it can kill it) and its own SMTP server, on free
ports; the shop's Redis is never touched. They run on PostgreSQL, as production does: a
worker process and the test share the database.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import func, select

from shophub.extensions import db
from shophub.models import PendingJob, SentMail
from shophub.platform import jobs, mail
from shophub.platform import queue as job_queue
from tests.services import OwnRedis, free_port, wait_until

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


class SlowFirstSmtp:
    """An SMTP server whose first conversation stalls before the message; the rest are quick."""

    def __init__(self, stall_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self.conversations = 0
        self.messages: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Accept the recipient; the first time only after a long stall."""
        self.conversations += 1
        if self.conversations == 1:
            await asyncio.sleep(self.stall_seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        """Keep the message: it was accepted."""
        self.messages.append(envelope.content)
        return "250 Message accepted"


@pytest.fixture
def slow_smtp():
    handler = SlowFirstSmtp(stall_seconds=60)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


WELCOME = {"name": "Kim", "shop_url": "http://shop.test/"}


def worker_env(app, redis_url: str, **settings: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("MAIL_", "REDIS_", "STRIPE_"))}
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test-secret",
        "REDIS_URL": redis_url, "JOB_RETRY_INTERVALS": "0", "PYTHONPATH": str(PROJECT_ROOT),
        **settings,
    })
    return env


def rq_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("rq")), *args]


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def test_a_worker_killed_in_the_middle_of_a_mail_sends_it_on_the_retry(
        app, own_redis, slow_smtp):
    controller, smtp = slow_smtp
    app.config.update(REDIS_URL=own_redis.url, MAIL_SERVER="127.0.0.1",
                      MAIL_PORT=controller.port, MAIL_USE_TLS=False, JOB_RETRY_INTERVALS=[0])
    with app.app_context():
        jobs.queue_mail("welcome:41", "kim@example.com", "Welcome", "welcome", **WELCOME)
        db.session.commit()
    worker = subprocess.Popen(
        rq_command("worker", "--burst", "--url", own_redis.url, job_queue.QUEUE_NAME),
        cwd=PROJECT_ROOT, env=worker_env(app, own_redis.url, MAIL_SERVER="127.0.0.1",
                                         MAIL_PORT=str(controller.port), MAIL_USE_TLS="0"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # The work-horse is inside the SMTP conversation, stalled before the message.
        wait_until(lambda: smtp.conversations == 1, 60, "the first SMTP conversation")
        (horse,) = wait_until(lambda: children_of(worker.pid), 10, "the work-horse")
        os.kill(horse, signal.SIGKILL)
        output, _ = worker.communicate(timeout=90)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output.decode(errors="replace")
    assert len(smtp.messages) == 1  # the retry delivered it, once
    assert b"kim@example.com" in smtp.messages[0]
    with app.app_context():
        assert db.session.scalars(select(SentMail.key)).all() == ["welcome:41"]
        assert db.session.scalar(select(func.count()).select_from(PendingJob)) == 0


def test_jobs_queued_when_redis_restarts_empty_are_all_delivered_after_dispatch(
        app, own_redis):
    app.config.update(REDIS_URL=own_redis.url, JOB_RETRY_INTERVALS=[0])
    count = 25
    with app.app_context():
        for number in range(count):
            jobs.queue_mail(f"order-confirmation:{number}", f"buyer{number}@example.com",
                            "Order confirmed", "welcome", **WELCOME)
            db.session.commit()
        assert Redis.from_url(own_redis.url).llen(f"rq:queue:{job_queue.QUEUE_NAME}") == count
    own_redis.kill()  # no persistence: every queued job is gone
    own_redis.start()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingJob)) == count
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == count
        job_queue.set_worker_app(app)
        try:
            connection = Redis.from_url(own_redis.url)
            SimpleWorker([job_queue.queue()], connection=connection).work(burst=True)
        finally:
            job_queue.set_worker_app(None)
        assert db.session.scalar(select(func.count()).select_from(PendingJob)) == 0
        assert len(db.session.scalars(select(SentMail.key)).all()) == count
    delivered = sorted(message["To"] for message in mail.outbox_messages(
        app.config["MAIL_OUTBOX"]))
    assert delivered == sorted(f"buyer{number}@example.com" for number in range(count))


def test_dispatch_leaves_a_queued_job_alone_and_clears_a_finished_one(app, own_redis):
    app.config.update(REDIS_URL=own_redis.url, JOB_RETRY_INTERVALS=[0])
    with app.app_context():
        jobs.queue_mail("welcome:51", "kim@example.com", "Welcome", "welcome", **WELCOME)
        db.session.commit()
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 0  # still queued
        job_queue.set_worker_app(app)
        try:
            SimpleWorker([job_queue.queue()],
                         connection=Redis.from_url(own_redis.url)).work(burst=True)
        finally:
            job_queue.set_worker_app(None)
        assert db.session.scalar(select(func.count()).select_from(PendingJob)) == 0
        assert job_queue.dispatch_pending_jobs(older_than_seconds=0) == 0
    assert len(mail.outbox_messages(app.config["MAIL_OUTBOX"])) == 1


def test_a_mail_backlog_does_not_hold_up_expiry(app, own_redis):
    from shophub.payments.jobs import expire_orders_job

    app.config.update(REDIS_URL=own_redis.url, JOB_RETRY_INTERVALS=[0])
    with app.app_context():
        for number in range(200):
            jobs.queue_mail(f"backlog:{number}", f"buyer{number}@example.com", "Welcome",
                            "welcome", **WELCOME)
            db.session.commit()
        job_queue.enqueue(expire_orders_job)  # queued after the whole backlog
        expiry = job_queue.queue(job_queue.MAINTENANCE_QUEUE).get_jobs()[0]
        worker = SimpleWorker([job_queue.queue(name) for name in job_queue.QUEUES_BY_URGENCY],
                              connection=Redis.from_url(own_redis.url))
        job_queue.set_worker_app(app)
        try:
            worker.work(burst=True, max_jobs=1)  # one job's time
        finally:
            job_queue.set_worker_app(None)
        expiry.refresh()
        assert expiry.get_status() == "finished"
        assert job_queue.queue().count == 200  # the mail waited, the expiry did not
    assert mail.outbox_messages(app.config["MAIL_OUTBOX"]) == []


def test_a_worker_waits_out_a_redis_outage_and_then_runs_the_next_job(app, own_redis, tmp_path):
    from rq import Worker as RQWorker

    outbox = tmp_path / "worker-outbox"
    app.config.update(REDIS_URL=own_redis.url, JOB_RETRY_INTERVALS=[0])
    worker = subprocess.Popen(
        rq_command("worker", "--worker-class", "shophub.platform.worker.Worker",
                   "--url", own_redis.url, *job_queue.QUEUES_BY_URGENCY),
        cwd=PROJECT_ROOT, env=worker_env(app, own_redis.url, MAIL_OUTBOX=str(outbox)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: RQWorker.all(connection=Redis.from_url(own_redis.url)), 60,
                   "the worker to start")
        own_redis.kill()
        time.sleep(3)
        own_redis.start()  # empty: the worker's own record is gone too
        assert worker.poll() is None, "the worker exited during the outage"
        with app.app_context():
            jobs.queue_mail("welcome:61", "kim@example.com", "Welcome", "welcome", **WELCOME)
            db.session.commit()
        (message,) = wait_until(lambda: mail.outbox_messages(str(outbox)), 60,
                                "the worker to send the mail")
        assert message["To"] == "kim@example.com"
        assert worker.poll() is None  # the same worker, still running
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert output.decode(errors="replace").count("Redis is unreachable") == 1
