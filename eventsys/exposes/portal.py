"""The presenter portal: one magic link per presenting organization to see and confirm the published slot and send the deck.

Only the SHA-256 of a link's secret is kept (Presenter.portal_token_hash), so a new link replaces the
old one, which stops working at once. A confirmation names the version it was given for; it keeps
counting through later versions that leave the slot where it was, and stops counting when one moves it.
Decks are judged by their bytes, never by the name or type the browser sends: a PDF that PDFium opens,
or a PowerPoint (OOXML) presentation without macros.
"""
from __future__ import annotations

import io
import re
import threading
import zipfile
from dataclasses import dataclass
from datetime import datetime

import pypdfium2 as pdfium
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsys.core.db import utcnow
from eventsys.core.i18n import local_datetime
from eventsys.core.images import human_size
from eventsys.core.mail import public_url
from eventsys.core.rules import RuleViolation
from eventsys.core.storage import Storage
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import Event
from eventsys.exposes import publishing, services
from eventsys.exposes.models import BlockPanel, ExposeProgramme, Presenter, ScheduleVersion, VersionSlot

PDF = "application/pdf"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DECK_TYPES = {PDF: ".pdf", PPTX: ".pptx"}
MB = 1024 * 1024
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,100}")
# [Content_Types].xml of a real presentation is a few KB; anything huge is not one.
CONTENT_TYPES_MAX_BYTES = 1 * MB
_PDFIUM = threading.Lock()  # PDFium is not thread-safe


# Links


def portal_url(secret: str) -> str:
    path = current_app.url_map.bind("localhost").build("exposes_portal_views.portal", {"secret": secret})
    return public_url(path)


def new_portal_link(session: Session, presenter: Presenter) -> str:
    """Make (or replace) the presenter's portal link; the absolute URL is returned once and never stored."""
    secret = new_secret()
    presenter.portal_token_hash = hash_secret(secret)
    session.flush()
    return portal_url(secret)


def presenter_for_secret(session: Session, secret: str) -> Presenter | None:
    if not isinstance(secret, str) or not SECRET_PATTERN.fullmatch(secret):
        return None
    return session.scalar(select(Presenter).where(Presenter.portal_token_hash == hash_secret(secret)))


# The published slot and its confirmation


@dataclass
class PortalSlot:
    version: ScheduleVersion | None
    slot: VersionSlot | None
    moderator: str
    members: list[str]


def published_slot(session: Session, event: Event, presenter: Presenter) -> PortalSlot:
    version = publishing.latest_version(session, event)
    slot = publishing.slot_of(version, presenter.id)
    panel = session.get(BlockPanel, slot.block_id) if slot is not None and slot.block_id else None
    return PortalSlot(version, slot, panel.moderator if panel else "", services.panel_members(panel))


def same_place(a: VersionSlot, b: VersionSlot) -> bool:
    return (a.starts_at, a.ends_at, a.room_name, a.block_id) == (b.starts_at, b.ends_at, b.room_name, b.block_id)


@dataclass
class Confirmation:
    status: str  # "none" (no published slot), "open", "confirmed", "changed" (confirmed, then the slot moved)
    version: int | None
    at: datetime | None

    @property
    def counts(self) -> bool:
        return self.status == "confirmed"


def confirmations(session: Session, event: Event, presenters: list[Presenter], latest: ScheduleVersion | None) -> dict[int, Confirmation]:
    """Where each presenter's confirmation stands against the latest version (one query for all)."""
    wanted = {p.id: p.confirmed_version for p in presenters if p.confirmed_version is not None}
    confirmed_slots: dict[int, VersionSlot] = {}
    if wanted:
        rows = session.execute(
            select(ScheduleVersion.number, VersionSlot)
            .join(VersionSlot, VersionSlot.version_id == ScheduleVersion.id)
            .where(ScheduleVersion.event_id == event.id, VersionSlot.presenter_id.in_(wanted))
        )
        for number, slot in rows:
            if wanted.get(slot.presenter_id) == number:
                confirmed_slots[slot.presenter_id] = slot
    result = {}
    for presenter in presenters:
        current = publishing.slot_of(latest, presenter.id)
        confirmed = confirmed_slots.get(presenter.id)
        if current is None:
            status = "none"
        elif presenter.confirmed_version is None:
            status = "open"
        elif confirmed is not None and (presenter.confirmed_version == latest.number or same_place(confirmed, current)):
            status = "confirmed"
        else:
            status = "changed"
        result[presenter.id] = Confirmation(status, presenter.confirmed_version, presenter.confirmed_at)
    return result


def confirmation_of(session: Session, event: Event, presenter: Presenter, latest: ScheduleVersion | None) -> Confirmation:
    return confirmations(session, event, [presenter], latest)[presenter.id]


