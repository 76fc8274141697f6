"""Benchmark: exhibition video files through the app (issue 6) — ranged downloads and chunked uploads of a 200 MB video.

    .venv/bin/python bench/exhibition_media.py [--mb 200] [--range-mb 8] [--rounds 3] [--workers 4]

In a temp dir (SQLite, UPLOAD_DIR of its own) it makes an open exhibition with one booth, an
exhibitor account and an approved 200 MB MP4: a real ffmpeg video followed by a `free` box of random
bytes (a valid MP4 that ffmpeg reads in milliseconds). It serves the app with gunicorn (sync workers)
on 127.0.0.1 and measures, in the same run:

- download: the whole video fetched over HTTP in 8 MB `Range` requests (one keep-alive connection,
  http.client, every byte compared with the file's SHA-256 at the end), against reading the same
  file from disk in 8 MB blocks (warm page cache both ways); the ratio's goal is ≥ 0.8 (medians of the rounds). The same
  fetch with 4 connections in parallel (each its own quarter) is printed too.
- upload: the video sent through the exhibitor upload API (`POST /exhibit/<slug>/uploads`, then
  4 MB chunks at their offsets, the last one checks the file by content and stores it), against a
  loop that appends the same chunks to a file with an fsync each, as the API does.
CSRF is switched off for the benchmark's app (EVENTSYS_WTF_CSRF_ENABLED=false): the API's CSRF check
costs nothing measurable and needs a browser page to take the token from.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
SLUG = "pameran-bench"
PASSWORD = "bench-password-123"
EMAIL = "pameran@bench.go.id"
RATIO_GOAL = 0.8


def big_mp4(path: Path, size: int) -> Path:
    """A real MP4 (1 s of ffmpeg's test pattern) padded with a top-level `free` box of random bytes to `size`."""
    from eventsys.exhibition.video import make_test_video

    make_test_video(path, seconds=1, size="320x180")
    pad = size - path.stat().st_size
    with open(path, "ab") as f:
        f.write(pad.to_bytes(4, "big") + b"free")
        left = pad - 8
        block = os.urandom(4 * MB)
        while left > 0:
            f.write(block[:left])
            left -= len(block)
    return path


def prepare(workdir: Path, size: int) -> dict:
    from eventsys import create_app
    from eventsys.accounts import services as accounts
    from eventsys.accounts.models import EventRoleName
    from eventsys.core.db import utcnow
    from eventsys.events.models import Event, EventKind, EventStatus, Organization, OrganizationKind
    from eventsys.exhibition import media
    from eventsys.exhibition.models import Booth, Exhibition, MediaItem, MediaKind, MediaState
    from eventsys.extensions import db

    url = f"sqlite:///{workdir}/bench.sqlite"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "UPLOAD_DIR": str(workdir / "uploads")})
    source = big_mp4(workdir / "source.mp4", size)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    with app.test_request_context():
        db.create_all()
        now = utcnow()
        event = Event(name="Pameran Virtual Smart City 2021", slug=SLUG, kind=EventKind.EXHIBITION, status=EventStatus.PUBLISHED,
                      starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=13), timezone="Asia/Jakarta", description="")
        org = Organization(name="Kab. Cirebon", name_key=Organization.key_for("Kab. Cirebon"), kind=OrganizationKind.KABUPATEN,
                           province="Jawa Barat", timezone="Asia/Jakarta")
        db.session.add_all([event, org])
        db.session.flush()
        db.session.add(Exhibition(event_id=event.id, max_video_mb=1024))
        booth = Booth(event_id=event.id, organization_id=org.id, name="Kabupaten Cirebon")
        db.session.add(booth)
        user = accounts.create_user(db.session, EMAIL, "Diskominfo Kab. Cirebon", PASSWORD)
        db.session.flush()
        accounts.grant_role(db.session, user, event, EventRoleName.EXHIBITOR, org.id)
        copy = workdir / "copy.mp4"
        shutil.copyfile(source, copy)
        started = time.perf_counter()
        stored = media.store_upload(copy, MediaKind.VIDEO, max_bytes=1024 * MB)
        store_seconds = time.perf_counter() - started
        item = MediaItem(event_id=event.id, booth_id=booth.id, kind=stored.kind, state=MediaState.APPROVED, title="PSC 119",
                         file_key=stored.file_key, content_type=stored.content_type, size=stored.size, sha256=stored.sha256)
        db.session.add(item)
        db.session.commit()
        assert stored.sha256 == digest
        return {"url": url, "source": source, "digest": digest, "media_id": item.id, "booth_id": booth.id,
                "stored_path": workdir / "uploads" / stored.file_key, "store_seconds": store_seconds}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workdir: Path, database_url: str, workers: int):
        self.port = _free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT), EVENTSYS_SECRET_KEY="bench", EVENTSYS_DATABASE_URL=database_url,
                   EVENTSYS_UPLOAD_DIR=str(workdir / "uploads"), EVENTSYS_WTF_CSRF_ENABLED="false",
                   EVENTSYS_LOGIN_RATE_LIMIT="1000 per minute")
        command = [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{self.port}",
                   "--chdir", str(ROOT), "--log-level", "warning", "--timeout", "300", "eventsys:create_app()"]
        self.log = workdir / "gunicorn.log"
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


