"""Attendance reports for organizers: per person and per session (checkpoint), as CSV and Excel.

Per person: every confirmed registration, and anyone else with a live check-in (a registration
cancelled after its holder came stays on the record), with the first arrival and the first entry
at each checkpoint, one column per checkpoint; a checkpoint that admits once per day gets one column per
day (each day of the event it is open, and any other day someone entered there), so a delegate who came on both
days of a forum shows both. Per session: each checkpoint with who may enter
(confirmed registrations of its categories), who of them came, the share, and who is inside now.

"Came" counts only the expected, as the arrivals page counts only confirmed delegates: someone
checked in and cancelled since (or let in before their category was taken off the checkpoint) is
not counted there, so the share never passes 100 %; the per-person report keeps them, with their state.

Times are naive datetimes on the event's clock (Excel shows them as they are); CSV cells that a
spreadsheet would run as a formula are quoted the way the registrant export does it, and Excel
cells are written as strings, which Excel never runs, so they need no quote.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from eventsys.attendance.arrivals import checked_in_counts, checkpoints_of, entered, event_days, inside_counts, live_checkins
from eventsys.attendance.models import CheckIn, Checkpoint, Direction, EntryPolicy, checkpoint_categories
from eventsys.core.tabular import safe_cell
from eventsys.core.timezones import local_to_utc, to_local, zone_abbreviation
from eventsys.events.models import AgendaSession, Event, Organization
from eventsys.registration.models import STATE_LABELS, DelegateCategory, Registration, RegistrationState

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass
class Report:
    """A table ready to write: headers, rows (lists of str, int, float, naive datetime or None)."""

    title: str
    headers: list[str]
    rows: Iterator[list] | list[list]
    widths: list[int]


def _local(value: datetime | None, zone: str) -> datetime | None:
    return to_local(value, zone).replace(tzinfo=None, microsecond=0) if value is not None else None


# Per person


def entry_times(session: Session, event: Event) -> dict[tuple[int, int], datetime]:
    """(registration id, checkpoint id) -> the first live entry there: one grouped query."""
    rows = session.execute(
        select(CheckIn.registration_id, CheckIn.checkpoint_id, func.min(CheckIn.at))
        .where(*live_checkins(event, CheckIn.direction == Direction.IN))
        .group_by(CheckIn.registration_id, CheckIn.checkpoint_id)
    )
    return {(registration_id, checkpoint_id): at for registration_id, checkpoint_id, at in rows}


def day_entry_times(session: Session, event: Event, checkpoint_ids: list[int]) -> dict[tuple[int, int, date], datetime]:
    """(registration id, checkpoint id, day on the event's clock) -> the first live entry there that day."""
    times: dict[tuple[int, int, date], datetime] = {}
    if not checkpoint_ids:
        return times
    rows = session.execute(  # once per day: at most one live entry per ticket and day, so rows are people × days
        select(CheckIn.registration_id, CheckIn.checkpoint_id, CheckIn.at)
        .where(*live_checkins(event, CheckIn.direction == Direction.IN, CheckIn.checkpoint_id.in_(checkpoint_ids)))
    )
    for registration_id, checkpoint_id, at in rows:
        key = (registration_id, checkpoint_id, to_local(at, event.timezone).date())
        if key not in times or at < times[key]:
            times[key] = at
    return times


def open_on(checkpoint: Checkpoint, day: date, zone: str) -> bool:
    """Whether the checkpoint's window (None: no limit on that side) meets the day on the event's clock."""
    start = local_to_utc(datetime.combine(day, time()), zone)
    end = local_to_utc(datetime.combine(day + timedelta(days=1), time()), zone)
    return (checkpoint.opens_at is None or checkpoint.opens_at < end) and (checkpoint.closes_at is None or checkpoint.closes_at > start)


def _columns(checkpoints: list[Checkpoint], days: list[date], day_times: dict, zone: str) -> list[tuple[Checkpoint, date | None]]:
    """One column per checkpoint; a once-per-day one gets a column for each event day it is open and each day with entries."""
    columns = []
    for c in checkpoints:
        if c.policy == EntryPolicy.ONCE_PER_DAY:
            seen = {day for (_registration_id, checkpoint_id, day) in day_times if checkpoint_id == c.id}
            columns += [(c, day) for day in sorted(seen.union(d for d in days if open_on(c, d, zone)))]
        else:
            columns.append((c, None))
    return columns


def people_report(session: Session, event: Event) -> Report:
    zone = event.timezone
    abbreviation = zone_abbreviation(zone, event.starts_at)
    checkpoints = checkpoints_of(session, event)
    times = entry_times(session, event)
    day_times = day_entry_times(session, event, [c.id for c in checkpoints if c.policy == EntryPolicy.ONCE_PER_DAY])
    columns = _columns(checkpoints, event_days(event), day_times, zone)
    first: dict[int, datetime] = {}
    for (registration_id, _checkpoint_id), at in times.items():
        if registration_id not in first or at < first[registration_id]:
            first[registration_id] = at
    headers = [
        _("Name"), _("Position"), _("Organization"), _("Province"), _("Category"), _("State"),
        _("First arrival (%(zone)s)", zone=abbreviation),
    ] + [c.name if day is None else _("%(checkpoint)s (%(day)s)", checkpoint=c.name, day=day.isoformat()) for c, day in columns]
    query = (
        select(
            Registration.id, Registration.name, Registration.position, Registration.proposed_organization, Registration.state,
            Organization.name, Organization.province, DelegateCategory.name,
        )
        .join(DelegateCategory, DelegateCategory.id == Registration.category_id)
        .outerjoin(Organization, Organization.id == Registration.organization_id)
        .where(Registration.event_id == event.id, or_(Registration.state == RegistrationState.CONFIRMED, entered()))
        .order_by(Registration.name, Registration.id)
        .execution_options(yield_per=1000)
    )

    def rows() -> Iterator[list]:
        for reg_id, name, position, proposed, state, organization, province, category in session.execute(query):
            yield [
                name, position or "", organization or proposed or "", province or "", category, str(STATE_LABELS[state]),
                _local(first.get(reg_id), zone),
            ] + [
                _local(times.get((reg_id, c.id)) if day is None else day_times.get((reg_id, c.id, day)), zone) for c, day in columns
            ]

    return Report(_("Attendance per person"), headers, rows(), [30, 26, 28, 18, 18, 14, 18] + [24] * len(columns))


# Per session (checkpoint)


def expected_counts(session: Session, event: Event, checkpoints: list[Checkpoint]) -> dict[int, int]:
    """Confirmed registrations allowed through each checkpoint (all categories when it lists none)."""
    per_category = dict(
        session.execute(
            select(Registration.category_id, func.count(Registration.id))
            .where(Registration.event_id == event.id, Registration.state == RegistrationState.CONFIRMED)
            .group_by(Registration.category_id)
        ).all()
    )
    allowed: dict[int, set[int]] = {}
    ids = [c.id for c in checkpoints]
    if ids:
        for checkpoint_id, category_id in session.execute(
            select(checkpoint_categories.c.checkpoint_id, checkpoint_categories.c.category_id).where(
                checkpoint_categories.c.checkpoint_id.in_(ids)
            )
        ):
            allowed.setdefault(checkpoint_id, set()).add(category_id)
    everyone = sum(per_category.values())
    return {
        c.id: sum(per_category.get(k, 0) for k in allowed[c.id]) if c.id in allowed else everyone
        for c in checkpoints
    }


def checked_in_expected(session: Session, event: Event) -> dict[int, int]:
    """Per checkpoint: the expected (confirmed, of a category allowed there) with a live entry there."""
    return checked_in_counts(session, event)  # the one count the arrivals page and checkpoint overview show too


def share(came: int, expected: int) -> float | None:
    """Percent with one decimal; 99.9 at most while anyone expected is missing (1,999 of 2,000 is not 100 %)."""
    if not expected:
        return None
    percent = round(100 * came / expected, 1)
    return min(percent, 99.9) if came < expected else percent


def session_rows(session: Session, event: Event) -> list[dict]:
    checkpoints = checkpoints_of(session, event)
    titles = dict(
        session.execute(
            select(AgendaSession.id, AgendaSession.title).where(AgendaSession.id.in_([c.session_id for c in checkpoints if c.session_id]))
        ).all()
    )
    expected = expected_counts(session, event, checkpoints)
    checked_in = checked_in_expected(session, event)
    inside = inside_counts(session, event, checkpoints)
    rows = []
    for c in checkpoints:
        came, wanted = checked_in.get(c.id, 0), expected[c.id]
        rows.append(
            {
                "checkpoint": c.name,
                "session": titles.get(c.session_id, "") if c.session_id else "",
                "expected": wanted,
                "checked_in": came,
                "percent": share(came, wanted),
                "inside": inside.get(c.id) if c.policy == EntryPolicy.IN_OUT else None,
            }
        )
    return rows


def sessions_report(session: Session, event: Event) -> Report:
    headers = [_("Checkpoint"), _("Session"), _("Expected"), _("Checked in"), _("Checked in (%)"), _("Inside now")]
    rows = [[r["checkpoint"], r["session"], r["expected"], r["checked_in"], r["percent"], r["inside"]] for r in session_rows(session, event)]
    return Report(_("Attendance per session"), headers, rows, [28, 36, 12, 12, 14, 12])


# Writers


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    return safe_cell(str(value))


def to_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in report.headers])
    for row in report.rows:
        writer.writerow([_csv_value(v) for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")  # the BOM makes Excel read UTF-8


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(report.title[:31])
    for index, width in enumerate(report.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    def text(value: str) -> WriteOnlyCell:
        """A string cell: "=Budi" stays a name, written as it is (no formula, no guarding apostrophe shown)."""
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell

    header = []
    for title in report.headers:
        cell = text(title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = "A2"
    for row in report.rows:
        cells = []
        for value in row:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = XLSX_DATETIME_FORMAT
                cells.append(cell)
            else:
                cells.append(text(value) if isinstance(value, str) else value)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
