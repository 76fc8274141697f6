"""Benchmark: the exhibition hall page under load (issue 6), against a bare Flask endpoint in the same run.

    .venv/bin/python bench/exhibition_hall.py [--booths 300] [--media 2000] [--duration 10]
                                              [--postgres ADMIN_URL] [--only SQLite|PostgreSQL]

In a fresh database (SQLite under a temp dir, and a throwaway PostgreSQL database when one answers)
it makes an open exhibition with 3 pavilions, 300 booths (each with two Smart City dimensions and a
quick-win programme) and 2,000 media items (nine in ten approved), plus some confirmed votes. It
serves the app with gunicorn (4 sync workers, as bench/checkin_scan.py) on 127.0.0.1 and loads with
wrk (32 connections, 2 threads): the hall's first page (48 booth cards, filters, top booths), a
filtered search (text + dimension), and one booth page (which also stores a visit per request). The
ceiling is the same load on a bare Flask app answering a constant body of the hall page's size
under the same gunicorn settings, measured before and after; ratios use the mean. It also prints the
SQL statements each page takes in-process (the same for 10 and 500 booths: tests/test_exhibition_hall.py).

wrk is Debian's package: `apt-get install -y wrk`.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_db import postgres_database  # bench/ is on the path when a benchmark runs as a script
from checkin_scan import Server, cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SLUG = "pameran-2017"
CONNECTIONS, THREADS = 32, 2
CEILING_BYTES = 40_000  # replaced by the real page's size once it is fetched (the env var below)


def ceiling():
    """The bare Flask app: `gunicorn 'exhibition_hall:ceiling()'`, the hall's path, a constant body of its size."""
    from flask import Flask

    app = Flask("ceiling")
    body = "<!doctype html>" + "x" * int(os.environ.get("BENCH_BODY_BYTES", CEILING_BYTES))

    @app.get("/exhibition/<slug>")
    def hall(slug):
        return body

    @app.get("/")
    def home():
        return "ok"

    return app


