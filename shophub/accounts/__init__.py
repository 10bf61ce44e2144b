"""Account blueprint: sign-up, login, password reset, profile, addresses, wishlist, orders."""
