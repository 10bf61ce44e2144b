"""The admin in Chromium at desktop and tablet sizes: inline stock edits over HTMX, picture
uploads, option lists and the values variants pick from them, shipping and refunding paid
orders, the audit log, and every admin page's layout.

Each test builds what it changes (a product, a paid order) in the module's own store, so the
tests can run alone or in any order. Staff and the admin log in once, through the login form;
later browser contexts reuse those sessions.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import (
    AuditEntry,
    Coupon,
    OptionList,
    OptionValue,
    Order,
    Product,
    ProductImage,
    Refund,
    Variant,
)
from shophub.orders import service as orders
from shophub.payments import provider
from shophub.payments.flow import ensure_intent
from shophub.platform import mail
from shophub.platform.storage import IMAGE_WIDTHS
from tests.checkout_data import SUCCEEDS, make_coupon, make_method, place_from_cart
from tests.e2e.conftest import serve_app, store_app
from tests.shop_data import PASSWORD, make_user, make_variant

pytestmark = [pytest.mark.e2e, pytest.mark.only_browser("chromium")]

DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 820, "height": 1180}
VIEWPORTS = {"desktop": DESKTOP, "tablet": TABLET}

STAFF = "sasha.staff@example.com"
ADMIN = "alex.admin@example.com"
CUSTOMER = "robin.buyer@example.com"


@dataclass(frozen=True)
class Store:
    url: str
    app: Flask
    method_id: int
    customer_id: int
    coupon_id: int
    showcase_order_id: int


# --- The store --------------------------------------------------------------------------------

def pay_order(app: Flask, method_id: int, product: str, email: str, price: int = 2000,
              quantity: int = 2, user_id: int | None = None) -> tuple[int, str]:
    """A new product, and an order of it paid by demo card (service level): (id, number)."""
    with app.app_context():
        variant_id = make_variant(product, price=price, stock=5)
        order = place_from_cart([(variant_id, quantity)], method_id, email=email,
                                user_id=user_id)
        order_id, number = order.id, order.number
        ensure_intent(order)
        db.session.expire_all()
        intent = provider().confirm(db.session.get(Order, order_id).payment_intent_id, SUCCEEDS)
        db.session.commit()
        assert orders.mark_paid(order_id, intent, "webhook") == orders.PAID_NOW
        db.session.remove()
    return order_id, number


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store on the demo payment provider, with staff, an admin and a customer's orders."""
    app = store_app(tmp_path_factory.mktemp("admin"), STRIPE_SECRET_KEY=None,
                    STRIPE_PUBLISHABLE_KEY=None, STRIPE_API_BASE=None)
    with app.app_context():
        method_id = make_method("Standard", price=500, free_over=5000)
        make_method("Express", price=1500, position=1)
        coupon_id = make_coupon("WELCOME10", value=10, description="10% off a first order",
                                usage_limit=100)
        make_user(STAFF, role="staff")
        make_user(ADMIN, role="admin")
        customer_id = make_user(CUSTOMER)
        db.session.remove()
    pay_order(app, method_id, "Tea Caddy", "guest.buyer@example.com", price=1500)
    showcase_id, _ = pay_order(app, method_id, "Walnut Tray", CUSTOMER, price=3400,
                               user_id=customer_id)
    with app.app_context():
        orders.refund(showcase_id, 250, "Dented corner", "admin")
        db.session.remove()
    with serve_app(app, "e2e-admin") as url:
        yield Store(url, app, method_id, customer_id, coupon_id, showcase_id)


def log_in(browser, store: Store, email: str) -> dict:
    """Log in through the form; returns the session as a storage state for new contexts."""
    context = browser.new_context(viewport=DESKTOP, base_url=store.url)
    try:
        page = context.new_page()
        page.goto("/account/login?next=/admin")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/admin$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="module")
def sessions(browser, store):
    """The staff member's and the admin's logged-in sessions."""
    return {"staff": log_in(browser, store, STAFF), "admin": log_in(browser, store, ADMIN)}


@pytest.fixture
def open_page(browser, store, sessions):
    """A page in a new browser context of the store, logged in as `who`."""
    contexts = []

    def _open(who: str, viewport: str) -> Page:
        context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=store.url,
                                      storage_state=sessions[who])
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


# --- Page helpers -----------------------------------------------------------------------------

def mark_document(page: Page) -> None:
    """Mark the current document; a full page load clears the mark."""
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__noReload === true"), "the page was fully reloaded"


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"{page.url} overflows sideways: {widths}"


