"""WSGI entry point: `gunicorn wsgi:app`."""

from shophub import create_app

app = create_app()
