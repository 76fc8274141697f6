"""Benchmark: exhibition video files through the app (issue 6) — ranged downloads and chunked uploads of a 200 MB video.

    .venv/bin/python bench/exhibition_media.py [--mb 200] [--range-mb 8] [--seek-mb 16] [--rounds 3] [--workers 4]

In a temp dir (SQLite, UPLOAD_DIR of its own) it makes an open exhibition with one booth, an
exhibitor account and an approved 200 MB MP4: a real ffmpeg video followed by a `free` box of random
bytes (a valid MP4 that ffmpeg reads in milliseconds). It serves the app with gunicorn (sync workers)
on 127.0.0.1 and measures, in the same rounds, against reading the same file from disk in 8 MB blocks
(the goal: ≥ 0.8 of it, medians of the rounds):

- warm: the file in the page cache for every reader. The app: the whole file in 8 MB `Range`
  requests (http.client, one connection; every byte compared with the file's SHA-256 first), the same
  over 4 connections, by curl, in one `bytes=0-` request, and as a <video> element reads it: open-ended
  `bytes=N-` requests at offsets in shuffled order, `--seek-mb` read from each and the connection
  closed. A bare sendfile(2) server gives the loopback ceiling.
- cold: before each measure the file's pages are dropped (fsync + POSIX_FADV_DONTNEED, checked with
  mincore: nothing may stay cached), so the disk read and the app both read the disk.
- per request: the median latency of a 1-byte range and of a 404, and of the same 1-byte answer from a
  bare WSGI callable under the same gunicorn (the floor without the app).
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
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from exhibition_media_servers import BareServer, BehindNginx, Server, drop_cache  # noqa: E402

from tests.nginx_proxy import NGINX  # noqa: E402

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


def fetch_seeks(server, path: str, size: int, amount: int) -> float:
    """As <video> reads: `bytes=N-` from 0, then from shuffled offsets (seeks), `amount` read from each, then closed."""
    offsets = list(range(amount, size, amount))
    random.Random(6).shuffle(offsets)
    buffer = bytearray(amount)
    started = time.perf_counter()
    for offset in [0, *offsets]:
        connection = server.connection()
        connection.request("GET", path, headers={"Range": f"bytes={offset}-"})
        response = connection.getresponse()
        if response.status != 206:
            raise SystemExit(f"expected 206, got {response.status}")
        want, got = min(amount, size - offset), 0
        view = memoryview(buffer)
        while got < want:
            n = response.readinto(view[got:want])
            if not n:
                raise SystemExit("short read")
            got += n
        response.close()  # the rest of the answer is left unread, as a player leaves it after a seek
        connection.close()
    return time.perf_counter() - started


def latency(server, path: str, status: int, count: int = 300) -> float:
    """Median milliseconds of a GET of one byte (`Range: bytes=0-0`), each on its own connection as gunicorn's sync workers close them."""
    times = []
    for _ in range(count):
        connection = server.connection()
        started = time.perf_counter()
        connection.request("GET", path, headers={"Range": "bytes=0-0"})
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter() - started)
        connection.close()
        if response.status != status:
            raise SystemExit(f"expected {status}, got {response.status}")
    return statistics.median(times) * 1000


def with_slow_viewers(server, path: str, size: int, viewers: int, seconds: float) -> tuple[int, int, float | None]:
    """`viewers` phones on a slow line each watching the video (`bytes=0-`, 256 KB read every 0.25 s, about 1 MB/s)
    for `seconds`; meanwhile another visitor asks for one byte every 0.2 s. Returns (answered, asked, median ms of the answered)."""
    import socket

    stop = threading.Event()

    def watch() -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=seconds + 30) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-\r\n\r\n".encode())
            while not stop.is_set():
                if not sock.recv(256 * 1024):
                    return
                time.sleep(0.25)

    threads = [threading.Thread(target=watch, daemon=True) for _ in range(viewers)]
    for thread in threads:
        thread.start()
    time.sleep(1)  # every viewer has its answer going
    answered, asked, times = 0, 0, []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        asked += 1
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=max(0.5, deadline - time.monotonic()))
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Range": "bytes=0-0"})
            response = connection.getresponse()
            response.read()
            if response.status == 206:
                answered += 1
                times.append(time.perf_counter() - started)
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    return answered, asked, statistics.median(times) * 1000 if times else None


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


