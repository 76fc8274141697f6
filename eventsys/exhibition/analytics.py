"""Exhibition analytics: views and unique visitors per booth and per item, confirmed votes, top booths, CSV.

A booth's page views are its Visit rows that are not item views; an item's views are the rows naming it;
the views of a deleted item stay item views of its booth and of the event (their media_id is cleared) and
are listed per booth as "Deleted items". A booth's unique visitors count each visitor hash once over its
page and all its items. Only confirmed
votes count. Every figure comes from a grouped query, so a report takes the same number of queries
for 10 booths or 500 (a test holds that).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from eventsys.core.tabular import safe_cell
from eventsys.core.timezones import to_local, zone_abbreviation
from eventsys.events.models import Event, Organization
from eventsys.exhibition.models import Booth, MediaItem, MediaKind, MediaState, Pavilion, Visit, Vote
from eventsys.exhibition.portal import MEDIA_KIND_LABELS, MEDIA_STATE_LABELS

TOP = 10


@dataclass
class BoothStats:
    booth_id: int
    name: str
    organization: str
    pavilion: str
    page_views: int = 0
    item_views: int = 0
    unique_visitors: int = 0
    votes: int = 0
    last_visit: datetime | None = None


@dataclass
class ItemStats:
    """One item's figures; media_id, kind and state None for the views of a booth's (or the stage's) deleted items."""

    media_id: int | None
    booth_id: int | None
    booth_name: str
    title: str
    kind: MediaKind | None
    state: MediaState | None
    views: int = 0
    unique_visitors: int = 0
    last_view: datetime | None = None


@dataclass
class Report:
    booths: list[BoothStats]
    items: list[ItemStats]
    days: list[tuple[str, int, int]]  # (YYYY-MM-DD in the event's zone, views, unique visitors)
    page_views: int
    item_views: int
    unique_visitors: int
    votes: int

    @property
    def top(self) -> list[BoothStats]:
        """Most confirmed votes first, then most unique visitors, then most page views; booths nobody saw left out."""
        ranked = sorted(self.booths, key=lambda b: (-b.votes, -b.unique_visitors, -b.page_views, b.name.lower()))
        return [b for b in ranked if b.votes or b.unique_visitors][:TOP]


def _aware(value):
    """SQLite gives aggregates like max() back without the column's type: naive UTC text or datetime."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    from datetime import UTC
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def report(session: Session, event: Event, booth_id: int | None = None) -> Report:
    """The whole exhibition's figures, or one booth's (`booth_id`) for its exhibitor."""
    only_booth = [Booth.id == booth_id] if booth_id is not None else []
    booths = {
        row.id: BoothStats(row.id, row.name, row.organization, row.pavilion or "")
        for row in session.execute(
            select(Booth.id, Booth.name, Organization.name.label("organization"), Pavilion.name.label("pavilion"))
            .join(Organization, Organization.id == Booth.organization_id)
            .outerjoin(Pavilion, Pavilion.id == Booth.pavilion_id)
            .where(Booth.event_id == event.id, *only_booth).order_by(Booth.name)
        )
    }
    visits = select(Visit).where(Visit.event_id == event.id, *([Visit.booth_id == booth_id] if booth_id is not None else []))
    scoped = visits.subquery()

    for row in session.execute(
        select(scoped.c.booth_id,
               func.count(case((scoped.c.item_view.is_(False), 1))).label("page_views"),
               func.count(case((scoped.c.item_view.is_(True), 1))).label("item_views"),
               func.count(distinct(scoped.c.visitor)).label("unique_visitors"),
               func.max(scoped.c.created_at).label("last"))
        .where(scoped.c.booth_id.is_not(None)).group_by(scoped.c.booth_id)
    ):
        stats = booths.get(row.booth_id)
        if stats is not None:
            stats.page_views, stats.item_views, stats.unique_visitors = row.page_views, row.item_views, row.unique_visitors
            stats.last_visit = _aware(row.last)

    votes_query = (select(Vote.booth_id, func.count(Vote.id)).where(Vote.event_id == event.id, Vote.confirmed_at.is_not(None))
                   .group_by(Vote.booth_id))
    if booth_id is not None:
        votes_query = votes_query.where(Vote.booth_id == booth_id)
    for vote_booth, count in session.execute(votes_query):
        if vote_booth in booths:
            booths[vote_booth].votes = count

    per_item = (select(scoped.c.media_id, func.count().label("views"), func.count(distinct(scoped.c.visitor)).label("uniques"),
                       func.max(scoped.c.created_at).label("last"))
                .where(scoped.c.media_id.is_not(None)).group_by(scoped.c.media_id).subquery())
    items_query = (
        select(MediaItem.id, MediaItem.booth_id, Booth.name.label("booth_name"), MediaItem.title, MediaItem.kind, MediaItem.state,
               per_item.c.views, per_item.c.uniques, per_item.c.last)
        .outerjoin(Booth, Booth.id == MediaItem.booth_id)
        .outerjoin(per_item, per_item.c.media_id == MediaItem.id)
        .where(MediaItem.event_id == event.id)
        .order_by(func.coalesce(per_item.c.views, 0).desc(), MediaItem.title, MediaItem.id)
    )
    items_query = items_query.where(MediaItem.booth_id == booth_id) if booth_id is not None else items_query
    items = [
        ItemStats(r.id, r.booth_id, r.booth_name or _("Stage"), r.title, MediaKind(r.kind), MediaState(r.state),
                  r.views or 0, r.uniques or 0, _aware(r.last))
        for r in session.execute(items_query)
    ]
    items += _deleted_items(session, scoped, booths)

    days = [(r.day, r.views, r.uniques) for r in session.execute(
        select(scoped.c.day, func.count().label("views"), func.count(distinct(scoped.c.visitor)).label("uniques"))
        .group_by(scoped.c.day).order_by(scoped.c.day)
    )]
    totals = session.execute(select(
        func.count(case((scoped.c.item_view.is_(False), 1))), func.count(case((scoped.c.item_view.is_(True), 1))),
        func.count(distinct(scoped.c.visitor)),
    )).one()
    return Report(
        booths=list(booths.values()), items=items, days=days, page_views=totals[0] or 0, item_views=totals[1] or 0,
        unique_visitors=totals[2] or 0, votes=sum(b.votes for b in booths.values()),
    )


def _deleted_items(session: Session, scoped, booths: dict[int, BoothStats]) -> list[ItemStats]:
    """The views of items since deleted, one row per booth (and one for the stage), after the items still there."""
    rows = session.execute(
        select(scoped.c.booth_id, func.count().label("views"), func.count(distinct(scoped.c.visitor)).label("uniques"),
               func.max(scoped.c.created_at).label("last"))
        .where(scoped.c.item_view.is_(True), scoped.c.media_id.is_(None)).group_by(scoped.c.booth_id)
    )
    found = [ItemStats(None, r.booth_id, booths[r.booth_id].name if r.booth_id in booths else _("Stage"), _("Deleted items"),
                       None, None, r.views, r.uniques, _aware(r.last)) for r in rows]
    return sorted(found, key=lambda i: (-i.views, i.booth_name.lower()))


# CSV


def _when(value: datetime | None, zone: str) -> str:
    return to_local(value, zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(v) if isinstance(v, str) else v for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")  # the BOM makes Excel read UTF-8


def booths_csv(data: Report, event: Event) -> bytes:
    zone = event.timezone
    rows = [[_("Booth"), _("Organization"), _("Pavilion"), _("Page views"), _("Item views"), _("Unique visitors"), _("Votes"),
             _("Last visit (%(zone)s)", zone=zone_abbreviation(zone))]]
    rows += [[b.name, b.organization, b.pavilion, b.page_views, b.item_views, b.unique_visitors, b.votes, _when(b.last_visit, zone)]
             for b in data.booths]
    return _csv(rows)


def items_csv(data: Report, event: Event) -> bytes:
    zone = event.timezone
    rows = [[_("Booth"), _("Item"), _("Kind"), _("State"), _("Views"), _("Unique visitors"), _("Last view (%(zone)s)", zone=zone_abbreviation(zone))]]
    rows += [[i.booth_name, i.title, str(MEDIA_KIND_LABELS[i.kind]) if i.kind else "", str(MEDIA_STATE_LABELS[i.state]) if i.state else "",
              i.views, i.unique_visitors, _when(i.last_view, zone)] for i in data.items]  # the page's language, like the headers
    return _csv(rows)