def curl_ranges(port: int, path: str, size: int, block: int) -> float | None:
    """The same ranges fetched by curl (one process, one connection reused): the server's speed without Python reading."""
    curl = shutil.which("curl")
    if curl is None:
        return None
    args = [curl]
    for position in range(0, size, block):
        end = min(position + block, size) - 1
        args += ["-s", "-f", "-o", "/dev/null", "-r", f"{position}-{end}", f"http://127.0.0.1:{port}{path}", "--next"]
    started = time.perf_counter()
    subprocess.run(args[:-1], check=True)
    return time.perf_counter() - started


def read_disk(path: Path, block: int) -> float:
    buffer = bytearray(block)
    view = memoryview(buffer)
    started = time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while f.readinto(view):
            pass
    return time.perf_counter() - started


def fetch_ranges(server: Server, path: str, start: int, stop: int, block: int, digest=None) -> float:
    """GET [start, stop) in `block` ranges over one keep-alive connection; returns seconds."""
    connection = server.connection()
    buffer = bytearray(block)
    started = time.perf_counter()
    position = start
    while position < stop:
        end = min(position + block, stop) - 1
        connection.request("GET", path, headers={"Range": f"bytes={position}-{end}"})
        response = connection.getresponse()
        if response.status != 206:
            raise SystemExit(f"expected 206, got {response.status}: {response.read()[:300]!r}")
        want = end - position + 1
        view = memoryview(buffer)[:want]
        got = 0
        while got < want:
            n = response.readinto(view[got:])
            if not n:
                raise SystemExit("short read")
            got += n
        if digest is not None:
            digest.update(view)
        response.read()
        position = end + 1
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def login(server: Server) -> str:
    connection = server.connection()
    body = f"email={EMAIL.replace('@', '%40')}&password={PASSWORD}"
    connection.request("POST", "/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie", "")
    if response.status != 302 or not cookie:
        raise SystemExit(f"login failed: {response.status}")
    return cookie.split(";", 1)[0]


def upload(server: Server, cookie: str, source: Path, booth_id: int, chunk: int) -> tuple[float, float, dict]:
    """The exhibitor API: create, then chunks at their offsets; returns (seconds for all chunks, seconds of the last one, answer)."""
    size = source.stat().st_size
    connection = server.connection()
    headers = {"Cookie": cookie, "Content-Type": "application/json"}
    connection.request("POST", f"/exhibit/{SLUG}/uploads", headers=headers, body=json.dumps(
        {"booth_id": booth_id, "kind": "video", "title": "Bench upload", "file_name": "bench.mp4", "size": size}))
    response = connection.getresponse()
    created = json.loads(response.read())
    if response.status != 201:
        raise SystemExit(f"create failed: {response.status} {created}")
    target = created["url"]
    started = time.perf_counter()
    last = 0.0
    answer = {}
    with open(source, "rb") as f:
        offset = 0
        while offset < size:
            data = f.read(chunk)
            before = time.perf_counter()
            connection.request("POST", f"{target}?offset={offset}", body=data,
                               headers={"Cookie": cookie, "Content-Type": "application/octet-stream"})
            response = connection.getresponse()
            answer = json.loads(response.read())
            if response.status not in (200, 201):
                raise SystemExit(f"chunk at {offset}: {response.status} {answer}")
            last = time.perf_counter() - before
            offset += len(data)
    return time.perf_counter() - started, last, answer


