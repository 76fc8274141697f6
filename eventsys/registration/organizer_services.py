"""The organizer's side of registration: finding registrants, decisions in bulk, edits, exports,
and inviting a delegate list from CSV or Excel.

The seat rules themselves (approve, reject, cancel, the waiting list) stay in `services`; this
module only applies them to many registrations or reads registrations out in other shapes.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from eventsys.core.rules import RuleViolation
from eventsys.core.tabular import safe_cell
from eventsys.core.timezones import to_local, zone_abbreviation
from eventsys.events.models import Event, Organization
from eventsys.registration import notifications, seats, services, tickets
from eventsys.registration.models import (
    STATE_LABELS,
    DelegateCategory,
    OrganizationLink,
    Registration,
    RegistrationState,
    SessionChoice,
    SessionOption,
    Ticket,
)
from eventsys.registration.phones import normalize_mobile

# Filter value of "organization" for registrants whose body is not in the list (proposed by name).
PROPOSED_ORGANIZATION = 0
SEARCH_MAX = 200

# What a page, an export or the badges need of each registration, loaded in a fixed number of queries.
REGISTRANT_LOADS = (
    selectinload(Registration.category),
    selectinload(Registration.organization),
    selectinload(Registration.ticket),
    selectinload(Registration.session_choices).selectinload(SessionChoice.option).selectinload(SessionOption.session),
)


@dataclass
class RegistrantFilters:
    q: str = ""
    category_id: int | None = None
    organization_id: int | None = None  # PROPOSED_ORGANIZATION: not in the list
    state: RegistrationState | None = None
    option_id: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.category_id or self.organization_id is not None or self.state or self.option_id)


def registrants_query(event: Event, filters: RegistrantFilters, *, newest_first: bool = True) -> Select:
    """The event's registrations matching `filters`, with what a list shows loaded alongside."""
    query = select(Registration).where(Registration.event_id == event.id).options(*REGISTRANT_LOADS)
    text = " ".join((filters.q or "").split())[:SEARCH_MAX]
    if text:
        query = query.where(
            or_(
                Registration.name.icontains(text, autoescape=True),
                Registration.email.icontains(text.lower(), autoescape=True),
                Registration.position.icontains(text, autoescape=True),
                Registration.ticket.has(Ticket.code == text.upper()),  # the code read out at the desk
            )
        )
    if filters.category_id:
        query = query.where(Registration.category_id == filters.category_id)
    if filters.organization_id == PROPOSED_ORGANIZATION:
        query = query.where(Registration.organization_id.is_(None))
    elif filters.organization_id is not None:
        query = query.where(Registration.organization_id == filters.organization_id)
    if filters.state:
        query = query.where(Registration.state == filters.state)
    if filters.option_id:
        query = query.where(Registration.session_choices.any(SessionChoice.option_id == filters.option_id))
    if newest_first:
        return query.order_by(Registration.created_at.desc(), Registration.id.desc())
    return query.order_by(Registration.name, Registration.id)


def registered_organizations(session: Session, event: Event) -> list[Organization]:
    """Organizations with at least one registration for the event (for the filter's choices)."""
    used = select(Registration.organization_id).where(Registration.event_id == event.id).distinct()
    return list(session.scalars(select(Organization).where(Organization.id.in_(used)).order_by(Organization.name_key)))


def registration_of(session: Session, event: Event, registration_id: int) -> Registration | None:
    registration = session.get(Registration, registration_id)
    return registration if registration is not None and registration.event_id == event.id else None


# Decisions in bulk: each registration is decided on its own (a savepoint each), so one that
# cannot be approved (its category filled up meanwhile) is reported and the others still go through.

APPROVE, REJECT = "approve", "reject"


@dataclass
class BulkOutcome:
    done: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (registrant's name, why not)


def bulk_decide(session: Session, event: Event, registration_ids: list[int], action: str, reason: str = "") -> BulkOutcome:
    if action not in (APPROVE, REJECT):
        raise RuleViolation(_("Choose approve or reject."), "action")
    reason = (reason or "").strip()
    if action == REJECT and not reason:
        raise RuleViolation(_("Give the reason for the rejection; the registrants will read it."), "reason")
    chosen = session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.id.in_(registration_ids[:1000]))
        .order_by(Registration.created_at, Registration.id)  # the longest waiting are decided first
    ).all()
    if not chosen:
        raise RuleViolation(_("Tick the registrants to approve or reject first."))
    outcome = BulkOutcome()
    for registration in chosen:
        name = registration.name
        try:
            with session.begin_nested():
                if action == APPROVE:
                    services.approve(session, registration)
                else:
                    services.reject(session, registration, reason)
        except RuleViolation as violation:
            outcome.problems.append((name, violation.message))
        else:
            outcome.done += 1
    return outcome


def update_registration(session: Session, registration: Registration, *, name: str, position: str, phone: str) -> None:
    """The organizer's corrections: name and position as on the badge, the phone in E.164."""
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation(_("Enter the registrant's name."), "name")
    phone = (phone or "").strip()
    registration.phone = normalize_mobile(phone, field="phone") if phone else None
    registration.name = name
    registration.position = " ".join((position or "").split())
    session.flush()


