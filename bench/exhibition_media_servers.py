"""Helpers of bench/exhibition_media.py: the servers it measures and the page cache it empties.

- `Server`: gunicorn (sync workers) on 127.0.0.1, serving the app, or any WSGI callable (`FLOOR_APP`:
  one byte and nothing else, the floor of a request through gunicorn and loopback TCP).
- `BareServer`: a socket server answering `Range` GETs of one file with sendfile(2), no app: the
  ceiling of a download over loopback with the same client.
- `drop_cache` / `resident_bytes`: the file's pages dropped from the page cache (fsync, then
  POSIX_FADV_DONTNEED) and counted with mincore(2), so a "cold" read is checked to be one.
"""
from __future__ import annotations

import ctypes
import http.client
import mmap
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR_APP = '''def app(environ, start_response):
    start_response("206 Partial Content", [("Content-Type", "video/mp4"), ("Content-Length", "1")])
    return [b"x"]
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with `workers` sync workers; `app` "eventsys:create_app()" (the default) or "floor:app" (FLOOR_APP)."""

    def __init__(self, workdir: Path, database_url: str, workers: int, app: str = "eventsys:create_app()", env: dict | None = None):
        self.port = _free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT), EVENTSYS_SECRET_KEY="bench", EVENTSYS_DATABASE_URL=database_url,
                   EVENTSYS_UPLOAD_DIR=str(workdir / "uploads"), EVENTSYS_WTF_CSRF_ENABLED="false",
                   EVENTSYS_LOGIN_RATE_LIMIT="1000 per minute", **(env or {}))
        chdir = ROOT
        if app == "floor:app":
            (workdir / "floor.py").write_text(FLOOR_APP)
            chdir = workdir
        command = [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{self.port}",
                   "--chdir", str(chdir), "--log-level", "warning", "--timeout", "300", app]
        self.log = workdir / f"gunicorn-{self.port}.log"
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=self.log.open("w"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"gunicorn exited: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start within 60 s")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


class BehindNginx:
    """The production setup of docs/nginx.conf: nginx in front of the app's gunicorn, files sent by nginx (X-Accel-Redirect)."""

    def __init__(self, workdir: Path, database_url: str, workers: int):
        from tests.nginx_proxy import PREFIX, Nginx

        self.app = Server(workdir, database_url, workers, env={"EVENTSYS_ACCEL_REDIRECT_PREFIX": PREFIX, "EVENTSYS_PROXY_COUNT": "1"})
        try:
            self.nginx = Nginx(workdir / "nginx", f"127.0.0.1:{self.app.port}", workdir / "uploads")
        except Exception:
            self.app.stop()
            raise
        self.port = self.nginx.port

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def stop(self) -> None:
        self.nginx.stop()
        self.app.stop()


class BareServer:
    """The ceiling over loopback: a bare socket server answering `Range` GETs of one file with sendfile(2), no app."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, open(self.path, "rb") as f:
            reader = conn.makefile("rb")
            while True:
                lines = []
                while (line := reader.readline()) not in (b"\r\n", b""):
                    lines.append(line)
                if not lines:
                    return
                wanted = next(x for x in lines if x.lower().startswith(b"range:")).split(b"=", 1)[1].strip()
                start, end = (int(v) for v in wanted.split(b"-"))
                conn.sendall(f"HTTP/1.1 206 Partial Content\r\nContent-Length: {end - start + 1}\r\n\r\n".encode())
                os.sendfile(conn.fileno(), f.fileno(), start, end - start + 1)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def stop(self) -> None:
        self.sock.close()


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]


def resident_bytes(path: Path) -> int:
    """How much of the file is in the page cache (mincore(2) over a mapping of it, as fincore does)."""
    size, page = path.stat().st_size, mmap.PAGESIZE
    with open(path, "rb") as f:
        address = _libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, f.fileno(), 0)
    if address in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap failed")
    try:
        pages = (ctypes.c_ubyte * ((size + page - 1) // page))()
        if _libc.mincore(address, size, pages) != 0:
            raise OSError(ctypes.get_errno(), "mincore failed")
        return (len(pages) - bytes(pages).count(0)) * page
    finally:
        _libc.munmap(address, size)


def drop_cache(path: Path, attempts: int = 60) -> int:
    """Drop the file's pages from the page cache (written back first); returns the bytes still cached (0 expected).

    A server may still be reading the file for a moment after its client left (an unread answer): then again.
    """
    for _ in range(attempts):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        if not (left := resident_bytes(path)):
            return 0
        time.sleep(0.05)
    return left
