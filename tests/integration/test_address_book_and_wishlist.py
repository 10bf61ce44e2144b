"""Addresses and wishlists belong to their owner: nobody else can read or change them."""

import pytest
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import Address, Product, Variant, WishlistItem
from tests.shop_data import log_in, make_user, make_variant

ADDRESS = {
    "full_name": "Sam Shopper", "line1": "1 High Street", "line2": "", "city": "Bristol",
    "region": "", "postal_code": "BS1 4DJ", "country": "GB", "phone": "",
}


@pytest.fixture
def two_customers(app):
    with app.app_context():
        make_user("sam@example.com")
        make_user("kim@example.com")
    sam, kim = app.test_client(), app.test_client()
    log_in(sam, "sam@example.com")
    log_in(kim, "kim@example.com")
    return sam, kim


def addresses(app):
    with app.app_context():
        return [(a.full_name, a.city, a.is_default) for a in
                db.session.scalars(select(Address).order_by(Address.id))]


def test_address_book_add_edit_default_delete(app, two_customers):
    sam, _ = two_customers
    assert sam.post("/account/addresses/new", data=ADDRESS).status_code == 303
    second = dict(ADDRESS, full_name="Sam at Work", city="Bath", make_default="y")
    assert sam.post("/account/addresses/new", data=second).status_code == 303
    assert addresses(app) == [("Sam Shopper", "Bristol", False), ("Sam at Work", "Bath", True)]
    page = sam.get("/account/addresses").get_data(as_text=True)
    assert page.index("Sam at Work") < page.index("Sam Shopper")
    assert "United Kingdom" in page
    with app.app_context():
        first_id, second_id = db.session.scalars(select(Address.id).order_by(Address.id))
    edited = dict(ADDRESS, city="Leeds")
    assert sam.post(f"/account/addresses/{first_id}/edit", data=edited).status_code == 303
    assert sam.post(f"/account/addresses/{first_id}/default").status_code == 303
    assert addresses(app) == [("Sam Shopper", "Leeds", True), ("Sam at Work", "Bath", False)]
    assert sam.post(f"/account/addresses/{first_id}/delete").status_code == 303
    assert addresses(app) == [("Sam at Work", "Bath", True)]


def test_bad_address_input_is_refused_in_the_page(app, two_customers):
    sam, _ = two_customers
    response = sam.post("/account/addresses/new",
                        data=dict(ADDRESS, city="", country="XX", postal_code="9" * 50))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This field is required." in html and "Not a valid choice." in html
    assert addresses(app) == []


def test_another_customers_address_cannot_be_read_or_changed(app, two_customers):
    sam, kim = two_customers
    sam.post("/account/addresses/new", data=ADDRESS)
    with app.app_context():
        sams = db.session.scalar(select(Address.id))
    assert kim.get(f"/account/addresses/{sams}/edit").status_code == 404
    assert kim.post(f"/account/addresses/{sams}/edit",
                    data=dict(ADDRESS, city="Stolen")).status_code == 404
    assert kim.post(f"/account/addresses/{sams}/default").status_code == 404
    assert kim.post(f"/account/addresses/{sams}/delete").status_code == 404
    assert "High Street" not in kim.get("/account/addresses").get_data(as_text=True)
    assert addresses(app) == [("Sam Shopper", "Bristol", True)]


def test_account_pages_need_a_login(client):
    for path in ("/account/profile", "/account/addresses", "/account/wishlist",
                 "/account/orders", "/account/password", "/account/addresses/new"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/account/login?next=" in response.headers["Location"]


def _product(app, name="Lamp"):
    with app.app_context():
        variant_id = make_variant(name, stock=2)
        return db.session.get(Variant, variant_id).product_id


def saved(app):
    with app.app_context():
        return sorted(db.session.execute(
            select(WishlistItem.user_id, WishlistItem.product_id)).all())


def test_wishlist_toggle_with_htmx_and_the_wishlist_page(app, two_customers):
    sam, kim = two_customers
    lamp = _product(app)
    response = sam.post(f"/account/wishlist/{lamp}", data={"saved": "1"},
                        headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'aria-pressed="true"' in html and "<html" not in html
    sam.post(f"/account/wishlist/{lamp}", data={"saved": "1"})  # twice: still saved once
    assert len(saved(app)) == 1
    page = sam.get("/account/wishlist").get_data(as_text=True)
    assert "Lamp" in page
    assert "Lamp" not in kim.get("/account/wishlist").get_data(as_text=True)
    kim.post(f"/account/wishlist/{lamp}", data={"saved": "0"})  # kim cannot unsave sam's
    assert len(saved(app)) == 1
    plain = sam.post(f"/account/wishlist/{lamp}", data={"saved": "0", "next": "/products"})
    assert plain.status_code == 303 and plain.headers["Location"] == "/products"
    assert saved(app) == []


def test_wishlist_refuses_unknown_and_archived_products(app, two_customers):
    sam, _ = two_customers
    with app.app_context():
        archived = make_variant("Old", archived=True)
        archived_product = db.session.get(Variant, archived).product_id
    assert sam.post("/account/wishlist/999999", data={"saved": "1"}).status_code == 404
    assert sam.post(f"/account/wishlist/{archived_product}",
                    data={"saved": "1"}).status_code == 404
    assert saved(app) == []


def test_product_page_shows_the_wishlist_state(app, two_customers):
    sam, _ = two_customers
    lamp = _product(app)
    with app.app_context():
        slug = db.session.get(Product, lamp).slug
    assert 'aria-pressed="false"' in sam.get(f"/products/{slug}").get_data(as_text=True)
    sam.post(f"/account/wishlist/{lamp}", data={"saved": "1"})
    assert 'aria-pressed="true"' in sam.get(f"/products/{slug}").get_data(as_text=True)
    catalog = sam.get("/products").get_data(as_text=True)
    assert f'id="wish-{lamp}"' in catalog and 'aria-pressed="true"' in catalog


def test_a_visitors_hearts_link_to_login_and_back(app, client):
    for name in ("Lamp", "Vase", "Rug"):
        _product(app, name)
    html = client.get("/products?sort=name").get_data(as_text=True)
    login_links = html.count('href="/account/login?next=/products?sort%3Dname"')
    assert login_links == html.count('class="card"') == 3
    assert 'class="wish-form" id="wish-' not in html


def test_ids_beyond_the_database_integer_range_are_404(app, two_customers):
    sam, _ = two_customers
    huge = "99999999999999999999"
    assert sam.get(f"/account/addresses/{huge}/edit").status_code == 404
    for path in (f"/account/addresses/{huge}/delete", f"/account/addresses/{huge}/default",
                 f"/account/wishlist/{huge}"):
        assert sam.post(path, data={"saved": "1"}).status_code == 404
