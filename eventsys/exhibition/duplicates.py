"""The same file uploaded twice to a booth (or to the stage): found by the SHA-256 of its bytes.

A finished upload whose bytes equal those of an item already there is refused with that item's title
(uploads.finish), unless that item was rejected or could not be processed: uploading the file again is
then what the exhibitor was told to do. `MediaItem.content_sha256` is the digest of the bytes as
uploaded; `sha256`, of the bytes as stored, also matches for older rows of videos and PDFs, which are
stored as uploaded. The portal's lists mark copies that are already there (`same_files`).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from eventsys.core.rules import RuleViolation
from eventsys.exhibition.models import MediaItem, MediaKind, MediaState

# An item in these states does not stop the same file from coming again.
RETRY_STATES = (MediaState.REJECTED, MediaState.FAILED)


class SameFile(RuleViolation):
    """The upload's bytes equal an item's already in the booth or on the stage (its id and title are kept)."""

    def __init__(self, existing: MediaItem):
        if existing.booth_id is None:
            message = _("This file is the same as “%(title)s” already on the stage, so it was not added again.",
                        title=existing.title)
        else:
            message = _("This file is the same as “%(title)s” already in your booth, so it was not added again.",
                        title=existing.title)
        super().__init__(message, "file")
        self.existing_id, self.existing_title = existing.id, existing.title


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, read once in blocks (never whole into memory)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _same_place_and_bytes(event_id: int, booth_id: int | None, digests: set[str]):
    place = (MediaItem.booth_id == booth_id if booth_id is not None
             else (MediaItem.booth_id.is_(None) & MediaItem.on_stage.is_(True)))
    return (MediaItem.event_id == event_id, place, or_(MediaItem.content_sha256.in_(digests), MediaItem.sha256.in_(digests)))


def find_same(session: Session, *, event_id: int, booth_id: int | None, digest: str) -> MediaItem | None:
    """The oldest item of this booth (None: the event's stage) holding these bytes, other than a rejected or failed one."""
    return session.scalar(
        select(MediaItem)
        .where(*_same_place_and_bytes(event_id, booth_id, {digest}), MediaItem.state.not_in(RETRY_STATES))
        .order_by(MediaItem.id).limit(1)
    )


def approved_copy(session: Session, item: MediaItem) -> MediaItem | None:
    """Another approved item of the same booth (or the stage) holding the item's file: approving both would show it twice."""
    digests = {digest for digest in (item.content_sha256, item.sha256) if digest}
    if not digests:
        return None
    return session.scalar(
        select(MediaItem)
        .where(*_same_place_and_bytes(item.event_id, item.booth_id, digests), MediaItem.id != item.id,
               MediaItem.state == MediaState.APPROVED)
        .order_by(MediaItem.id).limit(1)
    )


def check_new(session: Session, *, event_id: int, booth_id: int | None, digest: str) -> None:
    """Raise SameFile if an item there already holds these bytes."""
    existing = find_same(session, event_id=event_id, booth_id=booth_id, digest=digest)
    if existing is not None:
        raise SameFile(existing)


def same_files(items: list[MediaItem]) -> dict[int, MediaItem]:
    """For each item whose file an earlier item of the list already holds: item id -> that earlier item."""
    first: dict[tuple, MediaItem] = {}
    found: dict[int, MediaItem] = {}
    for item in sorted(items, key=lambda i: i.id):
        keys = [(item.booth_id, digest) for digest in {item.content_sha256, item.sha256} if digest]
        earlier = next((first[key] for key in keys if key in first), None)
        if earlier is not None:
            found[item.id] = earlier
        for key in keys:
            first.setdefault(key, earlier or item)
    return found


def video_identity(address: str) -> str:
    """What a video link points at: YouTube's and Vimeo's video id whatever the address's form (youtu.be, www., a start
    time), otherwise the address without its scheme, fragment or the host's case."""
    parts = urlsplit(address.strip())
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    path = parts.path.rstrip("/")
    if host == "youtu.be" and path:
        return "youtube:" + path.strip("/").split("/")[0]
    if host.endswith("youtube.com"):
        video = parse_qs(parts.query).get("v", [""])[0] or next(
            (path.split("/")[2] for prefix in ("/embed/", "/shorts/", "/live/") if path.startswith(prefix) and path.count("/") >= 2), "")
        if video:
            return "youtube:" + video
    if host.endswith("vimeo.com"):
        number = next((segment for segment in path.split("/") if segment.isdigit()), "")
        if number:
            return "vimeo:" + number
    return host + path + ("?" + parts.query if parts.query else "")


def same_link(session: Session, booth_id: int, address: str) -> str | None:
    """The title of an item of the booth linking to the same video (not a rejected one), or None."""
    wanted = video_identity(address)
    links = session.execute(select(MediaItem.title, MediaItem.external_url).where(
        MediaItem.booth_id == booth_id, MediaItem.kind == MediaKind.LINK, MediaItem.state.not_in(RETRY_STATES)).order_by(MediaItem.id))
    return next((title for title, url in links if url and video_identity(url) == wanted), None)
