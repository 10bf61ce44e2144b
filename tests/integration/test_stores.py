"""Stores: created from the command line, found by host, and each blind to the others' rows."""

import json
import re
import time
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from shophub.catalog import options
from shophub.extensions import db
from shophub.models import (
    AuditEntry,
    CartItem,
    Order,
    Product,
    Store,
    StoreDomain,
    StoreSettings,
    User,
    Variant,
)
from shophub.platform import store_settings, tenancy
from shophub.platform.links import external_url
from tests.checkout_data import (
    add_to_cart,
    make_method,
    outbox,
    pay,
    place_from_cart,
    send_contact,
    send_shipping,
)
from tests.localstripe import sign_payload
from tests.shop_data import log_in, make_user, make_variant

CORNER = {"HTTP_HOST": "corner.localhost"}


def _create(app, *args: str):
    return app.test_cli_runner().invoke(args=["shophub", "create-store", *args])


@pytest.fixture
def corner(app):
    """A second store, `corner`, answering to corner.example.com and corner.localhost."""
    result = _create(app, "corner", "--name", "Corner Shop", "--domain", "Corner.Example.com",
                     "--currency", "EUR")
    assert result.exit_code == 0, result.output
    with app.app_context():
        return db.session.scalar(select(Store.id).where(Store.slug == "corner"))


def test_create_store_makes_the_store_its_settings_and_domains(app, corner):
    with app.app_context():
        store = db.session.get(Store, corner)
        assert [domain.host for domain in store.domains] == ["corner.example.com"]
        assert not store.is_default
        settings = db.session.get(StoreSettings, corner)
        assert (settings.store_name, settings.currency) == ("Corner Shop", "EUR")
        with tenancy.use_store(corner):
            assert store_settings.identity() == store_settings.StoreIdentity("Corner Shop",
                                                                             "EUR")
            (entry,) = db.session.scalars(select(AuditEntry)).all()
            assert entry.action == "store.created"


@pytest.mark.parametrize(("args", "reason"), [
    (["Bad Slug!", "--name", "X"], "slug is 1 to 60"),
    (["other", "--name", "X", "--domain", "not a host"], "is not a host name"),
    (["other", "--name", "X", "--domain", "corner.example.com"], "already belongs"),
    (["corner", "--name", "X"], "already a store corner"),
    (["other", "--name", "X", "--currency", "XYZ"], "not a supported currency"),
])
def test_create_store_refuses_with_a_reason_and_writes_nothing(app, corner, args, reason):
    with app.app_context():
        before = (db.session.scalar(select(func.count(Store.id))),
                  db.session.scalar(select(func.count(StoreDomain.id))))
    result = _create(app, *args)
    assert result.exit_code != 0 and reason in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert before == (db.session.scalar(select(func.count(Store.id))),
                          db.session.scalar(select(func.count(StoreDomain.id))))


def test_a_request_is_served_by_the_store_of_its_host(app, client, corner):
    with app.app_context():
        make_variant("Teapot")
        with tenancy.use_store(corner):
            make_variant("Kettle")
    for host, sees, not_sees in [("corner.example.com", "Kettle", "Teapot"),
                                 ("corner.localhost:5000", "Kettle", "Teapot"),
                                 ("localhost", "Teapot", "Kettle"),
                                 ("unknown.example.org", "Teapot", "Kettle")]:
        page = client.get("/products", headers={"Host": host}).get_data(as_text=True)
        assert sees in page and not_sees not in page, host
    assert "Corner Shop" in client.get("/", headers={"Host": "corner.example.com"}).get_data(
        as_text=True)


def test_a_product_of_one_store_is_404_in_another(app, client, corner):
    with app.app_context():
        variant_id = make_variant("Teapot")
        slug = db.session.get(Variant, variant_id).product.slug
    assert client.get(f"/products/{slug}").status_code == 200
    assert client.get(f"/products/{slug}", environ_overrides=CORNER).status_code == 404
    client.post("/cart/items", data={"variant_id": variant_id, "quantity": 1},
                environ_overrides=CORNER)
    with app.app_context():
        assert db.session.scalar(select(func.count(CartItem.id))) == 0
        with tenancy.use_store(corner):
            assert db.session.get(Variant, variant_id) is None


def test_the_same_slug_and_sku_may_exist_in_two_stores(app, corner):
    with app.app_context():
        for store_id in (None, corner):
            with tenancy.use_store(store_id):
                db.session.add(Variant(product=Product(name="Mug", slug="mug"), sku="MUG-1",
                                       price_cents=500, stock=1))
                db.session.commit()
        rows = db.session.execute(tenancy.across_stores(
            select(Product.store_id, Product.slug))).all()
        assert sorted(rows) == sorted([(1, "mug"), (corner, "mug")])


