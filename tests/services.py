"""Reaching the services some tests need: skip locally, fail under CI."""

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, seconds: float, what: str):
    """Call `check` until it returns something true (returned), failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


class OwnRedis:
    """A redis-server of a test's own, without persistence, that the test may kill."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            require_service("redis-server is not installed; this test starts its own")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 10, "redis-server to start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def _answers(self) -> bool:
        from redis import Redis
        from redis.exceptions import RedisError

        try:
            return bool(Redis.from_url(self.url).ping())
        except (RedisError, OSError):
            return False


class SilentServer:
    """A TCP server that takes connections and never says a word (a hung Redis, SMTP, DB, S3)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        """Close every connection it took, and itself."""
        for connection in self.accepted:
            connection.close()
        self.socket.close()
