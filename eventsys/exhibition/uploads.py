"""Resumable chunked uploads of videos and posters: create, send chunks at their offset, ask how far it got, finish or cancel.

The bytes so far sit in `<partial dir>/<token>.part`; the `Upload` row says how many arrived. Each
chunk is written while the row is locked (FOR UPDATE on PostgreSQL; SQLite's write transactions
take the lock up front), at its offset, and the part file is cut to the new length, so a repeated
or half-written chunk never leaves extra bytes. The browser's file name never touches the disk.
When the last byte is in, the part file is claimed by renaming it, checked by content
(`media.store_upload`), and becomes a MediaItem in the transaction that deletes the Upload row; a file
whose bytes the booth (or the stage) already holds is refused instead, leaving nothing (duplicates.py).
Uploads untouched for a day are swept with their files.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventsys.core.db import utcnow
from eventsys.core.images import human_size
from eventsys.core.rules import RuleViolation
from eventsys.events.dimensions import Dimension
from eventsys.events.models import Event
from eventsys.exhibition import duplicates
from eventsys.exhibition.models import Booth, Exhibition, MediaItem, MediaKind, MediaState, Upload

log = logging.getLogger(__name__)

MB = 1024 * 1024
CHUNK_SIZE = 4 * MB  # what the browser sends at a time; well under MAX_CONTENT_LENGTH
MAX_CHUNK = 8 * MB  # a larger chunk is refused before it is read
STALE_AFTER = timedelta(hours=24)
MAX_OPEN_UPLOADS = 10  # per booth (or the stage): unfinished uploads hold disk space
UPLOAD_KINDS = (MediaKind.VIDEO, MediaKind.POSTER)
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")
FILE_PATTERN = re.compile(r"([A-Za-z0-9_-]{20,64})\.(part|final)")


class TooLarge(RuleViolation):
    """More bytes than the limit (at create) or than the upload declared (in a chunk): HTTP 413."""


class WrongOffset(Exception):
    """A chunk that does not start where the received bytes end: the client continues from `received`."""

    def __init__(self, received: int):
        super().__init__(received)
        self.received = received


def partial_dir(app=None) -> Path:
    app = app or current_app
    return Path(app.config.get("EXHIBITION_PARTIAL_DIR") or os.path.join(app.config["UPLOAD_DIR"], "partial"))


def part_path(directory: Path, token: str) -> Path:
    if not TOKEN_PATTERN.fullmatch(token):
        raise ValueError("not an upload token")
    return directory / f"{token}.part"


def _final_path(directory: Path, token: str) -> Path:
    return part_path(directory, token).with_suffix(".final")


def max_bytes(exhibition: Exhibition, kind: MediaKind, config=None) -> int:
    """The largest file of this kind: the exhibition's setting, or EXHIBITION_MAX_VIDEO_MB / _POSTER_MB from the app config."""
    config = config if config is not None else current_app.config
    if kind == MediaKind.VIDEO:
        mb = config.get("EXHIBITION_MAX_VIDEO_MB") or exhibition.max_video_mb or 500
    else:
        mb = config.get("EXHIBITION_MAX_POSTER_MB") or exhibition.max_poster_mb or 20
    return int(mb) * MB


