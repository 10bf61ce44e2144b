"""Browser test fixtures: a live ShopHub server on SQLite and Chromium from the system."""

import colorsys
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest

from shophub.extensions import db
from shophub.platform.storage import IMAGE_WIDTHS
from tests.catalog_data import insert_catalog, product_specs
from tests.conftest import make_app
from tests.services import require_service
from tests.stripe_server import live_server as serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def write_placeholder_images(media_root: Path) -> None:
    """Write one plain-coloured picture per catalog product, at every served width."""
    from PIL import Image

    specs = product_specs()
    for index, spec in enumerate(specs):
        red, green, blue = colorsys.hsv_to_rgb(index / len(specs), 0.25, 0.85)
        colour = (int(red * 255), int(green * 255), int(blue * 255))
        for width in IMAGE_WIDTHS:
            path = media_root / "products" / f"{spec['slug']}-1-{width}.webp"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (width, width), colour).save(path, "WEBP", quality=60)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app live_server serves: the test catalog on its own SQLite file (its outbox too)."""
    tmp_path = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    # CSRF on, as in production: the browser tests prove HTMX sends the token.
    app = make_app(url, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        flask_migrate.upgrade()
        insert_catalog()
        db.session.remove()
    write_placeholder_images(Path(app.config["MEDIA_ROOT"]))
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    """The base URL of a ShopHub server with the test catalog, on its own SQLite file."""
    with serve_app(live_app) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(live_server):
    """Relative URLs in `page.goto()` resolve against the live server."""
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch the system Chromium; Playwright's own browser downloads are never used."""
    if not CHROMIUM.exists():
        require_service(f"Chromium is not installed at {CHROMIUM}")
    args = {key: value for key, value in browser_type_launch_args.items() if key != "channel"}
    return {**args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


# --- Stores with their own database, for tests that change stock or take payments ----------

@contextmanager
def serve_app(app, name: str = "e2e-live-server"):
    """Serve `app` on a free local port in a thread; yields its base URL."""
    try:
        with serve_in_thread(app, name) as url:
            yield url
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def store_app(tmp_path: Path, **overrides):
    """An app on a new SQLite file with the test catalog and its pictures; CSRF is on."""
    app = make_app(f"sqlite:///{tmp_path / 'store.db'}", tmp_path, WTF_CSRF_ENABLED=True,
                   **overrides)
    with app.app_context():
        flask_migrate.upgrade()
        insert_catalog()
        db.session.remove()
    write_placeholder_images(Path(app.config["MEDIA_ROOT"]))
    return app