def test_orm_updates_and_deletes_touch_only_the_current_store(app, corner):
    with app.app_context():
        mine = make_variant("Teapot", stock=5)
        with tenancy.use_store(corner):
            theirs = make_variant("Kettle", stock=5)
            db.session.execute(update(Variant).values(stock=0))
            db.session.commit()
        stocks = dict(db.session.execute(tenancy.across_stores(
            select(Variant.id, Variant.stock))).all())
        assert stocks == {mine: 5, theirs: 0}


def test_each_store_has_its_own_option_lists(app, client, corner):
    with app.app_context():
        make_variant("Teapot", options={"Size": "Small", "Glaze": "Celadon"})
        make_variant("Big Teapot", options={"Size": "Large"})
        with tenancy.use_store(corner):
            make_variant("Kettle", options={"Size": "1 l", "Finish": "Copper"})
            make_variant("Grinder", options={"Burr": "Steel"})
            # Made in the corner, the lists and values are the corner's own.
            assert {option.slug: option.values for option in options.store_options()} == {
                "size": ("1 l",), "finish": ("Copper",), "burr": ("Steel",)}
        assert [option.slug for option in options.store_options()] == ["size", "glaze"]
    pages = {host: client.get("/products", headers={"Host": host}).get_data(as_text=True)
             for host in ("localhost", "corner.localhost")}
    assert re.findall(r'name="size" value="([^"]+)"', pages["localhost"]) == ["Small", "Large"]
    assert re.findall(r'name="size" value="([^"]+)"', pages["corner.localhost"]) == ["1 l"]
    for text in ("Glaze", "Celadon"):
        assert text in pages["localhost"] and text not in pages["corner.localhost"]
    for text in ("Finish", "Copper", "Burr"):
        assert text in pages["corner.localhost"] and text not in pages["localhost"]
    # One store's values and lists filter nothing in the other.
    small = client.get("/products?size=Small", headers={"Host": "corner.localhost"})
    assert "Kettle" not in small.get_data(as_text=True)
    glaze = client.get("/products?glaze=Celadon", headers={"Host": "corner.localhost"})
    assert "Kettle" in glaze.get_data(as_text=True)
    assert 'value="Celadon"' not in glaze.get_data(as_text=True)
    api = client.get("/api/v1/options", headers={"Host": "corner.localhost"}).get_json()
    assert [option["name"] for option in api["data"]] == ["Size", "Finish", "Burr"]


class _HostClient(FlaskClient):
    """A test client whose every request names one Host."""

    host = "localhost"

    def open(self, *args, **kwargs):
        """Send the request to `host`."""
        kwargs.setdefault("environ_overrides", {})["HTTP_HOST"] = self.host
        return super().open(*args, **kwargs)


def _client_of(app, host: dict):
    app.test_client_class = type("Client", (_HostClient,), {"host": host["HTTP_HOST"]})
    try:
        return app.test_client()
    finally:
        app.test_client_class = None


def _buy(client, variant_id: int, method_id: int) -> None:
    add_to_cart(client, variant_id, 1)
    send_contact(client)
    assert send_shipping(client, method_id, place_order=True).status_code == 303
    assert client.get("/checkout/payment").status_code == 200
    paid = pay(client)
    assert paid.status_code == 303 and "/checkout/complete" in paid.location
    assert "Your order is confirmed." in client.get(paid.location).get_data(as_text=True)


def test_each_store_numbers_its_orders_and_keeps_its_own_currency(app, corner):
    with app.app_context():
        mug, method = make_variant("Mug", price=1000), make_method()
        with tenancy.use_store(corner):
            kettle, corner_method = make_variant("Kettle", price=2000), make_method()
    _buy(_client_of(app, {"HTTP_HOST": "localhost"}), mug, method)
    _buy(_client_of(app, CORNER), kettle, corner_method)
    with app.app_context():
        orders = db.session.execute(tenancy.across_stores(
            select(Order.store_id, Order.number, Order.currency, Order.status)
            .order_by(Order.store_id))).all()
        assert [tuple(row) for row in orders] == [(1, "SH-10001", "USD", "paid"),
                                                  (corner, "SH-10001", "EUR", "paid")]
        # Each store's own view sees its one order.
        with tenancy.use_store(corner):
            assert db.session.scalar(select(func.count(Order.id))) == 1


def test_a_job_queued_in_a_store_runs_in_that_store(app, corner):
    with app.app_context(), tenancy.use_store(corner):
        kettle, method = make_variant("Kettle", price=2000), make_method()
    _buy(_client_of(app, CORNER), kettle, method)
    (mail,) = outbox(app)
    assert mail["Subject"] == "Order SH-10001 confirmed"
    assert "Corner Shop" in mail["From"]
    assert "€20.00" in mail.get_body(("plain",)).get_content()


def test_the_store_is_found_once_then_served_from_the_cache(app, client, corner,
                                                          count_statements):
    client.get("/cart", environ_overrides=CORNER)
    with count_statements() as counter:
        client.get("/cart", environ_overrides=CORNER)
        client.get("/cart", headers={"Host": "corner.example.com"})
    store_reads = [statement for statement in counter.statements
                   if "store_domain" in statement or "FROM store " in statement
                   or "FROM store\n" in statement]
    # The second host is new to this process: one lookup, then none.
    assert len(store_reads) <= 1, store_reads


