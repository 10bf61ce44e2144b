"""The error of the stores package: a change to a store that is refused, and why."""


class StoreError(ValueError):
    """A store, domain or payment key that cannot be saved as asked; the message says why."""
