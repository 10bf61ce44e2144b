"""The catalog page: every filter, sort and pagination rule, checked against plain Python."""

import re

import pytest
from sqlalchemy import select

from shophub.catalog import options
from shophub.extensions import db
from shophub.models import OptionList
from tests.catalog_data import add_material_products, expected_slugs, product_specs

CARD_LINK = re.compile(r'class="card-link" href="/products/([^"]+)"')


def listed(client, query: str = "", **headers) -> tuple[list[str], str]:
    """The product slugs a catalog URL lists, and its HTML."""
    response = client.get("/products" + query, headers=headers)
    assert response.status_code == 200, response.data[:500]
    html = response.get_data(as_text=True)
    return CARD_LINK.findall(html), html


def test_all_products_newest_first_without_archived(catalog, client):
    slugs, html = listed(client, "?per_page=48")
    assert slugs == expected_slugs()
    assert "archived-hoodie" not in slugs
    assert f"of {len(slugs)} products" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=linen", dict(q="linen")),
        ("?q=LINEN+shirt", dict(q="linen shirt")),
        ("?q=washable", dict(q="washable")),
        ("?q=100%25", dict(q="100%")),
        ("?q=_", dict(q="_")),
        ("?q=nothing-like-this", dict(q="nothing-like-this")),
        ("?category=shoes", dict(category="shoes")),
        ("?min_price=50", dict(min_price=5000)),
        ("?max_price=20.00", dict(max_price=2000)),
        ("?min_price=20&max_price=40", dict(min_price=2000, max_price=4000)),
        ("?in_stock=1", dict(in_stock=True)),
        ("?size=M", dict(sizes=("M",))),
        ("?size=S&size=L", dict(sizes=("S", "L"))),
        ("?colour=Red", dict(colours=("Red",))),
        ("?colour=Red&in_stock=1", dict(colours=("Red",), in_stock=True)),
        ("?size=L&max_price=30", dict(sizes=("L",), max_price=3000)),
        ("?category=tops&in_stock=1&q=shirt", dict(category="tops", in_stock=True, q="shirt")),
    ],
)
def test_filters(catalog, client, query, expected):
    slugs, _ = listed(client, query + "&per_page=48")
    assert slugs == expected_slugs(**expected)


def test_percent_in_search_is_literal(catalog, client):
    slugs, _ = listed(client, "?q=100%25")
    assert slugs == ["100-cotton-socks"]


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "name"])
def test_sorts(catalog, client, sort):
    slugs, html = listed(client, f"?sort={sort}&per_page=48")
    assert slugs == expected_slugs(sort=sort)
    assert f'value="{sort}" selected' in html


def test_price_sort_uses_the_cheapest_matching_variant(catalog, client):
    slugs, _ = listed(client, "?sort=price_asc&min_price=12.60&per_page=48")
    assert slugs == expected_slugs(sort="price_asc", min_price=1260)
    # linen-shirt's cheapest variant (10.00) is below the minimum, its L variant (13.00) is not.
    assert slugs[0] == "linen-shirt"


def test_pagination_covers_every_product_once(catalog, client):
    expected = expected_slugs(sort="name")
    pages = []
    for page in (1, 2, 3):
        slugs, html = listed(client, f"?sort=name&per_page=12&page={page}")
        pages.append(slugs)
    assert pages[0] == expected[:12] and pages[1] == expected[12:24] and pages[2] == expected[24:]
    assert sum(pages, []) == expected


def test_pagination_links_keep_the_filters(catalog, client):
    _, html = listed(client, "?in_stock=1&per_page=12&sort=price_asc")
    assert 'rel="next"' in html
    next_link = re.search(r'href="([^"]+)"[^>]*rel="next"', html).group(1)
    assert "in_stock=1" in next_link and "sort=price_asc" in next_link
    assert "per_page=12" in next_link and "page=2" in next_link


def test_page_past_the_end_shows_the_last_page(catalog, client):
    expected = expected_slugs()
    slugs, html = listed(client, "?per_page=12&page=9")
    assert slugs == expected[24:]
    assert "There are only 3 pages" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?page=abc", "Page “abc” is not valid"),
        ("?page=-1", "Page “-1” is not valid"),
        ("?page=99999999999999999999999", "is not valid"),
        ("?min_price=-5", "Minimum price “-5” was ignored: The amount cannot be negative."),
        ("?max_price=lots", "Maximum price “lots” was ignored"),
        ("?sort=bogus", "Unknown sort order “bogus”"),
        ("?per_page=5000", "Page size must be one of"),
    ],
)
def test_bad_parameters_are_corrected_with_a_message(catalog, client, query, message):
    slugs, html = listed(client, query)
    assert slugs == expected_slugs()[:24]
    assert message in html.replace("&#34;", '"').replace("&#39;", "'")


