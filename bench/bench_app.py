"""The store's WSGI app plus /_bench/bare: 24 product cards rendered from memory, no database.

The bare page uses the store's own card markup (the product_grid macro) inside a minimal
document, so the comparison with /products isolates what the catalog adds around the cards:
queries, filters, layout and pagination.
"""

from shophub import create_app
from shophub.catalog.queries import ProductCard

app = create_app()

CARDS = [
    ProductCard(
        id=i, name=f"Benchmark Product {i}", slug=f"benchmark-product-{i}",
        min_price=1900 + i * 100, max_price=1900 + i * 100 + (200 if i % 3 == 0 else 0),
        stock=0 if i % 7 == 0 else 5, image_file=f"products/benchmark-product-{i}-1",
        image_alt=f"Benchmark Product {i}, front view",
    )
    for i in range(24)
]

# Compiled once, as Flask does for template files.
BARE_TEMPLATE = app.jinja_env.from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bare</title>
<link rel="stylesheet" href="/static/css/shop.css"></head>
<body><main class="container">
{% from "macros/cards.html" import product_grid %}{{ product_grid(cards) }}
</main></body></html>""")


@app.get("/_bench/bare")
def bare_page():
    """The baseline: Flask and Jinja only."""
    return BARE_TEMPLATE.render(cards=CARDS)
