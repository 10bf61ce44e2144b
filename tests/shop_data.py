"""Small, explicit rows for cart and account tests."""

from itertools import count

from shophub.accounts import users
from shophub.extensions import db
from shophub.models import Product, Variant

_serial = count(1)
PASSWORD = "correct horse battery"


def make_variant(name: str = "Mug", price: int = 1250, stock: int = 5, size=None, colour=None,
                 archived: bool = False) -> int:
    """Insert a product with one variant; returns the variant id."""
    n = next(_serial)
    product = Product(name=name, slug=f"{name.lower().replace(' ', '-')}-{n}",
                      description="Test product.", archived=archived)
    variant = Variant(product=product, sku=f"SKU-{n}", size=size, colour=colour,
                      price_cents=price, stock=stock)
    db.session.add_all([product, variant])
    db.session.commit()
    return variant.id


def make_user(email: str = "shopper@example.com", role: str = "customer",
              password: str = PASSWORD) -> int:
    """Insert an account; returns its id."""
    user = users.register(email, password, name="Sam Shopper", role=role)
    db.session.commit()
    return user.id


def log_in(client, email: str = "shopper@example.com", password: str = PASSWORD,
           remember: bool = False):
    """Log in through the form; returns the response."""
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/account/login", data=data)


def set_stock(variant_id: int, stock: int) -> None:
    """Change a variant's stock."""
    db.session.get(Variant, variant_id).stock = stock
    db.session.commit()
