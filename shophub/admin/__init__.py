"""The staff admin: dashboard, catalog, orders, customers, staff, settings and the audit log."""

from shophub.admin import audit_log, catalog_pages, dashboard, orders, people, products, store  # noqa: F401  (they add their routes to bp)
from shophub.admin.blueprint import bp

__all__ = ["bp"]
