"""Small, explicit rows for cart and account tests."""

import time
from itertools import count
from urllib.parse import urlsplit

from shophub.accounts import users
from shophub.catalog.options import set_named_values
from shophub.extensions import db
from shophub.models import Product, Variant
from shophub.platform import mail, queue

_serial = count(1)
PASSWORD = "correct horse battery"


def make_variant(name: str = "Mug", price: int = 1250, stock: int = 5,
                 options: dict[str, str] | None = None, archived: bool = False,
                 slug: str | None = None, sku: str | None = None) -> int:
    """Insert a product with one variant (unique slug and SKU unless given); the variant id.

    `options` are its values by list name ({"Size": "M"}); missing lists and values are made.
    """
    n = next(_serial)
    product = Product(name=name, slug=slug or f"{name.lower().replace(' ', '-')}-{n}",
                      description="Test product.", archived=archived)
    variant = Variant(product=product, sku=sku or f"SKU-{n}", price_cents=price, stock=stock)
    db.session.add_all([product, variant])
    if options:
        set_named_values(variant, options)
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


def mails_to(outbox_folder: str, address: str, timeout: float = 5.0) -> list:
    """The mails to `address` in an outbox folder, oldest first, once the jobs behind
    the requests have run (sign-up and reset mails are sent after the answer)."""
    queue.wait_for_inline_jobs(timeout)
    deadline = time.monotonic() + timeout
    while True:
        found = [message for message in mail.outbox_messages(outbox_folder)
                 if message["To"] == address]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def mailed_link(outbox_folder: str, address: str, path: str) -> str:
    """The newest link into `path` mailed to `address`, as a path with its query string."""
    links = [word for message in mails_to(outbox_folder, address)
             for word in message.get_body(("plain",)).get_content().split() if path in word]
    assert links, f"no mail to {address} links to {path}"
    parts = urlsplit(links[-1])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_up(client, email: str = "new.person@example.com", password: str = PASSWORD,
            name: str = "New Person", next_path: str | None = None):
    """Register through the form and follow the mailed link; returns the last response.

    The client is logged in afterwards, as a shopper is who followed the link.
    """
    app = client.application
    query = f"?next={next_path}" if next_path else ""
    response = client.post(f"/account/register{query}", data={"name": name, "email": email})
    assert response.status_code == 200, response.status_code
    link = mailed_link(app.config["MAIL_OUTBOX"], email.strip().lower(), "/account/register/")
    return client.post(link, data={"password": password, "confirm": password})
