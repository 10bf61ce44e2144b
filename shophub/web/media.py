"""GET /media/...: stored product and banner pictures, served from MEDIA_ROOT."""

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("media", __name__)


@bp.get("/media/<path:path>")
def serve(path: str):
    """Serve an uploaded or generated picture from MEDIA_ROOT (404 when missing)."""
    return send_from_directory(current_app.config["MEDIA_ROOT"], path, max_age=86400)
