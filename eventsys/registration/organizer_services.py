"""The organizer's side of registration: finding registrants, decisions in bulk, edits, exports,
and inviting a delegate list from CSV or Excel.

The seat rules themselves (approve, reject, cancel, the waiting list) stay in `services`; this
module only applies them to many registrations or reads registrations out in other shapes.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.core.tabular import Column, Table
from eventsys.core.timezones import to_local, zone_abbreviation
from eventsys.events.models import Event, Organization
from eventsys.events.organization_services import RowProblem
from eventsys.registration import invitations, notifications, seats, services, tickets
from eventsys.registration.models import (
    STATE_LABELS,
    DelegateCategory,
    DelegateInvitation,
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
            r.name, r.position, r.organization_name, r.category.name, r.email, r.phone or "", r.nip or "",
            str(STATE_LABELS[r.state]), r.state_reason, _sessions_text(r),
            to_local(r.created_at, event.timezone).replace(tzinfo=None, microsecond=0), ticket.code if ticket else "",
        ]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: str) -> str:
    """Text a spreadsheet will not run as a formula; '+62812…' phone numbers stay as they are."""
    if value.startswith(_FORMULA_START) and not (value[0] in "+-" and value[1:].replace(" ", "").isdigit()):
        return "'" + value
    return value


def export_csv(session: Session, event: Event, filters: RegistrantFilters) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export_headers(event))
    for row in export_rows(session, event, filters):
        row[10] = row[10].strftime("%Y-%m-%d %H:%M")
        writer.writerow([_safe_cell(str(v)) for v in row])
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
        cells = [_safe_cell(v) if isinstance(v, str) else v for v in row]
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


# Delegate list import: every row is checked first; with any problem nothing is invited.

IMPORT_COLUMNS = (
    Column("name", ("nama", "nama lengkap", "full name", "nama peserta"), required=True),
    Column("email", ("e-mail", "surel", "alamat email", "email address", "alamat e-mail"), required=True),
    Column("position", ("jabatan",)),
    Column("organization", ("organisasi", "organisation", "instansi", "nama instansi", "daerah", "asal instansi")),
    Column("category", ("kategori", "kategori peserta")),
    Column("phone", ("telepon", "telp", "hp", "no hp", "nomor hp", "ponsel", "whatsapp", "wa", "mobile", "nomor telepon", "no telp")),
    Column("language", ("bahasa", "lang", "locale")),
)
TEMPLATE_ROWS = (
    ("nama", "email", "jabatan", "organisasi", "kategori", "telepon", "bahasa"),
    ("Drs. H. Nasrudin Azis, S.H.", "walikota@cirebonkota.go.id", "Wali Kota", "Kota Cirebon", "Kepala Daerah", "0812 2345 6789", "id"),
    ("Iing Daiman", "kominfo@cirebonkota.go.id", "Kepala Dinas Kominfo", "Kota Cirebon", "", "", "en"),
)
LANGUAGE_WORDS = {
    "id": "id", "ind": "id", "indonesia": "id", "indonesian": "id", "bahasa indonesia": "id",
    "en": "en", "eng": "en", "english": "en", "inggris": "en", "bahasa inggris": "en",
}
NAME_MAX, POSITION_MAX, EMAIL_MAX = 200, 200, 254
IN_CHUNK = 500  # SQLite allows only so many parameters per statement


@dataclass
class Invitee:
    row: int
    name: str
    email: str
    position: str
    organization_id: int | None
    category_id: int | None
    phone: str | None
    locale: str


@dataclass
class DelegateImport:
    invitees: list[Invitee] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    invited: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _clean(text: str) -> str:
    """Single-spaced, without control characters (PostgreSQL refuses NUL; none belongs in a cell)."""
    text = text or ""
    if not text.isprintable():
        text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return " ".join(text.split())


def _organizations_by_key(session: Session, keys: set[str]) -> dict[str, Organization]:
    found: dict[str, Organization] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), IN_CHUNK):
        for org in session.scalars(select(Organization).where(Organization.name_key.in_(ordered[start:start + IN_CHUNK]))):
            found[org.name_key] = org
    return found


def check_delegate_table(session: Session, event: Event, table: Table) -> DelegateImport:
    """Every row of an uploaded delegate list, checked; `problems` says what to fix, row by row."""
    result = DelegateImport()
    categories = {c.name.casefold(): c for c in seats.categories_of(session, event)}
    category_names = ", ".join(c.name for c in categories.values())
    organizations = _organizations_by_key(session, {Organization.key_for(_clean(r.get("organization"))) for r in table.rows} - {""})
    registered = set(session.scalars(select(Registration.email).where(Registration.event_id == event.id)))
    invited = set(session.scalars(select(DelegateInvitation.email).where(DelegateInvitation.event_id == event.id)))
    default_locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "id")
    first_row: dict[str, int] = {}

    for row in table.rows:
        before = len(result.problems)

        def problem(message: str, number: int = row.number) -> None:
            result.problems.append(RowProblem(number, message))

        name = _clean(row.get("name"))
        if not name:
            problem(_("Enter the delegate's name."))
        elif len(name) > NAME_MAX:
            problem(_("Shorten the name to %(max)d characters.", max=NAME_MAX))
        email = _clean(row.get("email")).lower()
        if not email:
            problem(_("Enter the delegate's email address."))
        else:
            try:
                validate_email(email, check_deliverability=False)
            except EmailNotValidError:
                problem(_("“%(email)s” is not a valid email address. Correct it, e.g. nama@kominfo.go.id.", email=email[:80]))
                email = ""
            if email and len(email) > EMAIL_MAX:
                problem(_("Shorten the email address to %(max)d characters.", max=EMAIL_MAX))
            elif email in first_row:
                problem(_("%(email)s already appears in row %(row)d. Keep only one of the two rows.", email=email, row=first_row[email]))
            elif email in registered:
                problem(_("%(email)s is already registered for this event. Remove this row.", email=email))
            elif email in invited:
                problem(_("%(email)s has already been invited to this event. Remove this row.", email=email))
            if email:
                first_row.setdefault(email, row.number)
        position = _clean(row.get("position"))
        if len(position) > POSITION_MAX:
            problem(_("Shorten the position to %(max)d characters.", max=POSITION_MAX))
        organization_id = None
        organization_name = _clean(row.get("organization"))
        if organization_name:
            organization = organizations.get(Organization.key_for(organization_name))
            if organization is None:
                problem(
                    _("The organization “%(name)s” is not in the list. Write its name as in the organization list, or add it there first.",
                      name=organization_name[:100])
                )
            else:
                organization_id = organization.id
        category_id = None
        category_name = _clean(row.get("category"))
        if category_name:
            category = categories.get(category_name.casefold())
            if category is None:
                problem(
                    _("Unknown category “%(value)s”. Write one of: %(categories)s.", value=category_name[:100], categories=category_names)
                    if categories else _("This event has no delegate categories yet. Leave the category empty or add the categories first.")
                )
            else:
                category_id = category.id
        phone = None
        if _clean(row.get("phone")):
            try:
                phone = normalize_mobile(row.get("phone"), field=None)
            except RuleViolation as violation:
                problem(violation.message)
        locale = default_locale
        language = _clean(row.get("language")).casefold()
        if language:
            locale = LANGUAGE_WORDS.get(language)
            if locale is None:
                problem(_("Unknown language “%(value)s”. Write id (Indonesian) or en (English).", value=language[:20]))
        if len(result.problems) == before:
            result.invitees.append(Invitee(row.number, name, email, position, organization_id, category_id, phone, locale))
    result.problems.sort(key=lambda p: p.row)
    return result


def invitation_path(event: Event, token: str) -> str:
    """The personal registration link (a path; the mail puts PUBLIC_BASE_URL in front)."""
    return current_app.url_map.bind("localhost").build("registration.register", {"slug": event.slug, "invite": token})


def import_delegates(session: Session, event: Event, table: Table, *,
                     link_for: Callable[[Event, str], str] = invitation_path, max_age_days: int = 14) -> DelegateImport:
    """Invite every delegate of the table and queue their invitation mail, or, with any problem, no one."""
    result = check_delegate_table(session, event, table)
    if result.ok:
        result.invited = invite(session, event, result.invitees, link_for=link_for, max_age_days=max_age_days)
    return result


MAIL_BATCH = 500  # mails held in memory before they are written


def invite(session: Session, event: Event, invitees: list[Invitee], *,
           link_for: Callable[[Event, str], str] = invitation_path, max_age_days: int = 14) -> int:
    """Make the checked invitees' invitations and queue their mail.

    Every invitee is new (checked), so each invitation is made as invitations.create_invitation
    makes a new one, but all are inserted together: a few statements for thousands of rows instead
    of a query and a flush each (10,000 rows: about a second instead of a minute). Their links come
    from invitations.invitation_token.
    """
    expires_at = (utcnow() + timedelta(days=max_age_days)).replace(microsecond=0)
    rows = [
        {
            "event_id": event.id, "email": i.email, "name": i.name, "position": i.position, "phone": i.phone,
            "organization_id": i.organization_id, "category_id": i.category_id, "locale": i.locale, "expires_at": expires_at,
        }
        for i in invitees
    ]
    before = session.scalar(select(func.max(DelegateInvitation.id))) or 0
    try:
        with session.begin_nested():
            # One executemany without RETURNING: on PostgreSQL a third of the time of the unit of work.
            session.execute(insert(DelegateInvitation), rows)
    except IntegrityError:
        raise RuleViolation(_("Someone invited some of these delegates while the file was being imported. Upload the file again.")) from None
    # Read back in one query (ids are needed for the links); another import's rows are told apart by email.
    emails = {i.email for i in invitees}
    created = [
        invitation
        for invitation in session.scalars(
            select(DelegateInvitation).where(DelegateInvitation.event_id == event.id, DelegateInvitation.id > before)
        )
        if invitation.email in emails
    ]
    created.sort(key=lambda invitation: invitation.id)  # mail goes out in the file's order
    with session.no_autoflush:
        for start in range(0, len(created), MAIL_BATCH):
            batch = created[start : start + MAIL_BATCH]
            notifications.notify_invitations(
                session, [(i, link_for(event, invitations.invitation_token(i))) for i in batch]
            )
            session.flush()  # written in batches: 10,000 mails need not sit in memory at once
    return len(created)


def template_csv() -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(TEMPLATE_ROWS)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "delegates"
    for row in TEMPLATE_ROWS:
        sheet.append(row)
    for letter, width in zip("ABCDEFG", (32, 32, 26, 26, 18, 18, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


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
