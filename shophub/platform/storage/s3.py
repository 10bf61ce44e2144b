"""Media in an S3 bucket, or on an S3-compatible service (MinIO, R2, Ceph) via S3_ENDPOINT_URL.

Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a
profile, an instance role). Every call is short: a slow or unreachable bucket costs a request
a few seconds at most, and after a failure the bucket is not asked again for a few seconds,
so picture requests cannot pile up in the web workers while it is away.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shophub.platform import outages
from shophub.platform.storage.base import (
    LONG_CACHE_CONTROL,
    StorageError,
    StoredMedia,
    is_valid_key,
)

SERVICE = "The S3 media storage"
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 4
# Attempts in all, the first included (boto3's "standard" retry mode, with its backoff).
MAX_ATTEMPTS = 2
# After a failure, calls fail at once for this long instead of waiting on the bucket again.
PAUSE_AFTER_FAILURE_SECONDS = 5
CHUNK_BYTES = 64 * 1024
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def make_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """A boto3 S3 client with short timeouts, for AWS or for the service at `endpoint_url`."""
    options: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "read_timeout": READ_TIMEOUT_SECONDS,
        "retries": {"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    }
    if endpoint_url:
        # S3-compatible services are addressed by path (`host/bucket/key`): their buckets
        # rarely have DNS names. Many of them refuse the checksums boto3 adds by default.
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    # A session of its own: boto3's default session is shared and not safe to build clients
    # from in several threads at once.
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint_url or None, region_name=region or None,
                          config=Config(**options))


class S3Storage:
    """Pictures as objects of `bucket`, each key under `prefix` (`shop/products/mug-400.webp`)."""

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.client = client

    def object_key(self, key: str) -> str:
        """The object's name in the bucket: the prefix, then the key."""
        return self.prefix + key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload `data` under `key`, with the content type and cache lifetime it is served with."""
        if not is_valid_key(key):
            raise ValueError(f"{key!r} is not a media key")
        self._call(self.client.put_object, Bucket=self.bucket, Key=self.object_key(key),
                   Body=data, ContentType=content_type, CacheControl=LONG_CACHE_CONTROL)

    def get(self, key: str) -> StoredMedia | None:
        """The object under `key`, streamed from the bucket; None when there is none."""
        if not is_valid_key(key):
            return None
        response = self._read(self.client.get_object, key)
        if response is None:
            return None
        body = response["Body"]
        return StoredMedia(chunks=_chunks_of(body),
                           content_type=response.get("ContentType") or "application/octet-stream",
                           size=response.get("ContentLength"),
                           etag=(response.get("ETag") or "").strip('"'), close=body.close)

    def exists(self, key: str) -> bool:
        """Whether the bucket holds an object under `key`."""
        return is_valid_key(key) and self._read(self.client.head_object, key) is not None

    def delete(self, key: str) -> None:
        """Remove the object under `key`; removing a missing object is not an error in S3."""
        if not is_valid_key(key):
            return
        with contextlib.suppress(_Missing):  # some S3-compatible services say so
            self._call(self.client.delete_object, Bucket=self.bucket, Key=self.object_key(key))

    def _read(self, operation, key: str) -> dict | None:
        try:
            return self._call(operation, Bucket=self.bucket, Key=self.object_key(key))
        except _Missing:
            return None

    def _call(self, operation, **arguments) -> dict:
        if outages.failed_within(SERVICE, PAUSE_AFTER_FAILURE_SECONDS):
            raise StorageError(f"{SERVICE} failed moments ago; not asked again yet")
        try:
            response = operation(**arguments)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING_CODES:
                outages.report_success(SERVICE)
                raise _Missing from None
            outages.report_failure(SERVICE, error)
            raise StorageError(str(error)) from error
        except BotoCoreError as error:
            outages.report_failure(SERVICE, error)
            raise StorageError(str(error)) from error
        outages.report_success(SERVICE)
        return response


class _Missing(Exception):
    """The object does not exist (S3's NoSuchKey, or 404 for a HEAD)."""


def _chunks_of(body) -> Iterator[bytes]:
    return body.iter_chunks(CHUNK_BYTES)
