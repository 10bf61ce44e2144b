"""Star ratings: the one rule for the average that pages, cards and structured data show."""


def average_rating(count: int, total: int) -> float | None:
    """The average of `count` ratings adding up to `total`, to one decimal; None without any."""
    return round(total / count, 1) if count else None
