"""Designed error pages; an HTMX request gets just the message fragment."""

import math
import time

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from shophub.extensions import limiter
from shophub.web.htmx import render_page_or_block


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


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(429, render_rate_limited)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("Unhandled error")
        try:
            return render_error(InternalServerError())
        except Exception:
            return render_template("errors/plain500.html"), 500
