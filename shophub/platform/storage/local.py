"""Media in a folder on this machine (MEDIA_ROOT): each key is a file path under the folder."""

import mimetypes
import os
import secrets
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import BinaryIO

from shophub.platform.storage.base import StorageError, StoredMedia, is_valid_key

CHUNK_BYTES = 64 * 1024


class LocalStorage:
    """Pictures as files under `root`, laid out by key (`products/mug-1a2b3c4d-400.webp`)."""

    def __init__(self, root: str | os.PathLike) -> None:
        # The folder is made by the first write, not here: reading an empty shop creates nothing.
        self.root = Path(root)

    def _path(self, key: str) -> Path | None:
        return self.root / key if is_valid_key(key) else None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write the file whole or not at all: readers never see half a picture."""
        path = self._path(key)
        if path is None:
            raise ValueError(f"{key!r} is not a media key")
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # 0o666 less the umask, as any other file the app writes.
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise StorageError(f"could not write {key}: {error}") from error

    def get(self, key: str) -> StoredMedia | None:
        """The file under `key`, open for reading; None when there is none."""
        path = self._path(key)
        if path is None:
            return None
        try:
            handle = path.open("rb")
            stat = os.fstat(handle.fileno())
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as error:
            raise StorageError(f"could not read {key}: {error}") from error
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return StoredMedia(chunks=_chunks_of(handle), content_type=content_type,
                           size=stat.st_size, etag=f"{stat.st_mtime_ns:x}-{stat.st_size:x}",
                           close=handle.close)

    def exists(self, key: str) -> bool:
        """Whether a file is stored under `key`."""
        path = self._path(key)
        return path is not None and path.is_file()

    def delete(self, key: str) -> None:
        """Remove the file under `key`, if there is one."""
        path = self._path(key)
        if path is None:
            return
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise StorageError(f"could not delete {key}: {error}") from error


def _chunks_of(handle: BinaryIO) -> Iterator[bytes]:
    # Closed as soon as the last chunk is read, as well as by StoredMedia.close.
    with handle:
        yield from iter(partial(handle.read, CHUNK_BYTES), b"")
