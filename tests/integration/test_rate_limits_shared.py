"""With Redis as the limiter's storage, every web worker counts against the same limit."""

import pytest
from redis import Redis

from tests.conftest import make_app
from tests.services import flushed_redis_url


@pytest.fixture
def limiter_redis_url():
    url = flushed_redis_url(13, "the shared rate limit test")
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
