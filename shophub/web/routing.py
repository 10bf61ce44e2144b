"""URL converters shared by the blueprints."""

from flask import Flask
from werkzeug.routing import IntegerConverter

from shophub.core.numbers import MAX_ROW_ID


class RowIdConverter(IntegerConverter):
    """`<id:name>`: a positive row id that fits the database's integer column."""

    def __init__(self, map, *args, **kwargs) -> None:
        super().__init__(map, min=1, max=MAX_ROW_ID)


def init_app(app: Flask) -> None:
    """Register the `id` converter (before any blueprint uses it)."""
    app.url_map.converters["id"] = RowIdConverter
