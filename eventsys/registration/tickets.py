"""Tickets: Ed25519-signed QR tokens, short desk codes, QR images, the PDF ticket and its calendar entry.

A token is 75 bytes written in base32 without padding (120 characters, all in QR's alphanumeric
set, so the QR stays at version 5 at error correction M):

    payload   = version (1 byte) | event id (4) | ticket id (4) | serial (2), big-endian
    signature = Ed25519(event's key, SIGNING_PREFIX + payload)   (64 bytes)

It names the ticket, not the person. A scanner checks it with the event's public key alone
(verify_token touches no database); then it looks the (ticket id, serial) up in the revocation
list it synced: re-issuing a ticket bumps its serial and revokes the older token.
"""
from __future__ import annotations

import base64
import binascii
import functools
import re
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from eventsys.config import LANGUAGES
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_date, local_time
from eventsys.core.pdf import data_only_fetcher, data_uri, render_pdf  # noqa: F401  (used by badges and tests)
from eventsys.core.qr import QRTooLarge, qr_matrix, qr_png, qr_svg  # noqa: F401  (the ticket's QR)
from eventsys.core.rules import RuleViolation
from eventsys.core.verification import CODE_ALPHABET
from eventsys.events.models import Event
from eventsys.registration.models import EventKey, Registration, RegistrationState, RevokedToken, Ticket

TOKEN_VERSION = 1
# Signed before the payload so that a signature made with the event's key for anything else
# (a signed revocation list, later) can never pass for a ticket.
SIGNING_PREFIX = b"eventsys ticket\n"
_PAYLOAD = struct.Struct(">BIIH")
SIGNATURE_BYTES = 64
TOKEN_BYTES = _PAYLOAD.size + SIGNATURE_BYTES  # 75
TOKEN_LENGTH = TOKEN_BYTES * 8 // 5  # 120 base32 characters, no padding: 600 bits, none spare
_TOKEN_RE = re.compile(f"[A-Z2-7]{{{TOKEN_LENGTH}}}")
MAX_SERIAL = 0xFFFF

# Desk codes like "K7P-4QX", of the verification codes' alphabet: nothing to confuse when read aloud or typed.
CODE_RE = re.compile(f"[{CODE_ALPHABET}]{{3}}-[{CODE_ALPHABET}]{{3}}")
CODE_ATTEMPTS = 20

REISSUED = "reissued"


@dataclass(frozen=True)
class TicketClaims:
    event_id: int
    ticket_id: int
    serial: int


class InvalidTicketToken(RuleViolation):
    """A token that is malformed, altered, forged or signed for another event."""

    def __init__(self, reason: str):
        super().__init__(_("This ticket code is not valid: it is damaged, altered, or belongs to another event."), "token")
        self.reason = reason  # "malformed", "signature" or "event": for logs and scanners, not people


# Keys and tokens.


def _event_key(session: Session, event_id: int) -> EventKey:
    """The event's key, made on first use; two requests making it at once keep the first one stored."""
    key = session.get(EventKey, event_id)
    if key is not None:
        return key
    private = Ed25519PrivateKey.generate()
    try:
        with session.begin_nested():
            session.add(
                EventKey(
                    event_id=event_id,
                    private_key=private.private_bytes_raw(),
                    public_key=private.public_key().public_bytes_raw(),
                )
            )
    except IntegrityError:  # the primary key: another request stored the event's key a moment ago
        pass
    return session.get(EventKey, event_id)


def public_key_for(session: Session, event: Event) -> bytes:
    """The 32 raw bytes of the event's Ed25519 public key: all a scanner needs to check tickets."""
    return bytes(_event_key(session, event.id).public_key)


def encode_token(private_key: bytes, claims: TicketClaims) -> str:
    if not (0 < claims.event_id <= 0xFFFFFFFF and 0 < claims.ticket_id <= 0xFFFFFFFF and 0 < claims.serial <= MAX_SERIAL):
        raise ValueError(f"ticket claims out of range: {claims}")
    payload = _PAYLOAD.pack(TOKEN_VERSION, claims.event_id, claims.ticket_id, claims.serial)
    signature = Ed25519PrivateKey.from_private_bytes(bytes(private_key)).sign(SIGNING_PREFIX + payload)
    return base64.b32encode(payload + signature).decode("ascii")  # 75 bytes: no padding to strip


def token_for(ticket: Ticket) -> str:
    """The ticket's current token (Ed25519 is deterministic: the same ticket and serial, the same token)."""
    session = object_session(ticket)
    if session is None:
        raise ValueError("the ticket is not attached to a session")
    key = _event_key(session, ticket.event_id)
    return encode_token(key.private_key, TicketClaims(ticket.event_id, ticket.id, ticket.serial))


