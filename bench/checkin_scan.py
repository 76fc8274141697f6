"""Benchmark: the scan endpoint under load (issue 4; goals ≥ 0.5 of a bare Flask endpoint, p99 ≤ 25 ms).

    .venv/bin/python bench/checkin_scan.py [--tickets 20000] [--duration 12] [--worker-class sync|gthread]
                                           [--postgres ADMIN_URL] [--only SQLite|PostgreSQL]

In a fresh database (SQLite under a temp dir, and a throwaway PostgreSQL database when one answers)
it makes one event with a checkpoint, 20,000 confirmed registrations with tickets (bulk inserted;
the tokens are the real signed ones) and a scanner device paired the way a phone pairs. It serves
the app with gunicorn (4 workers) on 127.0.0.1 and loads POST /api/v1/events/<slug>/scans with wrk
(32 connections, 2 threads, bench/checkin_scan.lua): first scans (every token once, a nonce of its
own each) and then duplicate scans (the same tokens again, all already checked in). After each run
it counts the check-ins in the database: exactly one per distinct token the server received, none
twice. It prints the CPU time a request took in the app, in PostgreSQL and in wrk, and the SQL
statements of one scan. The ceiling is the same load on a bare Flask app (`ceiling()` below: a
constant JSON body) under the same gunicorn settings, measured before and after the real runs; the
ratios use the mean. It also measures this app's floor (the same load without a token: 401 before any
SQL) and fetches the scanning page and everything it loads (goal ≤ 300 KB).

wrk is Debian's package: `apt-get install -y wrk`.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import html.parser
import json
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from bench_db import postgres_database  # bench/ is on the path when a benchmark runs as a script

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SLUG = "forum-2017"
CONNECTIONS, THREADS, WORKERS = 32, 2, 4
P99_GOAL_MS, RATIO_GOAL, PAGE_GOAL = 25.0, 0.5, 300_000
BOUND = "bound"  # bench/checkin_scan_bound.py: the scan's irreducible work, sqlite3 under bare Flask
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def ceiling():
    """The bare Flask app: `gunicorn 'checkin_scan:ceiling()'`, the same path as the scan endpoint."""
    from flask import Flask, jsonify

    app = Flask("ceiling")

    @app.post("/api/v1/events/<slug>/scans")
    def scans(slug):
        return jsonify({"ok": True})

    return app


# The database.


def _desk_code(i: int) -> str:
    chars = ""
    for _ in range(6):
        i, digit = divmod(i, len(CODE_ALPHABET))
        chars += CODE_ALPHABET[digit]
    return f"{chars[:3]}-{chars[3:]}"


def prepare(url: str, count: int) -> dict:
    """Schema, event, checkpoint, `count` confirmed registrations with tickets, a paired device."""
    from sqlalchemy import insert, select

    from eventsys import create_app
    from eventsys.attendance import devices
    from eventsys.attendance.models import Checkpoint, EntryPolicy
    from eventsys.events.models import Event, EventKind, EventStatus, Organization, OrganizationKind
    from eventsys.extensions import db
    from eventsys.registration import tickets
    from eventsys.registration.models import DelegateCategory, EventKey, Registration, RegistrationState, Ticket
    from tests.conftest import utc

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.test_request_context():
        db.create_all()
        event = Event(name="Forum Smart City 2017", slug=SLUG, kind=EventKind.EXPOSE, status=EventStatus.PUBLISHED,
                      starts_at=utc(2017, 11, 15, 1), ends_at=utc(2017, 11, 15, 9), timezone="Asia/Jakarta", description="")
        db.session.add(event)
        db.session.flush()
        categories = [DelegateCategory(event_id=event.id, name=n, color=c, position=i)
                      for i, (n, c) in enumerate((("Kepala Daerah", "#b91c1c"), ("OPD", "#1d4ed8"), ("Media", "#15803d")))]
        organizations = [Organization(name=f"Kab. Contoh {i}", name_key=Organization.key_for(f"Kab. Contoh {i}"),
                                      kind=OrganizationKind.KABUPATEN, province="Jawa Barat", timezone="Asia/Jakarta") for i in range(50)]
        checkpoint = Checkpoint(event_id=event.id, name="Pintu masuk utama", policy=EntryPolicy.ONCE)
        db.session.add_all([*categories, *organizations, checkpoint])
        db.session.flush()
        db.session.execute(insert(Registration), [
            {"event_id": event.id, "category_id": categories[i % 3].id, "organization_id": organizations[i % 50].id,
             "name": f"Delegasi Nomor {i}", "position": "Kepala Dinas Kominfo", "email": f"delegasi{i}@daerah.go.id",
             "locale": "id", "state": RegistrationState.CONFIRMED, "state_reason": "",
             "manage_token_hash": hashlib.sha256(f"bench-{i}".encode()).hexdigest()}
            for i in range(count)
        ])
        registration_ids = db.session.scalars(select(Registration.id).where(Registration.event_id == event.id).order_by(Registration.id)).all()
        db.session.execute(insert(Ticket), [
            {"event_id": event.id, "registration_id": rid, "code": _desk_code(i * 7919 + 12345), "serial": 1}
            for i, rid in enumerate(registration_ids)
        ])
        tickets.public_key_for(db.session, event)  # makes the event's key
        private_key = db.session.get(EventKey, event.id).private_key  # signs as tickets.token_for does, without loading 20,000 rows
        ticket_ids = db.session.scalars(select(Ticket.id).where(Ticket.event_id == event.id))
        tokens = {tid: tickets.encode_token(private_key, tickets.TicketClaims(event.id, tid, 1)) for tid in ticket_ids}
        device, pairing = devices.create_device(db.session, event, name="Pintu utama 1", checkpoint=checkpoint)
        device, bearer = devices.pair_device(db.session, pairing, staff_name="Rina (LO)")
        db.session.commit()
        setup = {"event_id": event.id, "checkpoint_id": checkpoint.id, "bearer": bearer, "tokens": tokens}
        db.session.remove()
        db.engine.dispose()
    return setup


def counts(url: str, event_id: int, prefix: str = "") -> dict:
    """Check-ins (and of how many tickets), and the scans of one wrk run (its nonces start with `prefix`)."""
    from sqlalchemy import create_engine, text

    from eventsys.config import database_uri

    engine = create_engine(database_uri(url))
    with engine.connect() as conn:
        row = conn.execute(text("SELECT count(*), count(DISTINCT ticket_id) FROM checkins WHERE event_id = :e"), {"e": event_id}).one()
        scans = conn.execute(
            text("SELECT count(*), count(DISTINCT raw_code) FROM scans WHERE event_id = :e AND nonce LIKE :p"), {"e": event_id, "p": prefix + "-%"}
        ).one()
        checked_in = [r[0] for r in conn.execute(text("SELECT ticket_id FROM checkins WHERE event_id = :e"), {"e": event_id})]
    engine.dispose()
    return {"checkins": row[0], "tickets": row[1], "received": scans[0], "codes": scans[1], "checked_in": checked_in}


def settled(url: str, event_id: int, prefix: str) -> dict:
    """The counts once the requests still in flight when wrk stopped have been answered."""
    now = counts(url, event_id, prefix)
    for _ in range(30):
        time.sleep(0.5)
        now, before = counts(url, event_id, prefix), now
        if now["received"] == before["received"]:
            break
    return now


# Serving and loading.


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with WORKERS workers on a free port of 127.0.0.1."""

    def __init__(self, spec: str, workdir: Path, args, database_url: str | None = None):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database = database_url.rsplit("/", 1)[1] if database_url and database_url.startswith("postgres") else None
        env = dict(os.environ, EVENTSYS_SECRET_KEY="bench", PYTHONPATH=str(ROOT))
        if database_url:
            env["EVENTSYS_DATABASE_URL"] = database_url
        command = [str(ROOT / ".venv/bin/gunicorn"), "-w", str(WORKERS), "-k", args.worker_class, "-b", f"127.0.0.1:{self.port}",
                   "--chdir", str(ROOT), "--pythonpath", str(BENCH), "--log-level", "warning", "--backlog", "1024"]
        if args.worker_class == "gthread":
            command += ["--threads", str(args.threads)]
        self.log = workdir / f"gunicorn-{self.port}.log"
        self.process = subprocess.Popen([*command, spec], env=env, stdout=subprocess.DEVNULL, stderr=self.log.open("w"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # any HTTP answer: up
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"gunicorn exited: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def cpu_seconds(server: Server) -> dict[str, float]:
    """CPU time so far of the server's gunicorn processes, the PostgreSQL backends of its database, and our children (wrk)."""
    tick, children = os.sysconf("SC_CLK_TCK"), resource.getrusage(resource.RUSAGE_CHILDREN)
    used = {"app": 0.0, "PostgreSQL": 0.0, "wrk": children.ru_utime + children.ru_stime}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ours = command.startswith("postgres:") and server.database and f" {server.database} " in command
        group = "app" if f"127.0.0.1:{server.port} " in command else "PostgreSQL" if ours else None
        if group:
            used[group] += (int(fields[11]) + int(fields[12])) / tick
    return used


def wrk(server: Server, setup: dict, tokens_file: Path, mode: str, seconds: float) -> dict:
    path = f"/api/v1/events/{SLUG}/scans"
    prefix = f"{mode[0]}{uuid.uuid4().hex[:10]}"
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{round(seconds)}s", "--latency", "--timeout", "10s",
               "-s", str(BENCH / "checkin_scan.lua"), server.base, "--", path, setup["bearer"], str(setup["checkpoint_id"]),
               str(tokens_file), mode, prefix, str(THREADS)]
    cpu = cpu_seconds(server)
    done = subprocess.run(command, capture_output=True, text=True)
    cpu = {k: v - cpu[k] for k, v in cpu_seconds(server).items()}
    if done.returncode:
        raise SystemExit(f"wrk failed: {done.stdout}{done.stderr}")
    out = done.stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[len("BENCH "):]) | {"prefix": prefix}
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["non_2xx"] = sum(n for status, n in result["statuses"].items() if not status.startswith("2"))
    result["socket_errors"] = sum(v for k, v in result["errors"].items() if k != "status")
    result["cpu_ms"] = {k: v / max(result["requests"], 1) * 1000 for k, v in cpu.items() if v}
    return result


