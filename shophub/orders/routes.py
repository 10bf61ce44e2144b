"""GET /orders/<token> and its printable invoice."""

from flask import Blueprint, abort, render_template

from shophub.models import Order
from shophub.orders.history import order_by_token

bp = Blueprint("orders", __name__, url_prefix="/orders")


def _order_or_404(token: str) -> Order:
    order = order_by_token(token)
    if order is None:
        abort(404)
    return order


@bp.get("/<token>")
def show(token: str):
    """The order's status, items, amounts, payment and refunds."""
    order = _order_or_404(token)
    response = render_template("orders/order.html", order=order)
    return response, 200, {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/<token>/invoice")
def invoice(token: str):
    """A printable invoice of a paid order."""
    order = _order_or_404(token)
    if not order.payments:
        abort(404)
    return render_template("orders/invoice.html", order=order), 200, {
        "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
