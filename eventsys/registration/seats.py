"""Seat accounting: what is taken and left per category, event, session and organization.

Callers that go on to take a seat hold the event's lock (services.lock_event) first.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventsys.events.models import AgendaSession, Event, Organization
from eventsys.registration.models import (
    HOLDING_STATES,
    DelegateCategory,
    Question,
    Registration,
    RegistrationSettings,
    RegistrationState,
    SessionChoice,
    SessionOption,
)

# States that count against an organization's quota: a region's delegate on the waiting list is
# still one of its delegates, so promoting them later never takes the region past its quota.
QUOTA_STATES = HOLDING_STATES + (RegistrationState.WAITLISTED,)


def _count(session: Session, states, *conditions) -> int:
    return session.scalar(select(func.count(Registration.id)).where(Registration.state.in_(states), *conditions))


def _holding(session: Session, *conditions) -> int:
    return _count(session, HOLDING_STATES, *conditions)


def seats_left(session: Session, settings: RegistrationSettings, category: DelegateCategory) -> int | None:
    """Seats still free for `category`, counting both its own and the event's capacity; None = no limit."""
    limits = []
    if category.capacity is not None:
        limits.append(category.capacity - _holding(session, Registration.category_id == category.id))
    if settings.capacity is not None:
        limits.append(settings.capacity - _holding(session, Registration.event_id == settings.event_id))
    return max(min(limits), 0) if limits else None


def option_seats_left(session: Session, option: SessionOption) -> int | None:
    if option.capacity is None:
        return None
    taken = session.scalar(
        select(func.count(SessionChoice.id))
        .join(SessionChoice.registration)
        .where(
            SessionChoice.option_id == option.id,
            SessionChoice.waitlisted.is_(False),
            Registration.state.in_(HOLDING_STATES),
        )
    )
    return max(option.capacity - taken, 0)


def organization_delegates(session: Session, event: Event, organization: Organization) -> int:
    """The organization's delegates that count against its quota."""
    return _delegates_of(session, event.id, organization.id)


def _delegates_of(session: Session, event_id: int, organization_id: int) -> int:
    return _count(session, QUOTA_STATES, Registration.event_id == event_id, Registration.organization_id == organization_id)


def quota_problem(session: Session, settings: RegistrationSettings, organization: Organization) -> str | None:
    """Why `organization` cannot register another delegate, or None."""
    if settings.organization_quota is None:
        return None
    if _delegates_of(session, settings.event_id, organization.id) >= settings.organization_quota:
        return _(
            "%(organization)s has reached its quota of %(quota)d delegates for this event.",
            organization=organization.name,
            quota=settings.organization_quota,
        )
    return None


def categories_of(session: Session, event: Event) -> list[DelegateCategory]:
    return list(
        session.scalars(
            select(DelegateCategory).where(DelegateCategory.event_id == event.id).order_by(DelegateCategory.position, DelegateCategory.name)
        )
    )


def questions_of(session: Session, event: Event) -> list[Question]:
    return list(session.scalars(select(Question).where(Question.event_id == event.id).order_by(Question.position, Question.id)))


def options_of(session: Session, event: Event) -> list[SessionOption]:
    return list(
        session.scalars(
            select(SessionOption)
            .join(SessionOption.session)
            .where(SessionOption.event_id == event.id)
            .order_by(AgendaSession.starts_at, AgendaSession.title)
        )
    )


def counts_by_category(session: Session, event: Event) -> dict[int, dict[RegistrationState, int]]:
    rows = session.execute(
        select(Registration.category_id, Registration.state, func.count(Registration.id))
        .where(Registration.event_id == event.id)
        .group_by(Registration.category_id, Registration.state)
    ).all()
    counts: dict[int, dict[RegistrationState, int]] = {}
    for category_id, state, n in rows:
        counts.setdefault(category_id, {})[RegistrationState(state)] = n
    return counts


def counts_by_organization(session: Session, event: Event) -> list[tuple[str, int]]:
    """Seat-holding delegates per organization, most first (proposed bodies under their own name)."""
    name = func.coalesce(Organization.name, Registration.proposed_organization)
    rows = session.execute(
        select(name, func.count(Registration.id))
        .select_from(Registration)
        .outerjoin(Organization, Registration.organization_id == Organization.id)
        .where(Registration.event_id == event.id, Registration.state.in_(HOLDING_STATES))
        .group_by(name)
        .order_by(func.count(Registration.id).desc(), name)
    ).all()
    return [(n or "", c) for n, c in rows]


def waitlist_position(session: Session, registration: Registration) -> int | None:
    """1 for the next in line of the registration's category; None when not waiting."""
    if registration.state != RegistrationState.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.category_id == registration.category_id,
            Registration.state == RegistrationState.WAITLISTED,
            (Registration.created_at < registration.created_at)
            | ((Registration.created_at == registration.created_at) & (Registration.id < registration.id)),
        )
    )
    return ahead + 1


def promote_session_choices(session: Session, event: Event) -> None:
    """Give freed session seats to the waiting sign-ups of active registrations, first come first served."""
    waiting = session.scalars(
        select(SessionChoice)
        .join(SessionChoice.registration)
        .where(
            Registration.event_id == event.id,
            Registration.state.in_(HOLDING_STATES),
            SessionChoice.waitlisted.is_(True),
        )
        .order_by(SessionChoice.created_at, SessionChoice.id)
    ).all()
    for choice in waiting:
        if option_seats_left(session, choice.option) != 0:
            choice.waitlisted = False
            session.flush()
