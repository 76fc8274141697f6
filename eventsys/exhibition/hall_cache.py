"""A short cache of the visitor pages' rendered fragments, for anonymous visitors only.

The hall grid (and the booth page's booth part) is the same for every visitor who is not signed in, and
rendering it (Jinja plus the ORM building 48 cards) is what the page costs. So the rendered fragment is
kept for EXHIBITION_HALL_CACHE_SECONDS (30 by default; 0 turns the cache off), in Redis when REDIS_URL is
set (shared by the workers) and in the worker's memory otherwise (cachelib, either way); free-text searches, whose
keys anyone can multiply, always in the worker's memory (at most 500 fragments).

A fragment is never shown after the data under it changed in a way visitors must see at once: its key
holds a change stamp of the event's booths and media read in one query (newest booth edit, booth count;
newest moderation decision, item count, highest id, and the ids of the approved items summed, so
approvals, rejections, an approved item sent back to review, additions and deletions all make a new key).
A booth's `updated_at` serves as its generation counter (no column of its own needed): every ORM write under
a booth that visitors may see (its row, dimensions, programmes, an approved item's text or state), from the
organizer's pages, the portal or anywhere else, moves it in the same flush (`_touch_booths`), so every
worker sees the new stamp in the database once that commits; a pavilion's edit moves its booths'. What the
stamp does not see (a stage item's text, new votes in "People's choice", booth rows changed in SQL past the ORM, two
booth edits whose commits land in the reverse order of their flushes at the same instant) shows within the TTL.

Signed-in users (organizers, exhibitors previewing before the opening) never read or fill it: the views
only ask for a fragment when the visitor is anonymous, and anonymous visitors see only what is public.
Only the fragment is cached, never the whole page: the layout around it carries the visitor's own CSRF
token, flash messages and language switch.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from cachelib import BaseCache, RedisCache, SimpleCache
from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import case, func, inspect, select, true
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from eventsys.core.db import utcnow
from eventsys.events.models import Event
from eventsys.exhibition.models import Booth, BoothDimension, MediaItem, MediaState, Pavilion, QuickWin

DEFAULT_SECONDS = 30
_EXTENSION = "exhibition_hall_cache"


def seconds() -> int:
    return int(current_app.config.get("EXHIBITION_HALL_CACHE_SECONDS", DEFAULT_SECONDS) or 0)


def store(app=None, shared: bool = True) -> BaseCache:
    """The app's fragment store: Redis when REDIS_URL is configured (and `shared`), else this worker's memory.

    Pages with a free-text search ask for `shared=False`: their keys are unbounded (anyone can send a new
    text a request), so they stay in the worker's memory, which keeps at most 500 fragments.
    """
    app = app or current_app._get_current_object()
    name = _EXTENSION if shared and app.config.get("REDIS_URL") else _EXTENSION + "_local"
    cache = app.extensions.get(name)
    if cache is None:
        timeout = int(app.config.get("EXHIBITION_HALL_CACHE_SECONDS", DEFAULT_SECONDS) or 0)
        if name == _EXTENSION:
            import redis

            client = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5)
            cache = RedisCache(host=client, key_prefix="eventsys:exhibition:", default_timeout=timeout)
        else:
            cache = SimpleCache(threshold=500, default_timeout=timeout)
        app.extensions[name] = cache
    return cache


def change_stamp(session: Session, event: Event) -> str:
    """What changes whenever a booth or an item visitors may see changes, in one query (one pass over each table).

    Booths: newest edit (their dimensions and programmes move it too, see `_touch_booths`) and how many;
    items: newest moderation decision, how many, the highest id (a new upload, a deletion) and the sum of the
    approved ones' ids (an item leaving the hall or entering it, whatever the clocks say). Dimension,
    programme and pavilion rows are not read (they cost as much as the rest together).
    """
    booths = select(func.max(Booth.updated_at).label("edited"), func.count(Booth.id).label("booths")) \
        .where(Booth.event_id == event.id).subquery()
    approved = func.sum(case((MediaItem.state == MediaState.APPROVED, MediaItem.id), else_=0))
    media = select(func.max(MediaItem.reviewed_at).label("decided"), func.count(MediaItem.id).label("items"),
                   func.max(MediaItem.id).label("newest"), approved.label("approved")) \
        .where(MediaItem.event_id == event.id).subquery()
    row = session.execute(select(booths, media).select_from(booths.join(media, true()))).one()  # two one-row results
    return "|".join(str(value) for value in row)


def fragment(session: Session, visible, parts: tuple, render: Callable[[], str], shared: bool = True) -> Markup:
    """The cached fragment for (event, its settings, page parts, language, change stamp), rendered on a miss."""
    ttl = seconds()
    if ttl <= 0:
        return Markup(render())
    event, exhibition = visible.event, visible.exhibition
    identity = (
        event.id, event.slug, event.name, event.timezone, str(get_locale()), str(visible.phase), visible.opens_at, visible.closes_at,
        exhibition.intro, exhibition.voting_enabled, parts, change_stamp(session, event),
    )
    key = f"{event.id}:{parts[0]}:" + hashlib.sha256(repr(identity).encode()).hexdigest()[:32]
    cache = store(shared=shared)
    try:
        body = cache.get(key)
    except Exception:  # Redis away: the page is rendered, never refused
        current_app.logger.warning("exhibition: the hall cache could not be read", exc_info=True)
        return Markup(render())
    if body is None:
        body = render()
        try:
            cache.set(key, body, timeout=ttl)
        except Exception:
            current_app.logger.warning("exhibition: the hall cache could not be written", exc_info=True)
    return Markup(body)


# Writes under a booth move its updated_at, so the change stamp sees them at once.


def _public(item: MediaItem) -> bool:
    """Whether the item is, or was before this flush, in the hall (processing a pending item changes nothing there)."""
    history = inspect(item).attrs.state.history
    return MediaState.APPROVED in (item.state, *history.deleted, *history.unchanged)


@sa_event.listens_for(Session, "before_flush")
def _touch_booths(session: Session, _context, _instances) -> None:
    """Set `updated_at` on every booth whose dimensions, programmes or visible items this flush changes.

    In the flush itself, so the new stamp commits with the change, whoever writes it (the organizer's pages,
    the exhibitor portal, the uploads) and in whichever worker: the database is what they all share.
    """
    booth_ids: set[int] = set()
    renamed: list[int] = []
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Booth):
            if obj not in session.new and session.is_modified(obj):
                booth_ids.add(obj.id)  # a change of its dimensions alone does not write its row
        elif isinstance(obj, BoothDimension | QuickWin):
            booth_ids.add(obj.booth_id)
        elif isinstance(obj, MediaItem) and obj.booth_id is not None and (obj in session.deleted or _public(obj)):
            if obj in session.deleted or obj in session.new or session.is_modified(obj):
                booth_ids.add(obj.booth_id)
        elif isinstance(obj, Pavilion) and obj not in session.new and session.is_modified(obj):
            renamed.append(obj.id)  # its name is on each of its booths' cards and in the hall's filter
    if renamed:
        with session.no_autoflush:
            booth_ids.update(session.scalars(select(Booth.id).where(Booth.pavilion_id.in_(renamed))))
    now = utcnow()
    for booth_id in booth_ids - {None}:
        booth = session.get(Booth, booth_id)
        if booth is not None and booth not in session.deleted:
            booth.updated_at = now
