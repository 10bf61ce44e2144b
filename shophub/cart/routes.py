"""Cart routes: parse the form, call the cart service, answer with the cart or a redirect."""

from flask import Blueprint, flash, redirect, request, url_for

from shophub.cart import service as carts
from shophub.cart.identity import (
    keep_guest_cookie,
    new_guest_token,
    owner,
    remember_badge_count,
)
from shophub.checkout.session_state import buyable_view, held_units
from shophub.web.htmx import render_page_or_block, wants_fragment
from shophub.web.limits import limit_public_posts

bp = Blueprint("cart", __name__, url_prefix="/cart")
limit_public_posts(bp)


def _failed(error: carts.CartError) -> carts.Outcome:
    return carts.Outcome(str(error), "error")


def _cart_answer(outcome: carts.Outcome):
    """The cart fragment and badge for HTMX, or a redirect to the cart page with a flash."""
    if not wants_fragment():
        flash(outcome.message, outcome.level)
        return redirect(url_for("cart.view"), code=303)
    view = buyable_view(*owner())
    remember_badge_count(view.item_count)
    response = render_page_or_block(
        "cart/cart.html", ("cart_contents", "cart_badge"), view=view, outcome=outcome
    )
    if outcome.level == "error":
        response.status_code = 422
    return response


@bp.get("")
def view():
    """The cart page."""
    cart_view = buyable_view(*owner())
    remember_badge_count(cart_view.item_count)
    return render_page_or_block("cart/cart.html", "cart_contents", view=cart_view)


def _product_url(variant_id) -> str:
    slug = carts.product_slug_of(variant_id)
    return url_for("shop.product_detail", slug=slug) if slug else url_for("shop.product_list")


@bp.post("/items")
def add():
    """Add the chosen variant and quantity."""
    try:
        variant_id = carts.parse_id(request.form.get("variant_id"))
        quantity = carts.parse_quantity(request.form.get("quantity", "1"), allow_zero=False)
        user_id, token = owner()
        cart = carts.find_cart(user_id, token)
        if cart is None:
            cart = carts.open_cart(user_id, new_guest_token)
        elif cart.token:
            keep_guest_cookie(cart.token)
        outcome = carts.add_item(cart, variant_id, quantity, held_units())
    except carts.CartError as error:
        outcome = _failed(error)
    failed = outcome.level == "error"
    if wants_fragment():
        remember_badge_count(carts.badge_count(*owner()))
        response = render_page_or_block(
            "cart/added.html", ("add_result", "cart_badge"), outcome=outcome
        )
        if failed:
            response.status_code = 422
        return response
    flash(outcome.message, outcome.level)
    if not failed:
        return redirect(url_for("cart.view"), code=303)
    return redirect(_product_url(request.form.get("variant_id")), code=303)


@bp.post("/items/<id:item_id>")
def update(item_id: int):
    """Change a line's quantity; 0 removes it."""
    try:
        quantity = carts.parse_quantity(request.form.get("quantity"), allow_zero=True)
        outcome = carts.update_item(carts.find_cart(*owner()), item_id, quantity, held_units())
    except carts.CartError as error:
        outcome = _failed(error)
    return _cart_answer(outcome)


@bp.post("/items/<id:item_id>/delete")
def remove(item_id: int):
    """Remove a line."""
    try:
        outcome = carts.remove_item(carts.find_cart(*owner()), item_id)
    except carts.CartError as error:
        outcome = _failed(error)
    return _cart_answer(outcome)


@bp.post("/empty")
def empty():
    """Remove every line."""
    return _cart_answer(carts.empty_cart(carts.find_cart(*owner())))