@pytest.mark.parametrize(
    "query",
    [
        "?min_price=1e400", "?max_price=NaN", "?page=1.5", "?page=%00", "?q=%00%ff",
        "?size=" + "x" * 5000, "?category=", "?in_stock=maybe", "?per_page=-1",
        "?min_price=%E2%82%AC5", "?sort=", "?q=' OR 1=1 --",
    ],
)
def test_odd_input_never_fails(catalog, client, query):
    response = client.get("/products" + query)
    assert response.status_code == 200


def test_unknown_category_is_a_designed_404(catalog, client):
    response = client.get("/products?category=no-such-thing")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "There is no such category." in html
    assert "Browse the catalog" in html


def test_category_page_is_titled(catalog, client):
    _, html = listed(client, "?category=home")
    assert "<h1>Home</h1>" in html


def test_htmx_request_gets_only_the_results(catalog, client):
    slugs, html = listed(client, "?category=tops", **{"HX-Request": "true"})
    assert slugs == expected_slugs(category="tops")
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html and 'id="filters"' not in html
    response = client.get("/products", headers={"HX-Request": "true"})
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"HX-Request": "true", "HX-Boosted": "true"},
     {"HX-Request": "true", "HX-History-Restore-Request": "true"},
     {"HX-History-Restore-Request": "true"}],
)
def test_full_page_for_plain_boosted_and_history_requests(catalog, client, headers):
    response = client.get("/products", headers=headers)
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>")
    assert 'id="filters"' in html and 'id="results"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_filter_form_works_without_javascript(catalog, client):
    """The form is a plain GET form whose fields are the query parameters the page reads."""
    _, html = listed(client)
    form = re.search(r'<form id="filters".*?</form>', html, re.S).group(0)
    assert 'method="get"' in form and 'action="/products"' in form
    for name in ("q", "sort", "category", "min_price", "max_price", "in_stock", "size",
                 "colour", "per_page"):
        assert f'name="{name}"' in form
    assert '<button type="submit">Apply filters</button>' in form


def test_filters_show_available_sizes_and_colours(catalog, client):
    _, html = listed(client)
    sizes = re.findall(r'name="size" value="([^"]+)"', html)
    colours = re.findall(r'name="colour" value="([^"]+)"', html)
    # In the order the store keeps its lists' values (Red was made before Blue).
    assert sizes == ["S", "M", "L"]
    assert colours == ["Red", "Blue"]
    assert re.findall(r"<legend>([^<]+)</legend>", html)[-2:] == ["Size", "Colour"]


def _reorder(app, slug: str, values: list[str]) -> None:
    with app.app_context():
        option = db.session.scalar(select(OptionList).where(OptionList.slug == slug))
        by_text = {value.value: value for value in option.values}
        for position, text in enumerate(values):
            by_text[text].position = position
        db.session.commit()
        options.forget_cached_options()


def test_option_filters_follow_the_managed_order_of_lists_and_values(catalog, client, app):
    _reorder(app, "size", ["L", "S", "M"])
    _reorder(app, "colour", ["Blue", "Red"])
    with app.app_context():
        colour = db.session.scalar(select(OptionList).where(OptionList.slug == "colour"))
        colour.position = -1  # before Size
        db.session.commit()
        options.forget_cached_options()
    _, html = listed(client)
    assert re.findall(r'name="size" value="([^"]+)"', html) == ["L", "S", "M"]
    assert re.findall(r'name="colour" value="([^"]+)"', html) == ["Blue", "Red"]
    assert re.findall(r"<legend>([^<]+)</legend>", html)[-2:] == ["Colour", "Size"]


def _add_material_products(app) -> None:
    with app.app_context():
        add_material_products()


