"""Designed error pages; an HTMX request gets just the message fragment."""

import contextlib
import math
import time

from flask import Flask, current_app, render_template, request
from sqlalchemy import event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.pool import Pool
from werkzeug.exceptions import HTTPException, InternalServerError

from shophub.extensions import db, limiter
from shophub.platform import outages
from shophub.web.htmx import render_page_or_block

DATABASE = "The database"
# How long a client (or a payment provider's webhook) is asked to wait while it is away.
UNAVAILABLE_RETRY_SECONDS = 30


def render_error(error: HTTPException):
    """Render an HTTP error with the store's layout."""
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
    """429 with a page that says when to try again, and a Retry-After header."""
    seconds = retry_after_seconds()
    wait = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
    error.description = f"Too many attempts from you. Please try again in {wait}."
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
    if request.path.startswith("/webhooks/"):
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
