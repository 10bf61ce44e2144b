"""Recovery routes: back to a held checkout, "restore my cart", and "notify me"."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from shophub.cart import service as carts
from shophub.cart.identity import new_guest_token, owner
from shophub.checkout import session_state
from shophub.core.numbers import parse_row_id
from shophub.extensions import limiter
from shophub.recovery import service
from shophub.recovery.forms import NotifyMeForm
from shophub.web.htmx import wants_fragment
from shophub.web.limits import limit_public_posts

bp = Blueprint("recovery", __name__)
limit_public_posts(bp)
PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/checkout/resume/<token>")
def resume(token: str):
    """The reminder's link: back to paying for the held order, or why that is over."""
    order = service.order_to_resume(token)
    if order is None:
        abort(404, description="We could not find that order.")
    if service.resumable(order):
        session_state.remember_order(order)
        return redirect(url_for("checkout.payment"), code=303)
    return render_template("recovery/resume.html", order=order), 200, PRIVATE


@bp.get("/cart/restore/<link>")
def restore(link: str):
    """The restore mail's link: the lapsed order's lines at today's prices, to put back."""
    order = service.order_of_restore_link(link)
    if order is None:
        abort(404, description="This link is not valid (or has expired).")
    status = 410 if order.cart_restored_at is not None else 200
    return render_template("recovery/restore.html", order=order, link=link,
                           lines=service.restore_preview(order)), status, PRIVATE


@bp.post("/cart/restore/<link>")
def restore_confirm(link: str):
    """Put the lapsed order's lines back in the visitor's cart, once."""
    order = service.order_of_restore_link(link)
    if order is None:
        abort(404, description="This link is not valid (or has expired).")
    user_id, token = owner()
    try:
        outcomes = service.restore_cart(
            order, lambda: carts.find_cart(user_id, token) or carts.open_cart(user_id,
                                                                              new_guest_token))
    except service.LinkSpent as error:
        flash(str(error), "notice")
        return redirect(url_for("cart.view"), code=303)
    for outcome in outcomes:
        flash(outcome.message, outcome.level)
    return redirect(url_for("cart.view"), code=303)


@bp.post("/notify-me")
@limiter.limit(lambda: current_app.config["RATELIMIT_BACK_IN_STOCK"], methods=["POST"],
               override_defaults=False)
def notify_me():
    """Ask for one mail when a sold-out variant is back; the answer never tells more."""
    form = NotifyMeForm()
    variant_id = parse_row_id(form.variant_id.data)
    back = _product_url(variant_id)
    if not form.validate() or variant_id is None:
        message = " ".join(form.email.errors) or "Something went wrong; please try again."
        if wants_fragment():
            return render_template("recovery/_notify_me.html", form=form,
                                   variant_id=variant_id, error=message), 422
        flash(message, "error")
        return redirect(back, code=303)
    service.ask_back_in_stock(variant_id, form.email.data)
    message = (f"Thank you. If it comes back in stock, we will mail {form.email.data} once.")
    if wants_fragment():
        return render_template("recovery/_notify_me.html", form=None, variant_id=variant_id,
                               done=message)
    flash(message, "success")
    return redirect(back, code=303)


def _product_url(variant_id: int | None) -> str:
    slug = carts.product_slug_of(variant_id) if variant_id is not None else None
    return url_for("shop.product_detail", slug=slug, variant=variant_id) if slug \
        else url_for("shop.product_list")

