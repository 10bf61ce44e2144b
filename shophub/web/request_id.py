"""Request ids: each request has one, each response names it, each line logged for it carries it.

An id the proxy (or the client) sent in X-Request-ID is kept when it is a plain token, so one
id follows a request from the proxy's log to ours; anything else is replaced by a new one.
Jobs the request queues log under the same id (see platform/queue.py).
"""

import re
import uuid
from collections.abc import Callable, Iterable

from flask import Flask

from shophub.platform import logs

HEADER = "X-Request-ID"
# At most 64 letters, digits, dots, underscores and hyphens: nothing that could forge a line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def new_request_id() -> str:
    """A fresh request id (uuid4, hex)."""
    return uuid.uuid4().hex


def accepted_or_new(incoming: str | None) -> str:
    """The incoming id when it is a sane token, else a new one."""
    if incoming and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


class RequestIdMiddleware:
    """Around the whole app, errors and static files included: the id, its header, its lines."""

    def __init__(self, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Serve the request under its id and send the id back in X-Request-ID."""
        request_id = accepted_or_new(environ.get("HTTP_X_REQUEST_ID"))

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info=None):
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        with logs.for_request(request_id):
            return self.wsgi_app(environ, start_with_id)


def init_app(app: Flask) -> None:
    """Give every request of `app` its id."""
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]
