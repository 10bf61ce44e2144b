"""Checks that `make lint` runs beside ruff: import contracts that import-linter lacks."""