def find(session: Session, event: Event, token: str, *, lock: bool = False) -> Upload | None:
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        return None
    query = select(Upload).where(Upload.token == token, Upload.event_id == event.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def start(session: Session, *, event: Event, exhibition: Exhibition, booth: Booth | None, user, kind: str, title: str,
          file_name: str, total_size, description: str = "", dimension=None, quick_win_id: int | None = None,
          directory: Path, config=None) -> Upload:
    """Open an upload after checking what can be checked before any byte arrives (kind, size, title, dimension, programme).

    `quick_win_id` must be one of the booth's programmes; a stage upload has neither dimension nor programme.
    """
    from eventsys.exhibition.media import clean_filename
    from eventsys.exhibition.portal import booth_programme

    try:
        kind = MediaKind(kind)
    except ValueError:
        kind = None
    if kind not in UPLOAD_KINDS:
        raise RuleViolation(_("Choose whether the file is a video or a poster."), "kind")
    try:
        total_size = int(total_size)
    except (TypeError, ValueError):
        total_size = 0
    if total_size <= 0:
        raise RuleViolation(_("The file is empty. Choose the file again."), "file")
    limit = max_bytes(exhibition, kind, config)
    if total_size > limit:
        if kind == MediaKind.VIDEO:
            message = _("The video is %(size)s; videos may be at most %(max)s. Shorten or compress it and try again.",
                        size=human_size(total_size), max=human_size(limit))
        else:
            message = _("The poster is %(size)s; posters may be at most %(max)s. Save it smaller and try again.",
                        size=human_size(total_size), max=human_size(limit))
        raise TooLarge(message, "file")
    name = clean_filename(file_name or "")[:200]
    title = (title or "").strip() or os.path.splitext(name)[0].strip() or name
    if not title:
        raise RuleViolation(_("Enter a title."), "title")
    if len(title) > 200:
        raise RuleViolation(_("Shorten the title to %(max)d characters.", max=200), "title")
    if dimension in (None, ""):
        dimension = None
    else:
        try:
            dimension = Dimension(dimension)
        except ValueError:
            raise RuleViolation(_("Choose one of the Smart City dimensions, or none."), "dimension") from None
    if booth is None and (dimension or quick_win_id):
        raise RuleViolation(_("Stage videos have no Smart City dimension or programme."), "dimension")
    quick_win_id = booth_programme(session, booth.id, quick_win_id) if booth is not None else None
    sweep_stale(session, directory=directory)
    open_count = session.scalar(select(func.count()).select_from(Upload).where(
        Upload.event_id == event.id,
        Upload.booth_id == booth.id if booth is not None else Upload.on_stage.is_(True)))
    if open_count >= MAX_OPEN_UPLOADS:
        raise RuleViolation(_("%(count)d uploads are still unfinished here. Finish or cancel one of them first.",
                              count=open_count))
    upload = Upload(token=secrets.token_urlsafe(32), event_id=event.id, booth_id=booth.id if booth else None,
                    on_stage=booth is None, user_id=getattr(user, "id", None), kind=kind, title=title,
                    description=(description or "").strip(), dimension=dimension, quick_win_id=quick_win_id, original_name=name,
                    total_size=total_size, received=0)
    session.add(upload)
    session.flush()
    directory.mkdir(parents=True, exist_ok=True)
    part_path(directory, upload.token).touch()
    return upload


def append(session: Session, upload: Upload, offset: int, data: bytes, directory: Path) -> Upload:
    """Write one chunk at `offset` (the upload row must be locked: `find(..., lock=True)`); the caller commits.

    A chunk that starts elsewhere raises WrongOffset; one that runs past the declared size cancels
    the upload (TooLarge): a browser that honours the protocol never sends one.
    """
    if offset != upload.received:
        raise WrongOffset(upload.received)
    if not data:
        raise RuleViolation(_("The chunk was empty. Send it again."))
    if offset + len(data) > upload.total_size:
        total = upload.total_size
        cancel(session, upload, directory)
        raise TooLarge(_("More bytes arrived than the %(size)s the upload announced; it was cancelled. Start it again.",
                         size=human_size(total)))
    path = part_path(directory, upload.token)
    if not path.exists() and offset > 0:
        # The part file was lost (a swept or cleaned directory): the bytes so far must come again.
        upload.received = 0
        session.flush()
        raise WrongOffset(0)
    directory.mkdir(parents=True, exist_ok=True)
    with open(path, "r+b" if path.exists() else "wb") as part:
        part.seek(offset)
        part.write(data)
        part.truncate(offset + len(data))  # bytes of an earlier, uncommitted attempt beyond this end go
        part.flush()
        os.fsync(part.fileno())
    upload.received = offset + len(data)
    upload.updated_at = utcnow()
    session.flush()
    return upload


def is_complete(upload: Upload) -> bool:
    return upload.received >= upload.total_size


def finish(session: Session, event: Event, token: str, directory: Path, *, limit: int) -> MediaItem | None:
    """Turn a complete upload into a MediaItem (state PROCESSING) and commit; None when another request got there first.

    The part file is claimed by renaming it, so only one request checks and stores it; the check runs
    outside any database lock. A refused file (RuleViolation) leaves neither the row nor a file behind;
    so does a file whose bytes an item of the same booth (or the stage) already holds (duplicates.SameFile).
    Its SHA-256 is read once, here, and handed to the storage step rather than read again there.
    """
    from eventsys.exhibition import media

    session.commit()  # the last chunk's row is saved before the long check begins
    final = _final_path(directory, token)
    try:
        os.replace(part_path(directory, token), final)
    except FileNotFoundError:
        return None
    upload = find(session, event, token)
    if upload is None:
        final.unlink(missing_ok=True)
        return None
    kind, name, booth_id = upload.kind, upload.original_name, upload.booth_id
    session.commit()
    stored = None
    try:
        digest = duplicates.file_digest(final)
        duplicates.check_new(session, event_id=event.id, booth_id=booth_id, digest=digest)
        session.commit()
        stored = media.store_upload(final, kind, max_bytes=limit, original_name=name, digest=digest)
    except BaseException:
        final.unlink(missing_ok=True)
        _forget(session, event, token)
        raise
    finally:
        final.unlink(missing_ok=True)
    try:
        upload = find(session, event, token, lock=True)
        if upload is None:  # cancelled while the file was being checked
            raise RuleViolation(_("The upload was cancelled."))
        if booth_id is not None:  # two uploads of the same file finishing together take turns here
            session.execute(select(Booth.id).where(Booth.id == booth_id).with_for_update())
        duplicates.check_new(session, event_id=event.id, booth_id=booth_id, digest=digest)
        item = MediaItem(event_id=upload.event_id, booth_id=upload.booth_id, on_stage=upload.on_stage, kind=stored.kind,
                         state=MediaState.PROCESSING, title=upload.title, description=upload.description,
                         dimension=upload.dimension, quick_win_id=upload.quick_win_id, file_key=stored.file_key,
                         content_type=stored.content_type, size=stored.size, sha256=stored.sha256, content_sha256=digest,
                         original_name=name, width=stored.width, height=stored.height, uploaded_by_id=upload.user_id)
        session.add(item)
        session.delete(upload)
        session.commit()
    except BaseException as error:
        session.rollback()
        media.delete_files(MediaItem(file_key=stored.file_key, kind=stored.kind, title=""))
        if isinstance(error, duplicates.SameFile):
            _forget(session, event, token)
        raise
    return item


def _forget(session: Session, event: Event, token: str) -> None:
    session.rollback()
    upload = find(session, event, token, lock=True)
    if upload is not None:
        session.delete(upload)
    session.commit()


def cancel(session: Session, upload: Upload, directory: Path) -> None:
    """Delete the row and its part file (the caller commits; a file without a row would be swept anyway)."""
    token = upload.token
    session.delete(upload)
    session.flush()
    part_path(directory, token).unlink(missing_ok=True)
    _final_path(directory, token).unlink(missing_ok=True)


def sweep_stale(session: Session, older_than: timedelta = STALE_AFTER, *, directory: Path | None = None,
                now: datetime | None = None) -> int:
    """Delete uploads untouched for `older_than` with their part files, and part files no row names; returns the rows removed."""
    directory = directory or partial_dir()
    cutoff = (now or utcnow()) - older_than
    stale = list(session.scalars(select(Upload).where(Upload.updated_at < cutoff)))
    for upload in stale:
        cancel(session, upload, directory)
    if directory.is_dir():
        live = set(session.scalars(select(Upload.token)))
        for path in directory.iterdir():
            match = FILE_PATTERN.fullmatch(path.name)
            if not match or match.group(1) in live:
                continue
            try:
                if datetime.fromtimestamp(path.stat().st_mtime, cutoff.tzinfo) < cutoff:
                    path.unlink(missing_ok=True)
            except OSError:  # gone meanwhile
                continue
    if stale:
        log.info("Swept %d stale uploads", len(stale))
    return len(stale)


def status(upload: Upload) -> dict:
    return {"token": upload.token, "received": upload.received, "total": upload.total_size, "chunk_size": CHUNK_SIZE,
            "kind": upload.kind.value, "title": upload.title, "file_name": upload.original_name}
