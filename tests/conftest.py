"""Shared fixtures: a migrated database per backend, a fresh app per test, statement counting."""

import os
from contextlib import contextmanager

import flask_migrate
import pytest
import sqlalchemy as sa

from shophub import create_app
from shophub.catalog import options
from shophub.extensions import db
from shophub.models import Store
from shophub.platform import outages, queue, store_settings, tenancy
from tests.services import require_service

BACKENDS = ["sqlite", "postgresql"]


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        require_service("TEST_DATABASE_URL is not set, so the PostgreSQL run is skipped")
    try:
        _reset_postgres(url)
    except sa.exc.OperationalError as error:
        require_service(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {error}")
    return url


def make_app(database_url: str, tmp_path, **overrides):
    """An app on `database_url` with its own instance folder and media root."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "WTF_CSRF_ENABLED": False,
        "CATALOG_CACHE_SECONDS": 0,
        # Services only where a test asks for them, whatever the environment says.
        "REDIS_URL": None,
        "CACHE_TYPE": "SimpleCache",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Tests post far more than a shopper does; the limits' own tests set them lower.
        "RATELIMIT_POSTS": "10000 per minute",
        "RATELIMIT_ORDERS": "10000 per minute",
        "RATELIMIT_COUPONS": "10000 per minute",
        "MAIL_SERVER": None,
    }
    config.update(overrides)
    return create_app(config)


def _migrated(url: str, tmp_path_factory) -> str:
    app = make_app(url, tmp_path_factory.mktemp("migrate"))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A database migrated to the newest revision, once per backend and test run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    else:
        url = _postgres_url()
    return _migrated(url, tmp_path_factory)


@pytest.fixture(scope="session")
def sqlite_database_url(tmp_path_factory):
    """A migrated SQLite database, for tests where the database does not matter."""
    return _migrated(f"sqlite:///{tmp_path_factory.mktemp('sqlite-only') / 'test.db'}",
                     tmp_path_factory)


@pytest.fixture
def sqlite_app(sqlite_database_url, tmp_path, app_config):
    """A fresh app on an empty, migrated SQLite database."""
    application = make_app(sqlite_database_url, tmp_path, **app_config)
    with application.app_context():
        _empty_all_tables()
    yield application
    queue.wait_for_inline_jobs()  # jobs still running beside its requests end with the test
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    # As the migration leaves it: one default store, id 1, numbering orders from SH-10001.
    db.session.add(Store(slug="default", is_default=True))
    db.session.commit()


@pytest.fixture(autouse=True)
def _no_outage_noted_yet():
    """Each test starts as a fresh process would: no service noted as away."""
    outages.reset()
    yield
    outages.reset()


@pytest.fixture
def app_config() -> dict:
    """Settings a test module wants on top of the test defaults (override in the module)."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_config):
    """A fresh app on an empty, migrated database."""
    application = make_app(database_url, tmp_path, **app_config)
    with application.app_context():
        _empty_all_tables()
    yield application
    queue.wait_for_inline_jobs()
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client of `app`."""
    return app.test_client()


@pytest.fixture
def staff(app, client):
    """`client`, logged in as a staff member (staff@example.com)."""
    from tests.shop_data import log_in, make_user

    with app.app_context():
        make_user("staff@example.com", role="staff")
    assert log_in(client, "staff@example.com").status_code in (302, 303)
    return client


@pytest.fixture
def catalog(app):
    """The known test catalog from tests/catalog_data.py, inserted into `app`'s database."""
    from tests.catalog_data import insert_catalog

    with app.app_context():
        insert_catalog()
    return app


class StatementCounter:
    """Counts SQL statements sent to the database while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        """How many statements were sent."""
        return len(self.statements)


@pytest.fixture
def count_statements(app):
    """Context manager factory: `with count_statements() as counter:` records statements."""

    @contextmanager
    def counting():
        counter = StatementCounter()
        with app.app_context():
            engine = db.engine
            # Counts are of a warmed worker, which holds the store (found by the test client's
            # host), the store's name and currency, and its option lists.
            tenancy.store_for_host("localhost")
            store_settings.identity()
            options.store_options()
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)

    return counting
