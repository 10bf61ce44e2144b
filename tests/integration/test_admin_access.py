"""Every /admin URL is for staff: strangers log in, customers get 403, staff miss admin-only."""

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from shophub.admin.blueprint import is_admin_only
from shophub.extensions import db
from shophub.models import AuditEntry, Order
from shophub.platform.audit import AuditEntryImmutable
from tests.shop_data import log_in, make_user


def admin_urls(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every admin route, with 1 for each path argument."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((rule.endpoint, method, url))
    return urls


def request(client, method: str, url: str):
    return client.open(url, method=method, data={})


def test_the_admin_has_routes_to_check(app):
    endpoints = {endpoint for endpoint, _, _ in admin_urls(app)}
    assert {"admin.dashboard", "admin.audit"} <= endpoints


def test_a_stranger_is_sent_to_log_in_everywhere(app, client):
    for endpoint, method, url in admin_urls(app):
        response = request(client, method, url)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert "/account/login" in response.location


def test_a_customer_gets_403_everywhere(app, client):
    with app.app_context():
        make_user("customer@example.com")
    log_in(client, "customer@example.com")
    for endpoint, method, url in admin_urls(app):
        assert request(client, method, url).status_code == 403, (endpoint, method)


def test_staff_get_403_on_admin_only_pages_and_admins_do_not(app, client):
    with app.app_context():
        make_user("staff@example.com", role="staff")
        make_user("admin@example.com", role="admin")
        only_admin = [entry for entry in admin_urls(app) if is_admin_only(entry[0])]
    log_in(client, "staff@example.com")
    for endpoint, method, url in only_admin:
        assert request(client, method, url).status_code == 403, (endpoint, method)
    assert client.get("/admin").status_code == 200
    admin = client.application.test_client()
    log_in(admin, "admin@example.com")
    for endpoint, method, url in only_admin:
        if method == "GET":
            assert request(admin, method, url).status_code in (200, 404), endpoint


def test_staff_see_the_admin_link_and_customers_do_not(app, client):
    with app.app_context():
        make_user("staff@example.com", role="staff")
        make_user("customer@example.com")
    log_in(client, "customer@example.com")
    assert 'href="/admin"' not in client.get("/").get_data(as_text=True)
    staff = client.application.test_client()
    log_in(staff, "staff@example.com")
    assert 'href="/admin"' in staff.get("/").get_data(as_text=True)


@pytest.fixture
def staff_client(app, client):
    with app.app_context():
        make_user("staff@example.com", role="staff")
    log_in(client, "staff@example.com")
    return client


def test_admin_pages_are_never_cached(staff_client):
    response = staff_client.get("/admin")
    assert response.headers["Cache-Control"] == "private, no-store"


def test_audit_log_lists_and_filters_entries(app, staff_client):
    with app.app_context():
        db.session.add_all([
            AuditEntry(actor_label="stripe webhook", action="order.paid", entity_type="order",
                       entity_id=7, summary="Paid $10.00", before={"status": "pending"},
                       after={"status": "paid"}),
            AuditEntry(actor_label="ann@example.com", action="product.updated",
                       entity_type="product", entity_id=3, summary="Price changed"),
        ])
        db.session.commit()
    page = staff_client.get("/admin/audit").get_data(as_text=True)
    assert "order.paid" in page and "product.updated" in page and "pending → paid" in page
    only_orders = staff_client.get("/admin/audit?entity=order").get_data(as_text=True)
    assert "order.paid" in only_orders and "Price changed" not in only_orders
    by_actor = staff_client.get("/admin/audit?actor=ann", headers={"HX-Request": "true"})
    text = by_actor.get_data(as_text=True)
    assert "<html" not in text and "Price changed" in text and "Paid $10.00" not in text
    assert staff_client.get("/admin/audit?page=zzz").status_code == 200


def test_audit_entries_cannot_be_changed_or_deleted(app):
    with app.app_context():
        actor_id = make_user("gone@example.com", role="staff")
        entry = AuditEntry(actor_id=actor_id, actor_label="gone@example.com",
                           action="product.updated", entity_type="product", entity_id=3,
                           summary="Price changed")
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id
        entry.summary = "Nothing happened"
        with pytest.raises(AuditEntryImmutable):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEntry, entry_id))
        with pytest.raises(AuditEntryImmutable):
            db.session.commit()
        db.session.rollback()
        if db.engine.dialect.name != "postgresql":
            return
        # The database itself refuses, whatever the client.
        for statement in ("UPDATE audit_entry SET summary = 'x'", "DELETE FROM audit_entry"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
        # Removing the actor's account only forgets who it was.
        db.session.execute(sa.text("DELETE FROM user_account WHERE id = :id"), {"id": actor_id})
        db.session.commit()
        kept = db.session.get(AuditEntry, entry_id)
        assert kept.actor_id is None and kept.summary == "Price changed"
        assert kept.actor_label == "gone@example.com"


def test_dashboard_shows_revenue_and_low_stock(app, staff_client):
    from datetime import UTC, datetime

    from tests.shop_data import make_variant

    with app.app_context():
        make_variant("Last Candle", stock=2)
        now = datetime.now(UTC)
        for number, (total, refunded) in enumerate([(5000, 0), (3000, 1000)]):
            db.session.add(Order(
                number=f"SH-{number}", token=f"tok{number}", email="a@example.com",
                ship_name="A", ship_line1="1 St", ship_city="Town", ship_country="US",
                currency="USD", subtotal_cents=total, total_cents=total, refunded_cents=refunded,
                status="paid", payment_status="succeeded", stock_state="committed",
                reserved_until=now, paid_at=now))
        db.session.add(Order(
            number="SH-9", token="tok9", email="b@example.com", ship_name="B", ship_line1="1",
            ship_city="T", ship_country="US", currency="USD", subtotal_cents=999,
            total_cents=999, reserved_until=now))
        db.session.commit()
        assert db.session.scalar(select(Order.id).where(Order.number == "SH-9"))
    page = staff_client.get("/admin").get_data(as_text=True)
    assert "$70.00" in page  # 50 + 30 - 10 refunded; the unpaid order is not revenue
    assert "$35.00" in page  # average of the two paid orders
    assert "Last Candle" in page
    assert "<svg" in page and "<table" in page


def test_ids_too_large_for_the_database_are_404_not_500(app, client):
    with app.app_context():
        make_user("admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    for endpoint, method, url in admin_urls(app):
        if "/1" not in url:
            continue
        huge = url.replace("/1", "/99999999999")
        response = request(client, method, huge)
        assert response.status_code == 404, (endpoint, method, response.status_code)
