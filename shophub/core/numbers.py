"""Whole numbers typed by people or carried in URLs: ASCII digits only, within a column's range."""

# Row ids are 32-bit integers on PostgreSQL; a larger number in a URL or form is simply not found.
MAX_ROW_ID = 2**31 - 1
