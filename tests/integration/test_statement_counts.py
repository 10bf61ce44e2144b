"""The catalog, product and home pages use a fixed number of SQL statements."""

import pytest


@pytest.mark.parametrize(
    ("query", "cards"),
    [("?per_page=48", 29), ("?q=carafe", 1), ("?q=none-at-all", 0),
     ("?category=shoes&in_stock=1&size=M&sort=price_asc", None)],
)
def test_catalog_page_issues_at_most_three_statements(catalog, client, count_statements,
                                                       query, cards):
    for headers in ({}, {"HX-Request": "true"}):
        with count_statements() as counter:
            response = client.get("/products" + query, headers=headers)
        assert response.status_code == 200
        if cards is not None:
            assert response.get_data(as_text=True).count('class="card-link"') == cards
        # A category's whole page also reads the category (its title and description) and its
        # share image's picture and lowest price, for the head; its HTMX swaps do not.
        most = 5 if "category=" in query and not headers else 3
        assert counter.count <= most, counter.statements


@pytest.mark.parametrize("slug", ["linen-shirt", "canvas-sneaker"])
def test_product_page_issues_at_most_four_statements(catalog, client, count_statements, slug):
    with count_statements() as counter:
        assert client.get(f"/products/{slug}").status_code == 200
    assert counter.count <= 4, counter.statements


def test_home_page_issues_at_most_three_statements(catalog, client, count_statements):
    with count_statements() as counter:
        assert client.get("/").status_code == 200
    assert counter.count <= 3, counter.statements
