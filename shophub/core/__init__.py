"""Pure code: money, pricing, text and number parsing, time helpers. No Flask, no SQLAlchemy."""
