"""Designed error pages; an HTMX request gets just the message fragment."""

import contextlib
import math
import time

from flask import Flask, current_app, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy import event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.pool import Pool
from werkzeug.exceptions import HTTPException, InternalServerError

from shophub.core.time import wait_text
from shophub.extensions import db, limiter
from shophub.platform import outages
from shophub.web.htmx import render_page_or_block

DATABASE = "The database"
# How long a client (or a payment provider's webhook) is asked to wait while it is away.
UNAVAILABLE_RETRY_SECONDS = 30
# Under this path (the catalog API) every error is answered in JSON, unknown URLs included.
JSON_PATH_PREFIX = "/api/"


def wants_json() -> bool:
    """Whether this request's errors are answered with a JSON `{"error": ...}` body."""
    return request.path.startswith(JSON_PATH_PREFIX)


def render_error(error: HTTPException):
    """Render an HTTP error with the store's layout (as JSON for the API)."""
    if wants_json():
        response = jsonify(error=error.description)
        response.headers.extend((name, value) for name, value in error.get_headers()
                                if name.lower() != "content-type")  # Allow, for a 405
        response.status_code = error.code or 500
        return response
    response = render_page_or_block("errors/error.html", "content", error=error)
    response.status_code = error.code or 500
    return response


def retry_after_seconds() -> int:
    """Seconds until the rate limit that refused this request lets requests through again."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def render_rate_limited(error: HTTPException):
    """429 with a page that says when to try again, and a Retry-After header.

    A refusal of ShopHub's own (a TooManyRequests with its retry_after) keeps its message.
    """
    own_wait = getattr(error, "retry_after", None)
    if isinstance(error, RateLimitExceeded) or not isinstance(own_wait, int):
        seconds = retry_after_seconds()
        error.description = f"Too many attempts from you. Please try again in {wait_text(seconds)}."
    else:
        seconds = own_wait
    response = render_error(error)
    response.headers["Retry-After"] = str(seconds)
    return response


def render_database_unavailable(error: Exception):
    """503 while the database is away: a page that says so, and a Retry-After header.

    The page is rendered without the context processors, which read the database, and a JSON
    body answers the webhooks, so that the provider retries.
    """
    outages.report_failure(DATABASE, error)
    with contextlib.suppress(Exception):  # the connection is gone; the session resets anyway
        db.session.rollback()
    headers = {"Retry-After": str(UNAVAILABLE_RETRY_SECONDS), "Cache-Control": "no-store"}
    if request.path.startswith("/webhooks/") or wants_json():
        return {"error": "temporarily unavailable"}, 503, headers
    template = current_app.jinja_env.get_template("errors/unavailable.html")
    page = template.render(store_name=current_app.config["STORE_NAME"], request=request,
                           url_for=current_app.url_for)
    return page, 503, headers


@event.listens_for(Pool, "checkout")
def _note_database_back(dbapi_connection, connection_record, connection_proxy) -> None:
    """A connection came out of the pool alive (pre-ping included): the database is there."""
    if outages.is_away(DATABASE):
        outages.report_success(DATABASE)


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(429, render_rate_limited)
    app.register_error_handler(OperationalError, render_database_unavailable)
    app.register_error_handler(InterfaceError, render_database_unavailable)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("Unhandled error")
        # The failed statement may have left the session unusable; the page must not fail too.
        with contextlib.suppress(Exception):
            db.session.rollback()
        try:
            return render_error(InternalServerError())
        except Exception:
            return render_template("errors/plain500.html"), 500
