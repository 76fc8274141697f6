"""`flask seed-demo`: a realistic demo in Indonesian from the programme's articles.

Everything goes through the services (so the rules on dates, rooms and slugs are checked) in one
transaction: the demo is stored whole or not at all. Demo passwords are made fresh on each run,
printed once and kept in instance/demo-logins.txt (mode 0600) so `make run` can show them again.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, time

import click
from flask import current_app
from sqlalchemy import select

from eventsys.accounts import services as accounts
from eventsys.accounts.models import EventRoleName, User
from eventsys.attendance.demo import load_attendance_demo
from eventsys.awards.demo import load_awards_demo
from eventsys.core.rules import RuleViolation
from eventsys.core.timezones import local_to_utc
from eventsys.demo_data import EXPOSE_REGIONS, OTHER_ORGANIZATIONS, VENUES, demo_events
from eventsys.events.models import Event, EventStatus, Organization, Room, Venue
from eventsys.events.services import EventData, SessionData, SpeakerData, save_event, save_session
from eventsys.exhibition.demo import load_exhibition_demo
from eventsys.exposes.demo import load_expose_demo
from eventsys.extensions import db

LOGIN_URL = "http://127.0.0.1:5000/login"


@dataclass
class DemoLogin:
    role: str
    email: str
    name: str
    password: str


def _organizations() -> dict[str, Organization]:
    """The demo's regions; ones already on file (imported by an organizer) are reused, not duplicated."""
    found = {}
    for name, kind, province, zone in EXPOSE_REGIONS + OTHER_ORGANIZATIONS:
        key = Organization.key_for(name)
        org = db.session.scalar(select(Organization).where(Organization.name_key == key))
        if org is None:
            org = Organization(name=name, name_key=key, kind=kind, province=province, timezone=zone)
            db.session.add(org)
        found[name] = org
    db.session.flush()
    return found


def _venues() -> dict[str, Venue]:
    venues = {}
    for key, (name, address, city, rooms) in VENUES.items():
        venue = db.session.scalar(select(Venue).where(Venue.name == name)) or Venue(name=name, address=address, city=city)
        db.session.add(venue)
        have = {r.name for r in venue.rooms}
        venue.rooms.extend(Room(name=n, capacity=c) for n, c in rooms if n not in have)
        venues[key] = venue
    db.session.flush()
    return venues


def _events(venues: dict[str, Venue]) -> dict[str, Event]:
    events: dict[str, Event] = {}
    for spec in demo_events():
        venue = venues[spec.venue] if spec.venue else None
        event = save_event(
            db.session,
            EventData(
                name=spec.name,
                slug=spec.slug,
                kind=spec.kind,
                description=spec.description,
                starts_at=local_to_utc(spec.starts, spec.timezone),
                ends_at=local_to_utc(spec.ends, spec.timezone),
                timezone=spec.timezone,
                venue_id=venue.id if venue else None,
                parent_id=events[spec.parent].id if spec.parent else None,
                status=EventStatus.PUBLISHED,
            ),
        )
        rooms = {r.name: r.id for r in venue.rooms} if venue else {}
        for item in spec.sessions:

            def at(hhmm: str, day=item.day, zone=spec.timezone) -> datetime:
                return local_to_utc(datetime.combine(day, time.fromisoformat(hhmm)), zone)

            save_session(
                db.session,
                event,
                SessionData(
                    title=item.title,
                    session_type=item.session_type,
                    starts_at=at(item.start),
                    ends_at=at(item.end),
                    room_id=rooms[item.room] if item.room else None,
                    description=item.description,
                    speakers=[SpeakerData(*s) for s in item.speakers],
                ),
            )
        events[spec.key] = event
    return events


