"""Benchmark: invite 10,000 delegates from an XLSX file (issue 3, goal ≤ 10 s).

    .venv/bin/python bench/registration_import.py [--rows 10000] [--postgres URL]

Makes a delegate list like an organizer's (name, email, position, one of 514 regions, category,
mobile number, language), then in a fresh database under a temp dir (SQLite, and PostgreSQL when
one answers) times the whole import as the upload page runs it: read the file
(eventsys.core.tabular), check every row, create the invitations and queue one invitation mail each,
commit. Each phase runs in its own process so its peak memory (peak RSS above the process's RSS at
the start) is its own. The baseline is openpyxl merely reading the same file in read-only mode:
the ratio says how much the import costs beyond reading the spreadsheet at all.
"""
from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench_db import postgres_database  # bench/ is on the path when a benchmark runs as a script

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
REGIONS = 514  # kabupaten and kota of Indonesia
CATEGORIES = ("Kepala Daerah", "Kadis Kominfo", "Kepala Bappeda", "OPD", "Media", "Umum")
POSITIONS = ("Bupati", "Wali Kota", "Kepala Dinas Kominfo", "Kepala Bappeda", "Staf OPD", "Jurnalis")


def make_xlsx(rows: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("delegasi")
    sheet.append(["Nama", "Email", "Jabatan", "Organisasi", "Kategori", "Telepon", "Bahasa"])
    for i in range(rows):
        sheet.append([
            f"Delegasi Nomor {i}",
            f"delegasi{i}@daerah{i % REGIONS}.go.id",
            POSITIONS[i % len(POSITIONS)],
            f"Kab. Contoh {i % REGIONS}",
            CATEGORIES[i % len(CATEGORIES)],
            f"0812{i:08d}",
            "en" if i % 5 == 0 else "id",
        ])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _measured(work, queue) -> None:
    start_rss = _rss_mb()
    started = time.perf_counter()
    detail = work()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    queue.put((seconds, max(peak - start_rss, 0.0), detail))


def run_in_child(work) -> tuple[float, float, object]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_measured, args=(work, queue))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode:
        raise SystemExit(f"benchmark phase failed with exit code {process.exitcode}")
    return result


def baseline(data: bytes):
    def work():
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        count = sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
        return count

    return work


def prepare_database(url: str) -> None:
    from eventsys import create_app
    from eventsys.events.models import Event, EventKind, EventStatus, Organization, OrganizationKind
    from eventsys.extensions import db
    from eventsys.registration.models import DelegateCategory, RegistrationSettings
    from tests.conftest import utc

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        event = Event(name="Forum Smart City 2017", slug="forum-2017", kind=EventKind.EXPOSE, status=EventStatus.PUBLISHED,
                      starts_at=utc(2017, 11, 15, 1), ends_at=utc(2017, 11, 15, 9), timezone="Asia/Jakarta", description="")
        db.session.add(event)
        db.session.flush()
        db.session.add(RegistrationSettings(event_id=event.id, enabled=True, consent_text=""))
        db.session.add_all(DelegateCategory(event_id=event.id, name=n, position=i) for i, n in enumerate(CATEGORIES))
        db.session.add_all(
            Organization(name=f"Kab. Contoh {i}", name_key=Organization.key_for(f"Kab. Contoh {i}"), kind=OrganizationKind.KABUPATEN,
                         province="Jawa Barat", timezone="Asia/Jakarta")
            for i in range(REGIONS)
        )
        db.session.commit()
        db.engine.dispose()


