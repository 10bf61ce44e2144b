"""With Redis as the limiter's storage, every web worker counts against the same limit."""

import os

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.conftest import make_app
from tests.services import require_service


@pytest.fixture
def limiter_redis_url():
    base = os.environ.get("REDIS_URL")
    if not base:
        require_service("REDIS_URL is not set; the shared rate limit test needs Redis")
    url = base.rsplit("/", 1)[0] + "/13"
    try:
        Redis.from_url(url).flushdb()
    except RedisConnectionError as error:
        require_service(f"Redis at REDIS_URL is unreachable: {error}")
    yield url
    Redis.from_url(url).flushdb()


def test_two_workers_share_the_login_limit(database_url, tmp_path, limiter_redis_url):
    workers = [
        make_app(database_url, tmp_path / f"worker{n}", RATELIMIT_STORAGE_URI=limiter_redis_url,
                 RATELIMIT_LOGIN="3 per minute").test_client()
        for n in range(2)
    ]
    statuses = [
        workers[n % 2].post("/account/login", data={"email": f"u{n}@example.com",
                                                    "password": "x"}).status_code
        for n in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    assert Redis.from_url(limiter_redis_url).dbsize() > 0
