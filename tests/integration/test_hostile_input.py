"""Hostile parameters that once reached the database: NUL and Unicode digits. Never a 500."""

import pytest
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import Category
from tests.shop_data import log_in, make_user

PATHS = [
    "/orders/%00", "/orders/%00/invoice", "/products/%00",
    "/checkout/complete?payment_intent=%00",
    "/admin/orders?q=%00", "/admin/orders.csv?q=%00", "/admin/audit?action=%00",
    "/admin/audit?actor=%00&kind=%00", "/admin/customers?q=%00", "/admin/products?q=%00",
    "/products?q=%00", "/products?page=%C2%B2", "/products?per_page=%C2%B2",
    "/admin/orders?page=%C2%B2", "/admin/audit?page=%C2%B2", "/admin/customers?page=%C2%B2",
]


@pytest.fixture
def admin(app):
    with app.app_context():
        make_user("boss@example.com", role="admin")
    client = app.test_client()
    log_in(client, "boss@example.com")
    return client


@pytest.mark.parametrize("path", PATHS)
def test_nul_and_unicode_digits_in_a_request_never_give_a_500(app, admin, path):
    response = admin.get(path)
    response.get_data()  # a streamed answer is read to its end
    assert response.status_code < 500, path


def test_a_nul_in_a_path_names_nothing(app, client):
    assert client.get("/orders/abc%00def").status_code == 404


def test_a_category_description_with_nul_is_saved_without_it(app, admin):
    response = admin.post("/admin/categories/new", data={
        "name": "Nul", "slug": "", "description": "One\x00two", "position": "1"})
    assert response.status_code == 303
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.name == "Nul"))
        assert category.description == "Onetwo"
