"""Checkout rows and steps for the order tests: shipping methods, coupons, carts, placed orders."""

import html
import re
from itertools import count

from sqlalchemy import func, select

from shophub.cart.service import load_view
from shophub.checkout.placement import CheckoutDraft, place
from shophub.extensions import db
from shophub.models import (
    AuditEntry,
    Cart,
    CartItem,
    Coupon,
    DemoIntent,
    Order,
    ShippingMethod,
    Variant,
)
from shophub.platform import mail

SUCCEEDS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
NEEDS_CONFIRMATION = "4000 0025 0000 3155"

ADDRESS = {"full_name": "Ann Buyer", "line1": "1 Main St", "city": "Springfield",
           "postal_code": "12345", "country": "US"}
CONTACT = {"email": "ann@example.com", **ADDRESS}

_serial = count(1)


def make_method(name: str = "Standard", price: int = 500, free_over: int | None = None,
                position: int = 0, active: bool = True) -> int:
    """Insert a shipping method; returns its id."""
    method = ShippingMethod(name=name, price_cents=price, free_over_cents=free_over,
                            position=position, active=active)
    db.session.add(method)
    db.session.commit()
    return method.id


def make_coupon(code: str = "SAVE10", kind: str = "percent", value: int = 10, **rules) -> int:
    """Insert a coupon (code stored upper-case, as the admin stores it); returns its id."""
    coupon = Coupon(code=code.upper(), kind=kind, value=value, **rules)
    db.session.add(coupon)
    db.session.commit()
    return coupon.id


def page(response) -> str:
    """A response's body as text, HTML entities decoded (so "card's" reads as typed)."""
    return html.unescape(response.get_data(as_text=True))


# --- HTTP steps -------------------------------------------------------------------------------

def add_to_cart(client, variant_id: int, quantity: int = 1, **extra):
    """POST /cart/items; asserts the line was added."""
    response = client.post("/cart/items", data={"variant_id": variant_id,
                                                "quantity": quantity, **extra})
    assert response.status_code == 303, response.status_code
    return response


def send_contact(client, headers=None, **overrides):
    """POST /checkout/contact with the default contact details, some changed."""
    return client.post("/checkout/contact", data={**CONTACT, **overrides}, headers=headers)


def send_shipping(client, method_id: int, coupon: str = "", place_order: bool = False,
                  headers=None, **extra):
    """POST /checkout/shipping; with place_order the order is placed ("continue")."""
    data = {"shipping_method": method_id, "coupon_code": coupon, **extra}
    if place_order:
        data["action"] = "continue"
    return client.post("/checkout/shipping", data=data, headers=headers)


def to_payment(client, method_id: int, coupon: str = "", **contact):
    """Contact, shipping and "continue": the order is placed; returns GET /checkout/payment."""
    response = send_contact(client, **contact)
    assert response.status_code == 303, page(response)
    response = send_shipping(client, method_id, coupon, place_order=True)
    assert response.status_code == 303 and response.location.endswith("/checkout/payment"), (
        response.status_code, response.location)
    response = client.get("/checkout/payment")
    assert response.status_code == 200
    return response


def pay(client, card: str = SUCCEEDS):
    """POST the demo card form."""
    return client.post("/checkout/demo/pay",
                       data={"card_number": card, "expiry": "12/30", "cvc": "123"})


def order_token_in(text: str) -> str:
    """The order-page token linked from a page."""
    return re.search(r'/orders/([\w-]+)"', text).group(1)


# --- rows -------------------------------------------------------------------------------------

def stock_of(variant_id: int) -> int:
    """A variant's stock as the database has it now."""
    db.session.expire_all()
    return db.session.scalar(select(Variant.stock).where(Variant.id == variant_id))


def count_rows(model, *conditions) -> int:
    """How many rows of `model` match."""
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def all_orders() -> list[Order]:
    """Every order, oldest first, freshly read."""
    db.session.expire_all()
    return list(db.session.scalars(select(Order).order_by(Order.id)))


def only_order() -> Order:
    """The one order in the database."""
    (order,) = all_orders()
    return order


def demo_intent(intent_id: str) -> DemoIntent:
    """The demo provider's stored intent, freshly read."""
    db.session.expire_all()
    return db.session.get(DemoIntent, intent_id)


def audit_actions(order_id: int) -> list[str]:
    """The audit actions recorded for an order, oldest first."""
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_type == "order",
                                        AuditEntry.entity_id == order_id)
        .order_by(AuditEntry.id)))


def outbox(app) -> list:
    """The mails written to the app's outbox folder, oldest first."""
    return mail.outbox_messages(app.config["MAIL_OUTBOX"])


def place_from_cart(lines: list[tuple[int, int]], method_id: int, coupon: str = "",
                    email: str = "ann@example.com", user_id: int | None = None) -> Order:
    """Put (variant_id, quantity) lines in a new cart and place its order (service level)."""
    cart = Cart(user_id=user_id) if user_id is not None else Cart(token=f"cart-{next(_serial)}")
    db.session.add(cart)
    db.session.flush()
    for variant_id, quantity in lines:
        db.session.add(CartItem(cart_id=cart.id, variant_id=variant_id, quantity=quantity))
    db.session.commit()
    draft = CheckoutDraft(email=email, address=dict(ADDRESS), shipping_method_id=method_id,
                          coupon_code=coupon)
    return place(load_view(user_id, cart.token), draft, user_id, cart.id)

