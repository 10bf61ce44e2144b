"""The catalog listing cache: fewer statements on a hit, fresh data after invalidate()."""

import re

import pytest
import redis

from shophub.catalog import cache as catalog_cache
from shophub.extensions import db
from shophub.models import Variant
from tests.services import require_service

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["in-process", "redis"])
def app_config(request):
    """The cache on, in-process or in Redis (which every worker shares)."""
    if request.param == "in-process":
        return {"CATALOG_CACHE_SECONDS": 60, "CACHE_TYPE": "SimpleCache"}
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).flushdb()
    except redis.RedisError as error:
        require_service(f"Redis at {REDIS_TEST_URL} is unreachable: {error}")
    return {"CATALOG_CACHE_SECONDS": 60, "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": REDIS_TEST_URL, "CACHE_KEY_PREFIX": "shophub-test:"}


def sold_out_badges(html: str) -> int:
    """How many cards say sold out."""
    return len(re.findall(r'badge-soldout', html))


def test_repeat_listing_comes_from_the_cache_until_invalidated(catalog, client, app,
                                                               count_statements):
    with count_statements() as first:
        before = client.get("/products?per_page=48").get_data(as_text=True)
    with count_statements() as second:
        again = client.get("/products?per_page=48").get_data(as_text=True)
    assert first.count > 0 and second.count == 0
    assert re.findall(r'card-link" href="([^"]+)"', again) == re.findall(
        r'card-link" href="([^"]+)"', before)

    with app.app_context():
        db.session.execute(db.update(Variant).values(stock=0))
        db.session.commit()
        stale = client.get("/products?per_page=48").get_data(as_text=True)
        assert sold_out_badges(stale) == sold_out_badges(before)
        catalog_cache.invalidate()
    fresh = client.get("/products?per_page=48").get_data(as_text=True)
    assert sold_out_badges(fresh) == 29 > sold_out_badges(before)


def test_different_filters_are_cached_apart(catalog, client):
    shoes = client.get("/products?category=shoes").get_data(as_text=True)
    home = client.get("/products?category=home").get_data(as_text=True)
    assert "<h1>Shoes</h1>" in shoes and "<h1>Home</h1>" in home
    assert client.get("/products?category=shoes").get_data(as_text=True).count(
        "card-link") == shoes.count("card-link")


def test_a_cache_outage_never_breaks_the_catalog(database_url, tmp_path):
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, CATALOG_CACHE_SECONDS=60, CACHE_TYPE="RedisCache",
                   CACHE_REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/products")
    assert response.status_code == 200
    with app.app_context():
        catalog_cache.invalidate()
        db.engine.dispose()


def test_filter_panel_is_cached_with_the_listing(catalog, client, app):
    from shophub.models import Category

    client.get("/products")
    with app.app_context():
        db.session.add(Category(name="Garden", slug="garden", position=9))
        db.session.commit()
    assert 'value="garden"' not in client.get("/products").get_data(as_text=True)
    with app.app_context():
        catalog_cache.invalidate()
    assert 'value="garden"' in client.get("/products").get_data(as_text=True)


def test_filter_panel_follows_the_filters(catalog, client):
    client.get("/products?in_stock=1")
    html = client.get("/products?in_stock=1&sort=name").get_data(as_text=True)
    assert 'value="name" selected' in html
    assert 'value="newest" selected' not in html