def _accounts(events: dict[str, Event], organizations: dict[str, Organization]) -> list[DemoLogin]:
    def password() -> str:
        return secrets.token_urlsafe(12)

    logins = [
        DemoLogin("site administrator", "admin@demo.eventsys.id", "Admin Demo eventsys", password()),
        DemoLogin("organizer, all demo events", "panitia@demo.eventsys.id", "Panitia Direktorat LAIP", password()),
        DemoLogin("check-in staff, events at a venue", "petugas@demo.eventsys.id", "Petugas Registrasi", password()),
        DemoLogin("exhibitor for Kab. Cirebon, virtual exhibition", "pameran.kabcirebon@demo.eventsys.id",
                  "Diskominfo Kab. Cirebon", password()),
        DemoLogin("juror, award night 2021", "juri@demo.eventsys.id", "Juri Smart City", password()),
    ]
    _admin, organizer, checkin, exhibitor, juror = (
        accounts.create_user(db.session, x.email, x.name, x.password, is_admin=(i == 0)) for i, x in enumerate(logins)
    )
    db.session.flush()
    for event in events.values():
        accounts.grant_role(db.session, organizer, event, EventRoleName.ORGANIZER)
        if event.venue_id is not None:
            accounts.grant_role(db.session, checkin, event, EventRoleName.CHECKIN)
    accounts.grant_role(db.session, exhibitor, events["exhibition2021"], EventRoleName.EXHIBITOR, organizations["Kab. Cirebon"].id)
    accounts.grant_role(db.session, juror, events["awards2021"], EventRoleName.JUROR)
    return logins


def logins_table(logins: list[DemoLogin]) -> str:
    rows = [("Role", "Email", "Password")] + [(x.role, x.email, x.password) for x in logins]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip()  # noqa: E731
    body = [line(rows[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in rows[1:]]
    return f"Demo sign-ins (open {LOGIN_URL}):\n\n" + "\n".join(body) + "\n"


def logins_path() -> str:
    return current_app.config.get("DEMO_LOGINS_FILE") or os.path.join(current_app.instance_path, "demo-logins.txt")


def _save_logins(text: str) -> None:
    """Owner-only file, replaced whole: a reader never sees half of it, nor anyone else's."""
    path = logins_path()
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".demo-logins-")  # created with mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _holds_data() -> bool:
    has_event = db.session.scalar(select(Event.id).limit(1)) is not None
    has_demo_account = db.session.scalar(select(User.id).where(User.email.endswith("@demo.eventsys.id")).limit(1)) is not None
    return has_event or has_demo_account


def load_demo() -> list[DemoLogin]:
    """Store the whole demo in one transaction and return the sign-ins; nothing is stored on any error."""
    try:
        organizations = _organizations()
        events = _events(_venues())
        logins = _accounts(events, organizations)
        load_attendance_demo(events, organizations)
        load_expose_demo(events, organizations)
        load_exhibition_demo(events, organizations)
        load_awards_demo(events, organizations)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return logins


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds events.")
def seed_demo(if_empty: bool) -> None:
    """Load the demo programme (2017 exposé night, seminars, FGD, exhibition, award night)."""
    if _holds_data():
        if not if_empty:
            raise click.ClickException(
                "the database already holds events or demo accounts; the demo was not loaded, to avoid duplicates."
                " Use an empty database (or `seed-demo --if-empty` to skip quietly)."
            )
        click.echo("seed-demo: the database already holds events or demo accounts; nothing added.")
        path = logins_path()
        if os.path.exists(path):
            with open(path) as f:
                click.echo(f.read(), nl=False)
        return
    try:
        logins = load_demo()
    except RuleViolation as violation:
        raise click.ClickException(f"the demo was not loaded, nothing was stored: {violation.message}") from None
    events = db.session.scalar(select(db.func.count(Event.id)))
    click.echo(f"seed-demo: loaded {events} events with their agendas, venues, regions and demo accounts.\n")
    table = logins_table(logins)
    click.echo(table, nl=False)
    try:
        _save_logins(table)
    except OSError as error:
        click.echo(f"\nCould not save the sign-ins to {logins_path()} ({error}); copy them from above.", err=True)
    else:
        click.echo(f"\nSaved to {logins_path()} (readable only by you); `make run` shows them again.")
