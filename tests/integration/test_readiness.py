"""GET /readyz: the database, and with REDIS_URL, Redis and a fresh heartbeat of RQ's cron
scheduler (a real CronScheduler in Redis database 13); /healthz stays liveness only."""

import socket
import time

import pytest
from redis import Redis
from rq.cron import CronScheduler
from rq.cron_scheduler_registry import get_registry_key

from shophub.platform.readiness import SCHEDULER_HEARTBEAT_MAX_AGE
from tests.conftest import make_app
from tests.services import flushed_redis_url, free_port

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)



@pytest.fixture
def redis_url():
    """Redis database 13, empty before and after the test."""
    url = flushed_redis_url(13, "the readiness tests")
    yield url
    Redis.from_url(url).flushdb()


def test_ready_without_redis_when_the_database_answers(app, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_not_ready_when_the_database_is_unreachable_while_still_alive(tmp_path):
    broken = make_app(f"sqlite:///{tmp_path}/missing-dir/none.db", tmp_path).test_client()
    response = broken.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}
    assert broken.get("/healthz").status_code == 200


@SQLITE_ONLY
def test_ready_only_while_the_cron_scheduler_heartbeats(database_url, tmp_path, redis_url):
    client = make_app(database_url, tmp_path, REDIS_URL=redis_url).test_client()
    connection = Redis.from_url(redis_url)

    missing = client.get("/readyz")
    assert missing.status_code == 503
    assert missing.json == {"status": "unavailable", "database": "ok", "redis": "ok",
                            "scheduler": "missing"}

    scheduler = CronScheduler(connection=connection, name="readiness-test-scheduler")
    scheduler.register_birth()
    scheduler.heartbeat()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "database": "ok", "redis": "ok", "scheduler": "ok"}

    # A scheduler that stopped beating without saying so (killed, its host asleep).
    connection.zadd(get_registry_key(),
                    {scheduler.name: time.time() - SCHEDULER_HEARTBEAT_MAX_AGE - 5})
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.json["scheduler"] == "stale"

    scheduler.heartbeat()
    assert client.get("/readyz").status_code == 200
    scheduler.register_death()
    gone = client.get("/readyz")
    assert gone.status_code == 503 and gone.json["scheduler"] == "missing"


@SQLITE_ONLY
def test_not_ready_when_redis_is_unreachable(database_url, tmp_path):
    client = make_app(database_url, tmp_path,
                      REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok",
                             "redis": "unreachable", "scheduler": "unknown"}
    assert client.get("/healthz").status_code == 200


@SQLITE_ONLY
def test_a_hung_redis_gets_an_answer_within_about_a_second(database_url, tmp_path):
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        client = make_app(database_url, tmp_path,
                          REDIS_URL=f"redis://127.0.0.1:{port}/0").test_client()
        started = time.monotonic()
        response = client.get("/readyz")
        seconds = time.monotonic() - started
    assert response.status_code == 503 and response.json["redis"] == "unreachable"
    assert seconds < 1.5, f"took {seconds:.1f} s"
