"""Admin newsletter: the subscriber list and its export, and campaigns (admins only)."""