def confirm_slot(session: Session, event: Event, presenter: Presenter, version_number: int | None, now: datetime | None = None) -> Confirmation:
    """Record that the presenter accepts their slot in version `version_number`, which must still be the latest."""
    latest = publishing.latest_version(session, event)
    slot = publishing.slot_of(latest, presenter.id)
    if slot is None:
        raise RuleViolation(_("There is no published slot to confirm yet. You will get an email when the schedule is published."))
    if version_number != latest.number:
        raise RuleViolation(_("The schedule changed while this page was open (now version %(number)d). Check your slot below and confirm again.",
                              number=latest.number))
    presenter.confirmed_version = latest.number
    presenter.confirmed_at = now or utcnow()
    session.flush()
    return confirmation_of(session, event, presenter, latest)


# Decks


@dataclass(frozen=True)
class CheckedDeck:
    content_type: str
    suffix: str


def _refuse(message: str):
    raise RuleViolation(message, "deck")


def _not_a_deck():
    _refuse(_("This file is not a PDF or a PowerPoint presentation (PPTX). Save your deck in one of these formats and send it again."))


def _check_pdf(data: bytes) -> CheckedDeck:
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            document = None
        pages = len(document) if document is not None else 0
        if document is not None:
            document.close()
    if pages == 0:
        _refuse(_("The PDF cannot be opened: it is damaged or protected by a password. Save it again without a password and send it."))
    return CheckedDeck(PDF, ".pdf")


def _check_pptx(data: bytes) -> CheckedDeck:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names or "ppt/presentation.xml" not in names:
                _not_a_deck()
            if archive.getinfo("[Content_Types].xml").file_size > CONTENT_TYPES_MAX_BYTES:
                _not_a_deck()
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace").casefold()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, RuntimeError, NotImplementedError, OSError, EOFError, ValueError):
        _refuse(_("The presentation cannot be opened: the file is damaged. Save it again as PPTX or PDF and send it."))
    if "macroenabled" in types or any(name.casefold().endswith("vbaproject.bin") for name in names):
        _refuse(_("Presentations with macros (.pptm) are not accepted. Save it as a PowerPoint presentation (.pptx) or as PDF and send it again."))
    if "presentationml.presentation.main+xml" not in types:
        _not_a_deck()
    return CheckedDeck(PPTX, ".pptx")


def check_deck(data: bytes, *, max_bytes: int) -> CheckedDeck:
    """What the bytes are (PDF or PPTX); RuleViolation with what to send instead for anything else."""
    if not data:
        _refuse(_("The file is empty. Choose your deck as a PDF or PPTX file."))
    if len(data) > max_bytes:
        _refuse(_("The deck is larger than %(size)s. Make it smaller (e.g. compress the pictures or save it as PDF) and send it again.",
                  size=human_size(max_bytes)))
    if data.startswith(b"%PDF-"):
        return _check_pdf(data)
    if data.startswith(b"PK\x03\x04"):
        return _check_pptx(data)
    _not_a_deck()


def deck_limit_bytes(programme: ExposeProgramme) -> int:
    return programme.deck_max_mb * MB


def deadline_problem(event: Event, programme: ExposeProgramme, now: datetime | None = None) -> str | None:
    deadline = programme.deck_deadline
    if deadline is not None and (now or utcnow()) >= deadline:
        return _("The deadline for decks was %(when)s. Send later changes to the organizer directly.",
                 when=local_datetime(deadline, event.timezone))
    return None


def clean_deck_name(name: str, suffix: str) -> str:
    """The browser's file name, kept only to show and to name the download, ending in the checked type."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip()
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem.strip()[:150] or "deck") + suffix


def save_deck(session: Session, storage: Storage, event: Event, presenter: Presenter, data: bytes, filename: str,
              now: datetime | None = None) -> tuple[str, str | None]:
    """Check and store a deck for the presenter: (new key, old key). Refusals raise before anything is stored.

    The caller commits, then deletes the old key (see `finish_deck_upload`); the old file must outlive
    a failed commit.
    """
    now = now or utcnow()
    programme = services.programme_for(session, event)
    problem = deadline_problem(event, programme, now)
    if problem:
        _refuse(problem)
    checked = check_deck(data, max_bytes=deck_limit_bytes(programme))
    old_key = presenter.deck_key
    key = storage.save(data, checked.suffix)
    presenter.deck_key = key
    presenter.deck_name = clean_deck_name(filename, checked.suffix)
    presenter.deck_content_type = checked.content_type
    presenter.deck_size = len(data)
    presenter.deck_uploaded_at = now
    try:
        session.flush()
    except BaseException:
        storage.delete(key)
        raise
    return key, old_key


def finish_deck_upload(session: Session, storage: Storage, new_key: str, old_key: str | None) -> None:
    """Commit the new deck; only then is the replaced file deleted (on a failed commit the new one goes instead)."""
    try:
        session.commit()
    except BaseException:
        session.rollback()
        storage.delete(new_key)
        raise
    if old_key and old_key != new_key:
        storage.delete(old_key)
