"""Billboards: each belongs to a category and shows on that category's page; the home page shows
the featured ones. The admin form, the API, the cache and the migration that brought them."""

import os
import re

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from shophub.extensions import db
from shophub.models import AuditEntry, Banner, Category, Store
from shophub.platform import tenancy
from tests.conftest import make_app
from tests.services import require_service

CORNER = {"HTTP_HOST": "corner.localhost"}


@pytest.fixture
def app(sqlite_app):
    """The billboards' rules do not depend on the database: SQLite (the migration test runs
    on PostgreSQL too)."""
    return sqlite_app


@pytest.fixture
def billboards(catalog):
    """Besides the catalog's featured "Spring sale" (no category) and its hidden banner: a
    billboard of Shoes, a featured one of Tops, and a hidden one of Shoes."""
    with catalog.app_context():
        categories = {c.slug: c for c in db.session.scalars(select(Category))}
        db.session.add_all([
            Banner(title="Shoe week", text="Boots and runners", category=categories["shoes"],
                   link_url="/products/trail-runner", link_label="See the runner", position=3),
            Banner(title="Tops for summer", category=categories["tops"], featured=True,
                   position=2),
            Banner(title="Retired shoe sale", category=categories["shoes"], active=False,
                   featured=True, position=4),
        ])
        db.session.commit()
    return catalog


def _titles(html: str) -> list[str]:
    """Billboard titles on a page, in order."""
    return re.findall(r'<article class="banner[^"]*">.*?<h2>([^<]+)</h2>', html, re.S)


def _category_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Category.id).where(Category.slug == slug))


# --- storefront --------------------------------------------------------------------------------


def test_the_home_page_shows_the_active_featured_billboards_only(billboards, client):
    html = client.get("/").get_data(as_text=True)
    assert _titles(html) == ["Spring sale", "Tops for summer"]


def test_a_category_page_shows_its_own_active_billboards_above_the_results(billboards, client):
    html = client.get("/products?category=shoes").get_data(as_text=True)
    assert _titles(html) == ["Shoe week"]
    assert 'aria-label="Shoes highlights"' in html
    assert 'href="/products/trail-runner">See the runner</a>' in html
    # Under the category's heading, before the first product card.
    assert html.index("<h1>Shoes</h1>") < html.index("Shoe week") < html.index('class="card-link"')
    assert _titles(client.get("/products?category=tops").get_data(as_text=True)) == [
        "Tops for summer"]
    assert _titles(client.get("/products?category=home").get_data(as_text=True)) == []


def test_the_unfiltered_catalog_and_a_search_show_no_billboards(billboards, client):
    assert _titles(client.get("/products").get_data(as_text=True)) == []
    assert _titles(client.get("/products?q=boot").get_data(as_text=True)) == []
    # A search within a category is still that category's page.
    assert _titles(client.get("/products?category=shoes&q=boot").get_data(as_text=True)) == [
        "Shoe week"]


def test_a_filter_swap_to_another_category_brings_that_categorys_billboards(billboards, client):
    htmx = {"HX-Request": "true"}
    shoes = client.get("/products?category=shoes", headers=htmx).get_data(as_text=True)
    assert shoes.strip().startswith('<section id="results"') and "<html" not in shoes
    assert _titles(shoes) == ["Shoe week"]
    # The billboards are inside #results, which the swap replaces.
    assert shoes.index("Shoe week") < shoes.index("</section>\n", shoes.index("Shoe week")) < (
        shoes.rindex('id="option-filters"'))
    tops = client.get("/products?category=tops", headers=htmx).get_data(as_text=True)
    assert _titles(tops) == ["Tops for summer"]
    everything = client.get("/products?category=", headers=htmx).get_data(as_text=True)
    assert _titles(everything) == []
    page_two = client.get("/products?category=shoes&per_page=12&page=2", headers=htmx)
    assert _titles(page_two.get_data(as_text=True)) == ["Shoe week"]


