"""Designed error pages; an HTMX request gets just the message fragment."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from shophub.htmx import render_page_or_block


def render_error(error: HTTPException):
    """Render an HTTP error with the store's layout."""
    response = render_page_or_block("errors/error.html", "content", error=error)
    response.status_code = error.code or 500
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(HTTPException, render_error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("Unhandled error")
        try:
            return render_error(InternalServerError())
        except Exception:
            return render_template("errors/plain500.html"), 500
