"""GET /admin: the dashboard."""

from flask import render_template

from shophub.admin.blueprint import bp
from shophub.admin.dashboard import figures as sales_report
from shophub.admin.dashboard.chart import bar_chart
from shophub.platform import store_settings


@bp.get("")
def dashboard():
    """Revenue, orders, stock, recent orders and the monthly revenue chart."""
    months = sales_report.monthly_revenue()
    threshold = store_settings.current().low_stock_threshold
    return render_template(
        "admin/dashboard.html", summary=sales_report.summary(), months=months,
        chart=bar_chart([m.revenue_cents for m in months], [m.label for m in months]),
        low_stock=sales_report.low_stock(threshold), threshold=threshold,
        recent=sales_report.recent_orders(),
    )
