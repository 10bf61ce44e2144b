"""The admin's orders: list, filters, sort, pages, CSV export, one order's page and the staff's
actions (ship, deliver, cancel, refund) with their audit entries, mails and refusals."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import AuditEntry, Order, OrderItem, Refund
from shophub.orders import service as orders
from shophub.payments import PaymentError, provider
from shophub.payments.demo import DemoProvider
from shophub.payments.flow import ensure_intent
from tests.checkout_data import (
    SUCCEEDS,
    audit_actions,
    count_rows,
    demo_intent,
    make_method,
    outbox,
    page,
    place_from_cart,
    stock_of,
)
from tests.shop_data import PASSWORD, log_in, make_user, make_variant

STAFF = "staff@example.com"
HX = {"HX-Request": "true"}
DAY = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def staff(app, client):
    """`client`, logged in as a staff member."""
    with app.app_context():
        make_user(STAFF, role="staff")
    assert log_in(client, STAFF).status_code in (302, 303)
    return client


def _insert(number: int, *, email: str | None = None, status: str = "paid",
            payment: str = "succeeded", total: int = 1000, placed_at: datetime = DAY,
            units: int = 1, currency: str = "USD", **extra) -> int:
    """An order row written directly (no checkout), with one line of `units` units."""
    order = Order(
        number=f"SH-{number}", token=f"token-{number}", email=email or f"buyer{number}@example.com",
        ship_name="Ann Buyer", ship_line1="1 Main St", ship_city="Springfield",
        ship_country="US", currency=currency, subtotal_cents=total, total_cents=total,
        status=status, payment_status=payment,
        stock_state="committed" if payment == "succeeded" else "reserved",
        reserved_until=placed_at, placed_at=placed_at, **extra)
    order.items.append(OrderItem(product_name="Mug", sku=f"MUG-{number}", quantity=units,
                                 unit_price_cents=total // units, subtotal_cents=total,
                                 total_cents=total))
    db.session.add(order)
    db.session.commit()
    return order.id


def _many(count: int = 30) -> None:
    """`count` orders a day apart, totals rising, every third one pending."""
    for n in range(count):
        pending = n % 3 == 2
        _insert(1000 + n, status="pending" if pending else "paid",
                payment="requires_payment" if pending else "succeeded",
                total=1000 + n * 100, placed_at=DAY + timedelta(days=n), units=n % 4 + 1)


def _numbers(text: str) -> list[str]:
    return re.findall(r'/admin/orders/\d+">(SH-\d+)</a>', text)


def _order(order_id: int) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def _placed(quantity: int = 2, stock: int = 5, price: int = 2000,
            email: str = "ann@example.com") -> tuple[int, int]:
    """A pending order through the real placement, with a demo intent: (order id, variant)."""
    variant_id = make_variant("Teapot", price=price, stock=stock)
    method_id = make_method("Standard", price=500)
    order = place_from_cart([(variant_id, quantity)], method_id, email=email)
    ensure_intent(order)
    return order.id, variant_id


def _paid(**kwargs) -> tuple[int, int]:
    """A paid order (demo card, mark_paid): (order id, variant id)."""
    order_id, variant_id = _placed(**kwargs)
    intent = provider().confirm(_order(order_id).payment_intent_id, SUCCEEDS)
    db.session.commit()
    assert orders.mark_paid(order_id, intent, "webhook") == orders.PAID_NOW
    return order_id, variant_id


def _entries(order_id: int, action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "order",
                                 AuditEntry.entity_id == order_id, AuditEntry.action == action)
        .order_by(AuditEntry.id)))


def _shipping_mails(app) -> list:
    return [mail for mail in outbox(app) if "has shipped" in mail["Subject"]]


def _followed(client, response) -> str:
    """The page a 303 leads to (with its flashed message)."""
    assert response.status_code == 303, (response.status_code, page(response)[:500])
    return page(client.get(response.location))


# --- the list --------------------------------------------------------------------------------

def test_the_list_pages_by_25_and_a_page_past_the_end_is_the_last(app, staff):
    with app.app_context():
        _many(30)
    first = page(staff.get("/admin/orders"))
    assert "30 orders" in first and "Page 1 of 2" in first
    numbers = _numbers(first)
    assert len(numbers) == 25 and numbers[0] == "SH-1029"  # newest first
    second = page(staff.get("/admin/orders?page=2"))
    assert _numbers(second) == [f"SH-{n}" for n in range(1004, 999, -1)]
    assert _numbers(page(staff.get("/admin/orders?page=99"))) == _numbers(second)
    assert "Page 2 of 2" in page(staff.get("/admin/orders?page=99"))
    assert len(_numbers(page(staff.get("/admin/orders?per_page=50")))) == 30
    assert len(_numbers(page(staff.get("/admin/orders?page=zzz")))) == 25
    assert 'href="/admin/orders?page=2"' in first


def test_filters_search_and_sort(app, staff):
    with app.app_context():
        _many(12)
        _insert(2000, email="Zoe.Q@Example.com", status="shipped", payment="succeeded",
                total=50, placed_at=DAY - timedelta(days=30))
        _insert(2001, email="percent%@example.com", total=60, placed_at=DAY)
    pending = _numbers(page(staff.get("/admin/orders?status=pending")))
    assert pending == ["SH-1011", "SH-1008", "SH-1005", "SH-1002"]
    assert _numbers(page(staff.get("/admin/orders?payment=requires_payment"))) == pending
    dated = _numbers(page(staff.get("/admin/orders?placed_from=2024-05-12&placed_to=2024-05-13")))
    assert dated == ["SH-1003", "SH-1002"]
    assert _numbers(page(staff.get("/admin/orders?q=zoe.q@EXAMPLE"))) == ["SH-2000"]
    assert _numbers(page(staff.get("/admin/orders?q=SH-101"))) == ["SH-1011", "SH-1010"]
    assert _numbers(page(staff.get("/admin/orders?q=%25"))) == ["SH-2001"]  # % is literal
    assert _numbers(page(staff.get("/admin/orders?q=nobody"))) == []
    by_total = _numbers(page(staff.get("/admin/orders?sort=total&dir=asc")))
    assert by_total[:3] == ["SH-2000", "SH-2001", "SH-1000"]
    by_email = _numbers(page(staff.get("/admin/orders?sort=email&dir=desc")))
    assert by_email[0] == "SH-2000"
    by_number = _numbers(page(staff.get("/admin/orders?sort=number&dir=asc&status=paid")))
    assert by_number == sorted(by_number) and "SH-1002" not in by_number
    by_status = _numbers(page(staff.get("/admin/orders?sort=status&dir=desc")))
    assert by_status[0] == "SH-2000"  # shipped sorts after pending and paid
    oldest = _numbers(page(staff.get("/admin/orders?sort=date&dir=asc")))
    assert oldest[0] == "SH-2000"


def test_an_htmx_request_gets_only_the_table(app, staff):
    with app.app_context():
        _many(3)
    response = staff.get("/admin/orders?status=pending", headers=HX)
    text = page(response)
    assert response.status_code == 200 and "<html" not in text
    assert text.lstrip().startswith('<div id="orders-table">')
    assert _numbers(text) == ["SH-1002"] and "HX-Request" in response.headers["Vary"]
    full = page(staff.get("/admin/orders?status=pending"))
    assert "<html" in full and 'hx-push-url="true"' in full


@pytest.mark.parametrize("query, message", [
    ("status=lost", "“lost” is not an order status"),
    ("payment=free", "“free” is not a payment status"),
    ("placed_from=2024-13-45", "“2024-13-45” is not a date"),
    ("placed_to=yesterday", "“yesterday” is not a date"),
    ("placed_from=2024-5-1", "“2024-5-1” is not a date"),
    ("sort=drop+table", "“drop table” is not a column"),
    ("dir=sideways", "“sideways” is not a sort direction"),
    ("per_page=100000", "“100000” is not a page size"),
    ("placed_from=2024-06-02&placed_to=2024-06-01", "after the “placed to” date"),
])
def test_bad_filter_values_are_ignored_with_a_message(app, staff, query, message):
    with app.app_context():
        _many(3)
    for headers in ({}, HX):
        response = staff.get(f"/admin/orders?{query}", headers=headers)
        assert response.status_code == 200
        assert message in page(response)
    if "placed_to=2024-06-01" not in query:
        assert len(_numbers(page(staff.get(f"/admin/orders?{query}")))) == 3


@pytest.mark.parametrize("query", ["", "?per_page=100", "?page=2", "?status=paid&sort=total",
                                   "?q=example&placed_from=2024-05-01&sort=email&dir=asc"])
def test_the_list_issues_at_most_four_statements_whatever_the_page_size(
        app, staff, count_statements, query):
    with app.app_context():
        _many(30)
    staff.get("/admin/orders")  # warm up anything cached per process
    counts = []
    for headers in ({}, HX):
        with count_statements() as counter:
            response = staff.get("/admin/orders" + query, headers=headers)
        assert response.status_code == 200 and _numbers(page(response))
        assert counter.count <= 4, counter.statements
        counts.append(counter.count)
    with count_statements() as one_row:
        assert len(_numbers(page(staff.get("/admin/orders?q=SH-1029")))) == 1
    assert counts[0] == one_row.count  # 1 row or 100 rows: the same statements


# --- the CSV export ----------------------------------------------------------------------------

def test_the_csv_export_has_the_filtered_orders_and_defuses_formulas(app, staff):
    with app.app_context():
        _insert(1, email="=HYPERLINK(\"http://evil\")@example.com", total=123456, units=3,
                refunded_cents=1000, discount_cents=0, shipping_cents=500, tax_cents=99)
        _insert(2, email="+cmd@example.com", total=250, placed_at=DAY + timedelta(days=1))
        _insert(3, email="pending@example.com", status="pending", payment="requires_payment")
        _insert(4, email="yen@example.com", total=1500, currency="JPY")
    response = staff.get("/admin/orders.csv?status=paid&sort=number&dir=asc")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert re.fullmatch(r"attachment; filename=orders-\d{8}\.csv",
                        response.headers["Content-Disposition"])
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["number", "placed_at", "email", "status", "payment_status", "currency",
                       "subtotal", "discount", "shipping", "tax", "total", "refunded",
                       "item_count"]
    assert [row[0] for row in rows[1:]] == ["SH-1", "SH-2", "SH-4"]
    first = rows[1]
    assert first[1] == "2024-05-10T12:00:00+00:00"
    assert first[2] == "'=HYPERLINK(\"http://evil\")@example.com"
    assert first[3:] == ["paid", "succeeded", "USD", "1234.56", "0.00", "5.00", "0.99",
                         "1234.56", "10.00", "3"]
    assert rows[2][2] == "'+cmd@example.com"
    assert rows[3][5:7] == ["JPY", "1500"]
    everything = staff.get("/admin/orders.csv?status=bogus").get_data(as_text=True)
    assert len(everything.strip().splitlines()) == 5
    searched = staff.get("/admin/orders.csv?q=yen").get_data(as_text=True)
    assert len(searched.strip().splitlines()) == 2 and "yen@example.com" in searched


def test_the_list_links_to_the_export_of_its_filter(app, staff):
    text = page(staff.get("/admin/orders?status=paid&q=ann"))
    assert re.search(r'href="/admin/orders\.csv\?[^"]*status=paid', text)


# --- one order ---------------------------------------------------------------------------------

def test_the_order_page_shows_lines_amounts_payment_and_timeline(app, staff):
    with app.app_context():
        order_id, _ = _paid()
        orders.refund(order_id, 500, "Scratched lid")
        order = _order(order_id)
        number, total = order.number, order.total_cents
    text = page(staff.get(f"/admin/orders/{order_id}"))
    assert f"Order {number}" in text and "Teapot" in text and "1 Main St" in text
    assert f"${total / 100:,.2f}" in text and "Scratched lid" in text and "demo_re_" in text
    assert "order.paid" in text and "order.refunded" in text and "pending → paid" in text
    assert "Mark shipped" in text and "Refund" in text and "Cancel the order" in text
    assert staff.get("/admin/orders/999999").status_code == 404
    assert staff.post("/admin/orders/999999/ship", data={"carrier": "UPS",
                                                         "tracking_number": "1"}).status_code == 404


def test_the_order_page_shows_a_hold(app, staff):
    with app.app_context():
        order_id = _insert(7, review_reason="Paid $1.00 but the order total is $10.00.",
                           dispute_status="needs_response")
    text = page(staff.get(f"/admin/orders/{order_id}"))
    assert "On hold" in text and "disputed (needs response)" in text
    assert "Mark shipped" not in text


# --- ship and deliver ---------------------------------------------------------------------------

def test_shipping_mails_the_buyer_once_and_is_audited(app, staff):
    with app.app_context():
        order_id, _ = _paid()
    missing = _followed(staff, staff.post(f"/admin/orders/{order_id}/ship",
                                          data={"carrier": "UPS", "tracking_number": " "}))
    assert "Enter the tracking number." in missing
    too_long = staff.post(f"/admin/orders/{order_id}/ship",
                          data={"carrier": "x" * 81, "tracking_number": "1Z"})
    assert "at most 80 characters" in _followed(staff, too_long)
    with app.app_context():
        assert _order(order_id).status == "paid"
    done = _followed(staff, staff.post(f"/admin/orders/{order_id}/ship",
                                       data={"carrier": "UPS", "tracking_number": "1Z999AA1"}))
    assert "marked shipped with UPS (1Z999AA1)" in done
    again = _followed(staff, staff.post(f"/admin/orders/{order_id}/ship",
                                        data={"carrier": "DHL", "tracking_number": "2"}))
    assert "only a paid order that has not shipped yet can be marked shipped" in again
    with app.app_context():
        order = _order(order_id)
        assert (order.status, order.carrier, order.tracking_number) == (
            "shipped", "UPS", "1Z999AA1")
        assert order.shipped_at is not None
        number = order.number
        (entry,) = _entries(order_id, "order.shipped")
        assert entry.actor_label == STAFF and entry.ip
        assert entry.before["status"] == "paid" and entry.before["tracking_number"] is None
        assert entry.after["status"] == "shipped" and entry.after["tracking_number"] == "1Z999AA1"
    (mail,) = _shipping_mails(app)
    assert mail["To"] == "ann@example.com"
    assert mail["Subject"] == f"Order {number} has shipped"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "UPS" in body and "1Z999AA1" in body
    assert "1Z999AA1" in mail.get_body(preferencelist=("html",)).get_content()


@pytest.mark.parametrize("hold", [{"review_reason": "Paid $1.00 but the total is $41.00."},
                                  {"dispute_status": "needs_response"}])
def test_an_order_on_hold_is_not_shipped(app, staff, hold):
    with app.app_context():
        order_id, _ = _paid()
        order = _order(order_id)
        for key, value in hold.items():
            setattr(order, key, value)
        db.session.commit()
    response = staff.post(f"/admin/orders/{order_id}/ship",
                          data={"carrier": "UPS", "tracking_number": "1Z"}, headers=HX)
    assert response.status_code == 422
    text = page(response)
    assert "is on hold because" in text and "<html" not in text
    with app.app_context():
        order = _order(order_id)
        assert (order.status, order.shipped_at, order.tracking_number) == ("paid", None, None)
        assert _entries(order_id, "order.shipped") == []
    assert _shipping_mails(app) == []


def test_a_dispute_won_does_not_hold_shipping(app, staff):
    with app.app_context():
        order_id, _ = _paid()
        _order(order_id).dispute_status = "won"
        db.session.commit()
    response = staff.post(f"/admin/orders/{order_id}/ship",
                          data={"carrier": "UPS", "tracking_number": "1Z"})
    assert response.status_code == 303
    with app.app_context():
        assert _order(order_id).status == "shipped"


def test_delivery_follows_shipping_only(app, staff):
    with app.app_context():
        order_id, _ = _paid()
    early = _followed(staff, staff.post(f"/admin/orders/{order_id}/deliver"))
    assert "only a shipped order can be marked delivered" in early
    staff.post(f"/admin/orders/{order_id}/ship", data={"carrier": "UPS", "tracking_number": "1"})
    response = staff.post(f"/admin/orders/{order_id}/deliver", headers=HX)
    assert response.status_code == 200 and "is marked delivered" in page(response)
    with app.app_context():
        order = _order(order_id)
        assert order.status == "delivered" and order.delivered_at is not None
        (entry,) = _entries(order_id, "order.delivered")
        assert (entry.before["status"], entry.after["status"]) == ("shipped", "delivered")
        assert entry.actor_label == STAFF
    again = staff.post(f"/admin/orders/{order_id}/deliver", headers=HX)
    assert again.status_code == 422
    cancel = staff.post(f"/admin/orders/{order_id}/cancel", headers=HX)
    assert cancel.status_code == 422 and "only a paid order that has not shipped" in page(cancel)


# --- cancel -----------------------------------------------------------------------------------

def test_cancelling_an_unpaid_order_gives_the_stock_back(app, staff):
    with app.app_context():
        order_id, variant_id = _placed(quantity=2, stock=5)
        assert stock_of(variant_id) == 3
    done = _followed(staff, staff.post(f"/admin/orders/{order_id}/cancel",
                                       data={"reason": "Buyer asked by phone"}))
    assert "is cancelled and its stock is back" in done
    with app.app_context():
        order = _order(order_id)
        assert (order.status, order.stock_state, order.cancel_reason) == (
            "cancelled", "released", "Buyer asked by phone")
        assert stock_of(variant_id) == 5
        (entry,) = _entries(order_id, "order.cancelled")
        assert entry.actor_label == STAFF
        assert (entry.before["status"], entry.after["status"]) == ("pending", "cancelled")
        assert count_rows(Refund) == 0
    again = _followed(staff, staff.post(f"/admin/orders/{order_id}/cancel"))
    assert "is cancelled already" in again
    with app.app_context():
        assert stock_of(variant_id) == 5


def test_cancelling_a_paid_order_refunds_it_and_gives_the_stock_back(app, staff):
    with app.app_context():
        order_id, variant_id = _paid(quantity=2, stock=5)
        orders.refund(order_id, 1000, "Goodwill")
        order = _order(order_id)
        total, intent_id = order.total_cents, order.payment_intent_id
        assert stock_of(variant_id) == 3
    response = staff.post(f"/admin/orders/{order_id}/cancel", data={"reason": "Out of glaze"},
                          headers=HX)
    assert response.status_code == 200
    assert f"${total / 100:,.2f} in all is refunded" in page(response)
    with app.app_context():
        order = _order(order_id)
        assert (order.status, order.payment_status, order.stock_state) == (
            "cancelled", "refunded", "released")
        assert order.refunded_cents == total and order.cancel_reason == "Out of glaze"
        refunds = db.session.scalars(select(Refund).order_by(Refund.id)).all()
        assert [(r.amount_cents, r.source) for r in refunds] == [
            (1000, "admin"), (total - 1000, "admin")]
        assert refunds[1].reason == "Out of glaze"
        assert demo_intent(intent_id).amount_refunded == total
        assert stock_of(variant_id) == 5
        (cancelled,) = _entries(order_id, "order.cancelled")
        assert cancelled.actor_label == STAFF
        assert (cancelled.before["status"], cancelled.after["status"]) == (
            "partially_refunded", "cancelled")
        assert (cancelled.before["stock_state"], cancelled.after["stock_state"]) == (
            "committed", "released")
        last_refund = _entries(order_id, "order.refunded")[-1]
        assert last_refund.actor_label == STAFF
        assert last_refund.after["refunded_cents"] == total
        assert last_refund.after["payment_status"] == "refunded"


def test_a_refused_refund_leaves_the_order_as_it_was(app, staff, monkeypatch):
    with app.app_context():
        order_id, variant_id = _paid(quantity=2, stock=5)

    def refuse(self, **kwargs):
        raise PaymentError("The card's bank is closed.")

    monkeypatch.setattr(DemoProvider, "refund", refuse)
    cancel = _followed(staff, staff.post(f"/admin/orders/{order_id}/cancel"))
    assert "The refund did not go through" in cancel and "bank is closed" in cancel
    refund = staff.post(f"/admin/orders/{order_id}/refund", data={"amount": "5"}, headers=HX)
    assert refund.status_code == 422 and "bank is closed" in page(refund)
    with app.app_context():
        order = _order(order_id)
        assert (order.status, order.payment_status, order.stock_state, order.refunded_cents) == (
            "paid", "succeeded", "committed", 0)
        assert stock_of(variant_id) == 3 and count_rows(Refund) == 0
        assert audit_actions(order_id) == ["order.paid"]


# --- refund -----------------------------------------------------------------------------------

def test_a_part_refund_then_too_much_is_refused(app, staff):
    with app.app_context():
        order_id, _ = _paid(quantity=2, price=2000)
        order = _order(order_id)
        total = order.total_cents
    done = _followed(staff, staff.post(f"/admin/orders/{order_id}/refund",
                                       data={"amount": "10", "reason": "Late delivery"}))
    assert "Refunded $10.00 of order" in done
    left = f"${(total - 1000) / 100:,.2f}"
    for typed in (f"{(total - 999) / 100:.2f}", "99999", "0", "0.00"):
        response = staff.post(f"/admin/orders/{order_id}/refund", data={"amount": typed},
                              headers=HX)
        assert response.status_code == 422, typed
        assert f"at most {left}" in page(response)
    for typed, message in (("abc", "“abc” is not an amount."), ("", "Enter an amount."),
                           ("1.234", "Use at most 2 decimals."),
                           ("-5", "The amount cannot be negative.")):
        response = staff.post(f"/admin/orders/{order_id}/refund", data={"amount": typed},
                              headers=HX)
        assert response.status_code == 422 and message in page(response), typed
    with app.app_context():
        order = _order(order_id)
        assert (order.status, order.payment_status, order.refunded_cents) == (
            "partially_refunded", "partially_refunded", 1000)
        (refund,) = db.session.scalars(select(Refund)).all()
        assert (refund.amount_cents, refund.source, refund.reason) == (
            1000, "admin", "Late delivery")
        (entry,) = _entries(order_id, "order.refunded")
        assert entry.actor_label == STAFF
        assert (entry.before["refunded_cents"], entry.after["refunded_cents"]) == (0, 1000)
        assert (entry.before["status"], entry.after["status"]) == ("paid", "partially_refunded")
    rest = staff.post(f"/admin/orders/{order_id}/refund", data={"full": "1"})
    assert f"Refunded {left} of order" in _followed(staff, rest)
    with app.app_context():
        order = _order(order_id)
        assert (order.status, order.payment_status, order.refunded_cents) == (
            "refunded", "refunded", total)
        assert count_rows(Refund) == 2
    none_left = staff.post(f"/admin/orders/{order_id}/refund", data={"amount": "1"}, headers=HX)
    assert none_left.status_code == 422 and "no payment left to refund" in page(none_left)


def test_an_unpaid_order_cannot_be_refunded_or_shipped(app, staff):
    with app.app_context():
        order_id, _ = _placed()
    refund = staff.post(f"/admin/orders/{order_id}/refund", data={"amount": "1"}, headers=HX)
    assert refund.status_code == 422 and "no payment left to refund" in page(refund)
    ship = staff.post(f"/admin/orders/{order_id}/ship",
                      data={"carrier": "UPS", "tracking_number": "1"}, headers=HX)
    assert ship.status_code == 422 and "is pending" in page(ship)
    with app.app_context():
        assert _order(order_id).status == "pending" and count_rows(Refund) == 0


# --- access and CSRF --------------------------------------------------------------------------

def test_customers_cannot_see_or_change_orders(app, client):
    with app.app_context():
        order_id, _ = _paid()
        make_user("customer@example.com")
    log_in(client, "customer@example.com")
    for url in ("/admin/orders", "/admin/orders.csv", f"/admin/orders/{order_id}"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/orders/{order_id}/refund", data={"full": "1"}).status_code == 403
    with app.app_context():
        assert count_rows(Refund) == 0


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_an_action_without_the_token_is_refused(self, app, client):
        with app.app_context():
            order_id, _ = _paid()
            make_user(STAFF, role="staff")
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                          page(client.get("/account/login"))).group(1)
        client.post("/account/login", data={"email": STAFF, "password": PASSWORD,
                                            "csrf_token": token})
        refused = client.post(f"/admin/orders/{order_id}/ship",
                              data={"carrier": "UPS", "tracking_number": "1Z"})
        assert refused.status_code == 400
        with app.app_context():
            assert _order(order_id).status == "paid"
        detail = page(client.get(f"/admin/orders/{order_id}"))
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', detail).group(1)
        shipped = client.post(f"/admin/orders/{order_id}/ship",
                              data={"carrier": "UPS", "tracking_number": "1Z",
                                    "csrf_token": form_token})
        assert shipped.status_code == 303
        with app.app_context():
            assert _order(order_id).status == "shipped"
