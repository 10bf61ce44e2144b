"""Health check, security headers, media files, configuration and the migrations."""

import os
import re
import stat

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shophub import create_app
from shophub.config import normalise_database_url
from shophub.extensions import db
from tests.conftest import make_app


def test_healthz_ok(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_is_liveness_only_and_answers_without_a_database(tmp_path):
    broken = make_app(f"sqlite:///{tmp_path}/missing-dir/none.db", tmp_path)
    response = broken.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_security_headers_on_every_response(catalog, client):
    for path in ("/", "/products", "/products/linen-shirt", "/missing", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        sources = {token for token in csp.replace(";", " ").split() if "://" in token}
        assert all(".stripe.com" in source for source in sources), sources
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_load_only_local_assets(catalog, client):
    html = client.get("/products").get_data(as_text=True)
    assert re.search(r'src="/static/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js"', html)
    # What the page loads; links naming the page itself (canonical, share data) are absolute
    # by design.
    loaded = re.findall(r'\bsrc(?:set)?="([^"]*)"', html) + re.findall(
        r'<link rel="(?!canonical")[^"]*" href="([^"]*)"', html)
    assert loaded and not [url for url in loaded if "//" in url]


def test_media_files_are_served_and_traversal_refused(app, client):
    media = app.config["MEDIA_ROOT"]
    os.makedirs(os.path.join(media, "products"), exist_ok=True)
    with open(os.path.join(media, "products", "x-400.webp"), "wb") as handle:
        handle.write(b"RIFF0000WEBP")
    response = client.get("/media/products/x-400.webp")
    assert response.status_code == 200 and response.data == b"RIFF0000WEBP"
    assert client.get("/media/products/missing-400.webp").status_code == 404
    assert client.get("/media/../secret_key").status_code == 404
    assert client.get("/media/%2e%2e/secret_key").status_code == 404


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(dict(config)).config["SECRET_KEY"]
    second = create_app(dict(config)).config["SECRET_KEY"]
    assert first == second and len(first) >= 40
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_store_settings_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("STORE_NAME", "Corner Shop")
    monkeypatch.setenv("STORE_CURRENCY", "jpy")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["STORE_NAME"] == "Corner Shop"
    assert app.config["STORE_CURRENCY"] == "JPY"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_unknown_currency_is_refused_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("STORE_CURRENCY", "ABC")
    with pytest.raises(ValueError, match="STORE_CURRENCY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/shophub.db"


def test_normalise_database_url_keeps_other_urls():
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalise_database_url("postgresql+psycopg://a/b") == "postgresql+psycopg://a/b"
    assert normalise_database_url("postgresql://a/b") == "postgresql+psycopg://a/b"


def test_zero_decimal_store_prices(catalog, client, app):
    app.config["STORE_CURRENCY"] = "JPY"
    html = client.get("/products/canvas-sneaker").get_data(as_text=True)
    assert 'id="price">¥1,250<' in html


def test_unexpected_errors_get_the_designed_500_page(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("broken on purpose")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "broken on purpose" not in html
    assert "Content-Security-Policy" in response.headers
