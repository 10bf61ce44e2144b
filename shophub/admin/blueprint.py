"""The /admin blueprint: every URL needs a staff or admin account, checked on the server."""

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

bp = Blueprint("admin", __name__, url_prefix="/admin")
STAFF_ROLES = ("staff", "admin")


def admin_only(view):
    """Mark a view as open to admins only (roles, staff invites, store settings)."""
    view.admin_only = True
    return view


def platform_only(view):
    """Mark a view as open to platform owners only (the pages about every store)."""
    view.platform_only = True
    return view


def is_platform_only(endpoint: str | None) -> bool:
    """Whether the endpoint's view is marked platform-only."""
    view = current_app.view_functions.get(endpoint or "")
    return bool(getattr(view, "platform_only", False))


def is_admin_only(endpoint: str | None) -> bool:
    """Whether the endpoint's view is marked admin-only."""
    view = current_app.view_functions.get(endpoint or "")
    return bool(getattr(view, "admin_only", False))


@bp.before_request
def require_staff():
    """Strangers log in; customers get 403; staff get 403 on admin-only pages."""
    if not current_user.is_authenticated:
        return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
    if is_platform_only(request.endpoint):
        if not current_user.is_platform_owner:
            abort(403, description="Only a platform owner can open this page.")
        return None
    if current_user.role not in STAFF_ROLES:
        abort(403, description="The admin is for the shop's staff.")
    if is_admin_only(request.endpoint) and current_user.role != "admin":
        abort(403, description="Only an admin can open this page.")
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
