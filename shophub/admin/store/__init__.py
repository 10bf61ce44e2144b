"""Admin store: coupons, shipping methods and the store settings."""
