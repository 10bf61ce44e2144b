"""Slowing down password guessing without locking the account's owner out.

Wrong passwords are counted per account *and* client address. After FREE_FAILURES the next
try from that address must wait, and the wait doubles with each further failure (up to
LONGEST_WAIT). Another address, the owner's, is not slowed by someone else's guessing; guesses
spread over many addresses still meet the per-address limits of every POST to the form
(accounts.limits.per_ip).
"""

from shophub.platform.failure_guard import FailureGuard

FREE_FAILURES = 3
FIRST_WAIT = 5  # seconds, after FREE_FAILURES wrong passwords
LONGEST_WAIT = 15 * 60
# Failures are forgotten this long after the last one.
MEMORY = 24 * 60 * 60

_GUARD = FailureGuard("login-failures", FREE_FAILURES, FIRST_WAIT, LONGEST_WAIT, MEMORY)


def _account(email: str) -> str:
    return email.strip().lower()


def seconds_to_wait(email: str, address: str) -> int:
    """How long this address must wait before its next password for this account is checked."""
    return _GUARD.seconds_to_wait(_account(email), address)


def note_failure(email: str, address: str) -> None:
    """Count a wrong password for this account from this address."""
    _GUARD.note_failure(_account(email), address)


def forget(email: str, address: str) -> None:
    """The right password: this address starts afresh for this account."""
    _GUARD.forget(_account(email), address)
