"""Delegate list import: every row is checked first; with any problem nothing is invited."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventsys.core import tabular
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.core.tabular import Column, RowProblem, Table
from eventsys.events.models import Event, Organization
from eventsys.registration import invitations, notifications, seats
from eventsys.registration.models import (
    DelegateInvitation,
    Registration,
)
from eventsys.registration.phones import normalize_mobile

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
    return tabular.template_csv(TEMPLATE_ROWS)


def template_xlsx() -> bytes:
    return tabular.template_xlsx(TEMPLATE_ROWS, title="delegates", widths=(32, 32, 26, 26, 18, 18, 10))
