"""Live arrivals: who came when, by category, region and checkpoint, who is inside, who is missing.

Everything here is a handful of grouped queries, whatever the number of tickets (events have up to
20,000): counts are made by the database, and lists are cut at a limit. Whether a registration
came is an EXISTS on checkins.registration_id's index rather than a join with an aggregate, which
PostgreSQL, with statistics older than the table's contents, may re-sort for every registration.

What counts: check-ins that were not undone. "Arrived" is a confirmed registration's first entry
(direction in) at any checkpoint of the event; "expected" are the confirmed registrations. With a day
chosen (two-day forums), arrivals, checkpoint counts and the not-arrived list count only that day's
entries (a day on the event's clock), so on day 2 a delegate who came only on day 1 is not arrived.
Checkpoint counts and who is inside count only the expected there (confirmed, of a category the
checkpoint admits), as the attendance reports do: someone cancelled after entering is in neither.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import BigInteger, Integer, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from eventsys.attendance.models import CheckIn, Checkpoint, Direction, EntryPolicy, checkpoint_categories
from eventsys.core.db import utcnow
from eventsys.core.timezones import local_to_utc, to_local, zone_abbreviation
from eventsys.events.models import Event, Organization
from eventsys.registration.models import DelegateCategory, Registration, RegistrationState

BUCKET_MINUTES = 15
BUCKET_SECONDS = BUCKET_MINUTES * 60
MAX_FILLED_BUCKETS = 1000  # beyond this span the chart shows only the quarters with arrivals
NOT_ARRIVED_LIMIT = 500
INSIDE_LIMIT = 200


def live_checkins(event: Event, *conditions):
    """The WHERE of check-ins that count: of this event, not undone."""
    return (CheckIn.event_id == event.id, CheckIn.undone_at.is_(None), *conditions)


def entered(*conditions):
    """EXISTS: the registration of the outer query has a live entry (at a checkpoint matching `conditions`)."""
    return exists().where(
        CheckIn.registration_id == Registration.id, CheckIn.undone_at.is_(None), CheckIn.direction == Direction.IN, *conditions
    )


def event_days(event: Event) -> list[date]:
    """The calendar days the event spans on its own clock (an end at midnight does not add a day)."""
    first = to_local(event.starts_at, event.timezone).date()
    last = to_local(event.ends_at - timedelta(microseconds=1), event.timezone).date()
    return [first + timedelta(days=n) for n in range(max((last - first).days, 0) + 1)]


def on_day(day: date | None, zone: str) -> tuple:
    """Conditions on CheckIn.at: within `day` on the event's clock; none when no day is chosen."""
    if day is None:
        return ()
    start = local_to_utc(datetime.combine(day, time()), zone)
    end = local_to_utc(datetime.combine(day + timedelta(days=1), time()), zone)
    return (CheckIn.at >= start, CheckIn.at < end)


def _bucket(column, dialect: str):
    """The UTC quarter-hour a time falls in, as an integer (seconds since 1970 // 900).

    Every zone's offset today is a whole number of quarter-hours (+05:45 and +08:45 too), so a UTC
    quarter-hour is also a quarter-hour on the event's clock: grouping in UTC is grouping locally.
    """
    if dialect == "postgresql":
        seconds = cast(func.floor(func.extract("epoch", column)), BigInteger)
    else:  # SQLite keeps naive UTC text; strftime('%s') reads it as UTC
        seconds = cast(func.strftime("%s", column), Integer)
    return seconds // BUCKET_SECONDS


def _confirmed(event: Event):
    return (Registration.event_id == event.id, Registration.state == RegistrationState.CONFIRMED)