@functools.lru_cache(maxsize=256)
def _verifier(public_key: bytes) -> Ed25519PublicKey:
    """The key object for a public key, made once per process (every scan verifies with it)."""
    return Ed25519PublicKey.from_public_bytes(public_key)


def verify_token(token: str, public_key: bytes, *, event_id: int | None = None) -> TicketClaims:
    """The claims of a token signed with `public_key`'s private half; InvalidTicketToken otherwise.

    Needs no database: a forged or altered token is refused before anything is looked up.
    Whether the ticket was since revoked is for the caller to check (revocation_list, Ticket.serial).
    """
    # Strict: no case folding, no whitespace, no padding; any other spelling is another token.
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        raise InvalidTicketToken("malformed")
    try:
        raw = base64.b32decode(token)
    except (binascii.Error, ValueError):
        raise InvalidTicketToken("malformed") from None
    payload, signature = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    try:
        _verifier(bytes(public_key)).verify(signature, SIGNING_PREFIX + payload)
    except (InvalidSignature, ValueError):
        raise InvalidTicketToken("signature") from None
    version, token_event, ticket_id, serial = _PAYLOAD.unpack(payload)
    if version != TOKEN_VERSION:
        raise InvalidTicketToken("malformed")
    if event_id is not None and token_event != event_id:
        raise InvalidTicketToken("event")
    return TicketClaims(token_event, ticket_id, serial)


# Issuing and revoking.


def new_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"{chars[:3]}-{chars[3:]}"


def normalize_code(text: str) -> str:
    """What a person typed at the desk ("k7p 4qx", "K7P4QX") as a stored code ("K7P-4QX"), or ""."""
    chars = re.sub(r"[^0-9A-Za-z]", "", text or "").upper()
    code = f"{chars[:3]}-{chars[3:]}" if len(chars) == 6 else ""
    return code if CODE_RE.fullmatch(code) else ""


def ticket_by_code(session: Session, event: Event, text: str) -> Ticket | None:
    code = normalize_code(text)
    if not code:
        return None
    return session.scalar(select(Ticket).where(Ticket.event_id == event.id, Ticket.code == code))


