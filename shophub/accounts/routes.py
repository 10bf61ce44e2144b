"""Account routes: validate the form, call the account services, render or redirect."""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from shophub.accounts import (
    address_book,
    auth,
    login_guard,
    password_reset,
    signup,
    users,
    wishlist,
)
from shophub.accounts.forms import (
    AddressForm,
    ChangePasswordForm,
    FinishSignupForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from shophub.accounts.limits import per_account, per_ip
from shophub.catalog import queries as catalog
from shophub.extensions import db
from shophub.orders.history import orders_of
from shophub.web.htmx import render_page_or_block, wants_fragment
from shophub.web.limits import limit_public_posts

bp = Blueprint("account", __name__, url_prefix="/account")
limit_public_posts(bp)


def _after_login_url() -> str:
    return auth.safe_next_url(request.args.get("next"), url_for("account.overview"))


@bp.route("/register", methods=["GET", "POST"])
@per_ip()
@per_account()
def register():
    """Ask for a sign-up link; the answer is the same whether or not the email has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("account.overview"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            signup.request_signup(form.email.data, form.name.data or "",
                                  auth.safe_next_url(request.args.get("next"), ""))
        except users.AccountError as error:
            form.email.errors.append(str(error))
        else:
            return render_template("account/register_sent.html", email=form.email.data)
    return render_template("account/register.html", form=form), 422 if form.errors else 200


@bp.route("/register/<token>", methods=["GET", "POST"])
@per_ip()
def finish_signup(token: str):
    """Choose a password from an emailed sign-up link; the account is created and logged in."""
    try:
        link = signup.usable_link(token)
    except signup.SignupLinkError as error:
        return render_template("account/link_invalid.html", reason=str(error),
                               again_url=url_for("account.register")), 410
    form = FinishSignupForm()
    if form.validate_on_submit():
        try:
            user = signup.complete_signup(token, form.password.data)
        except signup.SignupLinkError as error:
            return render_template("account/link_invalid.html", reason=str(error),
                                   again_url=url_for("account.register")), 410
        except users.AccountError as error:
            form.password.errors.append(str(error))
        else:
            auth.start_session(user, remember=False)
            flash("Welcome! Your account is ready.", "success")
            return redirect(_after_login_url(), code=303)
    return render_template("account/register_finish.html", form=form, email=link.email), (
        422 if form.errors else 200
    )


@bp.route("/login", methods=["GET", "POST"])
@per_ip()
def login():
    """Log in with email and password; guessing one account from one address is slowed."""
    if current_user.is_authenticated:
        return redirect(_after_login_url())
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        address = request.remote_addr or ""
        wait = login_guard.seconds_to_wait(form.email.data, address)
        if wait:
            return render_template("account/login.html", form=form, failed=False,
                                   wait=wait), 429, {"Retry-After": str(wait)}
        user = users.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_guard.forget(form.email.data, address)
            auth.start_session(user, remember=form.remember.data)
            flash("You are logged in.", "success")
            return redirect(_after_login_url(), code=303)
        login_guard.note_failure(form.email.data, address)
        failed = True
    status = 422 if failed or form.errors else 200
    return render_template("account/login.html", form=form, failed=failed), status


@bp.post("/logout")
def logout():
    """Log out (a POST, so another site cannot log a shopper out)."""
    auth.end_session()
    flash("You are logged out.", "success")
    return redirect(url_for("shop.home"), code=303)


@bp.post("/sessions/end")
@login_required
def sign_out_everywhere():
    """End every session of the account, on this device and every other."""
    auth.end_session()
    flash("You are signed out on every device. Log in again to go on.", "success")
    return redirect(url_for("account.login"), code=303)


@bp.route("/password/reset", methods=["GET", "POST"])
@per_ip()
@per_account()
def reset_request():
    """Ask for a reset link; the answer is the same whether or not the email has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.email.data)
        return render_template("account/reset_sent.html", email=form.email.data)
    return render_template("account/reset_request.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@per_ip()
def reset_password(token: str):
    """Choose a new password from an emailed link."""
    try:
        password_reset.usable_token(token)
    except password_reset.ResetTokenError as error:
        return render_template("account/link_invalid.html", reason=str(error),
                               again_url=url_for("account.reset_request")), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = password_reset.complete_reset(token, form.password.data)
        except password_reset.ResetTokenError as error:
            return render_template("account/link_invalid.html", reason=str(error),
                                   again_url=url_for("account.reset_request")), 410
        except users.AccountError as error:
            form.password.errors.append(str(error))
        else:
            auth.start_session(user, remember=False)
            flash("Your password is changed and you are logged in.", "success")
            return redirect(url_for("account.overview"), code=303)
    return render_template("account/reset_password.html", form=form, token=token), (
        422 if form.errors else 200
    )


@bp.get("")
@login_required
def overview():
    """The account home: the profile page."""
    return redirect(url_for("account.profile"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Change name and email."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            users.update_profile(current_user, form.name.data or "", form.email.data)
            db.session.commit()
        except users.AccountError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            flash("Your details are saved.", "success")
            return redirect(url_for("account.profile"), code=303)
    return render_template("account/profile.html", form=form), 422 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
@per_ip()
def change_password():
    """Change the password; other sessions are logged out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            users.change_password(current_user, form.current.data, form.password.data)
            db.session.commit()
        except users.AccountError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            auth.start_session(current_user._get_current_object(), remember=False)
            flash("Your password is changed. Other devices are logged out.", "success")
            return redirect(url_for("account.profile"), code=303)
    return render_template("account/password.html", form=form), 422 if form.errors else 200


@bp.get("/orders")
@login_required
def orders():
    """The customer's orders."""
    return render_template("account/orders.html", orders=orders_of(current_user.id))


@bp.get("/addresses")
@login_required
def addresses():
    """The address book."""
    return render_template("account/addresses.html",
                           addresses=address_book.addresses_of(current_user))


def _owned_address_or_404(address_id: int):
    address = address_book.owned_address(current_user, address_id)
    if address is None:
        abort(404, description="There is no such address in your address book.")
    return address


@bp.route("/addresses/new", methods=["GET", "POST"])
@bp.route("/addresses/<id:address_id>/edit", methods=["GET", "POST"])
@login_required
def edit_address(address_id: int | None = None):
    """Add an address, or change one of the customer's own."""
    address = _owned_address_or_404(address_id) if address_id else None
    form = AddressForm(obj=address)
    if address is not None and request.method == "GET":
        form.make_default.data = address.is_default
    if form.validate_on_submit():
        address_book.save_address(current_user, form.data_for_book(), address,
                                  make_default=form.make_default.data)
        flash("Address saved.", "success")
        return redirect(url_for("account.addresses"), code=303)
    return render_template("account/address_form.html", form=form, address=address), (
        422 if form.errors else 200
    )


@bp.post("/addresses/<id:address_id>/delete")
@login_required
def delete_address(address_id: int):
    """Delete one of the customer's addresses."""
    address_book.delete_address(current_user, _owned_address_or_404(address_id))
    flash("Address deleted.", "success")
    return redirect(url_for("account.addresses"), code=303)


@bp.post("/addresses/<id:address_id>/default")
@login_required
def default_address(address_id: int):
    """Make an address the default."""
    address_book.set_default(current_user, _owned_address_or_404(address_id))
    flash("Default address changed.", "success")
    return redirect(url_for("account.addresses"), code=303)


@bp.get("/wishlist")
@login_required
def wishlist_page():
    """The products the customer saved."""
    cards = catalog.cards_saved_by(current_user.id)
    return render_template("account/wishlist.html", cards=cards,
                           saved_ids={card.id for card in cards})


@bp.post("/wishlist/<id:product_id>")
@login_required
def wishlist_toggle(product_id: int):
    """Save (saved=1) or unsave (saved=0) a product; HTMX swaps the button."""
    product = wishlist.listed_product(product_id)
    if product is None:
        abort(404, description="That product is not available.")
    saved = wishlist.set_saved(current_user, product, request.form.get("saved") == "1")
    back = auth.safe_next_url(request.form.get("next"), url_for("account.wishlist_page"))
    if wants_fragment():
        return render_page_or_block("account/wishlist_button.html", "wishlist_button",
                                    product_id=product.id, saved=saved, back=back)
    flash(f"{product.name} {'saved to' if saved else 'removed from'} your wishlist.", "success")
    return redirect(back, code=303)
