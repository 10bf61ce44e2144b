"""GET/POST /invite/<token>: someone invited to the staff sets their name and password."""

from flask import Blueprint, flash, redirect, render_template, url_for

from shophub.accounts import auth, users
from shophub.accounts.limits import per_ip
from shophub.admin.people import service as staff
from shophub.admin.people.forms import AcceptInviteForm
from shophub.extensions import db

bp = Blueprint("invites", __name__, url_prefix="/invite")


@bp.route("/<token>", methods=["GET", "POST"])
@per_ip()
def accept(token: str):
    """Accept a staff invite: choose a password, get the invited role, be logged in."""
    try:
        invite = staff.usable_invite(token)
    except staff.InviteError as error:
        return render_template("account/accept_invite.html", reason=str(error)), error.status
    form = AcceptInviteForm()
    if form.validate_on_submit():
        try:
            user = staff.accept_invite(token, form.name.data or "", form.password.data)
        except staff.InviteError as error:
            return render_template("account/accept_invite.html", reason=str(error)), error.status
        except users.AccountError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            auth.start_session(user, remember=False)
            flash(f"Welcome to the team! You are logged in as {user.role}.", "success")
            return redirect(url_for("admin.dashboard"), code=303)
    return render_template("account/accept_invite.html", form=form, invite=invite,
                           role=staff.ROLE_LABELS[invite.role]), 422 if form.errors else 200
