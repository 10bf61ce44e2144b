"""The /admin blueprint: every URL needs a role on the store's staff, checked on the server
(the roles and what each may do are shophub.core.roles')."""

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

from shophub.core import roles

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_only(view):
    """Mark a view as open to admins (and owners) only: roles, staff invites, settings."""
    view.needed_role = roles.ADMIN
    return view


def owner_only(view):
    """Mark a view as open to the store's owners only: its domains and payment keys."""
    view.needed_role = roles.OWNER
    return view


def platform_only(view):
    """Mark a view as open to platform owners only (the pages about every store)."""
    view.platform_only = True
    return view


def is_platform_only(endpoint: str | None) -> bool:
    """Whether the endpoint's view is marked platform-only."""
    view = current_app.view_functions.get(endpoint or "")
    return bool(getattr(view, "platform_only", False))


def needed_role(endpoint: str | None) -> str:
    """The least role that may open the endpoint: staff unless its view is marked."""
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "needed_role", roles.STAFF)


def is_admin_only(endpoint: str | None) -> bool:
    """Whether the endpoint's view is marked admin-only."""
    return needed_role(endpoint) == roles.ADMIN


def is_owner_only(endpoint: str | None) -> bool:
    """Whether the endpoint's view is marked owner-only."""
    return needed_role(endpoint) == roles.OWNER


REFUSALS = {roles.STAFF: "The admin is for the shop's staff.",
            roles.ADMIN: "Only an admin can open this page.",
            roles.OWNER: "Only the store's owner can open this page."}


@bp.before_request
def require_staff():
    """Strangers log in; customers get 403; staff and admins get 403 on pages above them."""
    if not current_user.is_authenticated:
        return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
    if is_platform_only(request.endpoint):
        if not current_user.is_platform_owner:
            abort(403, description="Only a platform owner can open this page.")
        return None
    if not current_user.can(roles.STAFF):
        abort(403, description=REFUSALS[roles.STAFF])
    needed = needed_role(request.endpoint)
    if not current_user.can(needed):
        abort(403, description=REFUSALS[needed])
    return None


@bp.context_processor
def store_switcher() -> dict:
    """The current store, and the other stores where the user has a role."""
    from shophub.stores.service import staff_store_links

    return {"staff_stores": staff_store_links(current_user, request.scheme, request.host)}


@bp.after_request
def never_cache(response):
    """Admin pages hold customer data: never kept by browsers or proxies."""
    response.headers["Cache-Control"] = "private, no-store"
    return response