def arrival_buckets(session: Session, event: Event, day: date | None = None) -> list[dict]:
    """First entries of confirmed registrations (that day, if one is given) per quarter-hour, on the event's clock."""
    first = (
        select(func.min(CheckIn.at).label("first_at"))
        .join(Registration, Registration.id == CheckIn.registration_id)
        .where(*live_checkins(event, CheckIn.direction == Direction.IN, *on_day(day, event.timezone)), *_confirmed(event))
        .group_by(CheckIn.registration_id)
        .subquery("first_entries")
    )
    bucket = _bucket(first.c.first_at, session.get_bind().dialect.name).label("bucket")
    rows = session.execute(select(bucket, func.count()).select_from(first).group_by(bucket).order_by(bucket)).all()
    counts = {int(b): n for b, n in rows}
    if not counts:
        return []
    low, high = min(counts), max(counts)
    keys = range(low, high + 1) if high - low < MAX_FILLED_BUCKETS else sorted(counts)
    result, total = [], 0
    for key in keys:
        start = datetime.fromtimestamp(key * BUCKET_SECONDS, UTC)
        local = to_local(start, event.timezone)
        total += counts.get(key, 0)
        result.append(
            {
                "start": start.isoformat(),
                "date": local.date().isoformat(),
                "label": local.strftime("%H:%M"),
                "count": counts.get(key, 0),
                "cumulative": total,
            }
        )
    return result


@dataclass(frozen=True)
class GroupCount:
    """Confirmed registrations of one category and organization: how many, and how many arrived."""

    category_id: int
    organization_id: int | None
    organization: str | None
    province: str | None
    expected: int
    arrived: int


def group_counts(session: Session, event: Event, day: date | None = None) -> list[GroupCount]:
    """One grouped query (at most categories × organizations rows) for the totals, categories and regions."""
    rows = session.execute(
        select(
            Registration.category_id, Organization.id, Organization.name, Organization.province,
            func.count(Registration.id), func.count(Registration.id).filter(entered(*on_day(day, event.timezone))),
        )
        .select_from(Registration)
        .outerjoin(Organization, Organization.id == Registration.organization_id)
        .where(*_confirmed(event))
        .group_by(Registration.category_id, Organization.id, Organization.name, Organization.province)
    )
    return [GroupCount(*row) for row in rows]


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def totals(session: Session, event: Event, counts: list[GroupCount] | None = None) -> dict:
    counts = group_counts(session, event) if counts is None else counts
    expected, arrived = sum(c.expected for c in counts), sum(c.arrived for c in counts)
    return {"expected": expected, "arrived": arrived, "not_arrived": expected - arrived, "percent": _percent(arrived, expected)}


def by_category(session: Session, event: Event, counts: list[GroupCount] | None = None) -> list[dict]:
    """Every category of the event, in its order, the empty ones too."""
    counts = group_counts(session, event) if counts is None else counts
    sums: dict[int, list[int]] = {}
    for c in counts:
        total = sums.setdefault(c.category_id, [0, 0])
        total[0] += c.expected
        total[1] += c.arrived
    categories = session.scalars(
        select(DelegateCategory).where(DelegateCategory.event_id == event.id).order_by(DelegateCategory.position, DelegateCategory.name)
    )
    rows = []
    for category in categories:
        expected, arrived = sums.get(category.id, (0, 0))
        rows.append(
            {"id": category.id, "name": category.name, "color": category.color, "expected": expected, "arrived": arrived,
             "percent": _percent(arrived, expected)}
        )
    return rows


def by_region(session: Session, event: Event, counts: list[GroupCount] | None = None) -> list[dict]:
    """Per organization (with its province), by province and name; bodies not in the list share the last row."""
    counts = group_counts(session, event) if counts is None else counts
    regions: dict[int | None, dict] = {}
    for c in counts:
        region = regions.setdefault(
            c.organization_id,
            {"id": c.organization_id, "name": c.organization if c.organization_id is not None else _("Not in the list (proposed)"),
             "province": c.province or "", "expected": 0, "arrived": 0},
        )
        region["expected"] += c.expected
        region["arrived"] += c.arrived
    rows = sorted(regions.values(), key=lambda r: (r["id"] is None, r["province"] == "", r["province"].casefold(), r["name"].casefold()))
    for row in rows:
        row["missing"] = row["expected"] - row["arrived"]
        row["percent"] = _percent(row["arrived"], row["expected"])
    return rows


