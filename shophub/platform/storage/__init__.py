"""Product and banner pictures: the app's media storage, and how pages link to the pictures.

MEDIA_STORAGE picks the backend: `local` (files under MEDIA_ROOT, the default) or `s3` (a
bucket, which several app servers can share). Keys are the paths relative to MEDIA_ROOT, so a
folder copied into a bucket (under S3_PREFIX) serves the same pictures. Pages link to
MEDIA_URL when it is set (a CDN in front of the bucket), else to /media, which streams from
the backend.
"""

import os

from flask import current_app, request

from shophub.platform.storage.base import (
    IMAGE_WIDTHS,
    LONG_CACHE_CONTROL,
    PICTURE_CONTENT_TYPE,
    MediaStorage,
    StorageError,
    StoredMedia,
    is_valid_key,
    picture_key,
    picture_keys,
)
from shophub.platform.storage.local import LocalStorage

__all__ = [
    "IMAGE_WIDTHS", "LONG_CACHE_CONTROL", "PICTURE_CONTENT_TYPE", "LocalStorage",
    "MediaStorage", "StorageError", "StoredMedia", "build_storage", "image_srcset", "image_url",
    "is_valid_key", "media_storage", "picture_key", "picture_keys",
]

EXTENSION_KEY = "shophub.media_storage"
STORAGE_KINDS = ("local", "s3")


def build_storage(config) -> MediaStorage:
    """A new media backend as the settings describe it; ValueError for unusable settings."""
    kind = (config.get("MEDIA_STORAGE") or "local").lower()
    if kind == "local":
        return LocalStorage(config["MEDIA_ROOT"])
    if kind == "s3":
        if not config.get("S3_BUCKET"):
            raise ValueError("MEDIA_STORAGE=s3 needs S3_BUCKET")
        from shophub.platform.storage.s3 import S3Storage, make_client

        client = make_client(config.get("S3_ENDPOINT_URL"), config.get("S3_REGION"))
        return S3Storage(config["S3_BUCKET"], config.get("S3_PREFIX") or "", client)
    raise ValueError(f"MEDIA_STORAGE is {kind!r}; use one of {', '.join(STORAGE_KINDS)}")


def media_storage() -> MediaStorage:
    """The current app's media backend, built on first use in each process."""
    # Built per process because boto3 clients survive a fork badly, and gunicorn forks its
    # workers from a preloaded app. Two threads may both build one at first; either serves.
    built = current_app.extensions.get(EXTENSION_KEY)
    if built is None or built[0] != os.getpid():
        built = (os.getpid(), build_storage(current_app.config))
        current_app.extensions[EXTENSION_KEY] = built
    return built[1]


def media_base_url() -> str:
    """Where picture URLs start: MEDIA_URL when set, else this app's /media."""
    public = current_app.config.get("MEDIA_URL")
    return public.rstrip("/") if public else f"{request.script_root}/media"


def image_url(file: str | None, width: int = 400) -> str:
    """URL of a stored picture at one of IMAGE_WIDTHS ('' when there is none)."""
    if not file:
        return ""
    # Built by hand rather than with url_for: listings ask for dozens of these per page.
    return f"{media_base_url()}/{picture_key(file, width)}"


def image_srcset(file: str | None) -> str:
    """A srcset attribute value listing every stored width of a picture."""
    if not file:
        return ""
    base = media_base_url()
    return ", ".join(f"{base}/{picture_key(file, width)} {width}w" for width in IMAGE_WIDTHS)
