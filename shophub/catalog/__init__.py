"""Storefront blueprint: home, catalog and product pages."""