def shot(page: Page, name: str) -> None:
    """Check the page fits its width, and save it when SHOPHUB_SCREENSHOT_DIR is set."""
    assert_no_sideways_scroll(page)
    folder = os.environ.get("SHOPHUB_SCREENSHOT_DIR")
    if folder:
        width = page.viewport_size["width"]
        label = next(key for key, size in VIEWPORTS.items() if size["width"] == width)
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{label}-admin-{name}.png", full_page=True)


def in_db(store: Store, read):
    """`read()` in the store's app context, on freshly loaded rows."""
    with store.app.app_context():
        db.session.expire_all()
        try:
            return read()
        finally:
            db.session.remove()


def audit_rows(page: Page, action: str, record: str):
    """The audit log's rows of one action on one record, after filtering by the action."""
    page.goto("/admin/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    mark_document(page)
    page.get_by_label("Action").select_option(action)
    expect(page).to_have_url(re.compile(rf"action={re.escape(action)}"))
    table = page.locator("#audit-table")
    expect(table.locator("tbody tr").first).to_contain_text(action)
    assert_not_reloaded(page)
    record_cell = page.locator("td .meta", has_text=re.compile(rf"^{re.escape(record)}$"))
    return table.locator("tbody tr").filter(has=record_cell)


# --- 1. Inline stock edit ---------------------------------------------------------------------

@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_staff_edits_stock_inline(open_page, store, viewport):
    name = f"Inline Lamp {viewport.title()}"
    variant_id = in_db(store, lambda: make_variant(name, price=2500, stock=4))
    sku, product_id = in_db(store, lambda: db.session.execute(
        select(Variant.sku, Variant.product_id).where(Variant.id == variant_id)).one())

    page = open_page("staff", viewport)
    page.goto("/admin/products")
    expect(page.get_by_role("heading", level=1)).to_have_text("Products")
    page.wait_for_load_state("load")  # htmx (deferred) has wired up the forms
    mark_document(page)
    # Enter fires "change", then "submit" a moment later: the form's hx-sync aborts the
    # first request, so the table is swapped once (the aborted request may still reach the
    # server when it answers within that moment).
    page.evaluate("""() => {
        window.tableSwaps = 0;
        document.body.addEventListener('htmx:afterSwap', event => {
            if (event.detail.target.id === 'product-table') window.tableSwaps++;
        });
    }""")
    search = page.locator("#product-filters").get_by_role("searchbox", name="Search")
    search.fill(name)
    search.press("Enter")
    product_row = page.locator(f"#product-{product_id}")
    expect(product_row).to_contain_text(name)
    expect(page.locator("#product-table .product-row")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => window.tableSwaps") == 1

    row = page.locator(f"#variant-{variant_id}")
    stock = page.get_by_label(f"Stock of {sku}")
    expect(stock).to_have_value("4")
    stock.fill("12")
    row.get_by_role("button", name=f"Save {sku}").click()
    expect(row.locator(".saved-note")).to_have_text("Saved.")
    expect(page.get_by_label(f"Stock of {sku}")).to_have_value("12")
    expect(product_row.locator("td.num").nth(1)).to_have_text("12")  # out-of-band totals
    assert in_db(store, lambda: db.session.get(Variant, variant_id).stock) == 12
    assert_not_reloaded(page)
    shot(page, "products-saved")

    page.get_by_label(f"Stock of {sku}").fill("-3")
    row.get_by_role("button", name=f"Save {sku}").click()
    error = row.locator(".field-error")
    expect(error).to_have_text("Stock cannot be negative. Nothing was saved.")
    expect(row).to_have_class(re.compile(r"\bhas-error\b"))
    expect(page.get_by_label(f"Stock of {sku}")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label(f"Stock of {sku}")).to_have_value("-3")
    expect(page.get_by_label(f"Price of {sku}")).not_to_have_attribute("aria-invalid", "true")
    expect(product_row.locator("td.num").nth(1)).to_have_text("12")
    assert_not_reloaded(page)
    shot(page, "products-error")

    assert in_db(store, lambda: db.session.get(Variant, variant_id).stock) == 12
    changes = in_db(store, lambda: [(e.before, e.after) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "variant.updated",
                                 AuditEntry.entity_id == variant_id))])
    assert changes == [({"price_cents": 2500, "stock": 4}, {"price_cents": 2500, "stock": 12})]


# --- 2. Picture upload ------------------------------------------------------------------------