def _ticket_of(session: Session, registration: Registration) -> Ticket | None:
    # Asked of the database, locked: the relationship may predate a ticket issued meanwhile.
    return session.scalars(
        select(Ticket)
        .where(Ticket.registration_id == registration.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def _lock(session: Session, ticket: Ticket) -> Ticket:
    return session.scalars(
        select(Ticket).where(Ticket.id == ticket.id).with_for_update().execution_options(populate_existing=True)
    ).one()


def _revoke_serial(session: Session, ticket: Ticket, reason: str, now: datetime | None = None) -> None:
    exists = session.scalar(
        select(RevokedToken.id).where(RevokedToken.ticket_id == ticket.id, RevokedToken.serial == ticket.serial)
    )
    if exists is None:
        session.add(
            RevokedToken(
                event_id=ticket.event_id, ticket_id=ticket.id, serial=ticket.serial, reason=reason[:200], revoked_at=now or utcnow()
            )
        )


def _renew(session: Session, ticket: Ticket) -> Ticket:
    """The next serial: every older token of the ticket is on the revocation list."""
    if ticket.serial >= MAX_SERIAL:
        raise RuleViolation(_("This ticket cannot be issued again. Ask the organizer for help."))
    ticket.serial += 1
    ticket.issued_at = utcnow()
    ticket.revoked_at = None
    ticket.revoke_reason = ""
    session.flush()
    return ticket


def issue_ticket(session: Session, registration: Registration, *, codes: Iterator[str] | None = None) -> Ticket:
    """The confirmed registration's ticket: the live one if it has one, else a new (or renewed) one.

    `codes` gives the desk codes to try (tests); by default they are random. A code already
    taken in the event is caught by the unique constraint and another is tried.
    """
    if registration.state != RegistrationState.CONFIRMED:
        raise RuleViolation(_("Only a confirmed registration gets a ticket."))
    _event_key(session, registration.event_id)
    session.flush()  # only the ticket itself goes into the savepoint below
    ticket = _ticket_of(session, registration)
    if ticket is not None:
        if ticket.revoked_at is None:
            return ticket
        _revoke_serial(session, ticket, ticket.revoke_reason or "revoked")
        return _renew(session, ticket)
    codes = codes if codes is not None else iter(new_code, None)
    for _attempt in range(CODE_ATTEMPTS):
        ticket = Ticket(event_id=registration.event_id, code=next(codes), serial=1, issued_at=utcnow())
        try:
            with session.begin_nested():
                ticket.registration = registration
                session.add(ticket)
        except IntegrityError:
            existing = _ticket_of(session, registration)
            if existing is not None:  # issued by a concurrent request
                return issue_ticket(session, registration)
            continue  # the code is taken in this event: draw another
        return ticket
    raise RuntimeError(f"no free ticket code after {CODE_ATTEMPTS} attempts")


def revoke_ticket(session: Session, ticket: Ticket, reason: str) -> None:
    """The ticket stops admitting anyone (the registration was cancelled); scanners learn it by sync."""
    ticket = _lock(session, ticket)
    if ticket.revoked_at is not None:
        return
    reason = (reason or "revoked").strip()[:200]
    now = utcnow()
    _revoke_serial(session, ticket, reason, now)
    ticket.revoked_at = now
    ticket.revoke_reason = reason
    session.flush()


def reissue_ticket(session: Session, ticket: Ticket) -> Ticket:
    """A new token for the same ticket (a lost or leaked QR): the old token is revoked, the desk code stays."""
    ticket = _lock(session, ticket)
    if ticket.registration.state != RegistrationState.CONFIRMED:
        raise RuleViolation(_("Only a confirmed registration's ticket can be issued again."))
    _revoke_serial(session, ticket, REISSUED if ticket.revoked_at is None else (ticket.revoke_reason or "revoked"))
    return _renew(session, ticket)


def live_ticket(registration: Registration) -> Ticket | None:
    """The ticket that admits the registrant now, or None (not confirmed, never issued, revoked)."""
    ticket = registration.ticket
    if registration.state != RegistrationState.CONFIRMED or ticket is None or ticket.revoked_at is not None:
        return None
    return ticket


def revocation_list(session: Session, event: Event) -> list[dict]:
    """Tokens scanners must refuse: a token whose (ticket id, serial) is listed here is revoked."""
    rows = session.scalars(
        select(RevokedToken).where(RevokedToken.event_id == event.id).order_by(RevokedToken.revoked_at, RevokedToken.id)
    )
    return [
        {"ticket_id": r.ticket_id, "serial": r.serial, "reason": r.reason, "revoked_at": r.revoked_at.isoformat()}
        for r in rows
    ]


# The PDF ticket and its calendar entry.


def _locale(code: str | None) -> str:
    return code if code in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "id")


def event_when(event: Event) -> str:
    """'15 November 2017, 08.00–22.00 WIB' in the reader's language and the event's zone."""
    zone = event.timezone
    start_date, end_date = local_date(event.starts_at, zone), local_date(event.ends_at, zone)
    if start_date == end_date:
        return f"{start_date}, {local_time(event.starts_at, zone, with_zone=False)}–{local_time(event.ends_at, zone)}"
    return f"{start_date} {local_time(event.starts_at, zone)} – {end_date} {local_time(event.ends_at, zone)}"


def event_place(event: Event) -> str:
    venue = event.venue
    return ", ".join(p for p in (venue.name, venue.address, venue.city) if p) if venue else ""


def category_color(color: str | None) -> str:
    return color if color and re.fullmatch(r"#[0-9a-fA-F]{6}", color) else "#1d4ed8"


def text_color_on(color: str) -> str:
    """Black or white, whichever reads better on the band's colour."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#111111" if (0.299 * r + 0.587 * g + 0.114 * b) > 150 else "#ffffff"


def ticket_pdf(registration: Registration) -> bytes:
    """The printable ticket, in the registrant's language."""
    ticket = live_ticket(registration)
    if ticket is None:
        raise ValueError("the registration has no live ticket")
    token = token_for(ticket)
    event = registration.event
    color = category_color(registration.category.color)
    locale = _locale(registration.locale)
    with force_locale(locale):
        html = current_app.jinja_env.get_template("registration/ticket_pdf.html").render(
            lang=locale,
            registration=registration,
            event=event,
            ticket=ticket,
            when=event_when(event),
            place=event_place(event),
            band_color=color,
            band_text_color=text_color_on(color),
            qr_uri=data_uri("image/svg+xml", qr_svg(token)),
        )
    return render_pdf(html)


def _calendar_host() -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    return urlsplit(base).hostname or "eventsys"


def ticket_ics(registration: Registration) -> bytes:
    """The event as one calendar entry, with the desk code in its description."""
    event = registration.event
    ticket = live_ticket(registration)
    with force_locale(_locale(registration.locale)):
        lines = [event.description.strip()] if event.description.strip() else []
        lines.append(_("Category: %(category)s", category=registration.category.name))
        if ticket is not None:
            lines.append(_("Ticket code: %(code)s", code=ticket.code))
    cal = Calendar()
    cal.add("prodid", "-//eventsys//ticket//ID")
    cal.add("version", "2.0")
    cal.add("x-wr-timezone", event.timezone)
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.id}-registration-{registration.id}@{_calendar_host()}")
    entry.add("summary", event.name)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("dtstamp", _stamp(registration))
    entry.add("description", "\n\n".join(lines))
    place = event_place(event)
    if place:
        entry.add("location", place)
    cal.add_component(entry)
    return cal.to_ical()


def _stamp(registration: Registration) -> datetime:
    return registration.updated_at or registration.created_at or utcnow()