def import_work(url: str, data: bytes, rows: int):
    def work():
        from sqlalchemy import event as sa_event
        from sqlalchemy import func, select

        from eventsys import create_app
        from eventsys.core.models import OutboxMessage
        from eventsys.core.tabular import read_table
        from eventsys.events.models import Event
        from eventsys.extensions import db
        from eventsys.registration import delegate_import, notifications
        from eventsys.registration.models import DelegateInvitation

        # Time spent rendering and queuing the invitation mails, inside the invite step.
        mail_seconds = 0.0
        notify = notifications.notify_invitations

        def timed_notify(*args, **kwargs):
            nonlocal mail_seconds
            started = time.perf_counter()
            try:
                return notify(*args, **kwargs)
            finally:
                mail_seconds += time.perf_counter() - started

        notifications.notify_invitations = timed_notify
        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "PUBLIC_BASE_URL": "https://eventsys.example.id"})
        with app.app_context():
            # Time the database spends on the INSERTs of invitations and mails (statement by statement).
            inserts = {"delegate_invitations": 0.0, "outbox_messages": 0.0}
            started_at = {}

            def before(conn, cursor, statement, parameters, context, executemany):
                started_at[id(cursor)] = time.perf_counter()

            def after(conn, cursor, statement, parameters, context, executemany):
                for table in inserts:
                    if statement.startswith(f"INSERT INTO {table}"):
                        inserts[table] += time.perf_counter() - started_at.pop(id(cursor), time.perf_counter())

            sa_event.listen(db.engine, "before_cursor_execute", before)
            sa_event.listen(db.engine, "after_cursor_execute", after)
            event = db.session.scalar(select(Event))
            phases = {}
            mark = time.perf_counter()
            table = read_table(data, delegate_import.IMPORT_COLUMNS, max_rows=rows + 1)
            phases["read"], mark = time.perf_counter() - mark, time.perf_counter()
            checked = delegate_import.check_delegate_table(db.session, event, table)
            if not checked.ok:
                raise SystemExit("\n".join(p.text for p in checked.problems[:10]))
            phases["check"], mark = time.perf_counter() - mark, time.perf_counter()
            delegate_import.invite(db.session, event, checked.invitees)
            phases["invite"], mark = time.perf_counter() - mark, time.perf_counter()
            db.session.commit()
            phases["commit"] = time.perf_counter() - mark
            phases["mail"] = mail_seconds
            phases["insert_invitations"] = inserts["delegate_invitations"]
            phases["insert_mails"] = inserts["outbox_messages"]
            invited = db.session.scalar(select(func.count(DelegateInvitation.id)))
            mails = db.session.scalar(select(func.count(OutboxMessage.id)))
            db.engine.dispose()
        return {"phases": phases, "invited": invited, "mails": mails}

    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("EVENTSYS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    args = parser.parse_args()

    data = make_xlsx(args.rows)
    print(f"delegate list: {args.rows} rows, {len(data) / 1024:.0f} KiB XLSX, {REGIONS} regions, {len(CATEGORIES)} categories")
    base_seconds, base_memory, counted = run_in_child(baseline(data))
    print(f"baseline  openpyxl read-only read of the file: {base_seconds:6.2f} s  peak +{base_memory:5.0f} MB  ({counted} rows)")

    backends = []
    with tempfile.TemporaryDirectory() as tmp:
        backends.append(("SQLite", "sqlite:///" + str(Path(tmp) / "bench.sqlite"), None))
        try:
            url, drop = postgres_database(args.postgres)
            backends.append(("PostgreSQL", url, drop))
        except Exception as error:  # no server here: SQLite only
            print(f"PostgreSQL not reachable ({str(error).splitlines()[0]}); SQLite only")
        for label, url, drop in backends:
            try:
                prepare_database(url)
                seconds, memory, detail = run_in_child(import_work(url, data, args.rows))
            finally:
                if drop:
                    drop()
            p = detail["phases"]
            seconds = p["read"] + p["check"] + p["invite"] + p["commit"]  # not the child's start-up and app creation
            verdict = "ok" if seconds <= 10 else "OVER THE 10 s GOAL"
            print(
                f"import    {label:<10} {seconds:6.2f} s  peak +{memory:5.0f} MB  ratio {seconds / base_seconds:5.1f}× baseline  {verdict}\n"
                f"          read {p['read']:.2f} s · check rows {p['check']:.2f} s · invite {p['invite']:.2f} s "
                f"(rendering the mail {p['mail']:.2f} s, INSERT of the invitations {p['insert_invitations']:.2f} s, "
                f"of the mails {p['insert_mails']:.2f} s) · commit {p['commit']:.2f} s; "
                f"{detail['invited']} invitations, {detail['mails']} mails queued\n"
                f"          without rendering the mail: {seconds - p['mail']:.2f} s; the mail alone: {p['mail'] / detail['mails'] * 1000:.2f} ms each"
            )


if __name__ == "__main__":
    main()