@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_staff_uploads_a_picture(open_page, store, tmp_path, viewport):
    name = f"Photo Vase {viewport.title()}"
    variant_id = in_db(store, lambda: make_variant(name, price=4200, stock=3))
    product_id = in_db(store, lambda: db.session.get(Variant, variant_id).product_id)
    picture = tmp_path / "vase.png"
    image = Image.new("RGB", (900, 600), (214, 196, 160))
    ImageDraw.Draw(image).ellipse((300, 100, 600, 500), fill=(40, 90, 120))
    image.save(picture, "PNG")
    alt = f"A blue vase on linen ({viewport})"

    page = open_page("staff", viewport)
    page.goto(f"/admin/products/{product_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    images = page.locator("#images")
    expect(images).to_contain_text("No pictures yet.")
    images.get_by_label("Picture", exact=True).set_input_files(picture)
    page.locator("#image-alt").fill(alt)
    images.get_by_role("button", name="Upload picture").click()

    expect(page).to_have_url(re.compile(rf"/admin/products/{product_id}#images$"))
    added = images.locator(".flash-success")
    expect(added).to_have_text("Picture added.")
    expect(added).to_be_in_viewport()  # shown where the page lands, not above the fold
    listed = page.locator("#images .image-item")
    expect(listed).to_have_count(1)
    expect(listed.get_by_label("Alt text")).to_have_value(alt)
    expect(listed).to_contain_text("Main picture")
    thumb = listed.locator("img")
    expect(thumb).to_have_attribute("alt", alt)
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=thumb.element_handle())
    shot(page, "product-picture")

    rows = in_db(store, lambda: [(i.file, i.alt_text, i.position) for i in db.session.scalars(
        select(ProductImage).where(ProductImage.product_id == product_id))])
    assert [(alt_text, position) for _, alt_text, position in rows] == [(alt, 0)]
    file = rows[0][0]
    slug = in_db(store, lambda: db.session.get(Product, product_id).slug)
    assert file.startswith(f"products/{slug}-")
    for width in IMAGE_WIDTHS:
        path = Path(store.app.config["MEDIA_ROOT"]) / f"{file}-{width}.webp"
        assert path.is_file(), path
        with Image.open(path) as stored:
            assert (stored.format, stored.size) == ("WEBP", (width, round(600 * width / 900)))


# --- 3. Option lists and the product form ----------------------------------------------------

@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_staff_manage_an_option_list_and_a_variant_picks_from_it(open_page, store, viewport):
    option = f"Fit {viewport.title()}"
    variant_id = in_db(store, lambda: make_variant(f"Fit Shirt {viewport.title()}", price=3000))
    product_id = in_db(store, lambda: db.session.get(Variant, variant_id).product_id)

    page = open_page("staff", viewport)
    page.goto("/admin/options")
    expect(page.get_by_role("heading", level=1)).to_have_text("Options")
    page.wait_for_load_state("load")
    mark_document(page)
    page.locator("#new-list").fill(option)
    page.get_by_role("button", name="Add option").click()
    lists = page.locator("#option-lists")
    expect(lists.locator(".message-success")).to_have_text(
        f"Option {option} added; add its values below.")
    section = lists.locator("section.option-list", has=page.get_by_role("heading", name=option))
    for value in ("Slim", "Regular"):
        section.get_by_label(f"New value of {option}").fill(value)
        section.get_by_role("button", name="Add value").click()
        expect(lists.locator(".message-success")).to_have_text(f"{value} added to {option}.")
    section.get_by_role("button", name=re.compile(rf"^Move up\W+{option} Regular$")).click()
    expect(lists.locator(".message-success")).to_have_text("Regular moved up.")
    values = section.locator(".option-values input[name=value]")
    expect(values).to_have_count(2)
    expect(values.nth(0)).to_have_value("Regular")
    expect(values.nth(1)).to_have_value("Slim")

    section.get_by_label(f"New value of {option}").fill("slim")
    section.get_by_role("button", name="Add value").click()
    field = section.get_by_label(f"New value of {option}")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(section.locator(".field-error")).to_have_text(
        f"{option} already has the value “Slim”.")
    expect(field).to_have_value("slim")
    assert_not_reloaded(page)
    shot(page, "options")

    page.goto(f"/admin/products/{product_id}")
    pick = page.get_by_label(f"{option}, variant 1")
    expect(pick.locator("option")).to_have_text(["—", "Regular", "Slim"])
    pick.select_option(label="Slim")
    page.get_by_role("button", name="Save product").click()
    expect(page.locator(".flash-success")).to_contain_text("saved.")
    expect(page.get_by_label(f"{option}, variant 1")).to_have_value(
        str(in_db(store, lambda: db.session.scalar(select(OptionValue.id).join(OptionList).where(
            OptionList.name == option, OptionValue.value == "Slim")))))
    assert in_db(store, lambda: db.session.get(Variant, variant_id).option_label).endswith(
        "Slim")
    shot(page, "product-options")

    # A value in use stays, and the page says why.
    page.goto("/admin/options")
    section = page.locator("section.option-list", has=page.get_by_role("heading", name=option))
    page.once("dialog", lambda dialog: dialog.accept())
    section.get_by_role("button", name=f"Delete {option} Slim").click()
    expect(page.locator("#option-lists .message-error")).to_have_text(
        f"{option} Slim cannot be deleted: 1 variant has it. Choose another value for them "
        "on the product form first.")

    # Once no variant uses the list, it can go (and the store has its two lists again).
    page.goto(f"/admin/products/{product_id}")
    page.get_by_label(f"{option}, variant 1").select_option(label="—")
    page.get_by_role("button", name="Save product").click()
    expect(page.locator(".flash-success")).to_contain_text("saved.")
    page.goto("/admin/options")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Delete {option}", exact=True).click()
    expect(page.locator(".flash-success")).to_have_text(f"Option {option} was deleted.")
    expect(page.get_by_role("heading", name=option)).to_have_count(0)