def test_a_billboard_of_another_store_never_shows(billboards, client, app):
    result = app.test_cli_runner().invoke(args=[
        "shophub", "create-store", "corner", "--name", "Corner Shop", "--currency", "EUR"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "corner"))
        with tenancy.use_store(store_id):
            shoes = Category(name="Shoes", slug="shoes")
            db.session.add_all([shoes, Banner(title="Corner shoes", category=shoes,
                                              featured=True)])
            db.session.commit()
    assert _titles(client.get("/products?category=shoes").get_data(as_text=True)) == [
        "Shoe week"]
    assert "Corner shoes" not in client.get("/").get_data(as_text=True)
    corner = client.get("/products?category=shoes", environ_overrides=CORNER)
    assert _titles(corner.get_data(as_text=True)) == ["Corner shoes"]
    assert _titles(client.get("/", environ_overrides=CORNER).get_data(as_text=True)) == [
        "Corner shoes"]


@pytest.mark.parametrize("app_config", [{}, {"CATALOG_CACHE_SECONDS": 60}],
                         ids=["uncached", "cached"])
def test_the_category_page_reads_billboards_in_one_statement_and_none_once_cached(
        billboards, client, count_statements, app):
    cached = app.config["CATALOG_CACHE_SECONDS"] > 0
    for path in ("/products?category=shoes", "/"):
        client.get(path)
        with count_statements() as counter:
            assert client.get(path).status_code == 200
        reads = [s for s in counter.statements if "FROM banner" in s]
        assert len(reads) == (0 if cached else 1), (path, counter.statements)
    with count_statements() as counter:
        client.get("/products")
    assert not [s for s in counter.statements if "FROM banner" in s]


@pytest.mark.parametrize("app_config", [{"CATALOG_CACHE_SECONDS": 60}])
def test_a_billboard_saved_in_the_admin_shows_at_once_with_the_cache_on(billboards, staff, app):
    assert _titles(staff.get("/products?category=home").get_data(as_text=True)) == []
    assert staff.post("/admin/banners/new", data={
        "title": "Kitchen days", "position": "0", "active": "1",
        "category_id": str(_category_id(app, "home"))}).status_code == 303
    assert _titles(staff.get("/products?category=home").get_data(as_text=True)) == [
        "Kitchen days"]
    assert "Kitchen days" not in staff.get("/").get_data(as_text=True)


# --- admin -------------------------------------------------------------------------------------


def test_the_form_offers_the_stores_categories_and_the_home_page(billboards, staff, app):
    html = staff.get("/admin/banners/new").get_data(as_text=True)
    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]+)</option>',
                         html[html.index('name="category_id"'):])
    assert options == [("", "None"), (str(_category_id(app, "tops")), "Tops"),
                       (str(_category_id(app, "shoes")), "Shoes"),
                       (str(_category_id(app, "home")), "Home")]
    # A new billboard goes on the home page unless unticked.
    assert re.search(r'<input type="checkbox" id="banner-featured" name="featured" value="1" '
                     r'checked>', html)


def test_a_billboard_is_saved_with_its_category_and_featured_flag_and_audited(
        billboards, staff, app):
    tops = _category_id(app, "tops")
    response = staff.post("/admin/banners/new", data={
        "title": "Linen days", "position": "5", "active": "1", "category_id": str(tops),
        "featured": "1"})
    assert response.status_code == 303
    with app.app_context():
        banner = db.session.scalar(select(Banner).where(Banner.title == "Linen days"))
        banner_id = banner.id
        assert (banner.category_id, banner.featured) == (tops, True)
    form = staff.get(f"/admin/banners/{banner_id}").get_data(as_text=True)
    assert f'<option value="{tops}" selected>Tops</option>' in form
    assert staff.post(f"/admin/banners/{banner_id}", data={
        "title": "Linen days", "position": "5", "active": "1", "category_id": ""},
    ).status_code == 303
    with app.app_context():
        banner = db.session.get(Banner, banner_id)
        assert (banner.category_id, banner.featured) == (None, False)
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "banner")
                                     .order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == ["banner.created", "banner.updated"]
        assert (entries[0].after["category_id"], entries[0].after["featured"]) == (tops, True)
        assert (entries[1].after["category_id"], entries[1].after["featured"]) == (None, False)
        assert entries[1].summary == "Billboard “Linen days” edited"