def _write(path: Path, tokens: list[str]) -> Path:
    path.write_text("\n".join(tokens) + "\n")
    return path


def line(label: str, r: dict, ceiling_rps: float | None = None) -> str:
    text = (f"{label:<34} {r['rps']:8.0f} req/s  p50 {r['p50_us'] / 1000:6.2f} ms  p99 {r['p99_us'] / 1000:6.2f} ms  "
            f"max {r['max_us'] / 1000:7.1f} ms  {r['requests']:6d} requests")
    if ceiling_rps:
        text += f"  ratio {r['rps'] / ceiling_rps:4.2f}"
    text += (f"\n{'':<34} results {json.dumps(r['results'], sort_keys=True)}  non-2xx {r['non_2xx']}  socket errors {r['socket_errors']}  "
             f"CPU a request: {', '.join(f'{k} {v:.2f} ms' for k, v in r['cpu_ms'].items())}")
    return text


def statements_per_scan(url: str, setup: dict, spare: list[str]) -> list[int]:
    """SQL statements of a first and of a duplicate scan, in-process (the commit not counted; SQLite's BEGIN is)."""
    from sqlalchemy import event as sa_event

    from eventsys import create_app
    from eventsys.extensions import db

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench"})
    client, seen, found = app.test_client(), [], []
    with app.app_context():
        sa_event.listen(db.engine, "before_cursor_execute", lambda *_args: seen.append(1))
    for token in spare:  # the first token loads what a fresh process keeps (the event's key); the second is counted
        found = []
        for _ in range(2):
            seen.clear()
            client.post(f"/api/v1/events/{SLUG}/scans", json={"checkpoint_id": setup["checkpoint_id"], "code": token, "nonce": uuid.uuid4().hex},
                        headers={"Authorization": f"Bearer {setup['bearer']}"})
            found.append(len(seen))
    with app.app_context():
        db.engine.dispose()
    return found