def test_a_third_option_list_filters_the_catalog_and_shows_in_the_filters(catalog, client,
                                                                          app):
    _add_material_products(app)
    _, html = listed(client)
    assert re.findall(r'name="material" value="([^"]+)"', html) == ["Wool", "Linen", "Cotton"]
    assert re.findall(r"<legend>([^<]+)</legend>", html)[-3:] == ["Size", "Colour", "Material"]
    assert listed(client, "?material=Linen")[0] == ["throw-blanket"]
    assert listed(client, "?material=Linen&material=Cotton")[0] == ["plain-tee", "throw-blanket"]
    # The Linen throw is sold out; with several lists, one variant must match them all.
    assert listed(client, "?material=Linen&in_stock=1")[0] == []
    assert listed(client, "?material=Cotton&size=M")[0] == ["plain-tee"]
    assert listed(client, "?material=Wool&size=S")[0] == []
    assert listed(client, "?material=Wool&colour=Red")[0] == []
    assert listed(client, "?material=Wool&material=Cotton&size=M&in_stock=1")[0] == [
        "plain-tee", "throw-blanket"]
    slugs, html = listed(client, "?material=Wool&category=home")
    assert slugs == ["throw-blanket"]
    assert re.findall(r'name="material" value="([^"]+)" checked', html) == ["Wool"]
    pushed = client.get("/products?material=Wool&q=", headers={"HX-Request": "true"})
    assert pushed.headers["HX-Push-Url"] == "/products?material=Wool"


def test_a_value_no_product_has_lists_nothing_without_an_error(catalog, client, app):
    _add_material_products(app)
    for query in ("?size=XXL", "?material=Silk", "?size=M&material=Silk"):
        slugs, html = listed(client, query)
        assert slugs == [], query
        assert "Nothing matches these filters." in html
        assert 'class="notice"' not in html
    # The chosen value stays in the filters, ticked, so that it can be unticked.
    _, html = listed(client, "?size=XXL")
    assert re.findall(r'name="size" value="([^"]+)"', html) == ["S", "M", "L", "XXL"]
    assert 'name="size" value="XXL" checked' in html


def test_names_that_are_no_option_list_of_the_store_are_ignored(catalog, client):
    everything, _ = listed(client, "?per_page=48")
    for query in ("?grind=Filter", "?utm_source=mail&ref=x", "?Size=M", "?material=Wool"):
        slugs, html = listed(client, query + "&per_page=48")
        assert slugs == everything, query
        assert 'class="notice"' not in html
    pushed = client.get("/products?grind=Filter&size=M", headers={"HX-Request": "true"})
    assert pushed.headers["HX-Push-Url"] == "/products?size=M"


def test_out_of_stock_cards_are_marked(catalog, client):
    _, html = listed(client, "?per_page=48")
    sold_out = {s["slug"] for s in product_specs()
                if not s["archived"] and all(v["stock"] == 0 for v in s["variants"])}
    cards = re.findall(r'<li class="card">(.*?)</li>', html, re.S)
    marked = {CARD_LINK.search(card).group(1) for card in cards if "Sold out" in card}
    assert marked == sold_out and sold_out


def test_htmx_swap_pushes_the_tidy_url(catalog, client):
    response = client.get(
        "/products?q=&sort=newest&category=shoes&min_price=&max_price=&in_stock=1&per_page=24",
        headers={"HX-Request": "true"},
    )
    assert response.headers["HX-Push-Url"] == "/products?category=shoes&in_stock=1"
    clamped = client.get("/products?per_page=12&page=9&min_price=-5",
                         headers={"HX-Request": "true"})
    assert clamped.headers["HX-Push-Url"] == "/products?per_page=12&page=3"
    assert "HX-Push-Url" not in client.get("/products?category=shoes").headers


def test_option_filters_offer_only_values_in_the_category(catalog, client):
    _, html = listed(client, "?category=shoes")
    offered = {spec_variant["size"] for spec in product_specs() if spec["category"] == "shoes"
               and not spec["archived"] for spec_variant in spec["variants"]} - {None}
    assert set(re.findall(r'name="size" value="([^"]+)"', html)) == offered
    assert re.findall(r'name="category" value="([^"]*)"', html) == ["", "tops", "shoes", "home"]


def test_htmx_answer_swaps_the_option_filters_out_of_band(catalog, client):
    html = client.get("/products?category=home&size=M", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    oob = re.search(r'<div id="option-filters" hx-swap-oob="true">.*?</div>\s*$', html, re.S)
    assert oob, html[-800:]
    # Home has no sizes, but the chosen one stays visible so that it can be unticked.
    assert re.findall(r'name="size" value="([^"]+)" checked', oob.group(0)) == ["M"]
    full = client.get("/products?category=home").get_data(as_text=True)
    assert '<div id="option-filters">' in full and "hx-swap-oob" not in full
