"""Orders: the order service (every status change), stock, order mail and the buyer's pages."""


def __getattr__(name: str):
    """`shophub.orders.order_mail_job`, the job's path in the previous release (see README)."""
    if name == "order_mail_job":
        from shophub.orders.jobs import order_mail_job

        return order_mail_job
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
