"""Pictures on the local disk: LocalStorage's file layout and atomic writes, /media serving
from it, the settings that choose a backend, and pages linking to MEDIA_URL.
"""

import os

import pytest

from shophub.config import load_settings
from shophub.platform import storage
from shophub.platform.storage import (
    LONG_CACHE_CONTROL,
    LocalStorage,
    StorageError,
    image_srcset,
    image_url,
    media_storage,
)


def read(stored) -> bytes:
    try:
        return b"".join(stored.chunks)
    finally:
        stored.close()


# --- LocalStorage ---------------------------------------------------------------------------


def test_local_storage_keeps_todays_file_layout(tmp_path):
    local = LocalStorage(tmp_path / "media")
    local.put("products/mug-1a2b3c4d-400.webp", b"RIFF0000WEBP", "image/webp")
    assert (tmp_path / "media/products/mug-1a2b3c4d-400.webp").read_bytes() == b"RIFF0000WEBP"
    assert local.exists("products/mug-1a2b3c4d-400.webp")
    stored = local.get("products/mug-1a2b3c4d-400.webp")
    assert stored is not None
    assert (stored.content_type, stored.size) == ("image/webp", 12) and stored.etag
    assert read(stored) == b"RIFF0000WEBP"

    local.delete("products/mug-1a2b3c4d-400.webp")
    local.delete("products/mug-1a2b3c4d-400.webp")  # already gone: not an error
    assert not local.exists("products/mug-1a2b3c4d-400.webp")
    assert local.get("products/mug-1a2b3c4d-400.webp") is None


def test_a_picture_stored_before_the_storage_layer_is_still_served(tmp_path):
    (tmp_path / "products").mkdir()
    (tmp_path / "products/linen-shirt-1-800.webp").write_bytes(b"old picture")
    assert read(LocalStorage(tmp_path).get("products/linen-shirt-1-800.webp")) == b"old picture"


def test_reading_an_empty_shop_creates_no_folder(tmp_path):
    local = LocalStorage(tmp_path / "media")
    assert local.get("products/mug-400.webp") is None
    assert not local.exists("products/mug-400.webp")
    local.delete("products/mug-400.webp")
    assert not (tmp_path / "media").exists()


def test_a_write_replaces_the_file_whole_or_not_at_all(tmp_path, monkeypatch):
    local = LocalStorage(tmp_path)
    local.put("banners/sale-400.webp", b"first", "image/webp")
    local.put("banners/sale-400.webp", b"second", "image/webp")
    assert (tmp_path / "banners/sale-400.webp").read_bytes() == b"second"

    def no_rename(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(StorageError):
        local.put("banners/sale-400.webp", b"third", "image/webp")
    assert (tmp_path / "banners/sale-400.webp").read_bytes() == b"second"
    assert sorted(p.name for p in (tmp_path / "banners").iterdir()) == ["sale-400.webp"]


@pytest.mark.parametrize("key", ["../secret_key", "products/../../secret_key", "/etc/passwd",
                                 "products//mug-400.webp", "products\\mug-400.webp", "", "."])
def test_keys_cannot_reach_outside_the_folder(tmp_path, key):
    (tmp_path / "media").mkdir()
    (tmp_path / "secret_key").write_text("do not serve")
    local = LocalStorage(tmp_path / "media")
    assert local.get(key) is None and not local.exists(key)
    with pytest.raises(ValueError):
        local.put(key, b"x", "image/webp")
    local.delete(key)
    assert (tmp_path / "secret_key").exists()


# --- /media from the local folder ------------------------------------------------------------


def test_media_is_served_with_a_long_cache_lifetime_and_revalidates(app, client):
    with app.app_context():
        media_storage().put("products/mug-1a2b3c4d-400.webp", b"RIFF0000WEBP", "image/webp")
    response = client.get("/media/products/mug-1a2b3c4d-400.webp")
    assert response.status_code == 200 and response.data == b"RIFF0000WEBP"
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Cache-Control"] == LONG_CACHE_CONTROL
    # Closed as a WSGI server closes every response: the file was opened for its entity tag.
    with client.get("/media/products/mug-1a2b3c4d-400.webp",
                    headers={"If-None-Match": response.headers["ETag"]}) as again:
        assert again.status_code == 304 and again.data == b""
    with client.head("/media/products/mug-1a2b3c4d-400.webp") as head:
        assert head.status_code == 200 and head.data == b""


def test_each_process_builds_its_own_storage(app, monkeypatch):
    with app.app_context():
        first = media_storage()
        assert media_storage() is first
        # A gunicorn worker forked from the preloaded app: a different process id.
        monkeypatch.setattr(storage.os, "getpid", lambda: -1)
        assert media_storage() is not first


# --- settings and links ----------------------------------------------------------------------


def test_media_stays_on_the_local_disk_unless_told_otherwise(tmp_path, monkeypatch):
    for name in ("MEDIA_STORAGE", "MEDIA_ROOT", "MEDIA_URL", "S3_BUCKET", "S3_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(str(tmp_path))
    assert settings["MEDIA_STORAGE"] == "local" and settings["MEDIA_URL"] is None
    assert settings["MEDIA_ROOT"] == str(tmp_path / "media")


@pytest.mark.parametrize(("env", "message"), [
    ({"MEDIA_STORAGE": "ftp"}, "MEDIA_STORAGE 'ftp' is not 'local' or 's3'"),
    ({"MEDIA_STORAGE": "s3"}, "MEDIA_STORAGE=s3 needs S3_BUCKET"),
])
def test_unusable_media_settings_stop_the_app_from_starting(tmp_path, monkeypatch, env, message):
    monkeypatch.delenv("S3_BUCKET", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        load_settings(str(tmp_path))


@pytest.mark.parametrize("app_config", [{"MEDIA_URL": "https://cdn.example.com/shop/"}])
def test_pages_link_pictures_to_media_url_when_it_is_set(app, catalog, client):
    with app.test_request_context("/"):
        assert image_url("products/mug-1", 800) == \
            "https://cdn.example.com/shop/products/mug-1-800.webp"
        assert image_srcset("products/mug-1") == (
            "https://cdn.example.com/shop/products/mug-1-400.webp 400w, "
            "https://cdn.example.com/shop/products/mug-1-800.webp 800w")
    response = client.get("/products/ceramic-mug")
    assert 'src="https://cdn.example.com/shop/products/ceramic-mug-1-800.webp"' in \
        response.get_data(as_text=True)
    assert "img-src 'self' https://cdn.example.com " in \
        response.headers["Content-Security-Policy"]


def test_without_media_url_pictures_are_linked_under_media(app):
    with app.test_request_context("/", base_url="http://shop.test/store"):
        assert image_url("products/mug-1") == "/store/media/products/mug-1-400.webp"
        assert image_url(None) == "" and image_srcset("") == ""
