"""Every page answers an HTMX request too: a route's fragment renders on its own, never a 500."""

import pytest
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import Product
from tests.shop_data import log_in, make_user

HTMX = {"HX-Request": "true"}
SKIPPED_ENDPOINTS = {"static", "media.serve"}


def plain_get_paths(app) -> list[str]:
    """Every GET route of the URL map that takes no argument."""
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments
                   and rule.endpoint not in SKIPPED_ENDPOINTS})


@pytest.fixture
def browsers(app, catalog):
    """A stranger, a customer and an admin."""
    with app.app_context():
        make_user("kim@example.com")
        make_user("boss@example.com", role="admin")
        slug = db.session.scalars(select(Product.slug).where(Product.archived.is_(False))).first()
    customer, admin = app.test_client(), app.test_client()
    log_in(customer, "kim@example.com")
    log_in(admin, "boss@example.com")
    return {"stranger": app.test_client(), "customer": customer, "admin": admin}, slug


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_page_renders_whole_and_as_a_fragment(app, browsers):
    clients, slug = browsers
    paths = plain_get_paths(app) + [f"/products/{slug}", f"/products/{slug}?variant=1",
                                    "/products?page=2", "/products?q=shirt&sort=price_asc"]
    assert "/" in paths and "/admin/products" in paths
    failures = []
    for who, client in clients.items():
        for path in paths:
            for headers in ({}, HTMX):
                response = client.get(path, headers=headers)
                response.get_data()  # a streamed answer (the CSV export) is read to its end
                response.close()
                if response.status_code >= 500:
                    failures.append(f"{who} {path} {headers or ''}: {response.status_code}")
    assert failures == []