def test_the_list_shows_each_billboards_category_and_whether_it_is_featured(billboards, staff):
    html = staff.get("/admin/banners").get_data(as_text=True)
    rows = {title: row for row in re.findall(r"<tr>.*?</tr>", html, re.S)
            for title in re.findall(r'<th scope="row"><a [^>]+>([^<]+)</a>', row)}
    assert ">Shoes</a>" in rows["Shoe week"] and "<td>No</td>" in rows["Shoe week"]
    assert ">Tops</a>" in rows["Tops for summer"] and "<td>Yes</td>" in rows["Tops for summer"]
    assert '<span class="meta">None</span></td>\n      <td>Yes</td>' in rows["Spring sale"]
    assert '<th scope="col">Category</th><th scope="col">Featured</th>' in html


@pytest.mark.parametrize("category_id", ["999999", "abc", "-1", "1.5"])
def test_an_unknown_category_is_refused_with_a_message_and_nothing_saved(
        billboards, staff, app, category_id):
    response = staff.post("/admin/banners/new", data={
        "title": "Nowhere", "position": "0", "active": "1", "category_id": category_id})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "That category does not exist in this shop." in html
    assert 'id="banner-category_id" name="category_id" aria-describedby="banner-category_id-hint ' \
           'banner-category_id-error" aria-invalid="true"' in html
    with app.app_context():
        assert db.session.scalar(select(Banner).where(Banner.title == "Nowhere")) is None


def test_another_stores_category_is_refused_like_an_unknown_one(billboards, staff, app):
    result = app.test_cli_runner().invoke(args=[
        "shophub", "create-store", "corner", "--name", "Corner Shop", "--currency", "EUR"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "corner"))
        with tenancy.use_store(store_id):
            kettles = Category(name="Kettles", slug="kettles")
            db.session.add(kettles)
            db.session.commit()
            foreign = kettles.id
        banner_id = db.session.scalar(select(Banner.id).where(Banner.title == "Shoe week"))
    new = staff.post("/admin/banners/new", data={
        "title": "Taken", "position": "0", "category_id": str(foreign)})
    assert new.status_code == 422
    assert "That category does not exist in this shop." in new.get_data(as_text=True)
    edit = staff.post(f"/admin/banners/{banner_id}", data={
        "title": "Shoe week", "position": "3", "active": "1", "category_id": str(foreign)})
    assert edit.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Banner).where(Banner.title == "Taken")) is None
        assert db.session.get(Banner, banner_id).category_id == _category_id(app, "shoes")
        assert not db.session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.entity_type == "banner"))


def test_deleting_a_category_leaves_its_billboards_without_one(billboards, staff, app):
    with app.app_context():
        home = Category(name="Garden", slug="garden")
        db.session.add_all([home, Banner(title="Garden party", category=home, featured=True)])
        db.session.commit()
        garden = home.id
    assert staff.post(f"/admin/categories/{garden}/delete").status_code == 303
    with app.app_context():
        banner = db.session.scalar(select(Banner).where(Banner.title == "Garden party"))
        assert banner.category_id is None
    assert "Garden party" in staff.get("/").get_data(as_text=True)


# --- API ---------------------------------------------------------------------------------------


def _billboards(client, query: str = "", **kwargs):
    response = client.get(f"/api/v1/billboards{query}", **kwargs)
    assert response.headers["Content-Type"] == "application/json"
    return response