def expected_there() -> tuple:
    """Conditions on a check-in joined with its registration: the registration is expected at its checkpoint
    (confirmed, and of a category the checkpoint admits, or the checkpoint admits every category)."""
    lists_categories = exists().where(checkpoint_categories.c.checkpoint_id == CheckIn.checkpoint_id)
    allowed = exists().where(
        checkpoint_categories.c.checkpoint_id == CheckIn.checkpoint_id, checkpoint_categories.c.category_id == Registration.category_id
    )
    return (Registration.state == RegistrationState.CONFIRMED, or_(~lists_categories, allowed))


def _inside_balances(event: Event, checkpoint_ids: list[int]):
    """Subquery: (checkpoint, registration) pairs of the expected there with more live entries than exits: inside now."""
    balance = func.sum(case((CheckIn.direction == Direction.IN, 1), else_=-1))
    return (
        select(CheckIn.checkpoint_id.label("checkpoint_id"), CheckIn.registration_id.label("registration_id"))
        .join(Registration, Registration.id == CheckIn.registration_id)
        .where(*live_checkins(event, CheckIn.checkpoint_id.in_(checkpoint_ids)), *expected_there())
        .group_by(CheckIn.checkpoint_id, CheckIn.registration_id)
        .having(balance > 0)
        .subquery("inside")
    )


def checkpoints_of(session: Session, event: Event) -> list[Checkpoint]:
    return list(session.scalars(select(Checkpoint).where(Checkpoint.event_id == event.id).order_by(Checkpoint.position, Checkpoint.id)))


def inside_counts(session: Session, event: Event, checkpoints: list[Checkpoint]) -> dict[int, int]:
    """People inside now per entry-and-exit checkpoint (the others are absent from the result)."""
    ids = [c.id for c in checkpoints if c.policy == EntryPolicy.IN_OUT]
    if not ids:
        return {}
    inside = _inside_balances(event, ids)
    counts = dict(session.execute(select(inside.c.checkpoint_id, func.count()).group_by(inside.c.checkpoint_id)).all())
    return {i: counts.get(i, 0) for i in ids}


def checked_in_counts(session: Session, event: Event, day: date | None = None) -> dict[int, int]:
    """Per checkpoint: the expected (confirmed, of a category allowed there) with a live entry there.

    Someone who cancelled after checking in is not counted, so the checkpoint overview, this page
    and the attendance reports agree.
    """
    return dict(
        session.execute(
            select(CheckIn.checkpoint_id, func.count(func.distinct(CheckIn.registration_id)))
            .join(Registration, Registration.id == CheckIn.registration_id)
            .where(*live_checkins(event, CheckIn.direction == Direction.IN, *on_day(day, event.timezone)), *expected_there())
            .group_by(CheckIn.checkpoint_id)
        ).all()
    )


def by_checkpoint(
    session: Session, event: Event, checkpoints: list[Checkpoint], inside: dict[int, int], day: date | None = None
) -> list[dict]:
    checked_in = checked_in_counts(session, event, day)
    return [
        {"id": c.id, "name": c.name, "policy": c.policy.value, "checked_in": checked_in.get(c.id, 0), "inside": inside.get(c.id)}
        for c in checkpoints
    ]


def _person(row) -> dict:
    return {
        "registration_id": row.id,
        "name": row.name,
        "position": row.position or "",
        "organization": row.organization or row.proposed_organization or "",
        "province": row.province or "",
        "category": row.category,
    }


def _person_columns():
    return (
        Registration.id,
        Registration.name,
        Registration.position,
        Registration.proposed_organization,
        Organization.name.label("organization"),
        Organization.province.label("province"),
        DelegateCategory.name.label("category"),
    )


