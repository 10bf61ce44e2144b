"""The cart: adding, changing and removing lines, its rules, and what HTMX gets back."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shophub.cart import service as carts
from shophub.extensions import db
from shophub.models import Cart, CartItem, Product, Variant
from tests.shop_data import log_in, make_user, make_variant, set_stock

HTMX = {"HX-Request": "true"}


def cart_rows(app) -> list[tuple[int, int]]:
    """(variant id, quantity) of every cart line in the database."""
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(CartItem.variant_id, CartItem.quantity).order_by(CartItem.id))]


@pytest.fixture
def mug(app):
    with app.app_context():
        return make_variant("Mug", price=1250, stock=5)


@pytest.fixture
def shirt(app):
    with app.app_context():
        return make_variant("Shirt", price=2000, stock=3,
                            options={"Size": "M", "Colour": "Blue"})


def add(client, variant_id, quantity="1", headers=None):
    return client.post("/cart/items", data={"variant_id": variant_id, "quantity": quantity},
                       headers=headers or {})


def badge(html: str) -> int:
    match = re.search(r'class="cart-count" data-count="(\d+)"', html)
    assert match, "no cart badge in the page"
    return int(match.group(1))


def test_guest_adds_lines_and_sees_database_prices(app, client, mug, shirt):
    response = add(client, mug, "2")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert "shophub_cart" in response.headers.get("Set-Cookie", "")
    add(client, shirt, "1")
    page = client.get("/cart").get_data(as_text=True)
    assert "Added 2 × Mug to your cart." in page
    assert "$25.00" in page and "$20.00" in page
    assert 'id="cart-subtotal">$45.00<' in page
    assert badge(page) == 3
    assert cart_rows(app) == [(mug, 2), (shirt, 1)]


def test_price_is_read_when_the_cart_is_shown(app, client, mug):
    add(client, mug, "2", headers={"X-Price": "1"})
    client.post("/cart/items", data={"variant_id": mug, "quantity": "1", "price": "1"})
    with app.app_context():
        db.session.get(Variant, mug).price_cents = 999
        db.session.commit()
    page = client.get("/cart").get_data(as_text=True)
    assert 'id="cart-subtotal">$29.97<' in page


def test_adding_again_adds_up_and_is_capped_by_stock(app, client, mug):
    add(client, mug, "3")
    response = add(client, mug, "4", headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<p class="message message-notice">Only 5 of Mug in stock, so your cart has 5.' in html
    assert cart_rows(app) == [(mug, 5)]


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("-2", "The quantity cannot be negative."),
        ("abc", "Enter the quantity as a whole number from 1 to 99."),
        ("1.5", "Enter the quantity as a whole number from 1 to 99."),
        ("", "Enter the quantity as a whole number from 1 to 99."),
        ("100000000000000000000000", "Enter a quantity from 1 to 99."),
        ("0", "Enter a quantity from 1 to 99."),
        ("٣", "Enter the quantity as a whole number from 1 to 99."),
    ],
)
def test_bad_quantities_on_add_change_nothing(app, client, mug, quantity, message):
    add(client, mug, "1")
    response = add(client, mug, quantity, headers=HTMX)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert cart_rows(app) == [(mug, 1)]


@pytest.mark.parametrize("variant_id", ["999999", "abc", "-1", "", "1e3"])
def test_unknown_variants_change_nothing(app, client, variant_id):
    response = add(client, variant_id, "1", headers=HTMX)
    assert response.status_code == 422
    assert "That product option does not exist." in response.get_data(as_text=True)
    assert cart_rows(app) == []


def test_plain_form_error_redirects_back_with_the_message(app, client, mug):
    with app.app_context():
        set_stock(mug, 0)
        slug = db.session.get(Variant, mug).product.slug
    response = add(client, mug, "1")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/products/{slug}")
    assert "Mug is sold out." in client.get(f"/products/{slug}").get_data(as_text=True)
    assert cart_rows(app) == []


def test_archived_products_cannot_be_added(app, client):
    with app.app_context():
        old = make_variant("Old Lamp", stock=10, archived=True)
    response = add(client, old, "1", headers=HTMX)
    assert response.status_code == 422
    assert "Old Lamp is no longer available." in response.get_data(as_text=True)
    assert cart_rows(app) == []


def test_htmx_add_answers_with_message_and_badge_out_of_band(client, mug):
    response = add(client, mug, "2", headers=HTMX)
    html = response.get_data(as_text=True)
    assert 'id="add-result"' in html
    assert 'id="cart-badge"' in html and 'hx-swap-oob="true"' in html
    assert badge(html) == 2
    assert "<html" not in html


def test_update_quantity_caps_and_zero_removes(app, client, mug, shirt):
    add(client, mug, "1")
    add(client, shirt, "1")
    mug_line, shirt_line = (row[0] for row in _line_ids(app))
    response = client.post(f"/cart/items/{mug_line}", data={"quantity": "9"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert "Only 5 of Mug in stock, so your cart has 5." in html
    assert badge(html) == 6 and 'id="cart"' in html
    assert cart_rows(app) == [(mug, 5), (shirt, 1)]
    client.post(f"/cart/items/{shirt_line}", data={"quantity": "0"})
    assert cart_rows(app) == [(mug, 5)]


def _line_ids(app):
    with app.app_context():
        return db.session.execute(select(CartItem.id).order_by(CartItem.id)).all()


@pytest.mark.parametrize("quantity", ["-1", "x", "100", " "])
def test_bad_update_quantities_change_nothing(app, client, mug, quantity):
    add(client, mug, "2")
    (line_id,), = _line_ids(app)
    response = client.post(f"/cart/items/{line_id}", data={"quantity": quantity}, headers=HTMX)
    assert response.status_code == 422
    assert 'class="message message-error"' in response.get_data(as_text=True)
    assert cart_rows(app) == [(mug, 2)]


def test_remove_and_empty(app, client, mug, shirt):
    add(client, mug, "1")
    add(client, shirt, "2")
    (mug_line,), _ = _line_ids(app)
    response = client.post(f"/cart/items/{mug_line}/delete", headers=HTMX)
    assert "Removed Mug from your cart." in response.get_data(as_text=True)
    assert cart_rows(app) == [(shirt, 2)]
    response = client.post("/cart/empty")
    assert response.status_code == 303
    assert cart_rows(app) == []
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)


def test_another_visitors_line_cannot_be_changed(app, mug):
    owner, stranger = app.test_client(), app.test_client()
    add(owner, mug, "2")
    add(stranger, mug, "1")
    owner_line = _line_ids(app)[0][0]
    for path, data in ((f"/cart/items/{owner_line}", {"quantity": "5"}),
                       (f"/cart/items/{owner_line}/delete", {})):
        response = stranger.post(path, data=data, headers=HTMX)
        assert response.status_code == 422
        assert "That item is no longer in your cart." in response.get_data(as_text=True)
    assert cart_rows(app) == [(mug, 2), (mug, 1)]


def test_unavailable_lines_stay_visible_and_leave_the_total(app, client, mug, shirt):
    add(client, mug, "2")
    add(client, shirt, "3")
    with app.app_context():
        db.session.get(Variant, mug).product.archived = True
        db.session.get(Variant, shirt).stock = 2
        db.session.commit()
    page = client.get("/cart").get_data(as_text=True)
    assert "No longer available; it is not included in your total." in page
    assert "Only 2 left; 2 of your 3 are counted." in page
    assert 'id="cart-subtotal">$40.00<' in page
    with app.app_context():
        set_stock(shirt, 0)
    page = client.get("/cart").get_data(as_text=True)
    assert "Sold out; it is not included in your total." in page
    assert 'id="cart-subtotal">$0.00<' in page


def test_tampered_cookie_is_a_new_guest(app, client, mug):
    add(client, mug, "2")
    client.set_cookie("shophub_cart", "forged.value")
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)


def test_cart_page_statement_count_does_not_grow_with_lines(app, client, count_statements):
    with app.app_context():
        ids = [make_variant(f"Thing {n}", stock=10) for n in range(12)]
    add(client, ids[0], "1")
    with count_statements() as one_line:
        assert client.get("/cart").status_code == 200
    for variant_id in ids[1:]:
        add(client, variant_id, "2")
    with count_statements() as twelve_lines:
        page = client.get("/cart").get_data(as_text=True)
    assert page.count('<li class="cart-line') == 12
    assert one_line.count == twelve_lines.count <= 4
    with app.app_context():
        make_user()
    log_in(client)
    with count_statements() as logged_in:
        page = client.get("/cart").get_data(as_text=True)
    assert page.count('<li class="cart-line') == 12
    assert logged_in.count <= 4


def test_merge_on_login_adds_quantities_capped_by_stock(app, mug, shirt):
    with app.app_context():
        make_user()
        extra = make_variant("Bowl", stock=4)
    earlier = app.test_client()
    log_in(earlier)
    add(earlier, mug, "4")
    add(earlier, extra, "1")
    guest = app.test_client()
    add(guest, mug, "3")
    add(guest, shirt, "2")
    response = log_in(guest)
    assert response.status_code == 303
    assert "shophub_cart=;" in response.headers.get("Set-Cookie", "")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cart)) == 1
        cart = db.session.scalar(select(Cart))
        assert cart.user_id is not None and cart.token is None
        lines = {item.variant_id: item.quantity for item in cart.items}
    assert lines == {mug: 5, extra: 1, shirt: 2}
    page = guest.get("/cart").get_data(as_text=True)
    assert badge(page) == 8


def test_service_parse_quantity_bounds():
    assert carts.parse_quantity("99", allow_zero=False) == 99
    assert carts.parse_quantity(" 0 ", allow_zero=True) == 0
    with pytest.raises(carts.CartError):
        carts.parse_quantity("0", allow_zero=False)
    with pytest.raises(carts.CartError):
        carts.parse_quantity(None, allow_zero=True)


def test_product_page_form_posts_to_the_cart(app, client, mug):
    with app.app_context():
        slug = db.session.scalar(select(Product.slug))
    html = client.get(f"/products/{slug}").get_data(as_text=True)
    assert 'hx-post="/cart/items"' in html and f'name="variant_id" value="{mug}"' in html


def test_purge_deletes_only_stale_guest_carts(app, mug):
    with app.app_context():
        make_user()
    guest, customer, fresh = app.test_client(), app.test_client(), app.test_client()
    add(guest, mug, "1")
    log_in(customer)
    add(customer, mug, "1")
    with app.app_context():
        for cart in db.session.scalars(select(Cart)):
            cart.updated_at = datetime.now(UTC) - timedelta(days=40)
        db.session.commit()
    add(fresh, mug, "1")
    result = app.test_cli_runner().invoke(args=["shophub", "purge-carts"])
    assert "Deleted 1 abandoned guest carts." in result.output
    with app.app_context():
        remaining = db.session.execute(select(Cart.user_id, Cart.token)).all()
    assert len(remaining) == 2
    assert sum(1 for user_id, _ in remaining if user_id is not None) == 1
    assert len(cart_rows(app)) == 2


@pytest.mark.parametrize("huge", ["2147483648", "99999999999999999999"])
def test_ids_beyond_the_database_integer_range_are_refused_cleanly(app, client, mug, huge):
    add(client, mug, "1")
    response = add(client, huge, "1", headers=HTMX)
    assert response.status_code == 422
    assert "That product option does not exist." in response.get_data(as_text=True)
    for path in (f"/cart/items/{huge}", f"/cart/items/{huge}/delete"):
        assert client.post(path, data={"quantity": "1"}).status_code == 404
    assert cart_rows(app) == [(mug, 1)]
