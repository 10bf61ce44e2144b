"""Pictures in an S3 bucket: the S3 backend, /media streaming from it, a bucket that is away,
and two app servers with different local folders sharing pictures through the bucket.

The S3 server is moto in server mode, started by these tests on a free port; the bucket that
is away is a port nobody listens on, or a server that never answers.
"""

import logging
import time
import uuid
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import Product, ProductImage, Variant
from shophub.platform.storage import LONG_CACHE_CONTROL, StorageError, media_storage, s3
from tests.s3_server import (
    AWS_VARIABLES_TO_DROP,
    DUMMY_CREDENTIALS,
    LiveClient,
    free_port,
    moto_server,
    object_keys,
    s3_client,
    shophub_server,
)
from tests.services import SilentServer
from tests.shop_data import log_in, make_user

# Nothing listens here: every call to this "bucket" is refused.
UNREACHABLE_S3 = {"MEDIA_STORAGE": "s3", "S3_BUCKET": "away",
                  "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}


@pytest.fixture(scope="module")
def moto_endpoint():
    """The endpoint URL of a moto S3 server of this module's own."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch):
    """boto3's credential chain finds the dummy credentials, and nothing of this machine's."""
    for name in AWS_VARIABLES_TO_DROP:
        monkeypatch.delenv(name, raising=False)
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def bucket(moto_endpoint) -> str:
    """A new, empty bucket on the moto server."""
    name = f"shophub-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=name)
    return name


def png_bytes(size=(900, 600)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (30, 120, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def mug_id(app) -> int:
    with app.app_context():
        return db.session.scalars(
            select(Variant.product_id).where(Variant.sku == "CERAMIC-MUG-0")).one()


def newest_image(app, product_id: int) -> tuple[int, str]:
    with app.app_context():
        image = db.session.get_one(Product, product_id).images[-1]
        return image.id, image.file


# --- the S3 backend -------------------------------------------------------------------------


def test_s3_storage_keeps_each_key_under_its_prefix(moto_endpoint, bucket):
    storage = s3.S3Storage(bucket, "/shop/media/", s3.make_client(moto_endpoint, "us-east-1"))
    storage.put("products/mug-1a2b-400.webp", b"RIFF0000WEBP", "image/webp")
    client = s3_client(moto_endpoint)
    assert object_keys(client, bucket) == ["shop/media/products/mug-1a2b-400.webp"]
    head = client.head_object(Bucket=bucket, Key="shop/media/products/mug-1a2b-400.webp")
    assert head["ContentType"] == "image/webp" and head["CacheControl"] == LONG_CACHE_CONTROL

    stored = storage.get("products/mug-1a2b-400.webp")
    assert stored is not None
    try:
        assert b"".join(stored.chunks) == b"RIFF0000WEBP"
        assert (stored.content_type, stored.size) == ("image/webp", 12) and stored.etag
    finally:
        stored.close()
    assert storage.exists("products/mug-1a2b-400.webp")
    assert storage.get("products/other-400.webp") is None
    assert not storage.exists("products/other-400.webp")

    storage.delete("products/mug-1a2b-400.webp")
    storage.delete("products/mug-1a2b-400.webp")  # already gone: not an error
    assert object_keys(client, bucket) == []
    assert storage.get("../products/mug-1a2b-400.webp") is None


@pytest.fixture
def s3_app_config(moto_endpoint, bucket) -> dict:
    """Settings for an app whose media are in `bucket` on the moto server."""
    return {"MEDIA_STORAGE": "s3", "S3_BUCKET": bucket, "S3_PREFIX": "shop",
            "S3_ENDPOINT_URL": moto_endpoint, "S3_REGION": "us-east-1"}


def test_media_streams_from_the_bucket_with_its_type_tag_and_cache_lifetime(
        database_url, tmp_path, s3_app_config):
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, **s3_app_config)
    with app.app_context():
        media_storage().put("banners/spring-400.webp", b"RIFF1234WEBP", "image/webp")
        db.engine.dispose()
    client = app.test_client()
    response = client.get("/media/banners/spring-400.webp")
    assert response.status_code == 200 and response.data == b"RIFF1234WEBP"
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Cache-Control"] == LONG_CACHE_CONTROL
    assert response.headers["Content-Length"] == "12"
    etag = response.headers["ETag"]
    with client.get("/media/banners/spring-400.webp", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""
    assert client.get("/media/banners/autumn-400.webp").status_code == 404
    assert client.get("/media/../secret_key").status_code == 404
    assert not (tmp_path / "media").exists()


# --- a bucket that is away ------------------------------------------------------------------


def test_a_bucket_that_never_answers_costs_seconds_and_is_then_left_alone(monkeypatch):
    monkeypatch.setattr(s3, "CONNECT_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(s3, "READ_TIMEOUT_SECONDS", 0.5)
    server = SilentServer()
    try:
        storage = s3.S3Storage("hung", "", s3.make_client(f"http://127.0.0.1:{server.port}"))
        started = time.monotonic()
        with pytest.raises(StorageError):
            storage.get("products/mug-400.webp")
        # Two attempts of half a second each, and boto3's short backoff between them.
        assert time.monotonic() - started < 4
        started = time.monotonic()
        with pytest.raises(StorageError):
            storage.exists("products/mug-400.webp")
        assert time.monotonic() - started < 0.1
    finally:
        server.close()


@pytest.mark.parametrize("app_config", [UNREACHABLE_S3])
def test_media_answers_503_while_the_bucket_is_away(app, client):
    response = client.get("/media/products/mug-400.webp")
    assert response.status_code == 503
    assert response.headers["Retry-After"] and response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("app_config", [UNREACHABLE_S3])
def test_an_upload_while_the_bucket_is_away_is_refused_and_changes_nothing(app, catalog, staff):
    product_id = mug_id(app)
    response = staff.post(f"/admin/products/{product_id}/images",
                          data={"image": (BytesIO(png_bytes()), "photo.png"), "alt_text": "Mug"},
                          content_type="multipart/form-data")
    assert response.status_code == 422
    assert "could not be stored just now" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.get_one(Product, product_id).images) == 1


@pytest.mark.parametrize("app_config", [UNREACHABLE_S3])
def test_a_picture_removed_while_the_bucket_is_away_is_gone_from_the_shop(app, catalog, staff,
                                                                          caplog):
    product_id = mug_id(app)
    image_id, file = newest_image(app, product_id)
    with caplog.at_level(logging.WARNING, logger="shophub.admin.catalog.pictures"):
        response = staff.post(f"/admin/products/{product_id}/images/{image_id}/delete")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(ProductImage, image_id) is None
    left_behind = " ".join(r.getMessage() for r in caplog.records if "left behind" in r.message)
    assert f"{file}-400.webp" in left_behind and f"{file}-800.webp" in left_behind


# --- two app servers, one bucket ------------------------------------------------------------


def test_two_app_servers_with_their_own_folders_share_pictures_through_s3(
        app, catalog, database_url, moto_endpoint, bucket, tmp_path):
    with app.app_context():
        make_user("staff@example.com", role="staff")
    product_id = mug_id(app)
    settings = {"MEDIA_STORAGE": "s3", "S3_BUCKET": bucket, "S3_PREFIX": "shop/media",
                "S3_ENDPOINT_URL": moto_endpoint, "S3_REGION": "us-east-1"}
    with shophub_server(database_url, tmp_path / "server-a", settings) as url_a, \
            shophub_server(database_url, tmp_path / "server-b", settings) as url_b:
        staff_on_a, visitor_on_b = LiveClient(url_a), LiveClient(url_b)
        assert log_in(staff_on_a, "staff@example.com").status_code in (302, 303)
        uploaded = staff_on_a.post(f"/admin/products/{product_id}/images",
                                   files={"image": ("photo.png", png_bytes(), "image/png")},
                                   data={"alt_text": "A teal mug"})
        assert uploaded.status_code == 303, uploaded.text[:500]
        image_id, file = newest_image(app, product_id)
        assert file.startswith("products/ceramic-mug-")

        from_a = staff_on_a.get(f"/media/{file}-400.webp")
        from_b = visitor_on_b.get(f"/media/{file}-400.webp")
        assert from_a.status_code == 200 and from_b.status_code == 200
        assert from_b.content == from_a.content
        with Image.open(BytesIO(from_b.content)) as picture:
            assert picture.format == "WEBP" and picture.width == 400
        assert from_b.headers["Content-Type"] == "image/webp"
        assert from_b.headers["Cache-Control"] == LONG_CACHE_CONTROL
        assert visitor_on_b.get(f"/media/{file}-400.webp", headers={
            "If-None-Match": from_b.headers["ETag"]}).status_code == 304
        assert f"/media/{file}-800.webp" in visitor_on_b.get("/products/ceramic-mug").text

        client = s3_client(moto_endpoint)
        assert object_keys(client, bucket) == [f"shop/media/{file}-400.webp",
                                               f"shop/media/{file}-800.webp"]
        assert client.get_object(Bucket=bucket, Key=f"shop/media/{file}-400.webp")[
            "Body"].read() == from_b.content
        assert not list(tmp_path.rglob("*.webp")), "pictures went to a local folder"

        deleted = staff_on_a.post(f"/admin/products/{product_id}/images/{image_id}/delete")
        assert deleted.status_code == 303
        assert visitor_on_b.get(f"/media/{file}-400.webp").status_code == 404
        assert visitor_on_b.get(f"/media/{file}-800.webp").status_code == 404
        assert object_keys(client, bucket) == []
