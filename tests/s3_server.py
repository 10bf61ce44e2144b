"""An S3 server of a test's own (moto in server mode, on a free port), and ShopHub servers on it.

moto's server speaks S3's HTTP API, so the app talks to it exactly as to a bucket in
production: boto3, signed requests, the endpoint in S3_ENDPOINT_URL. Credentials are dummies.
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.services import free_port, require_service

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "shophub-test",
    "AWS_SECRET_ACCESS_KEY": "shophub-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    # Nothing from the machine's own ~/.aws may reach the tests.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
AWS_VARIABLES_TO_DROP = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                         "AWS_ENDPOINT_URL_S3")
STARTUP_SECONDS = 30



def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True


def _log_tail(log) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def _started(process: subprocess.Popen, url: str) -> bool:
    """Whether `url` answers before the process ends or STARTUP_SECONDS pass."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto's S3 server in a process of its own; yields its endpoint URL.

    Skips the test (fails it under SHOPHUB_REQUIRE_SERVICES=1) when the server cannot start.
    """
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=log, stderr=subprocess.STDOUT)
        except OSError as error:
            require_service(f"moto's S3 server could not be started: {error}")
        try:
            if not _started(process, endpoint):
                require_service(f"moto's S3 server did not start: {_log_tail(log)}")
            yield endpoint
        finally:
            _stop(process)


def s3_client(endpoint: str):
    """A boto3 client of the test's own on the moto server, with the dummy credentials."""
    import boto3

    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=DUMMY_CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


def object_keys(client, bucket: str) -> list[str]:
    """Every object key in `bucket`, sorted."""
    listing = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


@contextmanager
def shophub_server(database_url: str, folder: Path, env: dict[str, str]) -> Iterator[str]:
    """Serve ShopHub from gunicorn (preloaded app, one worker) in a process of its own.

    The app has its own instance and media folders under `folder` and uses `database_url`;
    `env` adds settings (MEDIA_STORAGE, S3_*). Yields the base URL once /healthz answers.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    folder.mkdir(parents=True, exist_ok=True)
    process_env = {name: value for name, value in os.environ.items()
                   if not name.startswith(("MEDIA_", "S3_", "SHOPHUB_ENV"))
                   and name not in AWS_VARIABLES_TO_DROP}
    process_env.update(DUMMY_CREDENTIALS)
    process_env.update(env)
    process_env.update(PYTHONPATH=str(PROJECT_ROOT), SHOPHUB_TEST_DATABASE_URL=database_url,
                       SHOPHUB_TEST_FOLDER=str(folder))
    with open(folder / "gunicorn.log", "w+b") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--preload", "--workers", "1",
             "--bind", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "2",
             "tests.served_app:create()"],
            cwd=PROJECT_ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            if not _started(process, f"{base_url}/healthz"):
                raise AssertionError(f"ShopHub did not start in {folder}: {_log_tail(log)}")
            yield base_url
        finally:
            _stop(process)


class LiveClient:
    """A browser-like client of a running server: one cookie jar, redirects not followed."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def get(self, path: str, **options) -> requests.Response:
        """GET `path` on the server."""
        return self.session.get(self.base_url + path, allow_redirects=False, timeout=30,
                                **options)

    def post(self, path: str, **options) -> requests.Response:
        """POST to `path` on the server."""
        return self.session.post(self.base_url + path, allow_redirects=False, timeout=30,
                                 **options)
