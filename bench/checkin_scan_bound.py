"""The lower bound of a scan on this machine: its irreducible work under bare Flask, with sqlite3 and nothing else.

`bench/checkin_scan.py --bound` serves `minimal_app()` with the same gunicorn settings and load as the
app. Per request it does only what no implementation of the scan endpoint can skip: parse the JSON
body, hash the bearer token, read the device with its checkpoint (the app's own statement) and the
ticket with its delegate (ditto), check the ticket's Ed25519 signature, and, holding SQLite's write
lock, the same two INSERT … ON CONFLICT DO NOTHING (check-in, scan) and the commit; it answers
`ok` or `already_checked_in` with the delegate's name. The statements are the app's, compiled once to
SQL; sqlite3 runs them directly: no SQLAlchemy, no Flask extensions or hooks, no session cookie,
no rate limiter, no translation, none of the rules for the unusual cases (every ticket here is a
confirmed delegate at an open checkpoint). If this stays under the goal, no app built on Flask and
SQLite on this machine can meet it.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _compiled(statement, keys=None):
    """SQL text for sqlite3 and a function turning a dict of values into its positional parameters (the types' own conversion)."""
    from sqlalchemy.dialects import sqlite

    compiled = statement.compile(dialect=sqlite.dialect(), column_keys=keys)
    names = compiled.positiontup
    processors = compiled._bind_processors

    def parameters(values: dict) -> tuple:
        given = compiled.construct_params(values)
        return tuple(processors[name](given[name]) if name in processors else given[name] for name in names)

    return compiled.string, parameters


def minimal_app():
    from flask import Flask, Response, request
    from sqlalchemy import select

    from eventsys.attendance import scan_lane
    from eventsys.attendance.admission import insert_or_nothing, scan_values
    from eventsys.attendance.models import CheckInSource, Direction, Scan, ScanResult
    from eventsys.registration import tickets
    from eventsys.registration.models import EventKey

    path = os.environ["BENCH_SQLITE_PATH"]
    caller_sql, caller_params = _compiled(scan_lane._CALLER)
    ticket_sql, ticket_params = _compiled(scan_lane._TICKET)
    checkin_keys = ("event_id", "checkpoint_id", "ticket_id", "registration_id", "direction", "slot", "source", "at", "device_id",
                    "user_id", "undone_at")
    checkin_sql, checkin_params = _compiled(insert_or_nothing("sqlite", scan_lane._checkins, ("ticket_id", "checkpoint_id", "slot")),
                                            list(checkin_keys))
    keys_sql, keys_params = _compiled(select(EventKey.__table__.c.public_key).where(EventKey.__table__.c.event_id == 1))
    state = {}
    app = Flask("bound")

    def connection():
        if "db" not in state:
            db = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
            pragmas = ["foreign_keys=ON", "busy_timeout=10000", "journal_mode=WAL", "synchronous=NORMAL"]
            if os.environ.get("BENCH_AUTOCHECKPOINT"):
                pragmas.append(f"wal_autocheckpoint={int(os.environ['BENCH_AUTOCHECKPOINT'])}")
            for pragma in pragmas:
                db.execute(f"PRAGMA {pragma}")
            state["db"] = db
        return state["db"]

    def public_key(db, event_id):
        if event_id not in state:
            (pem,) = db.execute(keys_sql, keys_params({})).fetchone()
            state[event_id] = pem
        return state[event_id]

    @app.post("/api/v1/events/<slug>/scans")
    def scans(slug):
        db = connection()
        try:
            return scan(db, slug, json.loads(request.get_data()), request.headers.get("Authorization", "").partition(" ")[2])
        finally:
            if db.in_transaction:  # an answer that failed half-way leaves no transaction open for the next
                db.execute("ROLLBACK")

    def scan(db, slug, body, secret):
        db.execute("BEGIN")
        rows = db.execute(caller_sql, caller_params({"token_hash": hashlib.sha256(secret.encode()).hexdigest(), "slug": slug,
                                                     "checkpoint_id": body["checkpoint_id"]})).fetchall()
        if not rows:
            db.execute("COMMIT")
            return Response('{"error":"unauthorized"}', status=401, mimetype="application/json")
        door = rows[0]
        device_id, staff_name, user_id, event_id, checkpoint_id = door[1], door[2], door[3], door[5], door[8]
        try:
            claims = tickets.verify_token(body["code"].upper(), public_key(db, event_id), event_id=event_id)
        except (tickets.InvalidTicketToken, ValueError):  # the warm-up's junk codes
            return Response('{"result":"invalid_signature"}', mimetype="application/json")
        ticket = db.execute(ticket_sql, ticket_params({"ticket_id": claims.ticket_id})).fetchone()
        db.execute("COMMIT")
        now = datetime.now(UTC)
        db.execute("BEGIN IMMEDIATE")
        inserted = db.execute(checkin_sql, checkin_params({
            "event_id": event_id, "checkpoint_id": checkpoint_id, "ticket_id": claims.ticket_id, "registration_id": ticket[4],
            "direction": Direction.IN, "slot": "once", "source": CheckInSource.SCAN, "at": now, "device_id": device_id, "user_id": None,
            "undone_at": None})).fetchone()
        result = ScanResult.OK if inserted else ScanResult.ALREADY_CHECKED_IN
        values = scan_values(event_id=event_id, nonce=body["nonce"], checkpoint_id=checkpoint_id,
                             device=scan_lane._Device(device_id, user_id, staff_name), user=None, direction=Direction.IN,
                             source=CheckInSource.SCAN, code=body["code"], ticket_id=claims.ticket_id, registration_id=ticket[4],
                             result=result, detail="", checkin_id=inserted[0] if inserted else None, at=now, now=now)
        scan_sql, scan_params = state.get("scan") or state.setdefault("scan", _compiled(
            insert_or_nothing("sqlite", Scan.__table__, ("event_id", "nonce")), list(values)))
        db.execute(scan_sql, scan_params(values)).fetchone()
        db.execute("COMMIT")
        return Response(json.dumps({"result": str(result), "attendee": {"name": ticket[6], "position": ticket[7]}}),
                        mimetype="application/json")

    return app
