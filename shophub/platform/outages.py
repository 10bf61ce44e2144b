"""One warning when a service goes away and one when it is back, not a traceback per request.

Each process keeps its own note of which services are away; the web processes and workers
each say it once.
"""

import logging
import threading
import time

log = logging.getLogger(__name__)
_away_since: dict[str, float] = {}
_last_failure: dict[str, float] = {}
_lock = threading.Lock()


def report_failure(service: str, error: BaseException) -> None:
    """`service` failed: warn, the first time since it last worked."""
    now = time.monotonic()
    with _lock:
        _last_failure[service] = now
        if service in _away_since:
            return
        _away_since[service] = now
    log.warning("%s is unreachable (%s: %s); going on without it", service,
                type(error).__name__, error)


def report_success(service: str) -> None:
    """`service` worked: if it was away, say that it is back."""
    if service not in _away_since:  # the common case, without the lock
        return
    with _lock:
        since = _away_since.pop(service, None)
    if since is not None:
        log.warning("%s is back after %.0f s", service, time.monotonic() - since)


def is_away(service: str) -> bool:
    """Whether `service` failed and has not worked since."""
    return service in _away_since


def failed_within(service: str, seconds: float) -> bool:
    """Whether `service` is away and failed less than `seconds` ago: not worth a new try yet."""
    return service in _away_since and time.monotonic() - _last_failure.get(service, 0) < seconds


def reset() -> None:
    """Forget every outage noted in this process, as a new process would."""
    with _lock:
        _away_since.clear()
        _last_failure.clear()