def bench_backend(label: str, url: str, args, workdir: Path, report: dict, spec: str = "app:app") -> None:
    started = time.perf_counter()
    setup = prepare(url, args.tickets)
    order = sorted(setup["tokens"])
    random.Random(4).shuffle(order)
    tokens_file = _write(workdir / f"tokens-{label}.txt", [setup["tokens"][t] for t in order])
    print(f"{label}: {args.tickets} tickets, device paired, in {time.perf_counter() - started:.1f} s")
    os.environ["BENCH_SQLITE_PATH"] = url.removeprefix("sqlite:///")  # for checkin_scan_bound:minimal_app()
    server = Server(spec, workdir, args, url)
    try:
        wrk(server, setup, tokens_file, "junk", 2)  # warm-up: imports, connections, caches; "unknown" scans only
        before = counts(url, setup["event_id"])
        first = wrk(server, setup, tokens_file, "first", args.duration)
        after = settled(url, setup["event_id"], first["prefix"])
        admitted = after["checkins"] - before["checkins"]
        # Every token the server received was checked in once, none twice, and every "ok" answer is one of them.
        first["verified"] = admitted == after["codes"] and after["checkins"] == after["tickets"] and first["results"].get("ok", 0) <= admitted
        print(line(f"{label} first scans", first, report["ceiling"]))
        beyond = f"; {first['beyond']} requests after the tokens ran out repeated one" if first["beyond"] else ""
        print(f"{'':<34} distinct tokens sent {first['sent']}, received {after['codes']} (the rest cut off in flight when wrk stopped); "
              f"check-ins stored {admitted}, of {after['tickets']} distinct tickets{beyond}: {'ok' if first['verified'] else 'MISMATCH'}")
        again_file = _write(workdir / f"again-{label}.txt", [setup["tokens"][t] for t in after["checked_in"]])
        again = wrk(server, setup, again_file, "again", args.duration)
        final = settled(url, setup["event_id"], again["prefix"])
        again["verified"] = final["checkins"] == after["checkins"] and set(again["results"]) == {"already_checked_in"}
        print(line(f"{label} duplicate scans", again, report["ceiling"]))
        print(f"{'':<34} {final['received']} scans of {final['codes']} checked-in tickets received; check-ins before {after['checkins']}, "
              f"after {final['checkins']}: {'ok' if again['verified'] else 'MISMATCH'}")
        if "page" not in report:
            report["page"] = page_size(server.base)
        if "floor" not in report:  # the app's own cost: the same path answered 401 before any SQL
            report["floor"] = wrk(server, setup, tokens_file, "anonymous", args.duration)
            print(line("this app, 401 without a token (no SQL)", report["floor"], report["ceiling"]))
    finally:
        server.stop()
    checked_in = set(final["checked_in"])
    spare = [setup["tokens"][t] for t in reversed(order) if t not in checked_in][:2]
    statements = statements_per_scan(url, setup, spare) if len(spare) == 2 and spec == "app:app" else []
    if statements:
        print(f"{label}: SQL statements a scan (besides the commit): first {statements[0]}, duplicate {statements[1]}")
    report[label] = {"first": first, "again": again, "statements": statements}


