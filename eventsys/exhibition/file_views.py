"""Serving exhibition files: media items, their thumbnails and booth logos, with ranges and caching.

Who may fetch a file is decided here, per request: an approved item in a hall the visitor may see
is for anyone; anything else (processing, pending, rejected, failed) only for the booth's
exhibitors and the organizers, and a 404 for everybody else, so an unreviewed file never leaks.
The event, its exhibition and the item (or booth) come in one query: every range of a video pays for it.

The Content-Type is the one the content check found when the file was stored, never one derived
from a name. Every file goes out with `nosniff`, a sandboxing Content-Security-Policy (an HTML or
SVG payload could not run even if one slipped through), PDFs as attachments. Ranges
(`Accept-Ranges: bytes`, 206 with Content-Range, 416 with `bytes */size`), ETag / Last-Modified and
their conditional forms (304, If-Range) come from Werkzeug's `make_conditional` over a seekable
reader: a file on disk, or ranged GetObject requests with the S3 storage. Under gunicorn a local
file goes out through its file_wrapper (sendfile), positioned at the range's start. A request for several
ranges at once is refused with 416 (browsers and video players ask for one). Behind nginx with
ACCEL_REDIRECT_PREFIX set, the app decides who may fetch a local file and nginx sends it (X-Accel-Redirect).
"""
from __future__ import annotations

import os
import unicodedata
from datetime import datetime
from urllib.parse import quote

from flask import Blueprint, abort, current_app, request
from flask_login import current_user
from sqlalchemy import bindparam, select
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wrappers import Response
from werkzeug.wsgi import FileWrapper

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import public
from eventsys.core.storage import InvalidKey, LocalStorage, get_storage
from eventsys.events.models import Event, EventKind
from eventsys.exhibition import services
from eventsys.exhibition.models import Booth, Exhibition, MediaItem, MediaKind
from eventsys.extensions import db

bp = Blueprint("exhibition_file_views", __name__)

BLOCK_SIZE = 256 * 1024  # bytes per write to the socket
PUBLIC_MAX_AGE = 300  # a taken-down file leaves shared caches within minutes; the ETag makes revalidating cheap (304)
FILE_CSP = "default-src 'none'; sandbox"
INLINE_TYPES = {"image/jpeg", "image/png", "image/webp", "video/mp4", "video/webm"}


def _lookup_statement(model):
    return (
        select(Event, Exhibition, model)
        .join(model, (model.event_id == Event.id) & (model.id == bindparam("object_id")))
        .outerjoin(Exhibition, Exhibition.event_id == Event.id)
        .where(Event.slug == bindparam("slug"))
    )


LOOKUPS = {model: _lookup_statement(model) for model in (MediaItem, Booth)}  # built once, not per range request


def _lookup(model, slug: str, object_id: int):
    """The event named `slug`, its exhibition and its item or booth `object_id`, in one query; 404 when one is missing."""
    row = db.session.execute(LOOKUPS[model], {"slug": slug, "object_id": object_id}).first()
    if row is None:
        abort(404)
    event, exhibition, found = row
    if exhibition is None:
        if event.kind != EventKind.EXHIBITION:
            abort(404)
        exhibition = services.exhibition_for(db.session, event)
        db.session.commit()
    return event, exhibition, found


def _hall_open_to_visitor(event: Event, exhibition: Exhibition) -> bool:
    if not event.is_public and not (current_user.is_authenticated and current_user.has_event_role(event, list(EventRoleName))):
        return False
    return services.hall_visible_to(current_user, event, exhibition)


def _may_manage(event: Event, booth: Booth | None) -> bool:
    if booth is not None:
        return services.can_edit_booth(current_user, booth)
    return services.is_staff(current_user, event)


def _visible_item(slug: str, media_id: int) -> tuple[MediaItem, bool]:
    """The item and whether it is public (cacheable by anyone); 404 when this visitor may not see it."""
    event, exhibition, item = _lookup(MediaItem, slug, media_id)
    if item.kind == MediaKind.LINK:
        abort(404)
    if services.is_public(item) and _hall_open_to_visitor(event, exhibition):
        return item, True  # one query for every range of a video: the booth is not even loaded
    if _may_manage(event, item.booth):
        return item, False
    abort(404)


def _download_name(name: str, fallback: str, suffix: str) -> tuple[str, str]:
    name = (name or "").strip() or fallback
    if suffix and not name.lower().endswith(suffix):
        name += suffix
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c for c in ascii_name if c.isalnum() or c in " ._-()").strip() or fallback + suffix
    return ascii_name, quote(name, safe="")


