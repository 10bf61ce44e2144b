"""The checkout in Chromium on a phone: HTMX steps, demo card payments, and Stripe's flow.

Stripe's own Stripe.js cannot be loaded here, so https://js.stripe.com/v3/ is answered with
stripe_double.js, a small stand-in that mounts a plain card form and confirms the payment the
way Stripe.js does, against https://api.stripe.com; the tests route that origin to localstripe.
"""

import json
import os
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from shophub.extensions import db
from shophub.models import Coupon, Order, ProcessedEvent, ShippingMethod
from shophub.platform.store_settings import save as save_store_settings
from tests.e2e.conftest import serve_app, store_app
from tests.localstripe import (
    CARD_DECLINED,
    CARD_REQUIRES_ACTION,
    CARD_SUCCEEDS,
    LOCALSTRIPE_URL,
    SECRET_KEY,
    require_localstripe,
)
from tests.stripe_server import registered_webhook, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.only_browser("chromium")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
STRIPE_DOUBLE = Path(__file__).with_name("stripe_double.js")
STRIPE_API = "https://api.stripe.com"
PUBLISHABLE_KEY = "pk_test_shophub"
WEBHOOK_SECRET = "whsec_e2e"

DEMO_SUCCEEDS = "4242 4242 4242 4242"
DEMO_DECLINED = "4000 0000 0000 0002"
DEMO_NEEDS_CONFIRMATION = "4000 0025 0000 3155"


@dataclass(frozen=True)
class Store:
    url: str
    app: Flask


# --- Stores -----------------------------------------------------------------------------------

def add_checkout_rows(app: Flask) -> None:
    """Shipping methods, a discount code and a tax rate: the e2e catalog has none of them."""
    with app.app_context():
        db.session.add_all([
            ShippingMethod(name="Standard", description="3 to 5 working days", price_cents=500,
                           free_over_cents=5000, position=0),
            ShippingMethod(name="Express", description="Next working day", price_cents=1500,
                           position=1),
            Coupon(code="WELCOME10", description="10% off your first order", kind="percent",
                   value=10),
        ])
        save_store_settings(tax_rate_bp=800)
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """A store without Stripe keys: the demo provider takes the payments."""
    app = store_app(tmp_path_factory.mktemp("checkout-demo"), STRIPE_SECRET_KEY=None,
                    STRIPE_PUBLISHABLE_KEY=None, STRIPE_API_BASE=None)
    add_checkout_rows(app)
    with serve_app(app, "e2e-checkout-demo") as url:
        yield Store(url, app)


@pytest.fixture(scope="module")
def stripe_store(tmp_path_factory):
    """A store on localstripe, whose webhooks reach it under an id of its own."""
    require_localstripe()
    app = store_app(tmp_path_factory.mktemp("checkout-stripe"), STRIPE_SECRET_KEY=SECRET_KEY,
                    STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY, STRIPE_API_BASE=LOCALSTRIPE_URL,
                    STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    add_checkout_rows(app)
    with serve_app(app, "e2e-checkout-stripe") as url, registered_webhook(url, WEBHOOK_SECRET):
        yield Store(url, app)


def order_row(store: Store, number: str) -> dict:
    """The order's stored state, read in the store's own database."""
    with store.app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        assert order is not None, f"no order {number}"
        row = {
            "status": order.status, "payment_status": order.payment_status,
            "provider": order.payment_provider, "intent": order.payment_intent_id,
            "coupon": order.coupon_code, "shipping": order.shipping_method_name,
            "subtotal": order.subtotal_cents, "discount": order.discount_cents,
            "shipping_cents": order.shipping_cents, "tax": order.tax_cents,
            "total": order.total_cents, "stock_state": order.stock_state,
            "payments": [(p.amount_cents, p.provider) for p in order.payments],
            "email": order.email,
        }
        db.session.remove()
    return row


@pytest.fixture
def open_context(browser):
    """Open phone-sized browser contexts on a store (new_context is tied to live_server)."""
    contexts = []

    def _open(store: Store, **kwargs):
        context = browser.new_context(viewport=PHONE, base_url=store.url, **kwargs)
        contexts.append(context)
        return context

    yield _open
    for context in contexts:
        context.close()


def event_types(store: Store) -> set[str]:
    """The types of the provider events the store's webhook has handled."""
    with store.app.app_context():
        types = set(db.session.scalars(select(ProcessedEvent.event_type)))
        db.session.remove()
    return types


# --- Page helpers -----------------------------------------------------------------------------

def mark_document(page: Page) -> None:
    """Mark the current document; a full page load clears the mark."""
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page: Page) -> None:
    """The marked document is still the one shown."""
    assert page.evaluate("window.__noReload === true"), "the page was fully reloaded"


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"{page.url} overflows sideways: {widths}"


