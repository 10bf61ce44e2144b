"""The store's icon: one picture staff upload, kept as PNGs for tabs, home screens and apps."""

import contextlib
import logging
import secrets
from io import BytesIO

from PIL import Image

from shophub.extensions import db
from shophub.platform import audit, store_settings, tenancy
from shophub.platform.storage import StorageError, media_base_url, media_storage

log = logging.getLogger(__name__)

# Browser tabs, the apple-touch-icon, and app manifests and search results.
SIZES = (32, 180, 512)
TAB_SIZE, TOUCH_SIZE, LARGE_SIZE = SIZES
CONTENT_TYPE = "image/png"
DEFAULT_ICON = "favicon.svg"  # under static/


class FaviconError(Exception):
    """The icon could not be stored; the message says why, for the form."""


def icon_key(file: str, size: int) -> str:
    """The media key of one size of a stored icon."""
    return f"{file}-{size}.png"


def icon_url(file: str, size: int) -> str:
    """The URL of one size of a stored icon."""
    return f"{media_base_url()}/{icon_key(file, size)}"


def square(image: Image.Image, size: int) -> Image.Image:
    """`image` fitted into a white square of `size` pixels, centred, its shape kept."""
    fitted = image.convert("RGB")
    fitted.thumbnail((size, size), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (size, size), (255, 255, 255))
    canvas.paste(fitted, ((size - fitted.width) // 2, (size - fitted.height) // 2))
    return canvas


def _store_sizes(image: Image.Image) -> str:
    file = f"favicons/store-{tenancy.current_store_id()}-{secrets.token_hex(6)}"
    storage = media_storage()
    stored: list[str] = []
    try:
        for size in SIZES:
            encoded = BytesIO()
            square(image, size).save(encoded, "PNG", optimize=True)
            storage.put(icon_key(file, size), encoded.getvalue(), CONTENT_TYPE)
            stored.append(icon_key(file, size))
    except StorageError as error:
        log.warning("Could not store the icon %s: %s", file, error)
        for key in stored:
            with contextlib.suppress(StorageError):
                storage.delete(key)
        raise FaviconError("The icon could not be stored just now; please try again in a "
                           "minute.") from None
    return file


def _remove_files(file: str | None) -> None:
    # After the commit that let go of the icon: a leftover file is harmless, a lost one is not.
    if not file:
        return
    storage = media_storage()
    for size in SIZES:
        try:
            storage.delete(icon_key(file, size))
        except StorageError as error:
            log.warning("Could not delete the icon file %s: %s", icon_key(file, size), error)


def set_favicon(image: Image.Image) -> str:
    """Store a checked picture as the store's icon at every size (committed, audited)."""
    file = _store_sizes(image)
    old = store_settings.current().favicon
    store_settings.save(favicon=file)
    audit.record("settings.favicon_changed", "store_settings", tenancy.current_store_id(),
                 "Store icon changed", before={"favicon": old}, after={"favicon": file})
    db.session.commit()
    _remove_files(old)
    return file


def remove_favicon() -> bool:
    """Go back to the default icon (committed, audited); False when none was set."""
    old = store_settings.current().favicon
    if not old:
        return False
    store_settings.save(favicon=None)
    audit.record("settings.favicon_removed", "store_settings", tenancy.current_store_id(),
                 "Store icon removed", before={"favicon": old}, after={"favicon": None})
    db.session.commit()
    _remove_files(old)
    return True


def current_file() -> str | None:
    """The stored icon of the current store (cached with its name), None for the default."""
    return store_settings.identity().favicon
