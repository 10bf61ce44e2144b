"""Static files under fingerprinted names: `css/shop.css` is linked as `css/shop.<hash>.css`.

A page links each file by a hash of its content, so the file can be cached for a year and
marked immutable: a new release changes the hash, and browsers fetch the new file at once.
The proxy serves the same names from disk (deploy/nginx.conf strips the hash the same way).
"""

import hashlib
import os
import re

from flask import Flask, Response, abort, current_app, send_from_directory
from werkzeug.security import safe_join

HASH_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
# `name.<12 hex digits>.ext`, the only shape a fingerprinted link has.
FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")


def content_hash(path: str) -> str:
    """The first HASH_LENGTH hex digits of the file's SHA-256."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()[:HASH_LENGTH]


class Fingerprints:
    """The content hash of every file under the static folder, by its relative name."""

    def __init__(self, folder: str, *, watch: bool) -> None:
        self.folder = folder
        self.watch = watch  # in debug, a changed file gets its new hash at once
        self._hashes: dict[str, tuple[float, str]] = {}

    def hash_of(self, filename: str) -> str | None:
        """The file's hash, or None when there is no such file."""
        known = self._hashes.get(filename)
        if known is not None and not self.watch:
            return known[1]
        path = safe_join(self.folder, filename)
        if path is None or not os.path.isfile(path):
            return None
        modified = os.stat(path).st_mtime
        if known is None or known[0] != modified:
            known = (modified, content_hash(path))
            self._hashes[filename] = known
        return known[1]

    def fingerprinted(self, filename: str) -> str:
        """`css/shop.css` as `css/shop.<hash>.css` (unchanged when the file is missing)."""
        file_hash = self.hash_of(filename)
        if file_hash is None:
            return filename
        stem, ext = os.path.splitext(filename)
        return f"{stem}.{file_hash}{ext}"


def _serve_static(filename: str) -> Response:
    """Serve a static file; under its current fingerprint it is cached for good."""
    fingerprints: Fingerprints = current_app.extensions["shophub_static_fingerprints"]
    match = FINGERPRINTED.match(filename)
    if match:
        plain = match["stem"] + match["ext"]
        current = fingerprints.hash_of(plain)
        if current is None:
            abort(404)
        response = send_from_directory(fingerprints.folder, plain)
        if current == match["hash"]:
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            # An old page asks for a file of an earlier release: give today's, uncached.
            response.headers["Cache-Control"] = "no-cache"
        return response
    return send_from_directory(fingerprints.folder, filename)


def init_app(app: Flask) -> None:
    """Link static files by fingerprint and serve those names with year-long caching."""
    assert app.static_folder is not None
    fingerprints = Fingerprints(app.static_folder, watch=app.debug)
    app.extensions["shophub_static_fingerprints"] = fingerprints
    app.view_functions["static"] = _serve_static

    @app.url_defaults
    def fingerprint_static_links(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = fingerprints.fingerprinted(values["filename"])
