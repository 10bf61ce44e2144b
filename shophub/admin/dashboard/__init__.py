"""Admin dashboard: revenue, orders and stock figures, and the monthly revenue chart."""
