"""A ShopHub app for a server process that a test starts: `gunicorn 'tests.served_app:create()'`.

The test names the database in SHOPHUB_TEST_DATABASE_URL and the app's own folder (instance
and media) in SHOPHUB_TEST_FOLDER; every other setting comes from the environment, as in
production.
"""

import os
from pathlib import Path

from tests.conftest import make_app


def create():
    """The app, with the test defaults of tests/conftest.py and settings from the environment."""
    return make_app(os.environ["SHOPHUB_TEST_DATABASE_URL"],
                    Path(os.environ["SHOPHUB_TEST_FOLDER"]))
