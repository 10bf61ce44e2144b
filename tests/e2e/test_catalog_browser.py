"""The catalog and product pages in Chromium, with JavaScript on and off."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.catalog_data import expected_slugs, product_specs

pytestmark = [pytest.mark.e2e, pytest.mark.only_browser("chromium")]

NAMES = {spec["slug"]: spec["name"] for spec in product_specs()}
PER_PAGE = 12
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SCREENSHOT_PAGES = {"home": "/", "catalog": "/products", "product": "/products/linen-shirt"}


def set_reload_marker(page: Page) -> None:
    """Mark the current document; a full page load clears the mark."""
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page: Page) -> None:
    """The document marked by `set_reload_marker` is still the one shown."""
    assert page.evaluate("window.__noReload === true"), "the page was fully reloaded"


def expect_results(page: Page, slugs: list[str]) -> None:
    """The results list shows exactly these products, in this order, linked to their pages."""
    cards = page.locator("#results .card-link")
    expect(cards.locator(".card-title")).to_have_text([NAMES[slug] for slug in slugs])
    hrefs = cards.evaluate_all("links => links.map(link => link.getAttribute('href'))")
    assert hrefs == [f"/products/{slug}" for slug in slugs]


def load_all_images(page: Page) -> None:
    """Fetch lazily loaded pictures too, so a full-page screenshot shows them."""
    page.evaluate("""() => Promise.allSettled(Array.from(document.images, image => {
        image.loading = "eager";
        return image.decode();
    }))""")


def query_has(**params: str):
    """A URL pattern requiring each `name=value` pair in the query string."""
    lookaheads = "".join(
        rf"(?=.*[?&]{re.escape(name)}={re.escape(value)}(&|$))" for name, value in params.items()
    )
    return re.compile(rf"^[^?]*/products(?=\?){lookaheads}")


def test_catalog_filters_and_pages_without_reload(page: Page):
    page.goto("/products")
    expect_results(page, expected_slugs()[:24])
    set_reload_marker(page)
    filters = page.locator("#filters")

    filters.get_by_role("radio", name="Shoes", exact=True).check()
    expect(page).to_have_url(query_has(category="shoes"))
    expect(page.locator("#results h1")).to_have_text("Shoes")
    expect_results(page, expected_slugs(category="shoes"))

    filters.get_by_role("checkbox", name="In stock only").check()
    expect(page).to_have_url(query_has(category="shoes", in_stock="1"))
    expect_results(page, expected_slugs(category="shoes", in_stock=True))
    assert_not_reloaded(page)

    # Shoes in stock fit on one page of 12, so widen to every category for the paging part.
    in_stock = expected_slugs(in_stock=True)
    assert len(in_stock) > PER_PAGE
    filters.get_by_role("radio", name="All categories").check()
    # The server pushes the tidy URL: empty fields and defaults are left out.
    expect(page).to_have_url(re.compile(r"/products\?in_stock=1$"))
    expect_results(page, in_stock[:24])

    filters.get_by_label("Per page").select_option(str(PER_PAGE))
    expect(page).to_have_url(query_has(in_stock="1", per_page=str(PER_PAGE)))
    expect_results(page, in_stock[:PER_PAGE])
    first_page_url = page.url

    page.locator("#results nav.pagination").get_by_role("link", name="Next").click()
    expect(page).to_have_url(query_has(in_stock="1", per_page=str(PER_PAGE), page="2"))
    expect_results(page, in_stock[PER_PAGE : 2 * PER_PAGE])
    expect(page.locator('#results [aria-current="page"]')).to_have_text("2")
    assert_not_reloaded(page)

    page.go_back()
    expect(page).to_have_url(first_page_url)
    expect(page.locator('#results [aria-current="page"]')).to_have_text("1")
    expect_results(page, in_stock[:PER_PAGE])

    page.reload()
    expect(page).to_have_url(first_page_url)
    expect_results(page, in_stock[:PER_PAGE])
    expect(filters.get_by_role("checkbox", name="In stock only")).to_be_checked()
    expect(filters.get_by_label("Per page")).to_have_value(str(PER_PAGE))


def test_catalog_without_javascript_uses_full_page_loads(new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/products")
    filters = page.locator("#filters")

    def navigate(action) -> None:
        with page.expect_response(lambda r: r.request.is_navigation_request()) as answer:
            action()
        assert answer.value.status == 200
        assert answer.value.request.headers.get("hx-request") is None

    filters.get_by_role("radio", name="Shoes", exact=True).check()
    navigate(filters.get_by_role("button", name="Apply filters").click)
    expect(page).to_have_url(query_has(category="shoes"))
    expect(page.locator("#results h1")).to_have_text("Shoes")
    expect_results(page, expected_slugs(category="shoes"))

    filters.get_by_role("radio", name="All categories").check()
    filters.get_by_role("checkbox", name="In stock only").check()
    filters.get_by_label("Per page").select_option(str(PER_PAGE))
    navigate(filters.get_by_role("button", name="Apply filters").click)
    expect(page).to_have_url(query_has(in_stock="1", per_page=str(PER_PAGE)))
    in_stock = expected_slugs(in_stock=True)
    expect_results(page, in_stock[:PER_PAGE])

    pagination = page.locator("#results nav.pagination")
    navigate(pagination.get_by_role("link", name="3", exact=True).click)
    expect(page).to_have_url(query_has(in_stock="1", per_page=str(PER_PAGE), page="3"))
    expect_results(page, in_stock[2 * PER_PAGE :])

    navigate(pagination.get_by_role("link", name="Previous").click)
    expect(page).to_have_url(query_has(in_stock="1", per_page=str(PER_PAGE), page="2"))
    expect_results(page, in_stock[PER_PAGE : 2 * PER_PAGE])


def test_variant_picker_swaps_the_buy_box(page: Page):
    page.goto("/products/linen-shirt")
    set_reload_marker(page)
    price, stock, add = page.locator("#price"), page.locator("#stock"), page.locator("#add-button")
    size_chip = (
        page.locator("#buy-box fieldset")
        .filter(has=page.locator("input[name='size']"))
        .locator("label.chip")
    )

    # The first in-stock variant is shown first: M / Blue, 4 left.
    expect(price).to_have_text("$10.00")
    expect(stock).to_have_text("Only 4 left")
    expect(add).to_be_enabled()

    size_chip.filter(has=page.locator("input[value='L']")).click()
    expect(price).to_have_text("$13.00")
    expect(stock).to_have_text("Sold out")
    expect(add).to_be_disabled()
    expect(page.locator("#buy-box input[name='size'][value='L']")).to_be_checked()
    expect(page).to_have_url(re.compile(r"/products/linen-shirt\?(.*&)?size=L(&|$)"))
    assert_not_reloaded(page)

    size_chip.filter(has=page.locator("input[value='M']")).click()
    expect(price).to_have_text("$10.00")
    expect(stock).to_have_text("Only 4 left")
    expect(add).to_be_enabled()
    expect(page.locator("#buy-box input[name='colour'][value='Blue']")).to_be_checked()
    expect(page).to_have_url(re.compile(r"/products/linen-shirt\?(.*&)?size=M(&|$)"))
    assert_not_reloaded(page)


def test_option_filters_narrow_the_results_and_follow_the_category(page: Page):
    page.goto("/products?per_page=48")
    set_reload_marker(page)
    options = page.locator("#option-filters")
    expect(options.locator("legend")).to_have_text(["Size", "Colour"])
    expect(options.locator("input[name='colour']")).to_have_count(2)

    options.locator("label.chip").filter(has=page.locator("input[value='Red']")).click()
    expect(page).to_have_url(query_has(colour="Red"))
    expect_results(page, expected_slugs(colours=("Red",)))
    options.locator("label.chip").filter(has=page.locator("input[value='L']")).click()
    expect(page).to_have_url(query_has(colour="Red", size="L"))
    expect_results(page, expected_slugs(colours=("Red",), sizes=("L",)))

    # Another category swaps in its own option values; the chosen ones stay ticked.
    page.locator("#filters").get_by_role("radio", name="Home", exact=True).check()
    expect(page).to_have_url(query_has(category="home", colour="Red", size="L"))
    expect_results(page, expected_slugs(category="home", colours=("Red",), sizes=("L",)))
    expect(page.locator("#option-filters input[name='size'][value='L']")).to_be_checked()
    assert_not_reloaded(page)


def test_variant_picker_without_javascript_is_a_form(new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/products/linen-shirt")
    expect(page.locator("#price")).to_have_text("$10.00")
    page.locator("#buy-box label.chip").filter(
        has=page.locator("input[name='size'][value='L']")).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Show this option").click()
    expect(page).to_have_url(re.compile(r"/products/linen-shirt\?(?=.*size=L)(?=.*colour=Blue)"))
    # L comes only in Red: the size just chosen is kept, and that variant is sold out.
    expect(page.locator("#price")).to_have_text("$13.00")
    expect(page.locator("#stock")).to_have_text("Sold out")
    expect(page.locator("#buy-box input[name='colour'][value='Red']")).to_be_checked()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_pages_fit_the_viewport(new_context, viewport):
    context = new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    folder = os.environ.get("SHOPHUB_SCREENSHOT_DIR")
    for name, path in SCREENSHOT_PAGES.items():
        response = page.goto(path, wait_until="load")
        assert response is not None and response.status == 200, path
        widths = page.evaluate(
            "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert widths["scroll"] <= widths["inner"], f"{path} overflows sideways: {widths}"
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            load_all_images(page)
            page.screenshot(path=Path(folder) / f"{viewport}-{name}.png", full_page=True)
