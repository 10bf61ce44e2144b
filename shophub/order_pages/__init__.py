"""The buyer's order pages, reached by the order's unguessable token."""