WEBHOOK_SECRET = "whsec_default_store"
CORNER_SECRET = "whsec_corner_store"


def _event(intent_id: str, order_id: int, amount: int) -> bytes:
    return json.dumps({
        "id": f"evt_{uuid.uuid4().hex[:20]}", "object": "event", "type":
        "payment_intent.succeeded", "created": int(time.time()), "livemode": False,
        "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": amount,
                            "currency": "usd", "status": "succeeded",
                            "latest_charge": "ch_" + intent_id[3:], "created": int(time.time()),
                            "metadata": {"order_id": str(order_id)}}}}).encode()


def _post(client, body: bytes, secret: str, host: str):
    return client.post("/webhooks/stripe", data=body, headers={
        "Host": host, "Content-Type": "application/json",
        "Stripe-Signature": sign_payload(body, secret)})


@pytest.mark.parametrize("app_config", [{
    "STRIPE_SECRET_KEY": "sk_test_default", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "STRIPE_API_BASE": "http://127.0.0.1:9"}])
def test_a_webhook_is_checked_with_its_hosts_store_and_settles_only_that_stores_order(
        app, client, corner):
    with app.app_context():
        db.session.execute(update(Store).where(Store.id == corner).values(
            stripe_secret_key="sk_test_corner", stripe_webhook_secret=CORNER_SECRET))
        db.session.commit()
        order = place_from_cart([(make_variant("Mug", price=1000), 1)], make_method(price=0))
        order.payment_intent_id, order.payment_provider = "pi_default_1", "stripe"
        db.session.commit()
        order_id, amount = order.id, order.total_cents
    body = _event("pi_default_1", order_id, amount)
    # Signed by the default store's account, sent to the corner's host: refused.
    assert _post(client, body, WEBHOOK_SECRET, "corner.example.com").status_code == 400
    # Signed by the corner's account: accepted, but the order is not the corner's.
    answer = _post(client, body, CORNER_SECRET, "corner.example.com")
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "unknown_order"
    with app.app_context():
        assert db.session.get(Order, order_id).status == "pending"
    answer = _post(client, body, WEBHOOK_SECRET, "localhost")
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "handled"
    with app.app_context():
        assert db.session.get(Order, order_id).status == "paid"


def test_staff_roles_belong_to_one_store(app, corner):
    with app.app_context():
        make_user("clerk@example.com", role="staff")  # the default store's staff
    clerk, at_corner = app.test_client(), _client_of(app, CORNER)
    for client in (clerk, at_corner):  # one account, signed in at each store's host
        assert log_in(client, "clerk@example.com").status_code in (302, 303)
    assert clerk.get("/admin/orders").status_code == 200
    assert at_corner.get("/admin/orders").status_code == 403
    with app.app_context():
        with tenancy.use_store(corner):
            user = db.session.scalar(select(User).where(User.email == "clerk@example.com"))
            assert user.role == "customer"
            user.role = "admin"
            db.session.commit()
        assert db.session.get(User, user.id).role == "staff"
    page = at_corner.get("/admin/orders")
    assert page.status_code == 200 and "Corner Shop" in page.get_data(as_text=True)
    switcher = clerk.get("/admin/orders").get_data(as_text=True)
    assert "Switch store" in switcher and "http://corner.example.com/admin" in switcher


def test_create_admin_platform_marks_a_platform_owner(app):
    result = app.test_cli_runner().invoke(args=["shophub", "create-admin", "owner@example.com",
                                                "--platform"],
                                          input="Sup3r-secret-pass!\nSup3r-secret-pass!\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.email == "owner@example.com"))
        assert owner.is_platform_owner and owner.role == "admin"


def test_platform_owners_list_and_create_stores_from_the_admin(app, corner):
    with app.app_context():
        owner_id = make_user("owner@example.com", role="admin")
        db.session.get(User, owner_id).is_platform_owner = True
        db.session.commit()
        make_user("admin@example.com", role="admin")
    owner, admin = app.test_client(), app.test_client()
    log_in(owner, "owner@example.com")
    log_in(admin, "admin@example.com")
    assert admin.get("/admin/stores").status_code == 403
    page = owner.get("/admin/stores").get_data(as_text=True)
    assert "Corner Shop" in page and "corner.example.com" in page
    refused = owner.post("/admin/stores", data={"slug": "corner", "name": "Again"})
    assert refused.status_code == 422 and "already a store corner" in refused.get_data(
        as_text=True)
    created = owner.post("/admin/stores", data={"slug": "third", "name": "Third Shop",
                                                "domain": "third.example.com"})
    assert created.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Store.slug).where(Store.slug == "third")) == "third"


def test_links_in_mails_of_a_store_point_at_its_own_address(app, corner):
    with app.app_context():
        assert external_url("shop.home").startswith("http://localhost")
        with tenancy.use_store(corner):
            assert external_url("shop.home") == "http://corner.example.com/"
