"""Times are stored in UTC and shown in the event's own zone (WIB, WITA, WIT, …)."""
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from eventsys.config import TIME_ZONES


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the tz database from disk: once per process


def is_valid_zone(name: str) -> bool:
    if not name or name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@cache
def zone_choices() -> list[tuple[str, str]]:
    """Indonesia's three zones first, then the rest of the world for events abroad."""
    indonesian = [(name, f"{abbr} ({name})") for name, abbr in TIME_ZONES.items()]
    others = sorted(z for z in _zones() if z not in TIME_ZONES and "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return indonesian + [(z, z) for z in others]


def zone_abbreviation(zone: str, when: datetime | None = None) -> str:
    """WIB/WITA/WIT for Indonesia; the tz database's own abbreviation elsewhere."""
    if zone in TIME_ZONES:
        return TIME_ZONES[zone]
    when = when or datetime.now(UTC)
    return when.astimezone(ZoneInfo(zone)).tzname() or zone


def to_local(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


def local_to_utc(naive_local: datetime, zone: str) -> datetime:
    """A wall-clock time typed by an organizer, in the event's zone, as UTC."""
    return naive_local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def form_local(value: datetime | None, zone: str) -> datetime | None:
    """A stored UTC time as a datetime-local form field shows it: the zone's wall clock, naive."""
    return to_local(value, zone).replace(tzinfo=None) if value else None


def form_utc(value: datetime | None, zone: str) -> datetime | None:
    """A datetime-local form field's value (the zone's wall clock) as UTC, or None when left empty."""
    return local_to_utc(value, zone) if value else None
