"""Stores, the tenants of one installation: creating them and naming their domains."""