def test_the_api_gives_each_billboards_category_and_featured_flag(billboards, client):
    data = _billboards(client).get_json()["data"]
    assert [(b["title"], b["category"], b["featured"]) for b in data] == [
        ("Spring sale", None, True), ("Tops for summer", "tops", True),
        ("Shoe week", "shoes", False)]
    assert set(data[0]) == {"id", "title", "text", "image", "link_url", "link_label",
                            "position", "category", "featured"}


@pytest.mark.parametrize(("query", "titles"), [
    ("?category=shoes", ["Shoe week"]),
    ("?category=tops", ["Tops for summer"]),
    ("?category=home", []),
    ("?featured=1", ["Spring sale", "Tops for summer"]),
    ("?featured=true", ["Spring sale", "Tops for summer"]),
    ("?featured=0", ["Spring sale", "Tops for summer", "Shoe week"]),
    ("?category=tops&featured=1", ["Tops for summer"]),
    ("?category=shoes&featured=1", []),
    ("?category=", ["Spring sale", "Tops for summer", "Shoe week"]),
])
def test_the_api_filters_billboards_by_category_and_featured(billboards, client, query, titles):
    response = _billboards(client, query)
    assert response.status_code == 200
    assert [b["title"] for b in response.get_json()["data"]] == titles


@pytest.mark.parametrize("slug", ["nope", "SHOES", "kettles"])
def test_an_unknown_category_in_the_api_is_a_json_404(billboards, client, slug):
    response = _billboards(client, f"?category={slug}")
    assert response.status_code == 404
    assert response.get_json() == {"error": "There is no such category."}


# --- migration ---------------------------------------------------------------------------------

BEFORE = "0014_store_owner"
THIS = "0015_billboard_category"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_before(request, tmp_path):
    """An empty database URL, for a migration run."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        require_service("TEST_DATABASE_URL is not set, so the PostgreSQL run is skipped")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text("DROP DATABASE IF EXISTS shophub_billboards WITH (FORCE)"))
        connection.execute(sa.text("CREATE DATABASE shophub_billboards"))
    yield base.rsplit("/", 1)[0] + "/shophub_billboards"
    with admin.connect() as connection:
        connection.execute(sa.text("DROP DATABASE IF EXISTS shophub_billboards WITH (FORCE)"))
    admin.dispose()


def test_the_migration_features_every_existing_billboard_and_gives_none_a_category(
        database_before, tmp_path):
    app = make_app(database_before, tmp_path)
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            store_id = connection.execute(sa.text("SELECT id FROM store")).scalar()
            for title, active in (("Old sale", True), ("Old hidden", False)):
                connection.execute(sa.text(
                    "INSERT INTO banner (store_id, title, text, image_alt, link_url, link_label,"
                    " active, position) VALUES (:store, :title, '', '', '', '', :active, 0)"),
                    {"store": store_id, "title": title, "active": active})
        flask_migrate.upgrade(revision=THIS)
        with db.engine.begin() as connection:
            rows = connection.execute(sa.text(
                "SELECT title, category_id, featured FROM banner ORDER BY id")).all()
            assert [tuple(row) for row in rows] == [("Old sale", None, True),
                                                    ("Old hidden", None, True)]
            # A row written without the column afterwards is not featured.
            connection.execute(sa.text(
                "INSERT INTO banner (store_id, title, text, image_alt, link_url, link_label,"
                " active, position) VALUES (:store, 'New', '', '', '', '', :yes, 0)"),
                {"store": store_id, "yes": True})
            assert connection.execute(sa.text(
                "SELECT featured FROM banner WHERE title = 'New'")).scalar() in (False, 0)
        inspector = sa.inspect(db.engine)
        assert {"ix_banner_category_id"} <= {i["name"] for i in inspector.get_indexes("banner")}
        (key,) = [k for k in inspector.get_foreign_keys("banner")
                  if k["constrained_columns"] == ["category_id"]]
        assert key["referred_table"] == "category"
        assert key["options"].get("ondelete") == "SET NULL"
        flask_migrate.downgrade(revision=BEFORE)
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("banner")}
        assert not {"category_id", "featured"} & columns
        db.engine.dispose()
