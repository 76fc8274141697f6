"""What the live pages and their scripts read: the timekeeper's and the hall screen's JSON, and the report.

Built from `live.RoomLive` (what the plan says and what happened); nothing here reads the database.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventsys.core.i18n import local_time
from eventsys.events.models import Event, Organization
from eventsys.exposes.live import ON_TIME_SECONDS, LiveItem, RoomLive, format_seconds


def _times(start: datetime | None, end: datetime | None, zone: str) -> str:
    if start is None:
        return ""
    return f"{local_time(start, zone, False)}–{local_time(end, zone, False)}" if end else local_time(start, zone, False)


def item_json(item: LiveItem, event: Event, now: datetime, *, logo_url: Callable[[Organization], str | None] | None = None,
              with_arrival: bool = True) -> dict:
    zone = event.timezone
    presenter, slot = item.presenter, item.slot
    data = {
        "presenter_id": presenter.id,
        "organization": presenter.organization.name,
        "person_name": slot.person_name,
        "person_title": slot.person_title,
        "block": slot.block_title,
        "room": slot.room_name,
        "planned_start": slot.starts_at.isoformat(),
        "planned_end": slot.ends_at.isoformat(),
        "planned": _times(slot.starts_at, slot.ends_at, zone),
        "state": item.state.value,
        "started_at": item.started_at.isoformat() if item.started_at else None,
        "ended_at": item.ended_at.isoformat() if item.ended_at else None,
        "actual": _times(item.started_at, item.ended_at, zone),
        "talk_seconds": int(item.talk.total_seconds()),
        "qa_seconds": int(item.qa.total_seconds()),
        **item.clock(now),
    }
    if logo_url is not None:
        data["logo_url"] = logo_url(presenter.organization)
    if with_arrival:
        data["checked_in"] = item.arrived_at is not None
        data["checked_in_at"] = local_time(item.arrived_at, zone, False) if item.arrived_at else None
    return data


def _delay_json(live: RoomLive, now: datetime) -> dict:
    seconds = int(live.delay(now).total_seconds())
    status = "on_time" if abs(seconds) < ON_TIME_SECONDS else ("late" if seconds > 0 else "ahead")
    return {"delay_seconds": seconds, "delay_text": format_seconds(seconds, signed=True), "delay_status": status}


def state_key(live: RoomLive) -> str:
    """Changes whenever anything recorded in the room changes; the timekeeper's page reloads on it."""
    version = live.version.number if live.version else 0
    parts = [f"{i.presenter.id}:{i.state.value}:{i.started_at and i.started_at.timestamp()}:{i.ended_at and i.ended_at.timestamp()}"
             for i in live.items]
    return f"v{version}|" + "|".join(parts)


def timekeeper_json(live: RoomLive, event: Event, now: datetime) -> dict:
    current, upcoming = live.current, live.next
    return {
        "room": {"id": live.room.id, "name": live.room.name},
        "version": live.version.number if live.version else None,
        "server_now": now.isoformat(),
        "updated": local_time(now, event.timezone, False),
        "state_key": state_key(live),
        "current": item_json(current, event, now) if current else None,
        "next": item_json(upcoming, event, now) if upcoming else None,
        **_delay_json(live, now),
        "items": [item_json(i, event, now) for i in live.items],
        "no_shows": [item_json(i, event, now) for i in live.no_shows],
    }


def hall_json(live: RoomLive, event: Event, now: datetime, logo_url: Callable[[Organization], str | None]) -> dict:
    """What a screen in the hall shows: now presenting and next up; nothing about attendance."""
    current, upcoming = live.current, live.next
    return {
        "room": {"id": live.room.id, "name": live.room.name},
        "server_now": now.isoformat(),
        "updated": local_time(now, event.timezone, False),
        "current": item_json(current, event, now, logo_url=logo_url, with_arrival=False) if current else None,
        "next": item_json(upcoming, event, now, logo_url=logo_url, with_arrival=False) if upcoming else None,
        "finished": not current and not upcoming and bool(live.items),
    }


@dataclass
class ReportRow:
    item: LiveItem
    start_difference: timedelta | None
    length_difference: timedelta | None


def report(live: RoomLive) -> list[ReportRow]:
    """Planned against actual for each presenter of the room: how late each started, how much longer each spoke."""
    rows = []
    for item in live.items:
        start_difference = item.started_at - item.slot.starts_at if item.started_at else None
        length_difference = None
        if item.started_at and item.ended_at:
            length_difference = (item.ended_at - item.started_at) - item.planned_length
        rows.append(ReportRow(item, start_difference, length_difference))
    return rows