def shot(page: Page, name: str, desktop: bool = False) -> None:
    """Check the page fits the phone, and save it when SHOPHUB_SCREENSHOT_DIR is set.

    With `desktop` the same document is also checked and saved at 1280 × 900, then the
    phone size is restored (resizing reloads nothing, so the flow carries on).
    """
    folder = os.environ.get("SHOPHUB_SCREENSHOT_DIR")
    assert_no_sideways_scroll(page)
    # From the top, so that the sticky order summary is drawn where a visitor first sees it.
    page.evaluate("window.scrollTo(0, 0)")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"phone-{name}.png", full_page=True)
    if desktop:
        page.set_viewport_size(DESKTOP)
        assert_no_sideways_scroll(page)
        if folder:
            page.screenshot(path=Path(folder) / f"desktop-{name}.png", full_page=True)
        page.set_viewport_size(PHONE)


def summary_total(page: Page):
    return page.locator("#checkout-summary dd.total")


def add_to_cart_from_catalog(page: Page, search: str, name: str, size: str | None) -> None:
    """Find the product with the header search, open it and add it to the cart."""
    page.goto("/products")
    page.get_by_role("searchbox", name="Search products").fill(search)
    page.get_by_role("searchbox", name="Search products").press("Enter")
    page.locator("#results .card-link").filter(has_text=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.wait_for_load_state("load")  # htmx (a deferred script) has wired up the form
    if size:
        page.locator("#buy-box .chip").filter(
            has=page.locator(f"input[value='{size}']")).click()
    page.locator("#add-button").click()
    expect(page.locator("#add-result .message-success")).to_contain_text("to your cart")


def fill_contact(page: Page, email: str) -> None:
    page.get_by_label("Email for the receipt").fill(email)
    page.get_by_label("Full name").fill("Robin Buyer")
    page.get_by_label("Address", exact=True).fill("12 Harbour Road")
    page.get_by_label("Postal code").fill("94107")
    page.get_by_label("City").fill("San Francisco")
    page.get_by_label("State / region (optional)").fill("CA")
    page.get_by_label("Country").select_option("US")


def checkout_to_payment(page: Page, email: str, method: str = "Standard") -> str:
    """From a filled cart to the payment step by the quickest path; returns the order number."""
    page.goto("/checkout")
    fill_contact(page, email)
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.locator(".step-current h2")).to_have_text(re.compile("Shipping and discount"))
    if not page.get_by_role("radio", name=re.compile(method)).is_checked():
        page.locator(".choice-card").filter(has_text=method).click()
        expect(page.locator("#checkout-summary .totals")).to_contain_text(method)
    page.get_by_role("button", name="Continue to payment").click()
    expect(page).to_have_url(re.compile(r"/checkout/payment$"))
    meta = page.locator(".step-current .meta").first.inner_text()
    return re.search(r"Order (\S+)", meta).group(1)


