"""The store's WSGI app plus /_bench/bare: 24 product cards rendered from memory, no database."""

from shophub import create_app

app = create_app()

CARDS = [
    {
        "name": f"Benchmark Product {i}",
        "slug": f"benchmark-product-{i}",
        "price": f"${19 + i}.00",
        "image": f"/media/products/benchmark-product-{i}-1-400.webp",
    }
    for i in range(24)
]

BARE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bare</title>
<link rel="stylesheet" href="/static/css/shop.css"></head>
<body><main class="container"><ul class="product-grid">
{% for card in cards %}
<li class="card"><a class="card-link" href="/products/{{ card.slug }}">
<div class="card-media"><img src="{{ card.image }}" width="400" height="400" loading="lazy"
 alt="{{ card.name }}"></div>
<h3 class="card-title">{{ card.name }}</h3><p class="card-price">{{ card.price }}</p></a></li>
{% endfor %}
</ul></main></body></html>"""


# Compiled once, as Flask does for template files.
BARE_TEMPLATE = app.jinja_env.from_string(BARE_PAGE)


@app.get("/_bench/bare")
def bare_page():
    """The baseline: Flask and Jinja only."""
    return BARE_TEMPLATE.render(cards=CARDS)