# --- 4. Shipping a paid order -----------------------------------------------------------------

def test_a_delete_asks_first_and_a_no_keeps_the_row(open_page, store):
    code = "ASKFIRST"
    in_db(store, lambda: make_coupon(code, value=5))
    page = open_page("staff", "desktop")
    page.goto("/admin/coupons")
    page.wait_for_load_state("load")
    row = page.locator("tr", has=page.get_by_text(code, exact=True))
    questions = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    mark_document(page)
    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    row.get_by_role("button", name=re.compile("Delete")).click()
    page.wait_for_timeout(500)  # time enough for a form that was sent anyway to load
    assert_not_reloaded(page)
    assert questions == [f"Delete the coupon {code}?"]
    assert in_db(store, lambda: db.session.scalar(select(Coupon.id).where(Coupon.code == code)))

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    row.get_by_role("button", name=re.compile("Delete")).click()
    expect(page.get_by_text(code, exact=True)).to_have_count(0)
    assert len(questions) == 2
    assert in_db(store, lambda: db.session.scalar(
        select(Coupon.id).where(Coupon.code == code))) is None


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_staff_ships_a_paid_order(open_page, store, viewport):
    email = f"ship-{viewport}@example.com"
    order_id, number = pay_order(store.app, store.method_id, f"Ship Kettle {viewport.title()}",
                                 email)
    tracking = f"1Z999AA1{viewport.upper()}"

    page = open_page("staff", viewport)
    page.goto("/admin/orders")
    page.get_by_role("link", name=number, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/orders/{order_id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {number}")
    expect(page.locator(".order-head .status")).to_have_text("paid")
    page.wait_for_load_state("load")
    mark_document(page)
    page.get_by_label("Carrier").fill("UPS")
    page.get_by_label("Tracking number").fill(tracking)
    page.get_by_role("button", name="Mark shipped and mail the buyer").click()

    expect(page.locator("#order-panel .message-success")).to_have_text(
        f"Order {number} is marked shipped with UPS ({tracking}); the buyer gets a mail.")
    expect(page.locator(".order-head .status")).to_have_text("shipped")
    expect(page.locator("#order-panel")).to_contain_text(f"Tracking number: {tracking}")
    expect(page.get_by_role("button", name="Mark delivered")).to_be_visible()
    expect(page.get_by_role("button", name="Mark shipped and mail the buyer")).to_have_count(0)
    expect(page.locator(".order-timeline")).to_contain_text("order.shipped")
    assert_not_reloaded(page)
    shot(page, "order-shipped")

    row = in_db(store, lambda: db.session.get(Order, order_id))
    assert (row.status, row.carrier, row.tracking_number) == ("shipped", "UPS", tracking)
    assert row.shipped_at is not None
    mails = [m for m in mail.outbox_messages(store.app.config["MAIL_OUTBOX"])
             if m["To"] == email and "has shipped" in m["Subject"]]
    assert len(mails) == 1, [m["Subject"] for m in mails]
    assert number in mails[0]["Subject"]
    assert tracking in mails[0].get_body(("plain",)).get_content()

    entries = audit_rows(page, "order.shipped", f"order {order_id}")
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text(STAFF)
    expect(entries).to_contain_text(tracking)
    shot(page, "audit-shipped")


# --- 5. A partial refund ----------------------------------------------------------------------

@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_staff_refunds_part_of_an_order(open_page, store, viewport):
    email = f"refund-{viewport}@example.com"
    order_id, number = pay_order(store.app, store.method_id, f"Refund Jug {viewport.title()}",
                                 email)
    # 2 × $20.00 and $5.00 shipping (free only from $50.00); no tax is set.
    assert in_db(store, lambda: db.session.get(Order, order_id).total_cents) == 4500

    page = open_page("staff", viewport)
    page.goto(f"/admin/orders/{order_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {number}")
    expect(page.locator("#refund-hint")).to_have_text("At most $45.00.")
    page.wait_for_load_state("load")
    mark_document(page)
    page.get_by_label("Amount (USD)").fill("5.00")
    page.locator("#refund-reason").fill("Scratched lid")
    page.get_by_role("button", name="Refund this amount").click()

    panel = page.locator("#order-panel")
    expect(panel.locator(".message-success")).to_have_text(f"Refunded $5.00 of order {number}.")
    expect(page.locator(".order-head .status")).to_have_text("partially refunded")
    expect(panel.locator("dl.totals")).to_contain_text("Refunded")
    expect(panel.locator("dl.totals dd").last).to_have_text("−$5.00")
    refunds = panel.locator(".refund-table tbody tr")
    expect(refunds).to_have_count(1)
    expect(refunds).to_contain_text("Scratched lid")
    expect(refunds.locator("td.num")).to_have_text("$5.00")
    expect(page.locator("#refund-hint")).to_have_text("At most $40.00.")
    assert_not_reloaded(page)
    shot(page, "order-refunded")

    def read():
        order = db.session.get(Order, order_id)
        refunds = db.session.scalars(select(Refund).where(Refund.order_id == order_id)).all()
        return (order.status, order.payment_status, order.refunded_cents,
                [(r.amount_cents, r.reason, r.source) for r in refunds])

    assert in_db(store, read) == ("partially_refunded", "partially_refunded", 500,
                                  [(500, "Scratched lid", "admin")])

    entries = audit_rows(page, "order.refunded", f"order {order_id}")
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text(STAFF)
    shot(page, "audit-refunded")


# --- Every admin page, at both sizes ----------------------------------------------------------

def visit(page: Page, path: str, heading: str | re.Pattern, name: str) -> None:
    """Open an admin page, check its heading, then check and save it at both sizes."""
    response = page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    for size in VIEWPORTS.values():
        page.set_viewport_size(size)
        shot(page, name)


def test_every_admin_page_fits_desktop_and_tablet(open_page, store):
    ids = in_db(store, lambda: {
        "product": db.session.scalar(select(Product.id).where(Product.slug == "trail-runner")),
        "coupon": db.session.scalar(select(Coupon.id).where(Coupon.id == store.coupon_id)),
        "number": db.session.get(Order, store.showcase_order_id).number,
    })
    page = open_page("staff", "desktop")
    visit(page, "/admin", "Dashboard", "dashboard")
    visit(page, "/admin/orders", "Orders", "orders")
    visit(page, f"/admin/orders/{store.showcase_order_id}", f"Order {ids['number']}",
          "order-detail")
    visit(page, "/admin/products", "Products", "products")
    visit(page, f"/admin/products/{ids['product']}", "Trail Runner", "product-form")
    visit(page, "/admin/products/new", "New product", "product-new")
    visit(page, "/admin/categories", "Categories", "categories")
    visit(page, "/admin/categories/new", re.compile("category", re.I), "category-form")
    visit(page, "/admin/options", "Options", "options-all")
    visit(page, "/admin/banners", "Billboards", "banners")
    visit(page, "/admin/banners/new", re.compile("billboard", re.I), "banner-form")
    visit(page, "/admin/customers", "Customers", "customers")
    visit(page, f"/admin/customers/{store.customer_id}", "Sam Shopper", "customer-detail")
    visit(page, "/admin/coupons", "Coupons", "coupons")
    visit(page, f"/admin/coupons/{ids['coupon']}/edit", "Coupon WELCOME10", "coupon-form")
    visit(page, "/admin/shipping", "Shipping methods", "shipping")
    visit(page, "/admin/shipping/new", re.compile("shipping method", re.I), "shipping-form")
    visit(page, "/admin/audit", "Audit log", "audit")
    # Staff do not see, and cannot open, the admin-only pages.
    expect(page.locator(".admin-nav")).not_to_contain_text("Staff")
    assert page.goto("/admin/staff").status == 403
    assert page.goto("/admin/settings").status == 403

    page = open_page("admin", "desktop")
    visit(page, "/admin/staff", "Staff", "staff")
    visit(page, "/admin/settings", "Settings", "settings")
