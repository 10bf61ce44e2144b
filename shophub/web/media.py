"""GET /media/...: stored product and banner pictures, streamed from the media storage."""

from flask import Blueprint, Response, abort, request

from shophub.platform.storage import LONG_CACHE_CONTROL, StorageError, media_storage

bp = Blueprint("media", __name__)
# How long a browser is asked to wait while the media storage is away.
UNAVAILABLE_RETRY_SECONDS = 10


@bp.get("/media/<path:path>")
def serve(path: str):
    """Stream a stored picture from the local folder or the bucket (404 when missing)."""
    try:
        stored = media_storage().get(path)
    except StorageError:
        return Response("The picture cannot be fetched just now.", 503, mimetype="text/plain",
                        headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS),
                                 "Cache-Control": "no-store"})
    if stored is None:
        abort(404)
    response = Response(stored.chunks, content_type=stored.content_type)
    response.call_on_close(stored.close)
    if stored.size is not None:
        response.content_length = stored.size
    if stored.etag:
        response.set_etag(stored.etag)
    response.headers["Cache-Control"] = LONG_CACHE_CONTROL
    return response.make_conditional(request)
