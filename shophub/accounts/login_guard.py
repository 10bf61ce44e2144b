"""Slowing down password guessing without locking the account's owner out.

Wrong passwords are counted per account *and* client address. After FREE_FAILURES the next
try from that address must wait, and the wait doubles with each further failure (up to
LONGEST_WAIT). Another address, the owner's, is not slowed by someone else's guessing; guesses
spread over many addresses still meet the per-address limits of every POST to the form
(accounts.limits.per_ip). The counts live in the app's cache, shared by every worker when
Redis is configured.
"""

import hashlib
import math
import time

from shophub.platform import cache

FREE_FAILURES = 3
FIRST_WAIT = 5  # seconds, after FREE_FAILURES wrong passwords
LONGEST_WAIT = 15 * 60
# Failures are forgotten this long after the last one.
MEMORY = 24 * 60 * 60


def _key(email: str, address: str) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}|{address}".encode()).hexdigest()
    return f"login-failures:{digest}"


def _wait_after(failures: int) -> int:
    if failures < FREE_FAILURES:
        return 0
    return min(FIRST_WAIT * 2 ** (failures - FREE_FAILURES), LONGEST_WAIT)


def seconds_to_wait(email: str, address: str) -> int:
    """How long this address must wait before its next password for this account is checked."""
    record = cache.get(_key(email, address))
    if not record:
        return 0
    failures, last = record
    return max(0, math.ceil(last + _wait_after(failures) - time.time()))


def note_failure(email: str, address: str) -> None:
    """Count a wrong password for this account from this address."""
    record = cache.get(_key(email, address)) or (0, 0.0)
    cache.put(_key(email, address), (record[0] + 1, time.time()), MEMORY)


def forget(email: str, address: str) -> None:
    """The right password: this address starts afresh for this account."""
    cache.delete(_key(email, address))