def another_file(source: Path, target: Path) -> Path:
    """The source with its last byte (in the padding box) flipped: the same size and kind, other bytes."""
    shutil.copyfile(source, target)
    with open(target, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)[0]
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last ^ 0xFF]))
    return target


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
    parser.add_argument("--seek-mb", type=int, default=16)
    parser.add_argument("--chunk-mb", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    size, block, chunk, seek = args.mb * MB, args.range_mb * MB, args.chunk_mb * MB, args.seek_mb * MB
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; gunicorn {args.workers} sync workers; "
          f"{args.mb} MB video, {args.range_mb} MB ranges, {args.seek_mb} MB read a seek, {args.chunk_mb} MB upload chunks")
    with tempfile.TemporaryDirectory(prefix="bench-exhibition-") as tmp:
        workdir = Path(tmp)
        data = prepare(workdir, size)
        print(f"store_upload of the {args.mb} MB file (SHA-256 in 1 MB blocks, then a rename): {data['store_seconds']:.2f} s")
        server = Server(workdir, data["url"], args.workers)
        floor = Server(workdir, data["url"], args.workers, app="floor:app")
        bare = BareServer(data["stored_path"])
        proxied = BehindNginx(workdir, data["url"], args.workers) if os.path.exists(NGINX) else None
        if proxied is None:
            print(f"nginx not found at {NGINX} (apt-get install nginx-light): the rows behind nginx are left out")
        try:
            path, stored = f"/exhibition/{SLUG}/media/{data['media_id']}", data["stored_path"]
            digest = hashlib.sha256()
            fetch_ranges(server, path, 0, size, block, digest)  # warm-up, and every byte checked
            if digest.hexdigest() != data["digest"]:
                raise SystemExit("the downloaded bytes differ from the file")
            quarter = size // 4

            def parallel() -> float:
                threads = [threading.Thread(target=fetch_ranges, args=(server, path, i * quarter, size if i == 3 else (i + 1) * quarter, block))
                           for i in range(4)]
                started = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                return time.perf_counter() - started

            measures = {  # name: (measure, also cold)
                "disk read, 8 MB blocks": (lambda: read_disk(stored, block), True),
                "bare loopback ceiling (sendfile, no app), 8 MB ranges": (lambda: fetch_ranges(bare, path, 0, size, block), True),
                "app, 8 MB ranges, one connection": (lambda: fetch_ranges(server, path, 0, size, block), True),
                "app, 8 MB ranges, 4 connections": (parallel, False),
                "app, 8 MB ranges, curl": (lambda: curl_ranges(server.port, path, size, block), False),
                "app, whole file (bytes=0-)": (lambda: fetch_ranges(server, path, 0, size, size), True),
                f"app, as <video>: bytes=N- at {-(-size // seek)} offsets, {args.seek_mb} MB each": (lambda: fetch_seeks(server, path, size, seek), True),
            }
            if proxied is not None:
                fetch_ranges(proxied, path, 0, size, block)  # warm-up
                measures |= {
                    "behind nginx (X-Accel-Redirect), 8 MB ranges": (lambda: fetch_ranges(proxied, path, 0, size, block), True),
                    "behind nginx, as <video>": (lambda: fetch_seeks(proxied, path, size, seek), True),
                }
            if shutil.which("curl") is None:
                del measures["app, 8 MB ranges, curl"]
            warm = {name: [] for name in measures}
            cold = {name: [] for name, (_, also_cold) in measures.items() if also_cold}
            per_request = {"app, 1-byte range": [], "app, 404": [], "floor: bare WSGI callable under gunicorn": []}
            left = []
            for _ in range(args.rounds):
                for name, (measure, _) in measures.items():
                    warm[name].append(measure())
                for name in [*cold, "disk read, 8 MB blocks"]:  # the disk read first and last: the VM's disk speed drifts
                    left.append((drop_cache(stored), name))
                    cold[name].append(measures[name][0]())
                per_request["app, 1-byte range"].append(latency(server, path, 206))
                per_request["app, 404"].append(latency(server, f"/exhibition/{SLUG}/media/999999", 404))
                per_request["floor: bare WSGI callable under gunicorn"].append(latency(floor, "/", 206))
                if proxied is not None:
                    per_request.setdefault("behind nginx, 1-byte range", []).append(latency(proxied, path, 206))
            worst = max(left)
            print(f"cold: the file's pages dropped {len(left)} times; still cached after a drop (mincore): at most "
                  f"{worst[0] / size:.1%} of the file" + (f" (before {worst[1]!r})" if worst[0] else ""))

            def rate(seconds: float | None) -> float:
                return size / MB / seconds if seconds else 0.0

            def typical(times: list) -> float:  # the median round: the machine may be busy with other work
                return rate(statistics.median(times)) if all(times) else 0.0

            def cold_ratio(name: str, pick=statistics.mean) -> float:  # each round against its first and last cold disk read
                disk = [rate(s) for s in cold["disk read, 8 MB blocks"]]
                return statistics.median(rate(s) / pick(disk[2 * i: 2 * i + 2]) for i, s in enumerate(cold[name][: args.rounds]))

            disk_warm = typical(warm["disk read, 8 MB blocks"])
            print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.rounds} rounds, MB/s (ratio to the disk read of the same kind "
                  f"in the same round; cold: to the mean of the round's two disk reads; to the faster of them); goal ≥ {RATIO_GOAL}")
            print(f"  {'measure':<62} {'warm':>16} {'cold':>16}")
            for name in measures:
                line = f"  {name:<62} {typical(warm[name]):>7,.0f} ({typical(warm[name]) / disk_warm:.2f})"
                if name in cold:
                    line += f" {typical(cold[name]):>7,.0f} ({cold_ratio(name):.2f}; {cold_ratio(name, max):.2f} to the faster)"
                print(line)
            for name in ("disk read, 8 MB blocks", "app, 8 MB ranges, one connection"):
                print(f"  rounds, {name}: warm " + ", ".join(f"{rate(s):,.0f}" for s in warm[name])
                      + "; cold " + ", ".join(f"{rate(s):,.0f}" for s in cold[name]))
            print("per request, median ms: " + "; ".join(f"{name} {statistics.median(v):.2f} (rounds "
                                                          + ", ".join(f"{x:.2f}" for x in v) + ")" for name, v in per_request.items()))

            slow = {"app (gunicorn sends the file)": server} | ({"behind nginx (X-Accel-Redirect)": proxied} if proxied else {})
            for name, target in slow.items():
                answered, asked, median = with_slow_viewers(target, path, size, args.workers + 2, 8)
                print(f"{args.workers + 2} slow viewers (~1 MB/s each) with {args.workers} workers, {name}: another visitor's requests "
                      f"answered {answered} of {asked}" + (f", median {median:.1f} ms" if median is not None else ""))

            cookie = login(server)
            other = another_file(data["source"], workdir / "other.mp4")  # the booth already holds the source: a copy would be refused
            raw = append_loop(other, workdir / "raw.part", chunk)
            (workdir / "raw.part").unlink()
            total, last, answer = upload(server, cookie, other, data["booth_id"], chunk)
            print(f"upload: raw append loop with fsync {size / MB / raw:,.0f} MB/s; through the API {size / MB / total:,.0f} MB/s "
                  f"(ratio {raw / total:.2f}); the last chunk (content check, SHA-256, move into the storage) {last:.2f} s; "
                  f"answer state {answer.get('state')!r}")
        finally:
            if proxied is not None:
                proxied.stop()
            bare.stop()
            floor.stop()
            server.stop()


if __name__ == "__main__":
    main()