def summary(report: dict) -> None:
    ceiling = report["ceiling"]
    print(f"\nsummary (ratio to the ceiling's mean, {ceiling:.0f} req/s; goals: ratio ≥ {RATIO_GOAL}, p99 ≤ {P99_GOAL_MS:g} ms)")
    for label in ("SQLite", "PostgreSQL", BOUND):
        for kind, name in (("first", "first scans"), ("again", "duplicates")):
            if label in report:
                r = report[label][kind]
                met = r["rps"] / ceiling >= RATIO_GOAL and r["p99_us"] / 1000 <= P99_GOAL_MS
                print(f"  {label:<10} {name:<11} {r['rps']:6.0f} req/s  p50 {r['p50_us'] / 1000:6.1f} ms  p99 {r['p99_us'] / 1000:6.1f} ms  "
                      f"ratio {r['rps'] / ceiling:4.2f}  {'met' if met else 'not met'}  check-ins {'verified' if r['verified'] else 'MISMATCH'}")
    if "floor" in report:
        floor = report["floor"]
        print(f"  this app's floor (401, no SQL) {floor['rps']:6.0f} req/s  p99 {floor['p99_us'] / 1000:6.1f} ms  ratio {floor['rps'] / ceiling:4.2f}")
    if "page" in report:
        print(f"  scanning page {report['page']['bytes']:,} bytes in {report['page']['files']} files: "
              f"{'met' if report['page']['bytes'] <= PAGE_GOAL else 'not met'}")


