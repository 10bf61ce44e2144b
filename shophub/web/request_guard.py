"""NUL never reaches a route: a path holding it names nothing, and query parameters lose it.

No column can store NUL (PostgreSQL refuses it) and no page shows it. Each route still parses
its own parameters (core.text, core.numbers); this is the one place that keeps a NUL from
reaching the database through a query parameter a route forgot. Form fields are left to the
forms, which clean text and refuse what they cannot use with a message in the page.
"""

from flask import Flask, abort, request
from werkzeug.datastructures import ImmutableMultiDict


def _without_nul(text: str) -> str:
    return text.replace("\x00", "")


def init_app(app: Flask) -> None:
    """Check every request before its route."""

    @app.before_request
    def keep_nul_out():
        if "\x00" in request.path:
            abort(404)
        pairs = list(request.args.items(multi=True))
        if any("\x00" in key or "\x00" in value for key, value in pairs):
            request.args = ImmutableMultiDict(  # type: ignore[misc]
                [(_without_nul(key), _without_nul(value)) for key, value in pairs])
