"""Static files linked by content hash and cached for good; pages compressed for browsers."""

import gzip
import os
import re

import brotli
import pytest

from shophub.web.static_files import IMMUTABLE, content_hash
from tests.conftest import make_app


@pytest.fixture
def app(sqlite_app):
    """These tests do not depend on the database: SQLite only."""
    return sqlite_app


def _stylesheet_link(client) -> str:
    page = client.get("/products").get_data(as_text=True)
    return re.search(r'href="(/static/css/shop\.[0-9a-f]{12}\.css)"', page).group(1)


def test_pages_link_static_files_by_their_content_hash(app, client):
    link = _stylesheet_link(client)
    expected = content_hash(f"{app.static_folder}/css/shop.css")
    assert link == f"/static/css/shop.{expected}.css"
    assert re.search(r'src="/static/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js"',
                     client.get("/").get_data(as_text=True))


def test_a_fingerprinted_file_is_served_immutable(app, client):
    response = client.get(_stylesheet_link(client))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    with open(f"{app.static_folder}/css/shop.css", "rb") as handle:
        assert response.data == handle.read()


def test_an_old_fingerprint_gets_todays_file_uncached(client):
    response = client.get("/static/css/shop.000000000000.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


def test_unknown_and_escaping_names_are_404(client):
    assert client.get("/static/css/nothing.0123456789ab.css").status_code == 404
    assert client.get("/static/..%2f..%2fwsgi.0123456789ab.py").status_code == 404
    assert client.get("/static/../wsgi.py").status_code == 404


def test_a_changed_file_gets_a_new_link(tmp_path, sqlite_database_url):
    app = make_app(sqlite_database_url, tmp_path)
    fingerprints = app.extensions["shophub_static_fingerprints"]
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "a.css").write_text("a{}")
    fingerprints.folder, fingerprints.watch = str(folder), True
    before = fingerprints.fingerprinted("a.css")
    (folder / "a.css").write_text("a{color:red}")  # same size; the mtime tells
    os.utime(folder / "a.css", (1, 1))
    assert fingerprints.fingerprinted("a.css") != before


def _without_csrf_token(page: bytes) -> bytes:
    # The token is signed with the time: two pages a second apart carry different ones.
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", page)


def test_pages_are_compressed_for_browsers_that_accept_it(client):
    plain = client.get("/products")
    assert "Content-Encoding" not in plain.headers
    squeezed = client.get("/products", headers={"Accept-Encoding": "br, gzip"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in squeezed.headers["Vary"]
    page = _without_csrf_token(plain.data)
    assert _without_csrf_token(brotli.decompress(squeezed.data)) == page
    assert len(squeezed.data) < len(plain.data) / 2
    zipped = client.get("/products", headers={"Accept-Encoding": "gzip"})
    assert _without_csrf_token(gzip.decompress(zipped.data)) == page


@pytest.mark.parametrize("app_config", [{"COMPRESS_REGISTER": False}])
def test_compression_can_be_left_to_the_proxy(client):
    response = client.get("/products", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in response.headers
