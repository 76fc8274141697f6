"""Presenters from a CSV or Excel file: one presenting organization a row, all rows or none.

The organization must already be in the Organizations list (import it there first). A presenter the
event already has is updated; its empty cells keep what it has. Each row goes through the same
checks as the form (presenters.save_presenter); any problem in any row leaves everything as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsys.core import tabular
from eventsys.core.rules import RuleViolation
from eventsys.core.tabular import Column, RowProblem, Table
from eventsys.core.timezones import local_to_utc, to_local
from eventsys.events.models import Event, Organization
from eventsys.exposes import presenters
from eventsys.exposes.models import Presenter

COLUMNS = (
    Column("organization", ("organisasi", "daerah", "nama daerah", "instansi", "organization name"), required=True),
    Column("person_name", ("nama", "nama penyaji", "penyaji", "presenter", "name")),
    Column("person_title", ("jabatan", "title", "position")),
    Column("email", ("surel", "e-mail", "email address")),
    Column("language", ("bahasa", "locale", "lang")),
    Column("talk_minutes", ("paparan", "durasi paparan", "talk", "talk minutes", "menit paparan")),
    Column("qa_minutes", ("tanya jawab", "q&a", "qa", "menit tanya jawab")),
    Column("protocol_rank", ("urutan", "urutan protokol", "rank", "protocol", "protokol")),
    Column("available_from", ("hadir mulai", "tersedia dari", "available from", "from")),
    Column("available_until", ("hadir sampai", "tersedia sampai", "available until", "until")),
)
LANGUAGE_WORDS = {"id": "id", "indonesia": "id", "bahasa indonesia": "id", "ind": "id",
                  "en": "en", "english": "en", "inggris": "en", "bahasa inggris": "en", "eng": "en"}
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M")
TEMPLATE_ROWS = (
    ("organization", "person_name", "person_title", "email", "language", "talk_minutes", "qa_minutes", "protocol_rank",
     "available_from", "available_until"),
    ("Kota Cirebon", "Drs. Nasrudin Azis, SH", "Wali Kota Cirebon", "walikota@cirebonkota.go.id", "id", "10", "5", "1", "", ""),
    ("Kab. Siak", "Drs. H. Syamsuar, M.Si", "Bupati Siak", "bupati@siakkab.go.id", "id", "", "", "2", "13:00", "16:00"),
)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _number(text: str, label: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(float(text.strip()))  # Excel gives "10.0"
    except ValueError:
        raise RuleViolation(_("“%(value)s” in %(column)s is not a number.", value=text[:30], column=label)) from None


def _moment(text: str, event: Event, label: str) -> datetime | None:
    """'2017-11-15 13:00' or '15/11/2017 13:00', or '13:00' on the event's first day, in the event's zone."""
    text = " ".join(text.split())
    if not text:
        return None
    for fmt in TIME_FORMATS:
        try:
            return local_to_utc(datetime.strptime(text, fmt), event.timezone)
        except ValueError:
            continue
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            clock = datetime.strptime(text, fmt).time()
        except ValueError:
            continue
        day = to_local(event.starts_at, event.timezone).date()
        return local_to_utc(datetime.combine(day, clock), event.timezone)
    raise RuleViolation(_("“%(value)s” in %(column)s is not a time. Write e.g. 2017-11-15 13:00 or 13:00.",
                          value=text[:30], column=label))


def import_presenters(session: Session, event: Event, table: Table) -> ImportResult:
    result = ImportResult()
    seen: dict[int, int] = {}
    for row in table.rows:
        try:
            name = " ".join(row.get("organization").split())
            organization = session.scalar(select(Organization).where(Organization.name_key == Organization.key_for(name)))
            if organization is None:
                raise RuleViolation(_("“%(name)s” is not in the Organizations list. Add it there first, or correct the name.",
                                      name=name[:200]))
            if organization.id in seen:
                raise RuleViolation(_("%(name)s is already on row %(row)d.", name=organization.name, row=seen[organization.id]))
            seen[organization.id] = row.number
            existing = session.scalar(
                select(Presenter).where(Presenter.event_id == event.id, Presenter.organization_id == organization.id)
            )
            data = _data_of(existing, organization)
            data = _with_row(data, row, event)
            presenters.save_presenter(session, event, data, existing)
        except RuleViolation as violation:
            result.problems.append(RowProblem(row.number, violation.message))
            continue
        if existing is None:
            result.created += 1
        else:
            result.updated += 1
    return result


def _data_of(existing: Presenter | None, organization: Organization) -> presenters.PresenterData:
    if existing is None:
        return presenters.PresenterData(organization_id=organization.id)
    return presenters.PresenterData(
        organization_id=organization.id, person_name=existing.person_name, person_title=existing.person_title,
        email=existing.email, locale=existing.locale, talk_minutes=existing.talk_minutes, qa_minutes=existing.qa_minutes,
        protocol_rank=existing.protocol_rank, available_from=existing.available_from, available_until=existing.available_until,
        room_id=existing.room_id, pinned_block_id=existing.pinned_block_id, pinned_start=existing.pinned_start,
    )


def _with_row(data: presenters.PresenterData, row, event: Event) -> presenters.PresenterData:
    """The row's filled cells over what is known; empty cells keep it."""
    changes: dict = {}
    for key in ("person_name", "person_title"):
        if row.get(key).strip():
            changes[key] = " ".join(row.get(key).split())[:200]
    email = row.get("email").strip().lower()
    if email:
        if "@" not in email or " " in email or len(email) > 254:
            raise RuleViolation(_("“%(value)s” is not an email address.", value=email[:60]))
        changes["email"] = email
    language = row.get("language").strip().casefold()
    if language:
        if language not in LANGUAGE_WORDS:
            raise RuleViolation(_("Unknown language “%(value)s”. Write id or en.", value=language[:30]))
        changes["locale"] = LANGUAGE_WORDS[language]
    for key, label in (("talk_minutes", "talk_minutes"), ("qa_minutes", "qa_minutes"), ("protocol_rank", "protocol_rank")):
        value = _number(row.get(key), label)
        if value is not None:
            changes[key] = value
    for key in ("available_from", "available_until"):
        value = _moment(row.get(key), event, key)
        if value is not None:
            changes[key] = value
    return replace(data, **changes)


def template_csv() -> bytes:
    return tabular.template_csv(TEMPLATE_ROWS)
