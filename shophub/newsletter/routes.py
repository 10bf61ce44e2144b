"""Newsletter pages: sign-up (footer and its own page), confirmation, and unsubscribe."""

from flask import Blueprint, render_template, request

from shophub.extensions import csrf, limiter
from shophub.newsletter import limits, service, unsubscribe
from shophub.newsletter.forms import SignupForm
from shophub.web.htmx import render_page_or_block
from shophub.web.limits import limit_public_posts

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")
limit_public_posts(bp)
# Apart from bp: mail providers post one-click unsubscribes, authorised by the signed token.
unsubscribe_bp = Blueprint("unsubscribe", __name__, url_prefix="/unsubscribe")


def _signup(form: SignupForm, *, done: bool = False, status: int = 200):
    response = render_page_or_block("newsletter/signup.html", "newsletter_signup",
                                    newsletter_form=form, newsletter_done=done)
    response.status_code = status
    return response


@bp.get("/subscribe")
def signup_page():
    """The sign-up form on a page of its own (where the footer's form lands without JS)."""
    return _signup(SignupForm(formdata=None))


@bp.post("/subscribe")
@limits.signups()
def subscribe():
    """Sign up for the newsletter; the answer is the same whatever the address's state."""
    form = SignupForm()
    if not form.validate():
        return _signup(form, status=422)
    service.subscribe(form.email.data, "footer")
    return _signup(SignupForm(formdata=None), done=True)


@bp.get("/confirm/<token>")
def confirm_page(token: str):
    """The confirmation link's page: one button. Following the link changes nothing."""
    try:
        service.confirmable(token)
    except service.NewsletterError as error:
        # 404: the link names no subscription of this store (any more).
        return render_template("newsletter/confirmed.html", problem=str(error)), 404
    return render_template("newsletter/confirmed.html", problem=None, token=token, done=False)


@bp.post("/confirm/<token>")
def confirm(token: str):
    """Confirm the subscription the link names."""
    try:
        service.confirm(token)
    except service.NewsletterError as error:
        return render_template("newsletter/confirmed.html", problem=str(error)), 404
    return render_template("newsletter/confirmed.html", problem=None, done=True)


@unsubscribe_bp.get("/<token>")
def page(token: str):
    """The unsubscribe page: one button. Following the link changes nothing (scanners do)."""
    email = unsubscribe.email_of(token)
    status = 200 if email else 404
    return render_template("newsletter/unsubscribe.html", token=token, email=email,
                           done=False), status


@unsubscribe_bp.post("/<token>")
@csrf.exempt  # RFC 8058: a mail client's one-click POST carries no CSRF token
@limiter.exempt  # the signed token is the gate; a provider's POSTs must never meet a 429
def unsubscribe_now(token: str):
    """Unsubscribe the address the signed token names (the button, or a one-click POST)."""
    email = unsubscribe.email_of(token)
    if email is None:
        return render_template("newsletter/unsubscribe.html", token=token, email=None,
                               done=False), 404
    unsubscribe.unsubscribe(email)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "Unsubscribed.", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("newsletter/unsubscribe.html", token=token, email=email, done=True)