# The scanning page's weight.


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name in ("src", "href") and tag in ("script", "link", "img") or name in ("data-sw",) or name.endswith("-url")):
                self.urls.append(value)


# ES module imports, CSS url(…), and quoted paths under /static/ (the service worker's list of files to keep).
IMPORT_RE = re.compile(
    r"""(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\s*\(?\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)["']?\s*\)|["'](/static/[^"']+)["']"""
)


def page_size(base: str) -> dict:
    """The page and everything it loads (links, scripts, their imports, the worker files, the service worker), uncompressed."""
    start = f"{base}/scan/{SLUG}"
    sizes, queue = {}, [start]
    while queue:
        url = queue.pop(0)
        if url in sizes or not url.startswith(base) or url.startswith("data:"):
            continue
        body = urllib.request.urlopen(url, timeout=10).read()
        sizes[url] = (len(body), len(gzip.compress(body, 6)))
        if url == start:
            parser = _Links()
            parser.feed(body.decode())
            found = parser.urls
        elif url.endswith((".js", ".css")) or "/sw.js" in url:
            found = [next(g for g in m if g) for m in IMPORT_RE.findall(body.decode("utf-8", "replace"))]
        else:
            found = []
        queue += [urllib.parse.urljoin(url, u) for u in found if u.startswith(("./", "../", "/"))]  # not bare names in comments
    total, zipped = sum(s for s, _ in sizes.values()), sum(z for _, z in sizes.values())
    print(f"scanning page /scan/{SLUG}: {len(sizes)} files, {total:,} bytes uncompressed ({zipped:,} gzip -6); "
          f"goal ≤ {PAGE_GOAL:,}: {'ok' if total <= PAGE_GOAL else 'GOAL NOT MET'}")
    for url, (size, z) in sorted(sizes.items(), key=lambda item: -item[1][0]):
        print(f"    {size:8,} {z:8,}  {url[len(base):]}")
    return {"files": len(sizes), "bytes": total, "gzip": zipped}


def measure_ceiling(args, workdir: Path, tokens_file: Path) -> dict:
    server = Server("checkin_scan:ceiling()", workdir, args)
    try:
        fake = {"bearer": "evs_" + "x" * 43, "checkpoint_id": 1}
        wrk(server, fake, tokens_file, "junk", 2)
        return wrk(server, fake, tokens_file, "again", args.duration)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--duration", type=int, default=12, help="seconds a run")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=8, help="threads a worker with --worker-class gthread")
    parser.add_argument("--postgres", default=os.environ.get("EVENTSYS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES), help="admin URL")
    parser.add_argument("--only", choices=("SQLite", "PostgreSQL"))
    parser.add_argument("--bound", action="store_true", help="also the lower bound: a scan's irreducible work under bare Flask "
                                                                "with sqlite3 (bench/checkin_scan_bound.py)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; gunicorn {WORKERS} {args.worker_class} workers"
          f"{f' × {args.threads} threads' if args.worker_class == 'gthread' else ''}; wrk {THREADS} threads, "
          f"{CONNECTIONS} connections, {args.duration:g} s a run")
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        dummy = _write(workdir / "dummy.txt", ["A" * 120] * 100)
        before = measure_ceiling(args, workdir, dummy)
        report["ceiling"] = before["rps"]  # until the second measurement; the summary uses the mean of both
        print(line("ceiling (bare Flask), before", before))
        if args.only != "PostgreSQL":
            bench_backend("SQLite", "sqlite:///" + str(workdir / "bench.sqlite"), args, workdir, report)
            if args.bound:
                bench_backend(BOUND, "sqlite:///" + str(workdir / "bound.sqlite"), args, workdir, report, "checkin_scan_bound:minimal_app()")
        if args.only != "SQLite":
            try:
                url, drop = postgres_database(args.postgres)
            except Exception as error:  # no server here: SQLite only
                print(f"PostgreSQL not reachable ({str(error).splitlines()[0]}); SQLite only")
            else:
                try:
                    bench_backend("PostgreSQL", url, args, workdir, report)
                finally:
                    drop()
        after = measure_ceiling(args, workdir, dummy)
        print(line("ceiling (bare Flask), after", after))
        report["ceiling"] = (before["rps"] + after["rps"]) / 2
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
        summary(report)


if __name__ == "__main__":
    main()