def fill_demo_card(page: Page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")


# --- Demo payments ----------------------------------------------------------------------------

def test_demo_checkout_declined_then_paid(open_context, demo_store):
    context = open_context(demo_store)
    page = context.new_page()
    add_to_cart_from_catalog(page, "trail", "Trail Runner", "M")

    page.goto("/cart")
    expect(page.locator(".cart-line h2")).to_have_text(["Trail Runner"])
    expect(page.locator("#cart-subtotal")).to_have_text("$20.00")
    page.get_by_role("link", name="Check out").click()

    # Step 1: contact and address, as a guest.
    expect(page).to_have_url(re.compile(r"/checkout$"))
    expect(page.locator(".step-current h2")).to_have_text(re.compile("Contact and address"))
    expect(page.locator("#checkout-summary")).to_contain_text("Trail Runner")
    expect(page.locator("#checkout-summary .totals")).to_contain_text("Chosen next")
    expect(page.get_by_text("Have an account?")).to_be_visible()
    shot(page, "checkout-contact", desktop=True)
    mark_document(page)
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.locator(".message-error")).to_have_text("Please correct the highlighted fields.")
    expect(page.get_by_label("Full name")).to_have_attribute("aria-invalid", "true")
    shot(page, "checkout-contact-errors")
    fill_contact(page, "Robin.Buyer@Example.com")
    page.get_by_role("button", name="Continue to shipping").click()

    # Step 2: shipping and discount code, swapped in place.
    expect(page.locator(".step-current h2")).to_have_text(re.compile("Shipping and discount"))
    expect(page.locator(".step-done .step-summary")).to_contain_text("robin.buyer@example.com")
    expect(page.locator(".step-done .step-summary")).to_contain_text("12 Harbour Road")
    expect(page.get_by_role("radio", name=re.compile("Standard"))).to_be_checked()
    shot(page, "checkout-shipping", desktop=True)
    page.locator(".choice-card").filter(has_text="Express").click()
    expect(page.get_by_role("radio", name=re.compile("Express"))).to_be_checked()
    expect(page.locator("#checkout-summary .totals")).to_contain_text("Express")
    expect(summary_total(page)).to_have_text("$36.60")  # 20.00 + 8% tax on goods + 15.00

    page.get_by_label("Discount code").fill("NOSUCHCODE")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#coupon-error")).to_be_visible()
    expect(summary_total(page)).to_have_text("$36.60")
    shot(page, "checkout-coupon-error")
    page.get_by_label("Discount code").fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".coupon-ok")).to_have_text("Code WELCOME10 applied.")
    expect(page.locator("#checkout-summary .totals")).to_contain_text("Discount (WELCOME10)")
    expect(page.locator("#checkout-summary .totals")).to_contain_text("−$2.00")
    expect(summary_total(page)).to_have_text("$34.44")  # 18.00 × 1.08 + 15.00
    assert_not_reloaded(page)
    shot(page, "checkout-coupon", desktop=True)
    page.get_by_role("button", name="Continue to payment").click()

    # Step 3: the demo card form; a declined card first.
    expect(page).to_have_url(re.compile(r"/checkout/payment$"))
    expect(page.locator(".demo-banner")).to_contain_text("Demo payments.")
    expect(page.locator(".step-done .step-summary").nth(1)).to_have_text("Express · code WELCOME10")
    meta = page.locator(".step-current .meta").first
    expect(meta).to_contain_text("$34.44")
    number = re.search(r"Order (\S+)", meta.inner_text()).group(1)
    pay = page.get_by_role("button", name="Pay $34.44")
    expect(pay).to_be_enabled()
    shot(page, "payment", desktop=True)
    fill_demo_card(page, DEMO_DECLINED)
    pay.click()
    expect(page).to_have_url(re.compile(r"/checkout/complete\?payment_intent=demo_pi_"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your payment did not go through")
    expect(page.locator(".complete .message-error")).to_have_text("Your card was declined.")
    expect(page.get_by_text(f"Your order {number} is still held for you.")).to_be_visible()
    shot(page, "complete-declined", desktop=True)
    declined = order_row(demo_store, number)
    assert (declined["status"], declined["payment_status"], declined["stock_state"]) == (
        "pending", "failed", "reserved")

    # Try again: the payment page says what went wrong; the good card pays.
    page.get_by_role("link", name="Try again").click()
    expect(page).to_have_url(re.compile(r"/checkout/payment$"))
    expect(page.locator(".step-current .message-error")).to_have_text(
        "Your last attempt did not go through: Your card was declined. You can try again.")
    fill_demo_card(page, "4242 4242 4242 424")
    page.get_by_role("button", name="Pay $34.44").click()
    expect(page.locator("#payment-error")).to_contain_text("accepts only its test cards")
    shot(page, "payment-unknown-card")
    fill_demo_card(page, DEMO_SUCCEEDS)
    page.get_by_role("button", name="Pay $34.44").click()

    expect(page).to_have_url(re.compile(r"/checkout/complete\?payment_intent=demo_pi_"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you! Your order is confirmed.")
    expect(page.locator(".complete > p").first).to_have_text(
        f"Order {number} is paid. We sent a confirmation to robin.buyer@example.com.")
    expect(page.locator(".complete-layout dd.total")).to_have_text("$34.44")
    expect(page.locator(".cart-count")).to_have_attribute("data-count", "0")
    shot(page, "complete-paid", desktop=True)

    page.get_by_role("link", name="View your order").click()
    expect(page).to_have_url(re.compile(r"/orders/[\w-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {number}")
    expect(page.locator(".order-head .status")).to_have_text("Paid")
    expect(page.locator(".summary-items")).to_contain_text("Trail Runner")
    expect(page.locator(".order-side")).to_contain_text("$34.44 paid")
    expect(page.locator(".order-side")).to_contain_text("(demo)")
    expect(page.locator(".order-side address")).to_contain_text("12 Harbour Road")
    shot(page, "order", desktop=True)

    page.get_by_role("link", name="Printable invoice").click()
    expect(page).to_have_url(re.compile(r"/orders/[\w-]+/invoice$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice")
    lines = page.locator(".invoice-lines")
    expect(lines.locator("tbody tr")).to_have_count(1)
    expect(lines.locator("tbody tr")).to_contain_text("Trail Runner (M / Blue)")
    expect(lines.locator("tr.grand td.num")).to_have_text("$34.44")
    expect(lines.locator("tr.grand td.num")).to_be_visible()
    expect(lines).to_contain_text("Discount (WELCOME10)")
    expect(lines).to_contain_text("Shipping (Express)")
    shot(page, "invoice", desktop=True)

    row = order_row(demo_store, number)
    assert row == {
        "status": "paid", "payment_status": "succeeded", "provider": "demo",
        "intent": row["intent"], "coupon": "WELCOME10", "shipping": "Express",
        "subtotal": 2000, "discount": 200, "shipping_cents": 1500, "tax": 144, "total": 3444,
        "stock_state": "committed", "payments": [(3444, "demo")],
        "email": "robin.buyer@example.com",
    }
    assert row["intent"].startswith("demo_pi_")


def test_demo_confirmation_step_then_paid(open_context, demo_store):
    context = open_context(demo_store)
    page = context.new_page()
    add_to_cart_from_catalog(page, "sweater", "Wool Sweater", None)
    number = checkout_to_payment(page, "sam@example.com")
    fill_demo_card(page, DEMO_NEEDS_CONFIRMATION)
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()

    expect(page).to_have_url(re.compile(r"/checkout/demo/authenticate$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your payment")
    expect(page.locator(".auth-card")).to_contain_text(f"Order {number}")
    expect(page.get_by_role("button", name="Fail confirmation")).to_be_visible()
    shot(page, "demo-authenticate", desktop=True)
    page.get_by_role("button", name="Confirm payment").click()

    expect(page).to_have_url(re.compile(r"/checkout/complete\?payment_intent=demo_pi_"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you! Your order is confirmed.")
    row = order_row(demo_store, number)
    assert (row["status"], row["payment_status"], row["shipping"]) == (
        "paid", "succeeded", "Standard")
    assert row["payments"] == [(row["total"], "demo")]


# --- Stripe, through the Stripe.js double and localstripe -----------------------------------

class StripeApi:
    """Answers https://api.stripe.com from localstripe, as Stripe would answer Stripe.js.

    Where localstripe differs from Stripe, Stripe's behaviour is kept here:
    - the browser sends the publishable key, and localstripe only takes a secret key for
      these calls, so the key is swapped here (the browser never sees it);
    - Stripe's confirm needs the client secret from a publishable key, and localstripe
      refuses the parameter: it is checked here and not passed on;
    - Stripe confirms an intent again with a new card after a declined one; localstripe
      answers 400 while the intent's failed charge is its `latest_charge`, so attaching a
      new card to such an intent also clears that (localstripe updates any attribute).
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None, list[str]]] = []

    def __call__(self, route: Route) -> None:
        request = route.request
        origin = request.headers.get("origin", "*")
        cors = {"access-control-allow-origin": origin,
                "access-control-allow-headers": "Authorization, Content-Type",
                "access-control-allow-methods": "GET, POST, OPTIONS"}
        if request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
            return
        path = urlsplit(request.url).path
        fields = parse_qsl(request.post_data or "", keep_blank_values=True)
        self.calls.append((request.method, path, request.headers.get("authorization"),
                           [name for name, _ in fields]))
        if path.endswith("/confirm"):
            intent_id = path.split("/")[-2]
            secrets = [value for name, value in fields if name == "client_secret"]
            if not secrets or not secrets[0].startswith(intent_id + "_secret_"):
                route.fulfill(status=401, headers=cors, json={"error": {
                    "type": "invalid_request_error", "message": "No valid client_secret."}})
                return
            fields = [(name, value) for name, value in fields if name != "client_secret"]
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() not in ("authorization", "content-length", "host")}
        headers["authorization"] = f"Bearer {SECRET_KEY}"
        body = urlencode(fields)
        if re.fullmatch(r"/v1/payment_intents/pi_\w+", path) and after_failed_charge(path):
            headers["content-type"] = "application/json"
            body = json.dumps({**dict(fields), "latest_charge": None})
        response = route.fetch(url=LOCALSTRIPE_URL + request.url[len(STRIPE_API):],
                               method=request.method, headers=headers, post_data=body)
        route.fulfill(response=response, headers={**response.headers, **cors})


def after_failed_charge(intent_path: str) -> bool:
    """Whether localstripe's intent waits for a new card after its last charge failed."""
    request = urllib.request.Request(LOCALSTRIPE_URL + intent_path,
                                     headers={"Authorization": f"Bearer {SECRET_KEY}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        intent = json.load(response)
    charge = intent.get("latest_charge") or {}
    return intent["status"] == "requires_payment_method" and charge.get("status") == "failed"


def use_stripe_double(context) -> StripeApi:
    """Serve the Stripe.js double and route Stripe's API to localstripe in `context`."""
    context.route("https://js.stripe.com/v3/", lambda route: route.fulfill(
        path=STRIPE_DOUBLE, content_type="application/javascript; charset=utf-8"))
    api = StripeApi()
    context.route(f"{STRIPE_API}/**", api)
    return api


def fill_stripe_card(page: Page, number: str) -> None:
    form = page.locator("#payment-element")
    form.get_by_label("Card number").fill(number)
    form.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    form.get_by_label("CVC").fill("123")


def test_stripe_checkout_declined_then_paid(open_context, stripe_store):
    context = open_context(stripe_store)
    api = use_stripe_double(context)
    page = context.new_page()
    add_to_cart_from_catalog(page, "sweater", "Wool Sweater", None)
    number = checkout_to_payment(page, "kim@example.com", method="Express")

    # 17.50 × 1.08 + 15.00 = 33.90
    expect(page.locator(".demo-banner")).to_have_count(0)
    expect(page.locator("#payment-element [data-stripe-double]")).to_be_visible()
    pay = page.get_by_role("button", name="Pay $33.90")
    expect(pay).to_be_enabled()
    row = order_row(stripe_store, number)
    assert row["provider"] == "stripe" and row["intent"].startswith("pi_")
    shot(page, "stripe-payment", desktop=True)

    fill_stripe_card(page, CARD_DECLINED)
    mark_document(page)
    pay.click()
    message = page.locator("#payment-message")
    expect(message).to_be_visible()
    expect(message).to_have_text("Your card was declined.")
    expect(pay).to_be_enabled()
    expect(pay).to_have_text("Pay $33.90")
    assert_not_reloaded(page)
    shot(page, "stripe-payment-declined", desktop=True)

    fill_stripe_card(page, CARD_SUCCEEDS)
    pay.click()
    expect(page).to_have_url(re.compile(
        r"/checkout/complete\?payment_intent=pi_\w+&payment_intent_client_secret=pi_\w+_secret_\w+"
        r"&redirect_status=succeeded$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you! Your order is confirmed.")
    expect(page.locator(".complete > p").first).to_contain_text(f"Order {number} is paid.")
    shot(page, "stripe-complete-paid", desktop=True)

    row = order_row(stripe_store, number)
    assert (row["status"], row["payment_status"], row["total"]) == ("paid", "succeeded", 3390)
    assert row["payments"] == [(3390, "stripe")]
    # The browser only ever sent the publishable key, and confirmed with the client secret.
    assert {auth for _, _, auth, _ in api.calls} == {f"Bearer {PUBLISHABLE_KEY}"}
    paths = [re.sub(r"pi_\w+", "pi_*", path) for _, path, _, _ in api.calls]
    assert paths == ["/v1/payment_methods", "/v1/payment_intents/pi_*",
                     "/v1/payment_intents/pi_*/confirm"] * 2
    assert all("client_secret" in names for _, path, _, names in api.calls
               if path.endswith("/confirm"))

    # localstripe's webhook reaches the store too; the order is still paid once.
    wait_for(lambda: "payment_intent.succeeded" in event_types(stripe_store),
             what="the payment_intent.succeeded webhook")
    row = order_row(stripe_store, number)
    assert (row["status"], row["payments"]) == ("paid", [(3390, "stripe")])


def test_stripe_3d_secure_card_is_paid_after_authentication(open_context, stripe_store):
    context = open_context(stripe_store)
    api = use_stripe_double(context)
    page = context.new_page()
    add_to_cart_from_catalog(page, "mug", "Ceramic Mug", None)
    number = checkout_to_payment(page, "lee@example.com")
    fill_stripe_card(page, CARD_REQUIRES_ACTION)
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()

    expect(page).to_have_url(re.compile(r"/checkout/complete\?payment_intent=pi_\w+&"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you! Your order is confirmed.")
    row = order_row(stripe_store, number)
    assert (row["status"], row["payment_status"]) == ("paid", "succeeded")
    assert row["payments"] == [(row["total"], "stripe")]
    assert [re.sub(r"pi_\w+", "pi_*", path) for _, path, _, _ in api.calls][-1] == (
        "/v1/payment_intents/pi_*/_authenticate")
