"""Admin people: customers, staff roles and invites."""
