"""A live ShopHub server for tests that need Stripe (localstripe) to call its webhook."""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import make_server

from tests.localstripe import register_webhook, unregister_webhook


@contextmanager
def live_server(app: Flask, name: str = "live-server") -> Iterator[str]:
    """Serve `app` on a loopback port from a threaded werkzeug server; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def registered_webhook(base_url: str, secret: str,
                       events: list[str] | None = None) -> Iterator[str]:
    """Have localstripe send its events to the server's /webhooks/stripe; yields the webhook id.

    The id is unique, so tests sharing one localstripe do not take each other's webhooks; it is
    unregistered afterwards.
    """
    webhook_id = f"shophub-test-{uuid.uuid4().hex[:12]}"
    register_webhook(f"{base_url}/webhooks/stripe", secret, webhook_id, events=events)
    try:
        yield webhook_id
    finally:
        unregister_webhook(webhook_id)


def wait_for(condition: Callable[[], object], timeout: float = 10.0,
             interval: float = 0.1, what: str = "the condition") -> object:
    """Poll `condition` until it returns something truthy; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(interval)
