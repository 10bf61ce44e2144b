"""The option lists migration on a database of the release before: each store's typed sizes and
colours become its Size and Colour lists, every variant keeps its values, and going back
restores the columns."""

import datetime
import os

import flask_migrate
import pytest
import sqlalchemy as sa

from shophub.extensions import db
from tests.conftest import make_app
from tests.services import require_service

BEFORE = "0015_billboard_category"
OPTION_LISTS = "0016_option_lists"
NOW = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)

# (store, sku, size, colour, label after the migration)
VARIANTS = [
    (1, "SHIRT-M-BLU", "M", "Blue", "M / Blue"),
    (1, "SHIRT-XL-RED", "XL", "red", "XL / red"),
    (1, "SHIRT-S-BLU", "S", "Blue", "S / Blue"),
    (1, "SHIRT-XS", "XS", None, "XS"),
    (1, "MUG", None, None, ""),
    (2, "SHOE-42", "42", None, "42"),
    (2, "SHOE-40", "40", None, "40"),
    (2, "SHOE-ONE", "One size", None, "One size"),
    (2, "SHOE-9", "9", None, "9"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path):
    """An empty database for the migrations to build."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        require_service("TEST_DATABASE_URL is not set, so the PostgreSQL run is skipped")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text("DROP DATABASE IF EXISTS shophub_options WITH (FORCE)"))
        connection.execute(sa.text("CREATE DATABASE shophub_options"))
    yield base.rsplit("/", 1)[0] + "/shophub_options"
    with admin.connect() as connection:
        connection.execute(sa.text("DROP DATABASE IF EXISTS shophub_options WITH (FORCE)"))
    admin.dispose()


def _insert(connection, table_name: str, **values) -> int:
    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    return connection.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()


def _fill_two_stores(connection) -> None:
    """A second store next to the default one, each with products whose variants have sizes
    and colours typed in."""
    _insert(connection, "store", slug="second", is_default=False, order_prefix="SEC",
            next_order_number=1, created_at=NOW)
    products = {}
    for store_id, sku, size, colour, _ in VARIANTS:
        slug = f"product-{store_id}-{sku.split('-')[0].lower()}"
        if slug not in products:
            products[slug] = _insert(connection, "product", store_id=store_id, name=slug,
                                     slug=slug, description="", featured=False,
                                     archived=False, created_at=NOW, updated_at=NOW)
        _insert(connection, "variant", store_id=store_id, product_id=products[slug], sku=sku,
                size=size, colour=colour, price_cents=1000, stock=3, position=0)


def _lists(connection) -> list[tuple]:
    return [tuple(row) for row in connection.execute(sa.text(
        "SELECT option_list.store_id, option_list.name, option_list.slug, option_list.position,"
        " option_value.value, option_value.position, option_value.store_id FROM option_list"
        " JOIN option_value ON option_value.option_list_id = option_list.id"
        " ORDER BY option_list.store_id, option_list.position, option_value.position"))]


def test_typed_sizes_and_colours_become_each_stores_lists_and_come_back(old_database,
                                                                         tmp_path):
    app = make_app(old_database, tmp_path)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _fill_two_stores(connection)
        flask_migrate.upgrade(revision=OPTION_LISTS)
        with db.engine.connect() as connection:
            # Clothing sizes in their usual order, other sizes by number, then by name;
            # colours by name. A store without colours gets no Colour list.
            assert _lists(connection) == [
                (1, "Size", "size", 0, "XS", 0, 1), (1, "Size", "size", 0, "S", 1, 1),
                (1, "Size", "size", 0, "M", 2, 1), (1, "Size", "size", 0, "XL", 3, 1),
                (1, "Colour", "colour", 1, "Blue", 0, 1), (1, "Colour", "colour", 1, "red", 1, 1),
                (2, "Size", "size", 0, "9", 0, 2), (2, "Size", "size", 0, "40", 1, 2),
                (2, "Size", "size", 0, "42", 2, 2), (2, "Size", "size", 0, "One size", 3, 2),
            ]
            labels = dict(connection.execute(
                sa.text("SELECT sku, option_label FROM variant")).all())
            assert labels == {sku: label for _, sku, _, _, label in VARIANTS}
            # Every value a variant had is now one row, all of the variant's own store.
            rows = connection.execute(sa.text(
                "SELECT variant.store_id, variant.sku, option_list.slug, option_value.value,"
                " variant_option.store_id, option_list.store_id, option_value.store_id"
                " FROM variant_option"
                " JOIN variant ON variant.id = variant_option.variant_id"
                " JOIN option_list ON option_list.id = variant_option.option_list_id"
                " JOIN option_value ON option_value.id = variant_option.option_value_id")).all()
            expected = {(store, sku, slug, value) for store, sku, size, colour, _ in VARIANTS
                        for slug, value in (("size", size), ("colour", colour)) if value}
            assert {tuple(row[:4]) for row in rows} == expected and len(rows) == len(expected)
            assert all(row[0] == row[4] == row[5] == row[6] for row in rows)
            columns = {column["name"] for column in sa.inspect(connection).get_columns("variant")}
            assert "size" not in columns and "colour" not in columns

        flask_migrate.upgrade()
        db.engine.dispose()
    client = app.test_client()
    html = client.get("/products?size=M").get_data(as_text=True)
    assert "product-1-shirt" in html and "product-1-mug" not in html

    with app.app_context():
        flask_migrate.downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            typed = connection.execute(sa.text("SELECT sku, size, colour FROM variant")).all()
            assert sorted(tuple(row) for row in typed) == sorted(
                (sku, size, colour) for _, sku, size, colour, _ in VARIANTS)
            tables = set(sa.inspect(connection).get_table_names())
            assert not tables & {"option_list", "option_value", "variant_option"}
        db.engine.dispose()
