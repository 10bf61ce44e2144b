"""Admin people pages: customers (list, detail, deactivate), staff (invites, roles), and the
page where an invited person accepts."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from shophub.accounts import auth, users
from shophub.accounts.limits import per_ip
from shophub.admin.blueprint import admin_only, bp
from shophub.admin.people import service as staff
from shophub.admin.people.forms import AcceptInviteForm, InviteForm, RoleForm, invite_form
from shophub.core import roles
from shophub.extensions import db
from shophub.models import User
from shophub.web.htmx import render_page_or_block

# Open to strangers, so apart from the admin blueprint and its staff-only check.
invites_bp = Blueprint("invites", __name__, url_prefix="/invite")


def _user_or_404(user_id: int) -> User:
    user = staff.store_customer(user_id)
    if user is None:
        abort(404, description="There is no such account in this store.")
    return user


def _order_url(order) -> str | None:
    try:
        return url_for("admin.order_detail", order_id=order.id)
    except BuildError:  # no admin order page (yet), or it takes other arguments
        return None


def _back_to(user: User):
    target = request.form.get("next") or ""
    if target == "staff" and current_user.can(roles.ADMIN):
        return redirect(url_for("admin.staff"), code=303)
    return redirect(url_for("admin.customer_detail", user_id=user.id), code=303)


@bp.get("/customers")
def customers():
    """Accounts with their paid orders and spend: search, filter, sort and pages."""
    query = staff.customer_query(request.args)
    result = staff.customer_page(query)
    return render_page_or_block(
        "admin/customers.html", "customers_table", query=query, result=result,
        sorts=staff.CUSTOMER_SORTS, page_sizes=staff.PAGE_SIZES, roles=staff.ROLE_LABELS,
    )


@bp.get("/customers/<id:user_id>")
def customer_detail(user_id: int):
    """One account: its orders, addresses and totals."""
    detail = staff.customer_detail(user_id)
    if detail is None:
        abort(404, description="There is no such account.")
    return render_template(
        "admin/customer_detail.html", detail=detail, order_url=_order_url,
        roles=staff.ROLE_LABELS, assignable=staff.assignable_roles(current_user),
    )


@bp.post("/customers/<id:user_id>/deactivate")
def customer_deactivate(user_id: int):
    """Deactivate an account; its sessions end at their next request."""
    user = _user_or_404(user_id)
    try:
        staff.deactivate(current_user, user)
    except staff.StaffError as error:
        flash(str(error), "error")
    else:
        flash(f"{user.email} is deactivated and logged out.", "success")
    return _back_to(user)


@bp.post("/customers/<id:user_id>/reactivate")
def customer_reactivate(user_id: int):
    """Let a deactivated account log in again."""
    user = _user_or_404(user_id)
    try:
        staff.reactivate(current_user, user)
    except staff.StaffError as error:
        flash(str(error), "error")
    else:
        flash(f"{user.email} can log in again.", "success")
    return _back_to(user)


def _staff_page(form: InviteForm, status: int = 200):
    return render_template(
        "admin/staff.html", members=staff.staff_members(), invites=staff.open_invites(),
        invite_form=form, roles=staff.ROLE_LABELS,
        assignable=staff.assignable_roles(current_user),
    ), status


@bp.get("/staff", endpoint="staff")
@admin_only
def staff_list():
    """Staff and admins, open invites and the invite form."""
    return _staff_page(invite_form(current_user))


@bp.post("/staff/invites")
@admin_only
def staff_invite():
    """Invite someone to the staff by mail."""
    form = invite_form(current_user)
    if form.validate_on_submit():
        try:
            invite = staff.invite(current_user, form.email.data, form.role.data)
        except (users.AccountError, staff.StaffError) as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            flash(f"An invite is on its way to {invite.email}.", "success")
            return redirect(url_for("admin.staff"), code=303)
    return _staff_page(form, 422)


@bp.post("/staff/invites/<id:invite_id>/revoke")
@admin_only
def staff_invite_revoke(invite_id: int):
    """Withdraw an open invite."""
    invite = staff.revoke_invite(invite_id)
    if invite is None:
        flash("That invite is already accepted or withdrawn.", "error")
    else:
        flash(f"The invite of {invite.email} is withdrawn.", "success")
    return redirect(url_for("admin.staff"), code=303)


@bp.post("/staff/<id:user_id>/role")
@admin_only
def staff_role(user_id: int):
    """Give an account another role; the last active owner keeps theirs."""
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(staff.CHOOSE_A_ROLE, "error")
        return _back_to(user)
    try:
        staff.change_role(current_user, user, form.role.data)
    except staff.StaffError as error:
        flash(str(error), "error")
    else:
        flash(f"{user.email} is now {staff.ROLE_LABELS[user.role].lower()}.", "success")
        if user.id == current_user.id and not current_user.can(roles.ADMIN):
            home = "admin.dashboard" if current_user.can(roles.STAFF) else "shop.home"
            return redirect(url_for(home), code=303)
    return _back_to(user)



@invites_bp.route("/<token>", methods=["GET", "POST"])
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