def prepare(url: str, booths: int, media: int) -> dict:
    from datetime import timedelta

    from sqlalchemy import insert, select

    from eventsys import create_app
    from eventsys.core.db import utcnow
    from eventsys.events.models import Event, EventKind, EventStatus, Organization, OrganizationKind
    from eventsys.exhibition.models import (
        Booth,
        BoothDimension,
        Exhibition,
        MediaItem,
        MediaKind,
        MediaState,
        Pavilion,
        QuickWin,
        Vote,
    )
    from eventsys.extensions import db

    dims = ["governance", "branding", "economy", "living", "society", "environment"]
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        now = utcnow()
        event = Event(name="Pameran Virtual Smart City 2017", slug=SLUG, kind=EventKind.EXHIBITION, status=EventStatus.PUBLISHED,
                      starts_at=now - timedelta(days=2), ends_at=now + timedelta(days=12), timezone="Asia/Jakarta", description="")
        db.session.add(event)
        db.session.flush()
        db.session.add(Exhibition(event_id=event.id, intro="Quick win daerah Gerakan Menuju 100 Smart City"))
        pavilions = [Pavilion(event_id=event.id, name=n, position=i) for i, n in enumerate(("Kabupaten/Kota", "Direktorat LAIP", "Startup"))]
        db.session.add_all(pavilions)
        db.session.execute(insert(Organization), [
            {"name": f"Kab. Contoh {i}", "name_key": f"kab. contoh {i}", "kind": OrganizationKind.KABUPATEN,
             "province": f"Provinsi {i % 34}", "timezone": "Asia/Jakarta"} for i in range(booths)])
        org_ids = db.session.scalars(select(Organization.id).order_by(Organization.id)).all()
        db.session.flush()
        db.session.execute(insert(Booth), [
            {"event_id": event.id, "organization_id": oid, "pavilion_id": pavilions[0 if i % 10 < 8 else 1 + i % 2].id,
             "name": f"Kab. Contoh {i}", "tagline": "Kabupaten cerdas", "description": "Program unggulan daerah " * 10}
            for i, oid in enumerate(org_ids)])
        booth_ids = db.session.scalars(select(Booth.id).where(Booth.event_id == event.id).order_by(Booth.id)).all()
        db.session.execute(insert(BoothDimension), [{"booth_id": b, "dimension": dims[(i + k) % 6]} for i, b in enumerate(booth_ids) for k in (0, 1)])
        db.session.execute(insert(QuickWin), [{"booth_id": b, "title": f"Quick win {i}", "dimension": dims[i % 6], "description": "",
                                               "responsible_opd": "Diskominfo", "position": 0} for i, b in enumerate(booth_ids)])
        kinds = [MediaKind.POSTER, MediaKind.POSTER, MediaKind.VIDEO, MediaKind.DOCUMENT, MediaKind.LINK]
        db.session.execute(insert(MediaItem), [
            {"event_id": event.id, "booth_id": booth_ids[j % len(booth_ids)], "kind": kinds[j % 5],
             "state": MediaState.PENDING if j % 10 == 9 else MediaState.APPROVED, "title": f"Media {j}", "description": "",
             "file_key": None if kinds[j % 5] == MediaKind.LINK else f"bench-{j}", "content_type": None,
             "external_url": "https://www.youtube.com/watch?v=x" if kinds[j % 5] == MediaKind.LINK else None,
             "on_stage": False, "original_name": "", "problem_code": "", "reject_reason": "", "position": j}
            for j in range(media)])
        db.session.execute(insert(Vote), [{"event_id": event.id, "booth_id": booth_ids[i % 7], "email_hash": f"{i:064x}",
                                           "confirmed_at": now, "visitor": ""} for i in range(200)])
        db.session.commit()
        setup = {"booth_id": booth_ids[0]}
        db.session.remove()
        db.engine.dispose()
    return setup


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(base: str, path: str, seconds: float, script: str | None = None) -> dict:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{round(seconds)}s", "--latency", "--timeout", "10s", base + path]
    if script:
        command[1:1] = ["-s", script]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"wrk failed: {done.stdout}{done.stderr}")
    out = done.stdout
    latency = {p: float(v) * _UNITS[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": latency.get("50", 0.0),
            "p99": latency.get("99", 0.0), "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0, "errors": errors.group(1) if errors else ""}


def line(label: str, r: dict, ceiling_rps: float | None = None, cpu: dict | None = None) -> str:
    text = f"{label:<34} {r['rps']:8.0f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms  {r['requests']:6d} requests"
    if ceiling_rps:
        text += f"  ratio {r['rps'] / ceiling_rps:4.2f}"
    if r["non_2xx"] or r["errors"]:
        text += f"  non-2xx {r['non_2xx']} {r['errors']}"
    if cpu:
        text += "  CPU a request: " + ", ".join(f"{k} {v:.2f} ms" for k, v in cpu.items() if v)
    return text


def statements(url: str, setup: dict, cache_seconds: int) -> dict:
    """SQL statements of each page, in-process (SQLite's BEGIN counted); with the cache on, a cache hit."""
    from sqlalchemy import event as sa_event

    from eventsys import create_app
    from eventsys.extensions import db

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "EXHIBITION_HALL_CACHE_SECONDS": cache_seconds})
    client, seen, found = app.test_client(), [], {}
    with app.app_context():
        sa_event.listen(db.engine, "before_cursor_execute", lambda *_args: seen.append(1))
    for name, path in _pages(setup).items():
        if name == "new search":
            continue
        client.get(path)
        seen.clear()
        client.get(path)
        found[name] = len(seen)
    with app.app_context():
        db.engine.dispose()
    return found


def _pages(setup: dict) -> dict:
    return {"hall": f"/exhibition/{SLUG}", "search": f"/exhibition/{SLUG}?q=contoh+1&dimension=living",
            "new search": f"/exhibition/{SLUG}", "booth": f"/exhibition/{SLUG}/booths/{setup['booth_id']}"}


