"""The staff admin: one sub-package per area, each adding its routes to the one blueprint."""

# Importing the areas' routes modules registers their views on bp.
from shophub.admin.audit import routes as _audit_routes  # noqa: F401, E402
from shophub.admin.blueprint import bp
from shophub.admin.catalog import routes as _catalog_routes  # noqa: F401, E402
from shophub.admin.dashboard import routes as _dashboard_routes  # noqa: F401, E402
from shophub.admin.newsletter import routes as _newsletter_routes  # noqa: F401, E402
from shophub.admin.orders import routes as _order_routes  # noqa: F401, E402
from shophub.admin.payments import routes as _payment_routes  # noqa: F401, E402
from shophub.admin.people import routes as _people_routes  # noqa: F401, E402
from shophub.admin.people.routes import invites_bp  # noqa: E402
from shophub.admin.reviews import routes as _review_routes  # noqa: F401, E402
from shophub.admin.store import routes as _store_routes  # noqa: F401, E402
from shophub.admin.stores import routes as _stores_routes  # noqa: F401, E402

__all__ = ["bp", "invites_bp"]
