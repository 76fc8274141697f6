"""Builders shared by the exhibition tests: rows made directly, so a test reads as the situation it sets up.

    event = make_exhibition(app, make_event)                      # an exhibition event opening in 30 days
    pavilion = make_pavilion(event, "Kabupaten/Kota")
    booth = make_booth(event, organization, pavilion, dimensions=("living",))
    user = make_exhibitor(make_user, event, organization)
    item = make_media(booth, "poster", "pending")
    make_visit(booth, visitor="v1", media=item); make_vote(booth, confirmed=True)
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from itertools import count

from eventsys.core.db import utcnow
from eventsys.events.dimensions import Dimension
from eventsys.events.models import EventKind
from eventsys.exhibition.models import (
    Booth,
    BoothDimension,
    Exhibition,
    MediaItem,
    MediaKind,
    MediaState,
    Pavilion,
    Visit,
    Vote,
)
from eventsys.extensions import db

_numbers = count(1)

CONTENT_TYPES = {
    MediaKind.VIDEO: "video/mp4",
    MediaKind.POSTER: "image/png",
    MediaKind.DOCUMENT: "application/pdf",
    MediaKind.LINK: None,
}


def make_exhibition(app, make_event, *, name="Pameran Virtual Smart City 2017", slug=None, opens_in=timedelta(days=30),
                    length=timedelta(days=14), timezone="Asia/Jakarta", **settings):
    """An exhibition event starting `opens_in` from now (negative: already open), with its Exhibition row.

    `settings` go to the Exhibition (opens_at, closes_at, intro, max_video_mb, max_poster_mb, voting_enabled).
    """
    start = utcnow() + opens_in
    event = make_event(name=name, slug=slug or f"pameran-{next(_numbers)}", kind=EventKind.EXHIBITION,
                       starts_at=start, ends_at=start + length, timezone=timezone)
    db.session.add(Exhibition(event_id=event.id, **settings))
    db.session.commit()
    return event


def make_pavilion(event, name="Kabupaten/Kota", position=0, description=""):
    pavilion = Pavilion(event_id=event.id, name=name, position=position, description=description)
    db.session.add(pavilion)
    db.session.commit()
    return pavilion


def make_booth(event, organization, pavilion=None, dimensions=(), name=None, **fields):
    """One organization's booth; `dimensions` as Dimension values or their strings ("living")."""
    booth = Booth(event_id=event.id, organization_id=organization.id, pavilion_id=pavilion.id if pavilion else None,
                  name=name or organization.name, **fields)
    booth.dimensions = [BoothDimension(dimension=Dimension(d)) for d in dimensions]
    db.session.add(booth)
    db.session.commit()
    return booth


def make_exhibitor(make_user, event, organization, email=None, name="Diskominfo"):
    """An account with the exhibitor role for `organization` at `event`."""
    return make_user(email=email or f"exhibitor{next(_numbers)}@daerah.go.id", name=name, event=event,
                     role="exhibitor", organization=organization)


def make_media(booth, kind="poster", state="pending", *, event=None, title=None, on_stage=False, file_key=None,
               thumb_key=None, uploaded_by=None, **fields):
    """A media item row in a given state (no bytes in the storage unless the test puts them there).

    For a stage item pass booth=None, event=..., on_stage=True.
    """
    kind, state = MediaKind(kind), MediaState(state)
    number = next(_numbers)
    item = MediaItem(
        event_id=(event or booth.event).id,
        booth_id=booth.id if booth is not None else None,
        on_stage=on_stage,
        kind=kind,
        state=state,
        title=title or f"{kind.value.title()} {number}",
        file_key=None if kind == MediaKind.LINK else (file_key or f"test-{number}"),
        content_type=CONTENT_TYPES[kind],
        size=None if kind == MediaKind.LINK else 1024,
        thumb_key=thumb_key,
        external_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ" if kind == MediaKind.LINK else None,
        uploaded_by_id=uploaded_by.id if uploaded_by is not None else None,
        **fields,
    )
    db.session.add(item)
    db.session.commit()
    return item


def make_visit(booth, visitor="visitor-1", media=None, day=None, commit=True):
    visit = Visit(event_id=booth.event_id, booth_id=booth.id, media_id=media.id if media else None, visitor=visitor,
                  day=day or utcnow().date().isoformat())
    db.session.add(visit)
    if commit:
        db.session.commit()
    return visit


def make_vote(booth, email=None, confirmed=True, commit=True):
    """A people's-choice vote; only confirmed votes count."""
    email = email or f"pemilih{next(_numbers)}@example.org"
    vote = Vote(event_id=booth.event_id, booth_id=booth.id, email_hash=hashlib.sha256(email.encode()).hexdigest(),
                confirmed_at=utcnow() if confirmed else None)
    db.session.add(vote)
    if commit:
        db.session.commit()
    return vote
