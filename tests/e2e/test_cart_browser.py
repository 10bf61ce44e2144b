"""The cart and accounts in Chromium on a phone: HTMX swaps without reloads, merge on login."""

import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.shop_data import mailed_link

pytestmark = [pytest.mark.e2e, pytest.mark.only_browser("chromium")]

PHONE = {"width": 390, "height": 844}
PASSWORD = "a long enough passphrase"


def mark_document(page: Page) -> None:
    """Mark the current document; a full page load clears the mark."""
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page: Page) -> None:
    """The marked document is still the one shown."""
    assert page.evaluate("window.__noReload === true"), "the page was fully reloaded"


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot when SHOPHUB_SCREENSHOT_DIR is set, and check the width."""
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"{page.url} overflows sideways: {widths}"
    folder = os.environ.get("SHOPHUB_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"phone-{name}.png", full_page=True)


def badge(page: Page):
    return page.locator("#cart-badge .cart-count")


def add_variant(page: Page, slug: str, size: str | None, expected_badge: str) -> None:
    page.goto(f"/products/{slug}")
    if size:
        page.locator("#buy-box .chip").filter(
            has=page.locator(f"input[value='{size}']")).click()
        expect(page.locator(f"#buy-box input[name='size'][value='{size}']")).to_be_checked()
    mark_document(page)
    page.locator("#add-button").click()
    expect(page.locator("#add-result .message-success")).to_contain_text("to your cart")
    expect(badge(page)).to_have_attribute("data-count", expected_badge)
    assert_not_reloaded(page)


def sign_up(page: Page, app, email: str, name: str = "", screenshots: bool = False) -> None:
    """Register, then follow the mailed link and choose the password: logged in as the new
    customer."""
    page.goto("/account/register")
    if name:
        page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    if screenshots:
        shot(page, "register")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(mailed_link(app.config["MAIL_OUTBOX"], email, "/account/register/"))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    if screenshots:
        shot(page, "register-finish")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".flash-success")).to_contain_text("Your account is ready")


def test_cart_with_htmx_then_register_log_out_and_merge(new_context, live_app):
    context = new_context(viewport=PHONE)
    page = context.new_page()
    add_variant(page, "trail-runner", "S", "1")
    shot(page, "product-added")
    add_variant(page, "trail-runner", "M", "2")

    page.goto("/cart")
    lines = page.locator(".cart-line")
    expect(lines).to_have_count(2)
    expect(page.locator("#cart-subtotal")).to_have_text("$40.00")
    mark_document(page)
    quantity = lines.first.locator("input[name='quantity']")
    quantity.fill("3")
    quantity.dispatch_event("change")
    expect(badge(page)).to_have_attribute("data-count", "4")
    expect(page.locator("#cart-subtotal")).to_have_text("$80.00")
    shot(page, "cart")
    page.locator(".cart-line").nth(1).get_by_role("button", name=re.compile("Remove")).click()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(badge(page)).to_have_attribute("data-count", "3")
    expect(page.locator("#cart-subtotal")).to_have_text("$60.00")
    assert_not_reloaded(page)

    email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(page, live_app, email, "Robin Buyer", screenshots=True)
    expect(badge(page)).to_have_attribute("data-count", "3")
    shot(page, "account")
    page.get_by_role("button", name="Log out").click()
    expect(badge(page)).to_have_attribute("data-count", "0")

    add_variant(page, "ceramic-mug", None, "1")
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "login")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".flash-success")).to_contain_text("You are logged in")
    expect(badge(page)).to_have_attribute("data-count", "4")
    page.goto("/cart")
    expect(page.locator(".cart-line h2")).to_have_text(["Trail Runner", "Ceramic Mug"])
    expect(page.locator(".cart-line").first).to_contain_text("S / Red")
    shot(page, "merged-cart")


def test_wishlist_toggle_in_place(new_context, live_app):
    context = new_context(viewport=PHONE)
    page = context.new_page()
    email = f"saver-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(page, live_app, email)
    page.goto("/products/ceramic-mug")
    mark_document(page)
    button = page.locator(".product-info .wish-button")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(page.locator(".product-info .wish-button")).to_have_attribute("aria-pressed", "true")
    assert_not_reloaded(page)
    page.goto("/account/wishlist")
    expect(page.locator(".card-title")).to_have_text(["Ceramic Mug"])
    shot(page, "wishlist")


def test_cart_works_with_javascript_off(new_context):
    context = new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto("/products/ceramic-mug")
    page.get_by_label("Quantity").fill("2")
    page.locator("#add-button").click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.locator(".flash-success")).to_have_text("Added 2 × Ceramic Mug to your cart.")
    expect(badge(page)).to_have_attribute("data-count", "2")
    page.locator(".cart-line input[name='quantity']").fill("40")
    page.get_by_role("button", name="Update").click()
    expect(page.locator(".flash-notice")).to_have_text(
        "Only 7 of Ceramic Mug in stock, so your cart has 7.")
    expect(page.locator("#cart-subtotal")).to_have_text("$105.00")
    page.get_by_role("button", name=re.compile("Remove")).click()
    expect(page.locator(".empty")).to_contain_text("Your cart is empty.")
    expect(badge(page)).to_have_attribute("data-count", "0")
