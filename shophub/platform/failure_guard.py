"""Slowing guessing down: failures counted per key, each try after the free ones waiting longer.

After `free_failures` failures under one key, the next try must wait `first_wait` seconds, and
the wait doubles with each further failure up to `longest_wait`. The counts live in the app's
cache, shared by every worker when Redis is configured, and are forgotten `memory` seconds
after the last failure.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from shophub.platform import cache


@dataclass(frozen=True)
class FailureGuard:
    """A growing wait after repeated failures under one key (an account and address, ...)."""

    name: str
    free_failures: int
    first_wait: int
    longest_wait: int
    memory: int

    def _key(self, parts: tuple[str, ...]) -> str:
        # Hashed: the key names no email or address in the cache.
        digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
        return f"{self.name}:{digest}"

    def wait_after(self, failures: int) -> int:
        """Seconds to wait after this many failures."""
        if failures < self.free_failures:
            return 0
        return min(self.first_wait * 2 ** (failures - self.free_failures), self.longest_wait)

    def seconds_to_wait(self, *parts: str) -> int:
        """How long the next try under this key must wait (0: it may go ahead)."""
        record = cache.get(self._key(parts))
        if not record:
            return 0
        failures, last = record
        return max(0, math.ceil(last + self.wait_after(failures) - time.time()))

    def note_failure(self, *parts: str) -> None:
        """Count one more failure under this key."""
        key = self._key(parts)
        record = cache.get(key) or (0, 0.0)
        cache.put(key, (record[0] + 1, time.time()), self.memory)

    def forget(self, *parts: str) -> None:
        """Start this key afresh."""
        cache.delete(self._key(parts))
