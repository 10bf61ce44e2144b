"""/admin/orders: the order list, its CSV export, one order's page and the staff's actions."""

from flask import (
    Response,
    abort,
    flash,
    redirect,
    request,
    stream_with_context,
    url_for,
)

from shophub.admin.blueprint import bp
from shophub.admin.orders import service as order_admin
from shophub.core.money import format_money
from shophub.models.orders import ORDER_STATUSES, PAYMENT_STATUSES
from shophub.web.htmx import render_page_or_block, wants_fragment


@bp.get("/orders")
def orders():
    """Orders filtered by status, payment, date and search; sorted and paged."""
    filters = order_admin.parse_filters(request.args)
    listing = order_admin.list_orders(filters, order_admin.page_number(request.args.get("page")))
    return render_page_or_block(
        "admin/orders.html", "orders_table", filters=filters, listing=listing,
        statuses=ORDER_STATUSES, payment_statuses=PAYMENT_STATUSES,
        sort_labels=order_admin.SORT_LABELS, page_sizes=order_admin.PAGE_SIZES,
        format_money=format_money,
    )


@bp.get("/orders.csv")
def orders_csv():
    """The orders matching the list's filters as a CSV file, streamed."""
    filters = order_admin.parse_filters(request.args)
    response = Response(stream_with_context(order_admin.csv_lines(filters)),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f"attachment; filename={order_admin.csv_filename()}")
    return response


def _detail_page(order_id: int, message: str | None = None, kind: str = "success",
                 status: int = 200):
    try:
        detail = order_admin.order_detail(order_id)
    except order_admin.OrderNotFound:
        abort(404)
    response = render_page_or_block("admin/order_detail.html", "order_panel", detail=detail,
                                    order=detail.order, message=message, message_kind=kind,
                                    format_money=format_money)
    response.status_code = status
    return response


@bp.get("/orders/<id:order_id>")
def order_detail(order_id: int):
    """One order: lines, amounts, addresses, payments, refunds, holds and its audit timeline."""
    return _detail_page(order_id)


def _act(order_id: int, action, *args):
    """Run a staff action and answer: the order's panel for HTMX (422 when refused), else a
    flash and a 303 back to the order."""
    try:
        message, kind, status = action(order_id, *args), "success", 200
    except order_admin.OrderNotFound:
        abort(404)
    except order_admin.ActionRefused as refused:
        message, kind, status = str(refused), "error", 422
    if wants_fragment():
        return _detail_page(order_id, message, kind, status)
    flash(message, kind)
    return redirect(url_for("admin.order_detail", order_id=order_id), 303)


@bp.post("/orders/<id:order_id>/ship")
def order_ship(order_id: int):
    """Mark the order shipped with a carrier and tracking number."""
    form = request.form
    return _act(order_id, order_admin.ship_order, form.get("carrier"),
                form.get("tracking_number"))


@bp.post("/orders/<id:order_id>/deliver")
def order_deliver(order_id: int):
    """Mark the shipped order delivered."""
    return _act(order_id, order_admin.deliver_order)


@bp.post("/orders/<id:order_id>/cancel")
def order_cancel(order_id: int):
    """Cancel the order: unpaid, or paid and not shipped (with a refund)."""
    return _act(order_id, order_admin.cancel_order, request.form.get("reason"))


@bp.post("/orders/<id:order_id>/refund")
def order_refund(order_id: int):
    """Refund a typed amount, or everything left, of the order."""
    form = request.form
    return _act(order_id, order_admin.refund_order, form.get("amount"), form.get("reason"),
                form.get("full") == "1")