def _serve(key: str | None, content_type: str | None, *, etag: str, modified: datetime | None, is_public: bool,
           download_name: str = "", suffix: str = "", max_age: int = PUBLIC_MAX_AGE):
    if not key or not content_type:
        abort(404)
    storage = get_storage(current_app)
    prefix = current_app.config.get("ACCEL_REDIRECT_PREFIX")
    if prefix and isinstance(storage, LocalStorage):
        return _handed_to_proxy(storage, key, prefix, content_type, is_public, download_name, suffix, max_age)
    try:
        if isinstance(storage, LocalStorage):  # the key checked and the path resolved once, the size from the open file
            reader = storage.open(key)
            size = os.fstat(reader.fileno()).st_size
        else:
            size = storage.size(key)
            reader = storage.open(key)
    except (InvalidKey, FileNotFoundError):
        abort(404)
    except Exception:  # the S3 object is gone or the service does not answer
        current_app.logger.warning("Could not open stored file %s", key, exc_info=True)
        abort(404)
    response = Response(FileWrapper(reader, BLOCK_SIZE), mimetype=content_type, direct_passthrough=True)
    response.content_length = size
    response.set_etag(etag)
    if modified is not None:
        response.last_modified = modified.replace(microsecond=0)
    _file_headers(response.headers, content_type, is_public, download_name, suffix, max_age)
    try:
        response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
    except RequestedRangeNotSatisfiable:
        reader.close()
        refused = Response(b"", status=416)
        refused.headers["Content-Range"] = f"bytes */{size}"
        refused.headers["Accept-Ranges"] = "bytes"
        refused.headers["X-Content-Type-Options"] = "nosniff"
        refused.headers["Content-Security-Policy"] = FILE_CSP
        refused.headers["Cache-Control"] = response.headers["Cache-Control"]
        return refused
    if response.status_code == 304:
        reader.close()
    elif response.status_code in (200, 206) and request.method == "GET":
        _zero_copy(response, storage, reader)
    return response


def _file_headers(headers, content_type: str, is_public: bool, download_name: str, suffix: str, max_age: int) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Security-Policy"] = FILE_CSP
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if content_type in INLINE_TYPES:
        headers["Content-Disposition"] = "inline"
    else:
        ascii_name, utf8_name = _download_name(download_name, "file", suffix)
        headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}"
    headers["Cache-Control"] = f"public, max-age={max_age}" if is_public else "private, no-store"


def _handed_to_proxy(storage: LocalStorage, key: str, prefix: str, content_type: str, is_public: bool, download_name: str,
                     suffix: str, max_age: int) -> Response:
    """Behind nginx: the access was decided here; nginx sends the bytes from its internal location (X-Accel-Redirect).

    nginx then answers ranges, conditional requests and HEAD from the file itself, with sendfile and
    without holding a worker for as long as a visitor's phone takes to download a video. It keeps
    Content-Type, Content-Disposition and Cache-Control of this answer; the internal location adds
    back `nosniff` and the Content-Security-Policy (docs/nginx.conf), which nginx would drop.
    """
    if not storage.exists(key):  # also a key that is no storage key
        abort(404)
    response = Response(b"", mimetype=content_type)
    response.headers["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(key, safe="")
    _file_headers(response.headers, content_type, is_public, download_name, suffix, max_age)
    return response


def _zero_copy(response: Response, storage, reader) -> None:
    """Under gunicorn, hand a local file to its file_wrapper: the bytes go out with sendfile(2), not through Python.

    gunicorn sends from the file's current position and stops at Content-Length (Werkzeug has set it
    to the range's length), so the file is positioned at the range's first byte. Other servers keep
    Werkzeug's reader, which cuts the range itself.
    """
    wrapper = request.environ.get("wsgi.file_wrapper")
    if wrapper is None or not isinstance(storage, LocalStorage) or not str(request.environ.get("SERVER_SOFTWARE", "")).startswith("gunicorn"):
        return
    start = response.content_range.start if response.status_code == 206 and response.content_range else 0
    reader.seek(start)
    response.response = wrapper(reader, BLOCK_SIZE)


@bp.get("/exhibition/<slug>/media/<int:media_id>")
@public
def media(slug: str, media_id: int):
    item, is_public = _visible_item(slug, media_id)
    suffix = ".pdf" if item.content_type == "application/pdf" else ""
    name = item.original_name or item.title
    if suffix and name.lower().endswith(suffix):
        name = name[: -len(suffix)]
    return _serve(item.file_key, item.content_type, etag=item.sha256 or item.file_key or "", modified=item.created_at,
                  is_public=is_public, download_name=name, suffix=suffix)


@bp.get("/exhibition/<slug>/media/<int:media_id>/thumb")
@public
def thumb(slug: str, media_id: int):
    item, is_public = _visible_item(slug, media_id)
    return _serve(item.thumb_key, "image/jpeg" if item.thumb_key else None, etag=item.thumb_key or "",
                  modified=item.reviewed_at or item.created_at, is_public=is_public)


@bp.get("/exhibition/<slug>/booths/<int:booth_id>/logo")
@public
def logo(slug: str, booth_id: int):
    event, exhibition, booth = _lookup(Booth, slug, booth_id)
    if not booth.logo_key:
        abort(404)
    if _hall_open_to_visitor(event, exhibition):
        is_public = True
    elif services.can_edit_booth(current_user, booth):
        is_public = False
    else:
        abort(404)
    content_type = booth.logo_content_type if booth.logo_content_type in INLINE_TYPES else None
    return _serve(booth.logo_key, content_type, etag=booth.logo_key, modified=booth.updated_at, is_public=is_public,
                  max_age=300)  # a new logo keeps the address: visitors see it within minutes
