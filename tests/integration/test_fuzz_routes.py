"""A walk over the URL map with hostile values, as a stranger, a customer and an admin.

Every route gets hostile path parts, query parameters and form bodies: huge and negative
numbers, Unicode digits, NUL, very long strings, repeated keys, injection strings. Whatever a
route answers, it is never a 5xx. The walk is seeded and bounded (a few thousand requests).
"""

import random

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from shophub.extensions import db
from shophub.models import Product
from tests.shop_data import log_in, make_user

HOSTILE = [
    "", "0", "-1", "2147483648", "9" * 40, "1e400", "NaN", "²", "١٢٣", "1.5", "\x00",
    "a\x00b", "x" * 5000, "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd",
    "%00", "€5", "\u202e\u200b", "true", "[]", "{}", "null",
]
# Names that the forms and filters of ShopHub read; unknown names are ignored by design.
FIELDS = [
    "q", "page", "per_page", "sort", "dir", "category", "min_price", "max_price", "in_stock",
    "size", "colour", "variant", "variant_id", "quantity", "email", "password", "confirm",
    "current", "name", "next", "code", "coupon", "method", "shipping_method", "amount", "full",
    "reason", "carrier", "tracking_number", "price", "stock", "shown_stock", "slug",
    "description", "position", "title", "text", "link_url", "link_label", "image_alt", "alt_text",
    "direction", "ids", "archived", "low", "role", "status", "payment_status", "from", "to",
    "action", "actor", "kind", "value", "starts", "ends", "usage_limit", "per_customer_limit",
    "min_subtotal", "store_name", "currency", "tax_rate", "low_stock_threshold",
    "reservation_minutes", "line1", "line2", "city", "postcode", "region", "country", "phone",
    "card_number", "expiry", "cvc", "address_id", "remember", "active", "free_over", "token",
]
SKIPPED = {"static", "media.serve", "webhooks.stripe_webhook", "account.logout",
           "account.sign_out_everywhere"}
CALLS_PER_ROUTE = 10


def hostile_path(rule, rng: random.Random) -> str | None:
    """The rule's URL with a hostile value in every argument (the id converter takes numbers)."""
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument]
        if type(converter).__name__ == "RowIdConverter":
            values[argument] = rng.choice([1, 2, 2**31 - 1])
        else:
            values[argument] = rng.choice(HOSTILE) or "x"
    path = rule.rule
    for argument, value in values.items():
        path = path.replace(f"<id:{argument}>", str(value))
        for converter in ("", "string:", "path:"):
            path = path.replace(f"<{converter}{argument}>", str(value))
    return None if "<" in path else path


def hostile_fields(rng: random.Random) -> list[tuple[str, str]]:
    names = rng.sample(FIELDS, k=12)
    pairs = [(name, rng.choice(HOSTILE)) for name in names]
    pairs.append((rng.choice(names), rng.choice(HOSTILE)))  # a repeated key
    return pairs


@pytest.fixture
def visitors(app, catalog):
    with app.app_context():
        make_user("kim@example.com")
        make_user("boss@example.com", role="admin")
        assert db.session.scalar(select(Product.id)) is not None
    customer, admin = app.test_client(), app.test_client()
    log_in(customer, "kim@example.com")
    log_in(admin, "boss@example.com")
    return {"stranger": app.test_client(), "customer": customer, "admin": admin}


def test_no_route_answers_a_hostile_request_with_a_5xx(app, visitors):
    rng = random.Random(20261201)
    rules = sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIPPED),
                   key=lambda rule: rule.rule)
    failures, sent = [], 0
    for who, client in visitors.items():
        for rule in rules:
            for _ in range(CALLS_PER_ROUTE):
                path = hostile_path(rule, rng)
                if path is None:
                    continue
                fields = MultiDict(hostile_fields(rng))
                if "POST" in rule.methods and rng.random() < 0.6:
                    response = client.post(path, data=fields)
                elif "GET" in rule.methods:
                    response = client.get(path, query_string=fields,
                                          headers=rng.choice([{}, {"HX-Request": "true"}]))
                else:
                    continue
                response.get_data()
                response.close()
                sent += 1
                if response.status_code >= 500:
                    sample = list(fields.items(multi=True))[:3]
                    failures.append(f"{who} {rule.endpoint} {path} {sample}: "
                                    f"{response.status_code}")
    assert sent > 1500
    assert failures == []