def append_loop(source: Path, target: Path, chunk: int) -> float:
    started = time.perf_counter()
    with open(source, "rb") as f, open(target, "wb") as out:
        for data in iter(lambda: f.read(chunk), b""):
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--range-mb", type=int, default=8)
    parser.add_argument("--chunk-mb", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    size, block, chunk = args.mb * MB, args.range_mb * MB, args.chunk_mb * MB
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; gunicorn {args.workers} sync workers; "
          f"{args.mb} MB video, {args.range_mb} MB ranges, {args.chunk_mb} MB upload chunks")
    with tempfile.TemporaryDirectory(prefix="bench-exhibition-") as tmp:
        workdir = Path(tmp)
        data = prepare(workdir, size)
        print(f"store_upload of the {args.mb} MB file (SHA-256 in 1 MB blocks, then a rename): {data['store_seconds']:.2f} s")
        server = Server(workdir, data["url"], args.workers)
        try:
            path = f"/exhibition/{SLUG}/media/{data['media_id']}"
            digest = hashlib.sha256()
            fetch_ranges(server, path, 0, size, block, digest)  # warm-up, and every byte checked
            if digest.hexdigest() != data["digest"]:
                raise SystemExit("the downloaded bytes differ from the file")
            bare = BareServer(data["stored_path"])
            disk, bare_seq, curl_seq, http_seq, http_par, whole = [], [], [], [], [], []
            for _ in range(args.rounds):
                disk.append(read_disk(data["stored_path"], block))
                bare_seq.append(fetch_ranges(bare, path, 0, size, block))
                curl_seq.append(curl_ranges(server.port, path, size, block))
                whole.append(fetch_ranges(server, path, 0, size, size))
                http_seq.append(fetch_ranges(server, path, 0, size, block))
                quarter = size // 4
                threads = []
                started = time.perf_counter()
                for i in range(4):
                    stop = size if i == 3 else (i + 1) * quarter
                    thread = threading.Thread(target=fetch_ranges, args=(server, path, i * quarter, stop, block))
                    threads.append(thread)
                    thread.start()
                for thread in threads:
                    thread.join()
                http_par.append(time.perf_counter() - started)
            def rate(seconds: float) -> float:
                return size / MB / seconds

            def typical(times: list[float]) -> float:  # the median round: the machine may be busy with other work
                return rate(statistics.median(times))

            best_disk, best_seq, best_par = typical(disk), typical(http_seq), typical(http_par)
            print(f"download, median of {args.rounds}: disk {best_disk:,.0f} MB/s; HTTP one connection {best_seq:,.0f} MB/s "
                  f"(ratio {best_seq / best_disk:.2f}, goal ≥ {RATIO_GOAL}); HTTP 4 connections {best_par:,.0f} MB/s "
                  f"(ratio {best_par / best_disk:.2f})")
            best_bare = typical(bare_seq)
            print(f"  ceiling over loopback (bare socket server, sendfile, same Python client): {best_bare:,.0f} MB/s; "
                  f"the app reaches {best_seq / best_bare:.2f} of it")
            if all(curl_seq):
                print(f"  the app's ranges fetched by curl instead of Python: {typical(curl_seq):,.0f} MB/s "
                      f"(ratio to disk {typical(curl_seq) / best_disk:.2f})")
            print(f"  the whole file in one request (bytes=0-, as a video player starts): {typical(whole):,.0f} MB/s "
                  f"(ratio to disk {typical(whole) / best_disk:.2f})")
            bare.stop()
            print("  all rounds MB/s: disk " + ", ".join(f"{rate(s):,.0f}" for s in disk) + "; one connection "
                  + ", ".join(f"{rate(s):,.0f}" for s in http_seq) + "; 4 connections " + ", ".join(f"{rate(s):,.0f}" for s in http_par))

            cookie = login(server)
            raw = append_loop(data["source"], workdir / "raw.part", chunk)
            (workdir / "raw.part").unlink()
            total, last, answer = upload(server, cookie, data["source"], data["booth_id"], chunk)
            print(f"upload: raw append loop with fsync {size / MB / raw:,.0f} MB/s; through the API {size / MB / total:,.0f} MB/s "
                  f"(ratio {raw / total:.2f}); the last chunk (content check, SHA-256, move into the storage) {last:.2f} s; "
                  f"answer state {answer.get('state')!r}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
