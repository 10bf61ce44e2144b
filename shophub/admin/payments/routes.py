"""GET /admin/payments/health: where to look first when a customer paid but got no mail."""

from flask import render_template

from shophub.admin.blueprint import admin_only, bp
from shophub.admin.payments import health


@bp.get("/payments/health")
@admin_only
def payment_health():
    """The last webhook, failed deliveries, orders settled without one, and stuck jobs."""
    return render_template("admin/payment_health.html", health=health.report())
