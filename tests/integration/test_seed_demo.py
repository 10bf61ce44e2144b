"""`flask shophub seed-demo`: a full demo shop, written once, the same every time."""

import re
from pathlib import Path

import flask_migrate
from PIL import Image
from sqlalchemy import select

from shophub.catalog.seed import seed_demo
from shophub.extensions import db
from shophub.models import (
    Banner,
    Category,
    OptionList,
    OptionValue,
    Product,
    ProductImage,
    Variant,
    VariantOption,
)
from shophub.platform.storage import IMAGE_WIDTHS
from tests.conftest import make_app


def snapshot() -> dict:
    """Every row of every catalog table, as plain tuples."""
    tables = {}
    for model in (Category, Product, Variant, ProductImage, Banner, OptionList, OptionValue,
                  VariantOption):
        columns = model.__table__.columns
        rows = db.session.execute(select(*columns).order_by(*model.__table__.primary_key)).all()
        tables[model.__tablename__] = [tuple(row) for row in rows]
    return tables


def media_files(app) -> dict[str, int]:
    """Every stored picture with its modification time."""
    root = Path(app.config["MEDIA_ROOT"])
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*.webp")}


def test_seed_builds_a_complete_demo_shop(app):
    with app.app_context():
        report = seed_demo()
        products = db.session.scalars(select(Product)).all()
        assert report == f"Seeded {len(products)} products in 6 categories and 5 billboards."
        assert len(products) >= 60
        assert len(db.session.scalars(select(Category)).all()) >= 6
        assert {p.category_id for p in products} == {c.id for c in db.session.scalars(
            select(Category))}
        assert all(p.variants and p.images for p in products)
        assert sum(all(v.stock == 0 for v in p.variants) for p in products) >= 5
        with_options = [p for p in products
                        if any(set(v.option_values) == {"size", "colour"} for v in p.variants)]
        assert len(with_options) >= 10
        assert all(v.option_label == "{size} / {colour}".format(**v.option_values)
                   for p in with_options for v in p.variants)
        lists = db.session.scalars(select(OptionList).order_by(OptionList.position)).all()
        assert [(option.name, option.slug) for option in lists] == [("Size", "size"),
                                                                   ("Colour", "colour")]
        assert [value.value for value in lists[0].values][:4] == ["S", "M", "L", "XL"]
        assert any(len({v.price_cents for v in p.variants}) > 1 for p in with_options)
        assert sum(p.featured for p in products) >= 8
        assert all(isinstance(v.price_cents, int) and v.price_cents > 0
                   for p in products for v in p.variants)
        banners = db.session.scalars(select(Banner)).all()
        assert len(banners) == 5 and all(b.active and b.image for b in banners)
        # The home page shows three; the others show on their category's page.
        assert sum(b.featured for b in banners) == 3
        assert {b.category.slug for b in banners if b.category} == {"apparel", "shoes"}
        files = [i.file for p in products for i in p.images] + [b.image for b in banners]
    root = Path(app.config["MEDIA_ROOT"])
    for file in files:
        for width in IMAGE_WIDTHS:
            with Image.open(root / f"{file}-{width}.webp") as picture:
                assert picture.format == "WEBP" and picture.width == width


def test_second_run_changes_nothing_and_redraws_only_missing_pictures(app):
    with app.app_context():
        seed_demo()
        before, files_before = snapshot(), media_files(app)
        assert seed_demo() == "The demo catalog is already in place; nothing changed."
        assert snapshot() == before
        assert media_files(app) == files_before

        picture = Path(app.config["MEDIA_ROOT"]) / "products/linen-shirt-1-400.webp"
        picture.unlink()
        seed_demo()
        assert picture.exists()
        assert snapshot() == before


def test_if_empty_leaves_a_real_catalog_alone(app):
    with app.app_context():
        db.session.add(Product(name="Our own thing", slug="our-own-thing"))
        db.session.commit()
        assert seed_demo(if_empty=True) == "The catalog already has products; nothing seeded."
        assert db.session.scalars(select(Product.slug)).all() == ["our-own-thing"]
        assert not Path(app.config["MEDIA_ROOT"]).exists()


def _seeded_sqlite_shop(folder: Path) -> tuple[dict, dict[str, bytes]]:
    app = make_app(f"sqlite:///{folder}/shop.db", folder)
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo()
        rows = snapshot()
        db.engine.dispose()
    root = Path(app.config["MEDIA_ROOT"])
    return rows, {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.webp")}


def test_seed_is_deterministic_across_databases(tmp_path):
    first_rows, first_files = _seeded_sqlite_shop(tmp_path / "one")
    second_rows, second_files = _seeded_sqlite_shop(tmp_path / "two")
    assert first_rows == second_rows
    assert first_files == second_files


def test_cli_command_seeds_then_leaves_the_catalog_alone(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["shophub", "seed-demo", "--if-empty"])
    assert first.exit_code == 0 and "Seeded 66 products" in first.output
    second = runner.invoke(args=["shophub", "seed-demo", "--if-empty"])
    assert "already has products; nothing seeded" in second.output


def test_seed_demo_makes_a_second_store_at_second_localhost(app):
    result = app.test_cli_runner().invoke(args=["shophub", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Harbour Coffee Roasters: Seeded 8 products in 2 categories and 1 billboard." in (
        result.output)
    client = app.test_client()
    second = client.get("/products", headers={"Host": "second.localhost:5000"})
    page = second.get_data(as_text=True)
    assert "Harbour Coffee Roasters" in page and "€14.50" in page
    assert "Linen Shirt" not in page
    main = client.get("/products").get_data(as_text=True)
    assert "Linen Shirt" in main and "Ethiopia Yirgacheffe" not in main
    # The coffee store's own lists, Weight and Grind, filter its catalog and make its picker.
    assert "<legend>Weight</legend>" in page and "<legend>Grind</legend>" in page
    assert "<legend>Size</legend>" not in page and "<legend>Grind</legend>" not in main
    espresso = client.get("/products?grind=Espresso&weight=1+kg",
                          headers={"Host": "second.localhost"}).get_data(as_text=True)
    assert "House Espresso Blend" in espresso and "Gooseneck Kettle" not in espresso
    beans = client.get("/products/house-espresso-blend?weight=1+kg&grind=Espresso",
                       headers={"Host": "second.localhost"}).get_data(as_text=True)
    assert 'name="weight" value="1 kg" checked' in beans
    assert re.findall(r'name="grind" value="([^"]+)"', beans) == ["Whole bean", "Espresso"]
    again = app.test_cli_runner().invoke(args=["shophub", "seed-demo"])
    assert again.output.count("already in place") == 2
