"""Jobs (inline, and on RQ with a real Redis) and mail (outbox and SMTP through Flask-Mail)."""

import os

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from shophub import jobs, mail
from shophub.extensions import db
from shophub.models import SentMail
from tests.services import require_service

ATTEMPTS: dict[str, int] = {}


def flaky_inline_job(name: str) -> None:
    """Fails twice, then succeeds (attempts counted in this process)."""
    ATTEMPTS[name] = ATTEMPTS.get(name, 0) + 1
    if ATTEMPTS[name] < 3:
        raise RuntimeError("not yet")


def flaky_redis_job(redis_url: str, key: str) -> str:
    """Fails twice, then succeeds (attempts counted in Redis, as workers share no memory)."""
    attempts = Redis.from_url(redis_url).incr(key)
    if attempts < 3:
        raise RuntimeError(f"attempt {attempts} fails")
    return "done"


def outbox(app):
    return mail.outbox_messages(app.config["MAIL_OUTBOX"])


def sent_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SentMail))


def test_outbox_mail_has_text_and_html_parts(app):
    with app.app_context():
        mail.send_mail("kim@example.com", "Reset your password", "password_reset",
                       name="Kim", reset_url="http://shop.test/account/password/reset/abc",
                       minutes=60)
    (message,) = outbox(app)
    assert message["To"] == "kim@example.com"
    assert message["Subject"] == "Reset your password"
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "http://shop.test/account/password/reset/abc" in text
    assert 'href="http://shop.test/account/password/reset/abc"' in html
    assert "expires in 60 minutes" in text and "ignore this mail" in html


def test_smtp_goes_through_flask_mail_not_the_outbox(app):
    app.config.update(MAIL_SERVER="smtp.example.com", MAIL_SUPPRESS_SEND=True)
    with app.app_context(), mail.mailer.record_messages() as sent:
        mail.send_mail("kim@example.com", "Welcome", "welcome", name="Kim",
                       shop_url="http://shop.test/")
    assert [m.recipients for m in sent] == [["kim@example.com"]]
    assert "http://shop.test/" in sent[0].body and "http://shop.test/" in sent[0].html
    assert outbox(app) == []


def test_mail_job_sends_each_key_once(app):
    with app.app_context():
        args = ("welcome:7", "kim@example.com", "Welcome", "welcome",
                {"name": "Kim", "shop_url": "http://shop.test/"})
        assert jobs.send_mail_job(*args) is True
        assert jobs.send_mail_job(*args) is False
    assert len(outbox(app)) == 1 and sent_rows(app) == 1


def test_a_failed_send_frees_the_key_for_the_retry(app, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("SMTP is down")

    with app.app_context():
        monkeypatch.setattr(mail, "send_mail", broken)
        with pytest.raises(OSError):
            jobs.send_mail_job("welcome:8", "kim@example.com", "Welcome", "welcome", {})
        assert sent_rows(app) == 0
        monkeypatch.undo()
        assert jobs.send_mail_job("welcome:8", "kim@example.com", "Welcome", "welcome",
                                  {"name": "Kim", "shop_url": "/"}) is True
    assert len(outbox(app)) == 1


def test_inline_jobs_wait_for_the_commit_and_vanish_on_rollback(app):
    with app.app_context():
        jobs.queue_mail("k:1", "a@example.com", "Welcome", "welcome", name="A", shop_url="/")
        assert outbox(app) == []
        db.session.rollback()
        db.session.commit()
        assert outbox(app) == []
        jobs.queue_mail("k:2", "b@example.com", "Welcome", "welcome", name="B", shop_url="/")
        db.session.commit()
    assert [m["To"] for m in outbox(app)] == ["b@example.com"]
    assert sent_rows(app) == 1


def test_inline_job_is_retried_until_it_succeeds(app):
    ATTEMPTS.clear()
    with app.app_context():
        jobs.enqueue(flaky_inline_job, "inline")
    assert ATTEMPTS["inline"] == 3


def test_inline_job_that_never_succeeds_is_logged_not_raised(app, caplog):
    def always_fails():
        raise RuntimeError("broken for good")

    with app.app_context():
        jobs.enqueue(always_fails)
    assert "failed 4 times; giving up" in caplog.text


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        require_service("REDIS_URL is not set; the RQ tests need Redis")
    # A database of its own, so the tests never touch the shop's queue.
    url = url.rsplit("/", 1)[0] + "/14" if url.count("/") >= 3 else url + "/14"
    try:
        Redis.from_url(url).ping()
    except RedisConnectionError as error:
        require_service(f"Redis at REDIS_URL is unreachable: {error}")
    return url


@pytest.fixture
def redis_url():
    url = _redis_url()
    connection = Redis.from_url(url)
    connection.flushdb()
    yield url
    connection.flushdb()


@pytest.fixture
def app_config(request):
    if "redis_url" in request.fixturenames:
        return {"REDIS_URL": request.getfixturevalue("redis_url"), "JOB_RETRY_INTERVALS": []}
    return {}


def test_rq_mail_job_runs_in_a_worker_after_the_commit(app, redis_url):
    connection = Redis.from_url(redis_url)
    queue = Queue(jobs.QUEUE_NAME, connection=connection)
    with app.app_context():
        jobs.queue_mail("welcome:1", "kim@example.com", "Welcome", "welcome", name="Kim",
                        shop_url="http://shop.test/")
        assert queue.count == 0
        db.session.commit()
        assert queue.count == 1
        assert outbox(app) == []
        SimpleWorker([queue], connection=connection).work(burst=True)
        jobs.queue_mail("welcome:1", "kim@example.com", "Welcome", "welcome", name="Kim",
                        shop_url="http://shop.test/")
        db.session.commit()
        SimpleWorker([queue], connection=connection).work(burst=True)
    assert [m["To"] for m in outbox(app)] == ["kim@example.com"]
    assert sent_rows(app) == 1


def test_rq_retries_a_failing_job(app, redis_url):
    connection = Redis.from_url(redis_url)
    queue = Queue(jobs.QUEUE_NAME, connection=connection)
    with app.app_context():
        jobs.enqueue(flaky_redis_job, redis_url, "attempts")
        (job,) = queue.get_jobs()
        SimpleWorker([queue], connection=connection).work(burst=True)
    assert int(connection.get("attempts")) == 3
    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value() == "done"
