"""The catalog on phones is drawn as it stays: the filter panel is closed in the page itself,
so nothing moves after the first paint (no layout shift), with JavaScript on or off."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.only_browser("chromium")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# Sums every layout shift from the start of the page, and notes where the results were first.
WATCH_SHIFTS = """
window.__shift = 0;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__shift += entry.value;
  }
}).observe({type: "layout-shift", buffered: true});
document.addEventListener("DOMContentLoaded", () => {
  const results = document.querySelector("#results");
  window.__firstBox = results && results.getBoundingClientRect().toJSON();
});
"""


def _open_at(new_context, viewport, path="/products", javascript=True) -> Page:
    page = new_context(viewport=viewport, java_script_enabled=javascript).new_page()
    if javascript:
        page.add_init_script(WATCH_SHIFTS)
    page.goto(path, wait_until="load")
    return page


def test_the_phone_catalog_does_not_move_after_it_is_drawn(new_context):
    page = _open_at(new_context, PHONE)
    page.wait_for_timeout(1000)
    assert page.evaluate("window.__shift") == 0
    first = page.evaluate("window.__firstBox")
    assert first == page.evaluate("document.querySelector('#results').getBoundingClientRect()"
                                  ".toJSON()")
    panel = page.locator(".filters-panel")
    assert panel.evaluate("panel => panel.open") is False
    expect(page.locator("#filter-q")).to_be_hidden()
    page.get_by_text("Filters and sort").click()
    expect(page.locator("#filter-q")).to_be_visible()


def test_the_phone_catalog_without_javascript_opens_the_panel_on_a_tap(new_context):
    page = _open_at(new_context, PHONE, javascript=False)
    expect(page.locator("#filter-q")).to_be_hidden()
    page.get_by_text("Filters and sort").click()
    expect(page.locator("#filter-q")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False])
def test_wide_screens_show_the_filters_without_a_toggle(new_context, javascript):
    page = _open_at(new_context, DESKTOP, javascript=javascript)
    expect(page.locator("#filter-q")).to_be_visible()
    if javascript:
        assert page.evaluate("window.__shift") == 0
