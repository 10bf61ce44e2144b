"""The stores migration on a database of the release before: every row lands in the default
store, and the shop serves it as before."""

import datetime
import os

import flask_migrate
import pytest
import sqlalchemy as sa

from shophub.extensions import db
from tests.conftest import make_app
from tests.services import require_service

BEFORE_STORES = "0008_webhook_failure"
OWNED = ("audit_entry", "banner", "cart", "category", "coupon", "processed_event", "product",
         "product_image", "shipping_method", "shop_order", "staff_invite", "variant",
         "webhook_failure", "wishlist_item")
# Values the checks of those tables want; every other column gets its model's default, or a
# plain value of its type.
KNOWN = {("coupon", "kind"): "percent", ("coupon", "value"): 10,
         ("webhook_failure", "cause"): "signature", ("shop_order", "number"): "SH-10007",
         ("shop_order", "id"): 7, ("user_account", "role"): "customer",
         ("staff_invite", "role"): "staff",
         ("product", "slug"): "old-mug", ("product", "archived"): False,
         ("variant", "stock"): 3, ("variant", "price_cents"): 1500,
         ("store_settings", "store_name"): "The Old Shop"}


def _value(table: sa.Table, column: sa.Column):
    if (table.name, column.name) in KNOWN:
        return KNOWN[(table.name, column.name)]
    model_column = db.metadata.tables[table.name].columns.get(column.name)
    default = model_column is not None and model_column.default
    if default and default.is_scalar:
        return default.arg
    python_type = column.type.python_type
    if python_type is datetime.datetime:
        return datetime.datetime.now(datetime.UTC)
    length = getattr(column.type, "length", None) or 20
    plain = {int: 1, bool: False, str: f"{table.name}-{column.name}"[:min(length, 20)],
             dict: {}}
    return plain.get(python_type)


def _fill_every_table(connection) -> None:
    """One row in every table of the old schema, each pointing at the others' rows."""
    old = sa.MetaData()
    old.reflect(connection)
    for table in old.sorted_tables:
        if table.name == "alembic_version":
            continue
        row = {column.name: _value(table, column) for column in table.columns
               if not (column.primary_key and isinstance(column.type, sa.Integer)
                       and (table.name, column.name) not in KNOWN)
               and (not column.nullable or column.foreign_keys
                    or (table.name, column.name) in KNOWN)}
        for column in table.columns:
            for key in column.foreign_keys:
                target = key.column.table
                row[column.name] = connection.execute(
                    sa.select(key.column).select_from(target).limit(1)).scalar()
        if table.name == "store_settings":
            row["id"] = 1
        connection.execute(table.insert().values(**row))


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path):
    """A database migrated to the release before stores, with a row in every table."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        require_service("TEST_DATABASE_URL is not set, so the PostgreSQL run is skipped")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text("DROP DATABASE IF EXISTS shophub_migration WITH (FORCE)"))
        connection.execute(sa.text("CREATE DATABASE shophub_migration"))
    yield base.rsplit("/", 1)[0] + "/shophub_migration"
    with admin.connect() as connection:
        connection.execute(sa.text("DROP DATABASE IF EXISTS shophub_migration WITH (FORCE)"))
    admin.dispose()


def test_every_row_lands_in_the_default_store_and_the_shop_still_serves(old_database, tmp_path):
    app = make_app(old_database, tmp_path)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_STORES)
        with db.engine.begin() as connection:
            _fill_every_table(connection)
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            stores = connection.execute(sa.text(
                "SELECT id, slug, is_default, next_order_number FROM store")).all()
            assert [tuple(row) for row in stores] == [(1, "default", True, 10008)]
            for table in OWNED:
                counts = connection.execute(sa.text(
                    f"SELECT store_id, COUNT(*) FROM {table} GROUP BY store_id")).all()
                assert [tuple(row) for row in counts] == [(1, 1)], table
        db.engine.dispose()
    client = app.test_client()
    assert "The Old Shop" in client.get("/").get_data(as_text=True)
    assert client.get("/products/old-mug").status_code == 200
