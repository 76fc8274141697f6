"""The exhibitor portal's rules: editing a booth, its logo and quick-win programmes, its media items and video links.

Views ask `services.can_edit_booth` before calling anything here. Exhibitors stop editing once the
exhibition is an archive (organizers may still correct it). Files are deleted only after the commit
that stops pointing at them, so a failed commit never leaves a row without its file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventsys.core.images import clean_image
from eventsys.core.rules import RuleViolation
from eventsys.core.security import MAX_ID
from eventsys.core.storage import Storage
from eventsys.events.dimensions import Dimension
from eventsys.events.models import Event
from eventsys.exhibition import duplicates, services
from eventsys.exhibition.models import Booth, BoothDimension, Exhibition, MediaItem, MediaKind, MediaState, QuickWin
from eventsys.exhibition.services import check_version, fingerprint, lock_for_edit

MB = 1024 * 1024
LOGO_MAX_BYTES = 5 * MB
URL_MAX = 500
WEBSITE_MAX = 300

MEDIA_STATE_LABELS = {
    MediaState.PROCESSING: _l("Processing"),
    MediaState.PENDING: _l("Waiting for review"),
    MediaState.APPROVED: _l("Approved"),
    MediaState.REJECTED: _l("Rejected"),
    MediaState.FAILED: _l("Could not be processed"),
}
MEDIA_KIND_LABELS = {
    MediaKind.VIDEO: _l("Video"),
    MediaKind.POSTER: _l("Poster"),
    MediaKind.DOCUMENT: _l("PDF document"),
    MediaKind.LINK: _l("Video link"),
}


def settings_of(session: Session, event: Event) -> Exhibition:
    """The exhibition settings without writing (a page view must not take a write lock): defaults until saved."""
    return session.get(Exhibition, event.id) or Exhibition(event_id=event.id, max_video_mb=500, max_poster_mb=20, intro="",
                                                           voting_enabled=True)


def edits_closed(user, event: Event, exhibition: Exhibition, now: datetime | None = None) -> str | None:
    """Why this account may not change booths any more, or None: the archive is read-only for exhibitors."""
    if services.is_staff(user, event):
        return None
    if services.phase(exhibition, event, now) == services.Phase.ARCHIVE:
        return _("The exhibition has closed and is now a read-only archive; booths can no longer be changed.")
    return None


def check_open(session: Session, user, event: Event, now: datetime | None = None) -> None:
    problem = edits_closed(user, event, settings_of(session, event), now)
    if problem:
        raise RuleViolation(problem)


def web_address(value: str, *, field_name: str, max_length: int = URL_MAX) -> str:
    """An http(s) address with a host, or "" for none; anything else (javascript:, data:, ftp:) is refused."""
    value = (value or "").strip()
    if not value:
        return ""
    if "://" not in value and "." in value.split("/")[0] and ":" not in value.split("/")[0]:
        value = "https://" + value  # "www.cirebonkota.go.id" is what people type
    problem = _("Enter a web address starting with https:// or http://, e.g. https://www.cirebonkota.go.id.")
    if len(value) > max_length:
        raise RuleViolation(_("The web address is too long (at most %(max)d characters).", max=max_length), field_name)
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise RuleViolation(problem, field_name)
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:
        raise RuleViolation(problem, field_name) from None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        raise RuleViolation(problem, field_name)
    return value


# The booth

BOOTH_FIELDS = ("name", "tagline", "description", "contact_name", "contact_email", "contact_phone", "website")


def booth_version(booth: Booth) -> str:
    """What the booth form edits (the logo is replaced only on purpose, so it is left out)."""
    return fingerprint([getattr(booth, name) for name in BOOTH_FIELDS] + sorted(row.dimension for row in booth.dimensions))


@dataclass
class BoothDetails:
    name: str
    tagline: str = ""
    description: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    website: str = ""
    dimensions: list[Dimension] = field(default_factory=list)


def update_booth(session: Session, user, booth: Booth, details: BoothDetails, version: str | None = None) -> None:
    """Save the booth's details; `version` is `booth_version` as the form's page showed it (None: not checked)."""
    check_open(session, user, booth.event)
    name = (details.name or "").strip()
    if not name:
        raise RuleViolation(_("Enter the booth's name."), "name")
    values = {key: (getattr(details, key) or "").strip() for key in BOOTH_FIELDS} | {"name": name}
    values["website"] = web_address(details.website, field_name="website", max_length=WEBSITE_MAX)
    wanted = {Dimension(d) for d in details.dimensions}
    if version is not None:
        lock_for_edit(session, booth)
        session.expire(booth, ["dimensions"])
        check_version(version, booth_version(booth), fingerprint([values[key] for key in BOOTH_FIELDS] + sorted(wanted)),
                       _("Someone else saved this booth after you opened the page. Their version is shown below; "
                         "your text is kept in the form, so compare the two and save again to keep yours."))
    for key, value in values.items():
        setattr(booth, key, value)
    # Keep the rows that stay: a delete and an insert of the same key in one flush would collide.
    for row in list(booth.dimensions):
        if row.dimension not in wanted:
            booth.dimensions.remove(row)
    have = {row.dimension for row in booth.dimensions}
    for dimension in sorted(wanted - have):
        booth.dimensions.append(BoothDimension(dimension=dimension))
    session.flush()


def save_logo(session: Session, storage: Storage, user, booth: Booth, data: bytes) -> tuple[str, str | None]:
    """Check the picture by its content, redraw it and store it: (new key, old key). The caller commits with `finish_file_swap`."""
    check_open(session, user, booth.event)
    checked = clean_image(data, max_bytes=LOGO_MAX_BYTES, max_side=512, field="logo")
    old_key = booth.logo_key
    key = storage.save(checked.data, checked.suffix)
    booth.logo_key = key
    booth.logo_content_type = checked.content_type
    try:
        session.flush()
    except BaseException:
        storage.delete(key)
        raise
    return key, old_key


def remove_logo(session: Session, user, booth: Booth) -> str | None:
    check_open(session, user, booth.event)
    old_key = booth.logo_key
    booth.logo_key = None
    booth.logo_content_type = None
    session.flush()
    return old_key


def finish_file_swap(session: Session, storage: Storage, new_key: str | None, old_key: str | None) -> None:
    """Commit; only then delete the replaced file (on a failed commit the new one goes instead)."""
    try:
        session.commit()
    except BaseException:
        session.rollback()
        if new_key:
            storage.delete(new_key)
        raise
    if old_key and old_key != new_key:
        storage.delete(old_key)


# Quick-win programmes


def _programme_values(title: str, dimension, description: str, responsible_opd: str) -> dict:
    title = (title or "").strip()
    if not title:
        raise RuleViolation(_("Enter the programme's title."), "title")
    try:
        dimension = Dimension(dimension)
    except ValueError:
        raise RuleViolation(_("Choose the Smart City dimension of the programme."), "dimension") from None
    return {"title": title, "dimension": dimension, "description": (description or "").strip(),
            "responsible_opd": (responsible_opd or "").strip()}


def add_programme(session: Session, user, booth: Booth, *, title: str, dimension, description: str = "",
                  responsible_opd: str = "") -> QuickWin:
    check_open(session, user, booth.event)
    values = _programme_values(title, dimension, description, responsible_opd)
    last = session.scalar(select(func.max(QuickWin.position)).where(QuickWin.booth_id == booth.id))
    programme = QuickWin(booth_id=booth.id, position=(last or 0) + 1, **values)
    session.add(programme)
    session.flush()
    return programme


PROGRAMME_FIELDS = ("title", "dimension", "description", "responsible_opd")


def programme_version(programme: QuickWin) -> str:
    return fingerprint([getattr(programme, name) for name in PROGRAMME_FIELDS])


def update_programme(session: Session, user, programme: QuickWin, *, title: str, dimension, description: str = "",
                     responsible_opd: str = "", version: str | None = None) -> None:
    """Save a programme; `version` is `programme_version` as the form's page showed it (None: not checked)."""
    check_open(session, user, programme.booth.event)
    values = _programme_values(title, dimension, description, responsible_opd)
    if version is not None:
        lock_for_edit(session, programme)
        check_version(version, programme_version(programme), fingerprint([values[key] for key in PROGRAMME_FIELDS]),
                       _("Someone else saved this programme after you opened the page. Their version is shown below; "
                         "your text is kept in the form, so compare the two and save again to keep yours."))
    for key, value in values.items():
        setattr(programme, key, value)
    session.flush()