# "new search": every request asks for another search text (a cache miss each time, the worst case).
NEW_SEARCH_LUA = """
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  return wrk.format("GET", wrk.path .. "?dimension=living&q=contoh+" .. math.random(1, 1000000000))
end
"""

# The same app three ways in one run: rendering every request (as before the cache), the fragment cache
# in each worker's memory (no REDIS_URL), and in Redis shared by the workers.
MODES = {"no cache": {"EVENTSYS_EXHIBITION_HALL_CACHE_SECONDS": "0"}, "cache (memory)": {}, "cache (Redis)": None}


def redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def run_ceiling(workdir: Path, args, size: int) -> dict:
    os.environ["BENCH_BODY_BYTES"] = str(size)
    server = Server("exhibition_hall:ceiling()", workdir, args)
    try:
        wrk(server.base, f"/exhibition/{SLUG}", 2)
        return wrk(server.base, f"/exhibition/{SLUG}", args.duration)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--booths", type=int, default=300)
    parser.add_argument("--media", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--only", choices=("SQLite", "PostgreSQL"))
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="for the 'cache (Redis)' run; skipped when nothing answers")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install -y wrk")
    workdir = Path(tempfile.mkdtemp(prefix="bench-exhibition-"))
    backends = []
    if args.only != "PostgreSQL":
        backends.append(("SQLite", "sqlite:///" + str(workdir / "eventsys.sqlite"), None))
    if args.only != "SQLite":
        try:
            url, drop = postgres_database(args.postgres)
            backends.append(("PostgreSQL", url, drop))
        except Exception as error:  # no server: SQLite only
            print(f"PostgreSQL skipped: {str(error).splitlines()[0]}")
    modes = dict(MODES)
    if redis_answers(args.redis):
        modes["cache (Redis)"] = {"EVENTSYS_REDIS_URL": args.redis}
    else:
        print(f"Redis skipped: nothing answers at {args.redis}")
        del modes["cache (Redis)"]
    script = workdir / "new_search.lua"
    script.write_text(NEW_SEARCH_LUA)
    results, ceilings = {}, []
    try:
        for label, url, _drop in backends:
            started = time.perf_counter()
            setup = prepare(url, args.booths, args.media)
            print(f"{label}: {args.booths} booths, {args.media} media items in {time.perf_counter() - started:.1f} s; "
                  f"SQL statements a page without the cache {statements(url, setup, 0)}, a cache hit {statements(url, setup, 30)}")
            for mode, env in modes.items():
                os.environ.update(env)
                try:
                    server = Server("app:app", workdir, args, url)
                finally:
                    for name in env:
                        os.environ.pop(name, None)
                try:
                    if not ceilings:
                        size = len(urllib.request.urlopen(server.base + _pages(setup)["hall"]).read())
                        ceilings.append(run_ceiling(workdir, args, size))
                        print(line(f"ceiling (bare Flask, {size:,} bytes)", ceilings[0]))
                    for name, path in _pages(setup).items():
                        lua = str(script) if name == "new search" else None
                        wrk(server.base, path, 2, lua)  # warm-up
                        cpu = cpu_seconds(server)
                        r = wrk(server.base, path, args.duration, lua)
                        cpu = {k: (v - cpu[k]) / max(r["requests"], 1) * 1000 for k, v in cpu_seconds(server).items() if k != "wrk"}
                        results[(label, mode, name)] = (r, cpu)
                        print(line(f"  {label} {mode} {name}", r, ceilings[0]["rps"], cpu))
                finally:
                    server.stop()
        ceilings.append(run_ceiling(workdir, args, size))
        mean = sum(c["rps"] for c in ceilings) / len(ceilings)
        print(line("ceiling again", ceilings[-1]))
        print(f"\nsummary (ratio to the ceiling's mean, {mean:.0f} req/s)")
        for (label, mode, name), (r, cpu) in results.items():
            print(line(f"  {label} {mode} {name}", r, mean, cpu))
    finally:
        for _label, _url, drop in backends:
            if drop:
                drop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
