"""Admin audit log: the append-only record of changes, filtered and paged."""