def inside_now(session: Session, event: Event, checkpoints: list[Checkpoint], counts: dict[int, int], limit: int = INSIDE_LIMIT) -> list[dict]:
    """Per entry-and-exit checkpoint (`counts` from inside_counts): how many are inside, the first `limit` by name."""
    result = []
    for checkpoint in checkpoints:  # a few checkpoints, one query each: not a loop over people
        if checkpoint.id not in counts:
            continue
        inside = _inside_balances(event, [checkpoint.id])
        rows = session.execute(
            select(*_person_columns())
            .select_from(inside)
            .join(Registration, Registration.id == inside.c.registration_id)
            .join(DelegateCategory, DelegateCategory.id == Registration.category_id)
            .outerjoin(Organization, Organization.id == Registration.organization_id)
            .order_by(Registration.name, Registration.id)
            .limit(limit)
        ).all()
        result.append({"checkpoint_id": checkpoint.id, "checkpoint": checkpoint.name, "count": counts[checkpoint.id],
                       "people": [_person(r) for r in rows], "truncated": counts[checkpoint.id] > len(rows)})
    return result


def not_arrived(
    session: Session, event: Event, *, category_id: int | None = None, day: date | None = None, limit: int = NOT_ARRIVED_LIMIT
) -> dict:
    """Confirmed registrations without a live entry anywhere (that day, if one is given), by province, organization and name.

    No contact details: check-in staff see this list too.
    """
    conditions = [*_confirmed(event), ~entered(*on_day(day, event.timezone))]
    if category_id:
        conditions.append(Registration.category_id == category_id)
    count = session.scalar(select(func.count(Registration.id)).where(*conditions))
    rows = session.execute(
        select(*_person_columns())
        .join(DelegateCategory, DelegateCategory.id == Registration.category_id)
        .outerjoin(Organization, Organization.id == Registration.organization_id)
        .where(*conditions)
        .order_by(Organization.province.nulls_last(), Organization.name.nulls_last(), Registration.name, Registration.id)
        .limit(limit)
    ).all()
    return {"category_id": category_id, "count": count, "people": [_person(r) for r in rows], "truncated": count > len(rows)}


def fingerprint(session: Session, event: Event, *extra) -> str:
    """Changes whenever anything the arrivals page shows may have changed (for ETag / 304)."""
    checkins = session.execute(
        select(func.count(CheckIn.id), func.max(CheckIn.id), func.count(CheckIn.undone_at), func.max(CheckIn.undone_at))
        .where(CheckIn.event_id == event.id)
    ).one()
    registrations = session.execute(
        select(func.count(Registration.id), func.max(Registration.updated_at)).where(Registration.event_id == event.id)
    ).one()
    checkpoints = session.execute(
        select(func.count(Checkpoint.id), func.max(Checkpoint.id), func.sum(Checkpoint.position)).where(Checkpoint.event_id == event.id)
    ).one()
    source = repr((tuple(checkins), tuple(registrations), tuple(checkpoints), extra))
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def snapshot(
    session: Session, event: Event, *, category_id: int | None = None, day: date | None = None, now: datetime | None = None
) -> dict:
    """Everything the live arrivals page shows, as JSON-ready values; who is inside is always now, whatever the day."""
    now = now or utcnow()
    checkpoints = checkpoints_of(session, event)
    inside = inside_counts(session, event, checkpoints)
    counts = group_counts(session, event, day)
    local_now = to_local(now, event.timezone)
    return {
        "event": {"slug": event.slug, "name": event.name, "timezone": event.timezone, "zone": zone_abbreviation(event.timezone, now)},
        "generated_at": now.isoformat(),
        "updated": local_now.strftime("%H:%M:%S"),
        "bucket_minutes": BUCKET_MINUTES,
        "day": day.isoformat() if day else None,
        "totals": {**totals(session, event, counts), "inside": sum(inside.values())},
        "buckets": arrival_buckets(session, event, day),
        "by_category": by_category(session, event, counts),
        "by_checkpoint": by_checkpoint(session, event, checkpoints, inside, day),
        "by_region": by_region(session, event, counts),
        "inside": inside_now(session, event, checkpoints, inside),
        "not_arrived": not_arrived(session, event, category_id=category_id, day=day),
    }