def delete_programme(session: Session, user, programme: QuickWin) -> None:
    check_open(session, user, programme.booth.event)
    session.delete(programme)  # its media items keep existing; their link to it is cleared (SET NULL)
    session.flush()


def move_programme(session: Session, user, programme: QuickWin, direction: str) -> None:
    """Swap a programme with its neighbour above ("up") or below ("down"); positions are renumbered 1..n."""
    check_open(session, user, programme.booth.event)
    rows = list(session.scalars(select(QuickWin).where(QuickWin.booth_id == programme.booth_id)
                                .order_by(QuickWin.position, QuickWin.id)))
    index = rows.index(programme)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        row.position = position
    session.flush()


# Media items


def media_of_booths(session: Session, booth_ids: list[int]) -> dict[int, list[MediaItem]]:
    """Every media item of these booths, newest last, in one query."""
    found: dict[int, list[MediaItem]] = {booth_id: [] for booth_id in booth_ids}
    if booth_ids:
        for item in session.scalars(select(MediaItem).where(MediaItem.booth_id.in_(booth_ids))
                                    .order_by(MediaItem.position, MediaItem.created_at, MediaItem.id)):
            found[item.booth_id].append(item)
    return found


def stage_media(session: Session, event: Event) -> list[MediaItem]:
    return list(session.scalars(select(MediaItem).where(MediaItem.event_id == event.id, MediaItem.on_stage.is_(True))
                                .order_by(MediaItem.position, MediaItem.created_at, MediaItem.id)))


