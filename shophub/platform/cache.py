"""The app's cache, read and written so that an outage never takes a page down with it.

The cache (Redis when REDIS_URL is set) holds only what can be computed again, so a failed
read is a miss and a failed write is skipped; the outage is said once, not per request.
"""

from typing import Any

from shophub.extensions import cache
from shophub.platform import outages

SERVICE = "The cache (Redis)"
# After a failure, pages skip the cache this long before one of them tries it again.
RETRY_AFTER_SECONDS = 5


def get(key: str) -> Any:
    """The cached value, or None when it is missing or the cache is away."""
    if outages.failed_within(SERVICE, RETRY_AFTER_SECONDS):
        return None
    try:
        value = cache.get(key)
    except Exception as error:
        outages.report_failure(SERVICE, error)
        return None
    outages.report_success(SERVICE)
    return value


def put(key: str, value: Any, seconds: int) -> None:
    """Cache a value for `seconds`; skipped while the cache is away."""
    if outages.failed_within(SERVICE, RETRY_AFTER_SECONDS):
        return
    try:
        cache.set(key, value, timeout=seconds)
    except Exception as error:
        outages.report_failure(SERVICE, error)
    else:
        outages.report_success(SERVICE)


def delete(key: str) -> None:
    """Forget one cached value; while the cache is away it expires on its own."""
    try:
        cache.delete(key)
    except Exception as error:
        outages.report_failure(SERVICE, error)
    else:
        outages.report_success(SERVICE)


def clear() -> None:
    """Forget everything cached; while the cache is away, entries expire on their own."""
    try:
        cache.clear()
    except Exception as error:
        outages.report_failure(SERVICE, error)
    else:
        outages.report_success(SERVICE)
