"""What every media backend offers: the storage protocol, a stored object being read, keys."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

# Every stored picture exists in these widths, as `<file>-<width>.webp`.
IMAGE_WIDTHS = (400, 800)
PICTURE_CONTENT_TYPE = "image/webp"
# A stored object never changes under its key: uploads get a random part in their name
# (`products/mug-1a2b3c4d`), and demo pictures are drawn from the demo data and written only
# when missing. So browsers, proxies and a CDN in front of the bucket may keep them for a year.
LONG_CACHE_CONTROL = "public, max-age=31536000, immutable"


class StorageError(Exception):
    """The media storage could not be reached, or failed to do what it was asked."""


@dataclass(frozen=True)
class StoredMedia:
    """A stored object being read: its bytes in chunks, type, size and entity tag.

    `close` releases the open file or connection; call it once the chunks are read (or not).
    """

    chunks: Iterable[bytes]
    content_type: str
    size: int | None
    etag: str
    close: Callable[[], None]


class MediaStorage(Protocol):
    """Where pictures are kept: a local folder or an S3-compatible bucket, by key."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing what was there; StorageError when it fails."""

    def get(self, key: str) -> StoredMedia | None:
        """The object under `key`, None when there is none; StorageError when unreachable."""

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`; StorageError when unreachable."""

    def delete(self, key: str) -> None:
        """Remove the object under `key` (nothing when there is none); StorageError."""


def is_valid_key(key: str) -> bool:
    """Whether `key` is a relative path of plain segments: no `..`, no empty parts."""
    if not key or "\\" in key or "\0" in key or key.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in key.split("/"))


def picture_key(file: str, width: int) -> str:
    """The key of one web size of a stored picture (`file` is as the database holds it)."""
    return f"{file}-{width}.webp"


def picture_keys(file: str) -> list[str]:
    """The keys of every web size of a stored picture."""
    return [picture_key(file, width) for width in IMAGE_WIDTHS]
