"""Benchmark: render 1,000 ticket QR codes as PNG, and a 500-badge PDF (issue 3).

    .venv/bin/python bench/registration_qr_badges.py [--qr 1000] [--badges 500]

Goals: a QR PNG in at most 5 ms, 500 badges in at most 30 s. Each stage runs in a child process
of its own so that its peak memory (ru_maxrss) is its own. Baselines from the same run:
qrcode's usual path (qrcode.make(token) saved as PNG: all eight masks drawn and scored) and a
SHA-256 of the token, the floor of "doing anything at all" per ticket.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def stage_qr(count: int) -> dict:
    import qrcode
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eventsys.registration.tickets import TicketClaims, encode_token, qr_png

    private = Ed25519PrivateKey.generate().private_bytes_raw()
    tokens = [encode_token(private, TicketClaims(1, 100_000 + i, 1)) for i in range(count)]
    qr_png(tokens[0])  # warm the per-version caches
    before = rss_mb()

    def timed(render, items):
        each = []
        for item in items:
            start = time.perf_counter()
            render(item)
            each.append((time.perf_counter() - start) * 1000)
        return each

    ours = timed(qr_png, tokens)

    def qrcode_default(token):
        out = io.BytesIO()
        qrcode.make(token, error_correction=qrcode.constants.ERROR_CORRECT_M).save(out)
        return out.getvalue()

    library = timed(qrcode_default, tokens[:200])
    hashing = timed(lambda t: hashlib.sha256(t.encode()).digest(), tokens)
    sizes = [len(qr_png(t)) for t in tokens[:50]]
    return {
        "count": count,
        "mean_ms": statistics.fmean(ours),
        "p50_ms": statistics.median(ours),
        "p95_ms": statistics.quantiles(ours, n=20)[18],
        "max_ms": max(ours),
        "total_s": sum(ours) / 1000,
        "qrcode_make_mean_ms": statistics.fmean(library),
        "sha256_mean_ms": statistics.fmean(hashing),
        "png_bytes": statistics.fmean(sizes),
        "rss_before_mb": before,
        "peak_mb": peak_mb(),
    }


def build_delegates(database_url: str, count: int) -> None:
    from eventsys import create_app
    from eventsys.core.tokens import hash_secret
    from eventsys.events.models import Event, EventKind, EventStatus, Organization, OrganizationKind, Venue
    from eventsys.extensions import db
    from eventsys.registration import tickets
    from eventsys.registration.models import DelegateCategory, Registration, RegistrationState

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        venue = Venue(name="Hotel Santika Premiere Jakarta", city="Jakarta")
        event = Event(
            name="Ekspos Masterplan Smart City 2017", slug="ekspos-bench", kind=EventKind.EXPOSE, status=EventStatus.PUBLISHED,
            starts_at=datetime(2017, 11, 15, 1, tzinfo=UTC), ends_at=datetime(2017, 11, 15, 15, tzinfo=UTC), venue=venue, description="",
        )
        db.session.add_all([venue, event])
        db.session.flush()
        colors = ["#b91c1c", "#1d4ed8", "#15803d", "#fde047", "#7c3aed", "#0f766e"]
        categories = [
            DelegateCategory(event_id=event.id, name=name, color=colors[i], position=i)
            for i, name in enumerate(["Kepala Daerah", "Kadis Kominfo", "Kepala Bappeda", "OPD", "Media", "Umum"])
        ]
        organizations = [
            Organization(name=f"Kab. Daerah {i:03d}", name_key=f"kab. daerah {i:03d}", kind=OrganizationKind.KABUPATEN)
            for i in range(100)
        ]
        db.session.add_all(categories + organizations)
        db.session.flush()
        for i in range(count):
            registration = Registration(
                event_id=event.id, category_id=categories[i % 6].id, organization_id=organizations[i % 100].id,
                name=f"Delegasi Peserta Nomor {i:04d}", position="Kepala Dinas Komunikasi dan Informatika",
                email=f"delegasi{i}@daerah.go.id", state=RegistrationState.CONFIRMED,
                manage_token_hash=hash_secret(f"bench-{i}"),
            )
            db.session.add(registration)
            db.session.flush()
            tickets.issue_ticket(db.session, registration)
        db.session.commit()


def stage_badges(database_url: str, layout: str) -> dict:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from eventsys import create_app
    from eventsys.extensions import db
    from eventsys.registration.badges import badges_pdf
    from eventsys.registration.models import Registration

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        start = time.perf_counter()
        registrations = db.session.scalars(
            select(Registration)
            .options(selectinload(Registration.category), selectinload(Registration.organization), selectinload(Registration.ticket))
            .order_by(Registration.id)
        ).all()
        loaded = time.perf_counter()
        before = rss_mb()
        body = badges_pdf(registrations, layout=layout)
        done = time.perf_counter()
    import pypdfium2

    pages = len(pypdfium2.PdfDocument(body))
    return {
        "layout": layout,
        "badges": len(registrations),
        "pages": pages,
        "load_s": loaded - start,
        "render_s": done - loaded,
        "pdf_mb": len(body) / 2**20,
        "rss_before_mb": before,
        "peak_mb": peak_mb(),
    }


def child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qr", type=int, default=1000)
    parser.add_argument("--badges", type=int, default=500)
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--layout", default="a4", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage == "qr":
        print(json.dumps(stage_qr(args.qr)))
        return
    if args.stage == "badges":
        print(json.dumps(stage_badges(args.database_url, args.layout)))
        return

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    qr = child(["--stage", "qr", "--qr", str(args.qr)])
    print(
        f"QR PNG x{qr['count']}: mean {qr['mean_ms']:.2f} ms, p50 {qr['p50_ms']:.2f}, p95 {qr['p95_ms']:.2f}, "
        f"max {qr['max_ms']:.2f} (goal <= 5 ms); total {qr['total_s']:.2f} s; {qr['png_bytes']:.0f} bytes each"
    )
    print(
        f"  baselines: qrcode.make+PNG {qr['qrcode_make_mean_ms']:.2f} ms (ours is x{qr['mean_ms'] / qr['qrcode_make_mean_ms']:.2f} of it), "
        f"sha256 {qr['sha256_mean_ms'] * 1000:.1f} us (ours is x{qr['mean_ms'] / qr['sha256_mean_ms']:.0f} of it)"
    )
    print(f"  peak RSS {qr['peak_mb']:.0f} MB (before rendering {qr['rss_before_mb']:.0f} MB)")

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
                        f"from bench.registration_qr_badges import build_delegates; build_delegates({url!r}, {args.badges})"],
                       check=True, cwd=ROOT)
        print(f"{args.badges} confirmed delegates with tickets made in {time.perf_counter() - start:.1f} s")
        for layout in ("a4", "single"):
            b = child(["--stage", "badges", "--database-url", url, "--layout", layout])
            print(
                f"badges PDF ({layout}): {b['badges']} badges, {b['pages']} pages in {b['render_s']:.1f} s (goal <= 30 s; "
                f"loading {b['load_s']:.2f} s), {b['pdf_mb']:.1f} MB; peak RSS {b['peak_mb']:.0f} MB "
                f"(before rendering {b['rss_before_mb']:.0f} MB)"
            )


if __name__ == "__main__":
    main()
