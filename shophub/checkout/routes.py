"""Checkout routes: each step is a plain form that HTMX enhances; services do the work."""

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import TooManyRequests

from shophub.accounts import address_book
from shophub.cart import service as carts
from shophub.cart.identity import owner
from shophub.checkout import coupons, limits, session_state, shipping
from shophub.checkout.forms import ContactForm, CouponForm, DemoCardForm, ShippingForm
from shophub.checkout.placement import PlacementError, enter_code, place, price_cart
from shophub.newsletter import service as newsletter
from shophub.orders import service as orders
from shophub.payments import PaymentError, provider, stripe_keys, uses_stripe
from shophub.payments import flow as payment_flow
from shophub.web.htmx import render_page_or_block, wants_fragment
from shophub.web.limits import limit_public_posts

bp = Blueprint("checkout", __name__, url_prefix="/checkout")
limit_public_posts(bp)
STEPS = ("contact", "shipping", "payment")


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _current_step(draft, requested: str | None) -> str:
    natural = "contact" if not draft.has_contact else "shipping"
    if requested == "contact" or (requested == "shipping" and draft.has_contact):
        return requested
    return natural


def _contact_form(draft) -> ContactForm:
    form = ContactForm()
    if request.method == "GET":
        form.email.data = draft.email or (current_user.email if current_user.is_authenticated
                                          else "")
        for key, value in draft.address.items():
            if key in form._fields:
                form[key].data = value
        if not draft.address and current_user.is_authenticated:
            saved = address_book.addresses_of(current_user)
            if saved:
                _fill_from_saved(form, saved[0])
            form.full_name.data = form.full_name.data or current_user.name
    return form


def _fill_from_saved(form: ContactForm, address) -> None:
    form.full_name.data, form.line1.data, form.line2.data = (
        address.full_name, address.line1, address.line2)
    form.city.data, form.region.data, form.postal_code.data = (
        address.city, address.region, address.postal_code)
    form.country.data, form.phone.data = address.country, address.phone


def _shipping_form(draft) -> ShippingForm:
    form = ShippingForm()
    form.shipping_method.choices = [(str(m.id), m.name) for m in shipping.active_methods()]
    if request.method == "GET" or form.shipping_method.data is None:
        form.shipping_method.data = str(draft.shipping_method_id or "")
        if not form.shipping_method.data and form.shipping_method.choices:
            form.shipping_method.data = form.shipping_method.choices[0][0]
    return form


def _buyable_view():
    """The buyer's cart, with the units their pending order holds counted as in stock."""
    return session_state.buyable_view(*owner())


def _render(step: str, *, contact_form=None, shipping_form=None, message=None,
            status: int = 200):
    """The checkout page, or its steps and summary for an HTMX swap."""
    draft = session_state.load_draft()
    if step == "shipping" and shipping.find_active(draft.shipping_method_id) is None:
        _choose_default_method(draft)
    view = _buyable_view()
    pricing = price_cart(view, draft, _user_id())
    context = {
        "step": step, "draft": draft, "view": view, "pricing": pricing, "message": message,
        "contact_form": contact_form or _contact_form(draft),
        "shipping_form": shipping_form or _shipping_form(draft),
        "coupon_form": CouponForm(coupon_code=draft.coupon_code),
        "methods": shipping.active_methods(),
        "saved_addresses": address_book.addresses_of(current_user)
        if current_user.is_authenticated else [],
    }
    response = render_page_or_block("checkout/checkout.html",
                                    ("checkout_steps", "checkout_summary"), **context)
    response.status_code = status
    return response


def _choose_default_method(draft) -> None:
    """Preselect the first method, so the totals shown include shipping from the start."""
    methods = shipping.active_methods()
    if methods:
        draft.shipping_method_id = methods[0].id
        session_state.save_draft(draft)


def _cart_ready():
    """A redirect to the cart when there is nothing to check out, else None."""
    view = _buyable_view()
    if view.can_check_out:
        return None
    flash("Your cart has nothing that can be bought right now." if not view.is_empty
          else "Your cart is empty.", "notice")
    return _go(url_for("cart.view"))