def resend_ticket(session: Session, registration: Registration) -> Ticket:
    """A fresh ticket (the old QR code stops working) mailed with a fresh personal link."""
    if registration.state != RegistrationState.CONFIRMED:
        raise RuleViolation(_("Only confirmed registrations have a ticket. Approve the registration first."))
    current = session.scalar(select(Ticket).where(Ticket.registration_id == registration.id))
    if current is None or current.revoked_at is not None:
        ticket = tickets.issue_ticket(session, registration)
    else:
        ticket = tickets.reissue_ticket(session, current)
    notifications.notify(session, registration, "confirmation")
    return ticket


# Exports: the same filters as the list, ordered by name.


def export_headers(event: Event) -> list[str]:
    zone = zone_abbreviation(event.timezone)
    return [
        _("Name"), _("Position"), _("Organization"), _("Category"), _("Email"), _("Phone"), _("NIP"), _("State"),
        _("Reason"), _("Sessions"), _("Registered at (%(zone)s)", zone=zone), _("Ticket code"),
    ]


def _sessions_text(registration: Registration) -> str:
    choices = sorted(registration.session_choices, key=lambda c: (c.option.session.starts_at, c.option.session.title))
    return "; ".join(
        c.option.session.title + (" (" + _("waiting list") + ")" if c.waitlisted else "") for c in choices
    )


def export_rows(session: Session, event: Event, filters: RegistrantFilters) -> Iterator[list]:
    """One list per registration; the registration time is a naive datetime in the event's zone."""
    query = registrants_query(event, filters, newest_first=False).execution_options(yield_per=500)
    for r in session.scalars(query):
        ticket = r.ticket if r.ticket is not None and r.ticket.revoked_at is None else None
        yield [
            r.name, r.position, r.organization_name, r.category.name, r.email if r.has_email else "", r.phone or "", r.nip or "",
            str(STATE_LABELS[r.state]), r.state_reason, _sessions_text(r),
            to_local(r.created_at, event.timezone).replace(tzinfo=None, microsecond=0), ticket.code if ticket else "",
        ]


def export_csv(session: Session, event: Event, filters: RegistrantFilters) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export_headers(event))
    for row in export_rows(session, event, filters):
        row[10] = row[10].strftime("%Y-%m-%d %H:%M")
        writer.writerow([safe_cell(str(v)) for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")  # the BOM makes Excel read UTF-8


def export_xlsx(session: Session, event: Event, filters: RegistrantFilters) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Registrations")[:31])
    for letter, width in zip("ABCDEFGHIJKL", (30, 26, 28, 18, 30, 16, 20, 16, 30, 40, 18, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    header = []
    for title in export_headers(event):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = "A2"
    for row in export_rows(session, event, filters):
        cells = [safe_cell(v) if isinstance(v, str) else v for v in row]
        when = WriteOnlyCell(sheet, value=cells[10])
        when.number_format = "yyyy-mm-dd hh:mm"
        cells[10] = when
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def badge_registrations(session: Session, event: Event, filters: RegistrantFilters) -> list[Registration]:
    """The confirmed registrants among the filtered ones, by name: whoever gets a badge."""
    confirmed = RegistrantFilters(filters.q, filters.category_id, filters.organization_id, RegistrationState.CONFIRMED, filters.option_id)
    return list(session.scalars(registrants_query(event, confirmed, newest_first=False)))


# Organization links: one registration link per region, up to its quota.


@dataclass
class OrganizationLinkRow:
    organization: Organization
    link: OrganizationLink | None
    used: int  # delegates counting against the quota


def organization_link_rows(session: Session, event: Event, organizations: list[Organization]) -> list[OrganizationLinkRow]:
    ids = [o.id for o in organizations]
    used = dict(
        session.execute(
            select(Registration.organization_id, func.count(Registration.id))
            .where(Registration.event_id == event.id, Registration.organization_id.in_(ids), Registration.state.in_(services.QUOTA_STATES))
            .group_by(Registration.organization_id)
        ).all()
    )
    links = {
        link.organization_id: link
        for link in session.scalars(
            select(OrganizationLink).where(OrganizationLink.event_id == event.id, OrganizationLink.organization_id.in_(ids))
        )
    }
    return [OrganizationLinkRow(o, links.get(o.id), used.get(o.id, 0)) for o in organizations]


def organization_link_of(session: Session, event: Event, organization: Organization) -> OrganizationLink | None:
    return session.scalar(
        select(OrganizationLink).where(OrganizationLink.event_id == event.id, OrganizationLink.organization_id == organization.id)
    )


def category_counts(session: Session, event: Event) -> list[tuple[DelegateCategory, dict[RegistrationState, int], int]]:
    """Each category with its registrations per state and the total."""
    counts = seats.counts_by_category(session, event)
    return [(c, counts.get(c.id, {}), sum(counts.get(c.id, {}).values())) for c in seats.categories_of(session, event)]
