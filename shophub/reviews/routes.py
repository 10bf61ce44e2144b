"""The buyer's review pages: a delivered order's lines, and one line's review form, reached by
the order-page token (guests and accounts) or from the account's own orders."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from shophub.models import Order
from shophub.orders.history import order_by_token
from shophub.reviews import service as reviews
from shophub.reviews.forms import ReviewForm
from shophub.web.limits import limit_public_posts

bp = Blueprint("reviews", __name__)
limit_public_posts(bp)
bp.add_app_template_global(reviews.may_review, "may_review")
# Order pages are the buyer's: never cached, and their tokens never sent on as a referrer.
PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def _by_token(token: str) -> Order:
    order = order_by_token(token)
    if order is None:
        abort(404)
    return order


def _own(order_id: int) -> Order:
    try:
        return reviews.account_order(current_user.id, order_id)
    except reviews.ReviewNotFound:
        abort(404)


def _links(order: Order, via_account: bool) -> dict:
    """The URLs of the order's review pages, by the way the buyer came."""
    if via_account:
        return {"list_url": url_for("reviews.account_order_lines", order_id=order.id),
                "line_endpoint": "reviews.account_write", "line_args": {"order_id": order.id},
                "back_url": url_for("account.orders"), "back_label": "Your orders"}
    return {"list_url": url_for("reviews.order_lines", token=order.token),
            "line_endpoint": "reviews.write", "line_args": {"token": order.token},
            "back_url": url_for("orders.show", token=order.token), "back_label": "Your order"}


def _lines_page(order: Order, via_account: bool):
    return render_template("reviews/order_lines.html", order=order,
                           lines=reviews.order_lines(order), **_links(order, via_account)), \
        200, PRIVATE


def _write_page(order: Order, line_id: int, via_account: bool):
    try:
        line = reviews.order_line(order, line_id)
    except reviews.ReviewNotFound:
        abort(404)
    form = ReviewForm(data={"author_name": reviews.default_author(order)})
    links = _links(order, via_account)
    status, refusal = 200, None
    if form.is_submitted():
        if form.validate():
            try:
                reviews.submit(order, line_id, form.review_input())
            except reviews.ReviewRefused as refused:
                status, refusal = refused.status, str(refused)
            else:
                flash("Thank you. Your review will appear on the product page once the shop "
                      "has read it.", "success")
                return redirect(links["list_url"], 303)
        else:
            status = 422
        line = reviews.order_line(order, line_id)
    elif not reviews.may_review(order):
        status = 403
    return render_template("reviews/write.html", order=order, line=line, form=form,
                           refusal=refusal, **links), status, PRIVATE


@bp.get("/orders/<token>/reviews")
def order_lines(token: str):
    """The lines of the order behind the token, each with its review or a link to write one."""
    return _lines_page(_by_token(token), via_account=False)


@bp.route("/orders/<token>/reviews/<id:line_id>", methods=["GET", "POST"])
def write(token: str, line_id: int):
    """Review one line of the delivered order behind the token."""
    return _write_page(_by_token(token), line_id, via_account=False)


@bp.get("/account/orders/<id:order_id>/reviews")
@login_required
def account_order_lines(order_id: int):
    """The lines of one of the account's orders, each with its review or a link to write one."""
    return _lines_page(_own(order_id), via_account=True)


@bp.route("/account/orders/<id:order_id>/reviews/<id:line_id>", methods=["GET", "POST"])
@login_required
def account_write(order_id: int, line_id: int):
    """Review one line of one of the account's delivered orders."""
    return _write_page(_own(order_id), line_id, via_account=True)
