"""Reaching the services some tests need: skip locally, fail under CI."""

import os

import pytest


def services_required() -> bool:
    """Whether a missing service must fail the run (CI sets SHOPHUB_REQUIRE_SERVICES=1)."""
    return os.environ.get("SHOPHUB_REQUIRE_SERVICES") == "1"


def require_service(reason: str) -> None:
    """Skip the test with `reason`, or fail it when services are required."""
    if services_required():
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def flushed_redis_url(database: int, purpose: str) -> str:
    """The URL of an emptied Redis database on REDIS_URL's server, for `purpose`."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    base = os.environ.get("REDIS_URL")
    if not base:
        require_service(f"REDIS_URL is not set; {purpose} needs Redis")
    url = base.rsplit("/", 1)[0] + f"/{database}"
    try:
        Redis.from_url(url).flushdb()
    except RedisConnectionError as error:
        require_service(f"Redis at REDIS_URL is unreachable: {error}")
    return url
