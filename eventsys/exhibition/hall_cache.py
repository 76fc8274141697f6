"""A short cache of the visitor pages' rendered fragments, for anonymous visitors only.

The hall grid (and the booth page's booth part) is the same for every visitor who is not signed in, and
rendering it (Jinja plus the ORM building 48 cards) is what the page costs. So the rendered fragment is
kept for EXHIBITION_HALL_CACHE_SECONDS (30 by default; 0 turns the cache off), in Redis when REDIS_URL is
set (shared by the workers) and in the worker's memory otherwise (cachelib, either way); free-text searches, whose
keys anyone can multiply, always in the worker's memory (at most 500 fragments).

A fragment is never shown after the data under it changed in a way visitors must see at once: its key
holds a change stamp of the event's booths and media read in one query (newest booth edit, newest
upload, newest moderation decision, row counts and highest ids, so approvals, rejections, booth edits,
additions and deletions all make a new key). What the stamp does not see (a booth's dimensions or
programmes changed without its own row, an item's text edited, a pavilion renamed, new votes in
"People's choice") shows within the TTL.

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
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from eventsys.events.models import Event
from eventsys.exhibition.models import Booth, MediaItem

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

    Booths: newest edit and how many; items: newest moderation decision, how many and the highest id (a new
    upload, a deletion). Dimension, programme and pavilion rows are left out on purpose (they cost as much as
    the rest together) and show within the TTL.
    """
    booths = select(func.max(Booth.updated_at).label("edited"), func.count(Booth.id).label("booths")) \
        .where(Booth.event_id == event.id).subquery()
    media = select(func.max(MediaItem.reviewed_at).label("decided"), func.count(MediaItem.id).label("items"),
                   func.max(MediaItem.id).label("newest")).where(MediaItem.event_id == event.id).subquery()
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