def _optional_dimension(value) -> Dimension | None:
    if value in (None, ""):
        return None
    try:
        return Dimension(value)
    except ValueError:
        raise RuleViolation(_("Choose one of the Smart City dimensions, or none."), "dimension") from None


def _title(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RuleViolation(_("Enter a title."), "title")
    if len(value) > 200:
        raise RuleViolation(_("Shorten the title to %(max)d characters.", max=200), "title")
    return value


def media_version(item: MediaItem) -> str:
    return fingerprint([item.title, item.description, item.dimension, item.quick_win_id])


def update_media(session: Session, user, item: MediaItem, *, title: str, description: str = "", dimension=None,
                 quick_win_id: int | None = None, version: str | None = None) -> bool:
    """Save the item's details; True when its changed text sent an approved item back to the organizers' review.

    `version` is `media_version` as the form's page showed it (None: not checked).

    Visitors see an item's title and description, so an exhibitor's change to them is reviewed like a
    new upload: the item leaves the hall until approved again. Organizers (the reviewers) edit freely.
    """
    event = item.booth.event if item.booth else session.get(Event, item.event_id)
    check_open(session, user, event)
    title, description = _title(title), (description or "").strip()
    if version is not None:
        lock_for_edit(session, item)
        check_version(version, media_version(item),
                       fingerprint([title, description, _optional_dimension(dimension), quick_win_id or None]),
                       _("Someone else saved this item after you opened the page. Their version is shown below; "
                         "your text is kept in the form, so compare the two and save again to keep yours."))
    back_to_review = (item.state == MediaState.APPROVED and (title, description) != (item.title, item.description)
                      and not services.is_staff(user, event))
    item.title, item.description = title, description
    if back_to_review:
        item.state = MediaState.PENDING  # the last decision (reviewed_at/_by) stays on record
    item.dimension = _optional_dimension(dimension)
    item.quick_win_id = booth_programme(session, item.booth_id, quick_win_id)
    session.flush()
    return back_to_review


def booth_programme(session: Session, booth_id: int | None, quick_win_id) -> int | None:
    """The id of one of this booth's programmes, or None for none; another booth's (or the stage's) is refused."""
    if not quick_win_id:
        return None
    valid = isinstance(quick_win_id, int) and not isinstance(quick_win_id, bool) and 0 < quick_win_id <= MAX_ID
    programme = session.get(QuickWin, quick_win_id) if valid else None
    if programme is None or booth_id is None or programme.booth_id != booth_id:
        raise RuleViolation(_("Choose one of this booth's programmes, or none."), "quick_win")
    return programme.id


def delete_media(session: Session, user, item: MediaItem) -> MediaItem:
    """Delete the row; returns a detached copy holding the file keys to remove after the commit (media.delete_files)."""
    check_open(session, user, session.get(Event, item.event_id))
    keys = MediaItem(id=item.id, event_id=item.event_id, kind=item.kind, title=item.title,
                     file_key=item.file_key, thumb_key=item.thumb_key)
    session.delete(item)
    session.flush()
    return keys


def add_link(session: Session, user, booth: Booth, *, title: str, url: str, description: str = "", dimension=None) -> MediaItem:
    """A video hosted elsewhere (YouTube, Vimeo, the region's site): no bytes here, straight to the review queue."""
    check_open(session, user, booth.event)
    address = web_address(url, field_name="url")
    if not address:
        raise RuleViolation(_("Enter the address of the video, e.g. https://www.youtube.com/watch?v=…"), "url")
    if urlsplit(address).scheme.lower() != "https" and not _known_video_host(address):
        raise RuleViolation(_("Use an https:// address for the video so visitors' browsers can open it safely."), "url")
    same = duplicates.same_link(session, booth.id, address)
    if same is not None:  # like the same file uploaded twice: the hall would list the video twice
        raise RuleViolation(_("This link is already in your booth as “%(title)s”.", title=same), "url")
    item = MediaItem(event_id=booth.event_id, booth_id=booth.id, kind=MediaKind.LINK, state=MediaState.PENDING,
                     title=_title(title), description=(description or "").strip(), dimension=_optional_dimension(dimension),
                     external_url=address, uploaded_by_id=getattr(user, "id", None))
    session.add(item)
    session.flush()
    return item


VIDEO_HOSTS = ("youtube.com", "youtu.be", "vimeo.com")


def _known_video_host(address: str) -> bool:
    host = (urlsplit(address).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in VIDEO_HOSTS)


def editable_booth(session: Session, user, event: Event, booth_id: int) -> Booth | None:
    """The booth if it belongs to this event and this account may edit it; None otherwise (the views answer 404)."""
    booth = session.get(Booth, booth_id)
    if booth is None or booth.event_id != event.id or not services.can_edit_booth(user, booth):
        return None
    return booth


def editable_media(session: Session, user, event: Event, booth: Booth | None, media_id: int) -> MediaItem | None:
    """A media item of this booth (or of the stage when `booth` is None, organizers only)."""
    item = session.get(MediaItem, media_id)
    if item is None or item.event_id != event.id:
        return None
    if booth is None:
        return item if item.on_stage and services.is_staff(user, event) else None
    return item if item.booth_id == booth.id else None