def _go(url: str):
    """Navigate the whole page: HX-Redirect for HTMX, 303 otherwise."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


@bp.get("")
def start():
    """The checkout page at its current step."""
    if (back := _cart_ready()) is not None:
        return back
    draft = session_state.load_draft()
    return _render(_current_step(draft, request.args.get("step")))


@bp.post("/contact")
def save_contact():
    """Step 1: email and shipping address."""
    if (back := _cart_ready()) is not None:
        return back
    draft = session_state.load_draft()
    form = ContactForm()
    if not form.validate():
        return _render("contact", contact_form=form, status=422,
                       message="Please correct the highlighted fields.")
    draft.email = form.email.data.strip().lower()
    draft.address = form.address_dict()
    session_state.save_draft(draft)
    if form.newsletter.data:
        newsletter.subscribe(draft.email, "checkout")
    if not wants_fragment():
        return redirect(url_for("checkout.start", step="shipping"), code=303)
    return _render("shipping")


@bp.post("/address/<id:address_id>")
def use_saved_address(address_id: int):
    """Step 1 for a customer: ship to one of their saved addresses."""
    if not current_user.is_authenticated:
        abort(403)
    address = address_book.owned_address(current_user, address_id)
    if address is None:
        abort(404)
    draft = session_state.load_draft()
    form = ContactForm(formdata=None)
    _fill_from_saved(form, address)
    draft.email = draft.email or current_user.email
    draft.address = form.address_dict()
    draft.address_id = address.id
    session_state.save_draft(draft)
    if not wants_fragment():
        return redirect(url_for("checkout.start", step="shipping"), code=303)
    return _render("shipping")


@bp.post("/shipping")
@limits.placing_orders()
@limits.coupon_attempts()
def save_shipping():
    """Step 2: shipping method and discount code; "continue" places the order."""
    if (back := _cart_ready()) is not None:
        return back
    draft = session_state.load_draft()
    if not draft.has_contact:
        return _go(url_for("checkout.start"))
    form = _shipping_form(draft)
    if not form.validate():
        # Say which field is wrong: the discount code's errors are not shown next to it.
        message = ("Discount code: " + " ".join(form.coupon_code.errors)
                   if form.coupon_code.errors and not form.shipping_method.errors
                   else "Choose a shipping method.")
        return _render("shipping", shipping_form=form, status=422, message=message)
    draft.shipping_method_id = int(form.shipping_method.data)
    _enter_code(draft, form.coupon_code.data or "")
    session_state.save_draft(draft)
    if request.form.get("action") != "continue":
        return _render("shipping", shipping_form=form)
    return _place_and_pay(draft)


def _place_and_pay(draft):
    view = carts.load_view(*owner())
    cart = carts.find_cart(*owner())
    try:
        order = place(view, draft, _user_id(), cart.id if cart else None,
                      pending=session_state.pending_order(), client_address=request.remote_addr)
    except PlacementError as error:
        if error.step == "cart":
            flash(str(error), "error")
            return _go(url_for("cart.view"))
        return _render(error.step if error.step in STEPS else "shipping", message=str(error),
                       status=422)
    session_state.remember_order(order)
    return _go(url_for("checkout.payment"))


def _enter_code(draft, code: str) -> None:
    """Put the typed discount code on the draft; 429 while this client must wait to try one."""
    try:
        enter_code(_buyable_view(), draft, code, _user_id(), request.remote_addr)
    except coupons.TooManyGuesses as error:
        raise TooManyRequests(str(error), retry_after=error.seconds) from None


@bp.post("/coupon")
@limits.coupon_attempts()
def apply_coupon():
    """Apply or remove a discount code; the totals are recalculated in place."""
    draft = session_state.load_draft()
    form = CouponForm()
    form.validate()
    remove = request.form.get("action") == "remove"
    _enter_code(draft, "" if remove else (form.coupon_code.data or ""))
    session_state.save_draft(draft)
    step = _current_step(draft, "shipping")
    if not wants_fragment():
        return redirect(url_for("checkout.start", step=step), code=303)
    status = 422 if draft.coupon_code and price_cart(
        _buyable_view(), draft, _user_id()).coupon_error else 200
    return _render(step, status=status)


def _payable_order():
    order = session_state.pending_order()
    if order is None or not order.is_payable:
        return None
    return order


@bp.get("/payment")
def payment():
    """Step 3: pay for the placed order (Stripe's Payment Element, or the demo card form)."""
    order = _payable_order()
    if order is None:
        if (back := _cart_ready()) is not None:
            return back
        flash("Your order needs placing again; please check the details and continue.",
              "notice")
        return redirect(url_for("checkout.start", step="shipping"))
    try:
        intent = payment_flow.ensure_intent(order)
    except PaymentError as error:
        return render_template("checkout/payment.html", order=order, intent=None,
                               payment_error=str(error), draft=session_state.load_draft(),
                               form=None, stripe_mode=uses_stripe()), 503
    if intent.status in ("succeeded", "processing"):
        # Paid (or paying) already, and the webhook has not told us yet: no second payment.
        payment_flow.apply_intent(order, intent, "payment page")
        return redirect(url_for("checkout.complete", payment_intent=intent.id))
    return render_template(
        "checkout/payment.html", order=order, intent=intent, draft=session_state.load_draft(),
        form=None if uses_stripe() else DemoCardForm(), stripe_mode=uses_stripe(),
        publishable_key=(keys := stripe_keys()) and keys.publishable,
        return_url=url_for("checkout.complete", _external=True), payment_error=None,
    )


@bp.post("/demo/pay")
def demo_pay():
    """The demo provider's card form: the test card decides what happens."""
    order = _payable_order()
    if order is None or uses_stripe() or not order.payment_intent_id:
        return redirect(url_for("checkout.payment"), code=303)
    form = DemoCardForm()
    error = None
    if form.validate():
        try:
            intent = payment_flow.pay_with_demo_card(order, form.card_number.data)
        except PaymentError as problem:
            error = str(problem)
        else:
            if intent.status == "requires_action":
                return redirect(url_for("checkout.demo_authenticate"), code=303)
            return redirect(url_for("checkout.complete", payment_intent=intent.id), code=303)
    form.card_number.data = ""  # a card number is never written back into a page
    return render_template("checkout/payment.html", order=order, intent=None, form=form,
                           draft=session_state.load_draft(), stripe_mode=False,
                           payment_error=error or "Please correct the card details."), 422


@bp.route("/demo/authenticate", methods=["GET", "POST"])
def demo_authenticate():
    """The demo provider's stand-in for a bank's 3-D Secure page."""
    order = _payable_order()
    if order is None or uses_stripe() or not order.payment_intent_id:
        return redirect(url_for("checkout.payment"), code=303)
    if request.method == "POST":
        intent = payment_flow.answer_demo_authentication(
            order, approve=request.form.get("action") == "approve")
        return redirect(url_for("checkout.complete", payment_intent=intent.id), code=303)
    return render_template("checkout/demo_authenticate.html", order=order)


@bp.get("/complete")
def complete():
    """The return page: the intent's state is read from the provider, not from the URL."""
    intent_id = (request.args.get("payment_intent") or "")[:120]
    order = orders.find_by_intent(intent_id) if intent_id else None
    if order is None:
        abort(404)
    if not (session_state.placed_here(order) or _secret_matches(intent_id)):
        if _owns(order):
            return redirect(url_for("orders.show", token=order.token))
        abort(404)
    try:
        intent = payment_flow.refresh_from_provider(order, "return page")
    except PaymentError as error:
        return render_template("checkout/complete.html", order=order, state="unknown",
                               message=str(error)), 503
    state = _outcome(order, intent)
    if state == "paid":
        session_state.forget_order()
    return render_template("checkout/complete.html", order=order, state=state,
                           message=order.failure_message or (intent.failure_message
                                                             if intent else None))


def _owns(order) -> bool:
    return current_user.is_authenticated and order.user_id == current_user.id


def _secret_matches(intent_id: str) -> bool:
    """Stripe's return URL carries the intent's client secret; it proves the buyer's browser."""
    secret = request.args.get("payment_intent_client_secret") or ""
    if not secret:
        return False
    try:
        intent = provider().retrieve_intent(intent_id)
    except PaymentError:
        return False
    return bool(intent.client_secret) and intent.client_secret == secret


def _outcome(order, intent) -> str:
    if order.payment_status in orders.PAID and order.status != "cancelled":
        return "paid"
    if order.status == "cancelled":
        return "cancelled"
    if order.payment_status == "processing":
        return "processing"
    if intent is not None and intent.status == "requires_action":
        return "action"
    return "failed"
