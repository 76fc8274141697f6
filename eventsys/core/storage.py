"""Where uploaded files live: a small interface, local disk today, S3-compatible storage later.

Keys are random names chosen here, never a name sent by a browser, so an upload cannot pick
where it lands or overwrite another; a key that does not look like one of ours is refused
before it reaches the file system.
"""
from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}(\.[a-z0-9]{1,10})?")
SUFFIX_PATTERN = re.compile(r"(\.[a-z0-9]{1,10})?")


class InvalidKey(ValueError):
    """A key that was not made by a storage (path separators, '..', odd characters)."""


class Storage(Protocol):
    def save(self, data: bytes, suffix: str = "") -> str: ...

    def open(self, key: str) -> BinaryIO: ...

    def read(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


def check_key(key: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise InvalidKey(f"not a storage key: {key!r}")
    return key


def new_key(suffix: str = "") -> str:
    if not SUFFIX_PATTERN.fullmatch(suffix):
        raise ValueError(f"not a file suffix: {suffix!r}")
    return secrets.token_urlsafe(24) + suffix


class LocalStorage:
    """Files in one directory on local disk (instance/uploads by default)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = self.root / check_key(key)
        # The pattern already rules out separators; this keeps a symlinked root honest too.
        if path.resolve().parent != self.root.resolve():
            raise InvalidKey(f"outside the storage: {key!r}")
        return path

    def save(self, data: bytes, suffix: str = "") -> str:
        key = new_key(suffix)
        self.root.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and renamed: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self._path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except InvalidKey:
            return False

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def get_storage(app) -> Storage:
    """The storage configured for `app` (STORAGE_BACKEND; only "local" for now)."""
    backend = app.config.get("STORAGE_BACKEND", "local")
    if backend == "local":
        return LocalStorage(app.config["UPLOAD_DIR"])
    raise RuntimeError(f"Unknown STORAGE_BACKEND {backend!r}; use 'local'.")
