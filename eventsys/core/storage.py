"""Where uploaded files live: a small interface, local disk by default, S3-compatible storage as an option.

Keys are random names chosen here, never a name sent by a browser, so an upload cannot pick
where it lands or overwrite another; a key that does not look like one of ours is refused
before it reaches the file system (or the bucket).

Big files (exhibition videos of hundreds of MB) never pass through memory whole: `save_file` moves
a finished file in (a rename on the same disk, a streamed multipart upload to S3), `open` returns a
seekable reader (S3: ranged GetObject requests) and `local_copy` gives tools that need a path
(ffmpeg, pypdfium2) one.

Settings: STORAGE_BACKEND "local" (default; files in UPLOAD_DIR) or "s3" with S3_BUCKET,
S3_ENDPOINT_URL (empty for AWS), S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and an optional
S3_PREFIX; without keys boto3 looks in its usual places (environment, instance role).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}(\.[a-z0-9]{1,10})?")
SUFFIX_PATTERN = re.compile(r"(\.[a-z0-9]{1,10})?")
COPY_BUFFER = 1024 * 1024


class InvalidKey(ValueError):
    """A key that was not made by a storage (path separators, '..', odd characters)."""


class Storage(Protocol):
    def save(self, data: bytes, suffix: str = "") -> str: ...

    def save_file(self, path: str | os.PathLike, suffix: str = "") -> str: ...

    def open(self, key: str) -> BinaryIO: ...

    def read(self, key: str) -> bytes: ...

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]: ...


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

    def path(self, key: str) -> Path:
        """Where the file of `key` is on disk (for a server that sends files itself)."""
        return self._path(key)

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

    def save_file(self, path: str | os.PathLike, suffix: str = "") -> str:
        """Move the file at `path` in (a rename on the same file system, else a streamed copy); `path` is gone after."""
        key = new_key(suffix)
        self.root.mkdir(parents=True, exist_ok=True)
        target = self._path(key)
        try:
            os.replace(path, target)
        except OSError:  # another file system: copy in blocks under a temporary name, then rename
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out, open(path, "rb") as source:
                    shutil.copyfileobj(source, out, COPY_BUFFER)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            Path(path).unlink(missing_ok=True)
        return key

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except InvalidKey:
            return False

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        yield self._path(key)


class S3RangeReader(io.RawIOBase):
    """A seekable, read-only file over one S3 object: each run of reads is one GetObject with a Range header.

    A seek drops the running response; the next read asks for the bytes from the new position on.
    """

    def __init__(self, client, bucket: str, name: str, size: int):
        super().__init__()
        self.client, self.bucket, self.name, self.length = client, bucket, name, size
        self.position = 0
        self._body = None
        self._body_position = -1

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        self.position = max(0, base + offset)
        return self.position

    def _drop(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
        self._body, self._body_position = None, -1

    def readinto(self, buffer) -> int:
        if self.position >= self.length or len(buffer) == 0:
            return 0
        if self._body is None or self._body_position != self.position:
            self._drop()
            response = self.client.get_object(Bucket=self.bucket, Key=self.name, Range=f"bytes={self.position}-")
            self._body, self._body_position = response["Body"], self.position
        data = self._body.read(len(buffer))
        if not data:
            self._drop()
            return 0
        buffer[: len(data)] = data
        self.position += len(data)
        self._body_position = self.position
        return len(data)

    def read_range(self, start: int, length: int) -> bytes:
        """Exactly one GetObject with `Range: bytes=start-end` (no streaming state)."""
        if length <= 0:
            return b""
        response = self.client.get_object(Bucket=self.bucket, Key=self.name, Range=f"bytes={start}-{start + length - 1}")
        return response["Body"].read()

    def close(self) -> None:
        self._drop()
        super().close()


class S3Storage:
    """Objects in one bucket of an S3-compatible service (AWS, MinIO, Ceph, Garage …)."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None, prefix: str = ""):
        import boto3
        from botocore.config import Config

        if not bucket:
            raise RuntimeError("STORAGE_BACKEND 's3' needs S3_BUCKET.")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60),
        )

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def save(self, data: bytes, suffix: str = "") -> str:
        key = new_key(suffix)
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data)
        return key

    def save_file(self, path: str | os.PathLike, suffix: str = "") -> str:
        """Stream the file at `path` up (multipart for big files), then delete it."""
        from boto3.s3.transfer import TransferConfig

        key = new_key(suffix)
        config = TransferConfig(multipart_threshold=16 * 1024 * 1024, multipart_chunksize=16 * 1024 * 1024)
        self.client.upload_file(os.fspath(path), self.bucket, self._name(key), Config=config)
        Path(path).unlink(missing_ok=True)
        return key

    def size(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.bucket, Key=self._name(key))["ContentLength"])

    def open(self, key: str) -> S3RangeReader:
        return S3RangeReader(self.client, self.bucket, self._name(key), self.size(key))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except InvalidKey:
            return False
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """The object downloaded to a temporary file, deleted afterwards (for ffmpeg and pypdfium2)."""
        fd, tmp = tempfile.mkstemp(prefix="eventsys-s3-", suffix=Path(check_key(key)).suffix)
        os.close(fd)
        try:
            self.client.download_file(self.bucket, self._name(key), tmp)
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)


def get_storage(app) -> Storage:
    """The storage configured for `app` (STORAGE_BACKEND "local" or "s3"); one S3 client per app."""
    backend = app.config.get("STORAGE_BACKEND", "local")
    if backend == "local":
        return LocalStorage(app.config["UPLOAD_DIR"])
    if backend == "s3":
        storage = app.extensions.get("eventsys_s3_storage")
        if storage is None:
            storage = S3Storage(
                app.config.get("S3_BUCKET", ""), endpoint_url=app.config.get("S3_ENDPOINT_URL"),
                region=app.config.get("S3_REGION"), access_key_id=app.config.get("S3_ACCESS_KEY_ID"),
                secret_access_key=app.config.get("S3_SECRET_ACCESS_KEY"), prefix=app.config.get("S3_PREFIX", ""),
            )
            app.extensions["eventsys_s3_storage"] = storage
        return storage
    raise RuntimeError(f"Unknown STORAGE_BACKEND {backend!r}; use 'local' or 's3'.")
