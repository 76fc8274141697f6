"""The organizer's registration settings: window, capacities, categories, questions, session sign-ups.

A change that can free seats (a larger capacity) promotes the waiting list at once, under the
same per-event lock as registrations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventsys.core.rules import RuleViolation
from eventsys.events.models import AgendaSession, Event
from eventsys.registration.models import (
    Answer,
    DelegateCategory,
    Question,
    QuestionKind,
    Registration,
    RegistrationSettings,
    SessionChoice,
    SessionOption,
)
from eventsys.registration.seats import categories_of
from eventsys.registration.services import lock_event, promote_waitlist

COLOR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")
CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)


@dataclass
class SettingsData:
    enabled: bool
    opens_at: datetime | None  # UTC
    closes_at: datetime | None  # UTC
    capacity: int | None
    organization_quota: int | None
    consent_text: str


def save_settings(session: Session, event: Event, data: SettingsData) -> RegistrationSettings:
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise RuleViolation(_("Registration must close after it opens."), "closes_at")
    for value, field in ((data.capacity, "capacity"), (data.organization_quota, "organization_quota")):
        if value is not None and value < 1:
            raise RuleViolation(_("Enter a number from 1 up, or leave it empty for no limit."), field)
    if data.enabled and not categories_of(session, event):
        raise RuleViolation(_("Add at least one delegate category before opening registration."), "enabled")
    settings = lock_event(session, event)
    settings.enabled = data.enabled
    settings.opens_at = data.opens_at
    settings.closes_at = data.closes_at
    settings.capacity = data.capacity
    settings.organization_quota = data.organization_quota
    settings.consent_text = data.consent_text.strip()
    session.flush()
    promote_waitlist(session, event)  # a larger capacity seats those waiting
    return settings


@dataclass
class CategoryData:
    name: str
    capacity: int | None = None
    needs_approval: bool = False
    color: str = "#1d4ed8"
    position: int = 0


def save_category(session: Session, event: Event, data: CategoryData, category: DelegateCategory | None = None) -> DelegateCategory:
    name = " ".join(data.name.split())
    if not name:
        raise RuleViolation(_("Give the category a name, e.g. Kepala Daerah."), "name")
    same = session.scalar(
        select(DelegateCategory).where(
            DelegateCategory.event_id == event.id,
            func.lower(DelegateCategory.name) == name.lower(),
            DelegateCategory.id != (category.id if category else -1),
        )
    )
    if same is not None:
        raise RuleViolation(_("This event already has a category named “%(name)s”.", name=same.name), "name")
    if data.capacity is not None and data.capacity < 1:
        raise RuleViolation(_("Enter a number from 1 up, or leave it empty for no limit."), "capacity")
    if not COLOR_PATTERN.fullmatch(data.color or ""):
        raise RuleViolation(_("Choose a colour like #1d4ed8."), "color")
    lock_event(session, event)
    if category is None:
        category = DelegateCategory(event_id=event.id)
        session.add(category)
    category.name = name
    category.capacity = data.capacity
    category.needs_approval = data.needs_approval
    category.color = data.color.lower()
    category.position = data.position
    session.flush()
    promote_waitlist(session, event)
    return category


def registrations_in_category(session: Session, category: DelegateCategory) -> int:
    return session.scalar(select(func.count(Registration.id)).where(Registration.category_id == category.id))


def delete_category(session: Session, category: DelegateCategory) -> None:
    count = registrations_in_category(session, category)
    if count:
        raise RuleViolation(
            _(
                "“%(name)s” has %(count)d registrations and cannot be deleted. Rename it or change its capacity instead.",
                name=category.name,
                count=count,
            )
        )
    session.delete(category)
    session.flush()


@dataclass
class QuestionData:
    label: str
    kind: QuestionKind
    required: bool = False
    choices: str = ""
    position: int = 0


def _clean_choices(text: str) -> list[str]:
    seen, result = set(), []
    for line in (text or "").splitlines():
        choice = " ".join(line.split())
        if choice and choice.casefold() not in seen:
            seen.add(choice.casefold())
            result.append(choice)
    return result


def answers_to(session: Session, question: Question) -> int:
    return session.scalar(select(func.count(Answer.id)).where(Answer.question_id == question.id))


def save_question(session: Session, event: Event, data: QuestionData, question: Question | None = None) -> Question:
    label = " ".join(data.label.split())
    if not label:
        raise RuleViolation(_("Write the question."), "label")
    choices = _clean_choices(data.choices)
    if data.kind in CHOICE_KINDS:
        if len(choices) < 2:
            raise RuleViolation(_("Give at least two answers to choose from, one a line."), "choices")
        if any(len(c) > 200 for c in choices):
            raise RuleViolation(_("Keep each answer under 200 characters."), "choices")
    else:
        choices = []
    if question is not None and question.kind != data.kind and answers_to(session, question):
        raise RuleViolation(
            _("Registrants have already answered this question, so its kind cannot change. Add a new question instead."), "kind"
        )
    if question is None:
        question = Question(event_id=event.id)
        session.add(question)
    question.label = label
    question.kind = data.kind
    question.required = data.required
    question.choices = "\n".join(choices)
    question.position = data.position
    session.flush()
    return question


def delete_question(session: Session, question: Question) -> int:
    """Deletes the question with its answers; returns how many answers went with it."""
    count = answers_to(session, question)
    session.delete(question)
    session.flush()
    return count


def available_sessions(session: Session, event: Event) -> list[AgendaSession]:
    """The event's agenda sessions that do not have their own sign-up yet."""
    taken = select(SessionOption.session_id).where(SessionOption.event_id == event.id)
    return list(
        session.scalars(
            select(AgendaSession)
            .where(AgendaSession.event_id == event.id, AgendaSession.id.not_in(taken))
            .order_by(AgendaSession.starts_at, AgendaSession.title)
        )
    )


def add_session_option(session: Session, event: Event, agenda_session_id: int, capacity: int | None) -> SessionOption:
    agenda_session = session.get(AgendaSession, agenda_session_id)
    if agenda_session is None or agenda_session.event_id != event.id:
        raise RuleViolation(_("Choose a session of this event's agenda."), "session_id")
    if capacity is not None and capacity < 1:
        raise RuleViolation(_("Enter a number from 1 up, or leave it empty for no limit."), "capacity")
    lock_event(session, event)
    existing = session.scalar(select(SessionOption).where(SessionOption.session_id == agenda_session.id))
    if existing is not None:
        raise RuleViolation(_("“%(title)s” already has its own sign-up.", title=agenda_session.title), "session_id")
    option = SessionOption(event_id=event.id, session_id=agenda_session.id, capacity=capacity)
    session.add(option)
    session.flush()
    return option


def change_option_capacity(session: Session, option: SessionOption, capacity: int | None) -> None:
    if capacity is not None and capacity < 1:
        raise RuleViolation(_("Enter a number from 1 up, or leave it empty for no limit."), "capacity")
    event = session.get(Event, option.event_id)
    lock_event(session, event)
    option.capacity = capacity
    session.flush()
    promote_waitlist(session, event)  # a larger room seats those waiting for the session


def sign_ups(session: Session, option: SessionOption) -> int:
    return session.scalar(select(func.count(SessionChoice.id)).where(SessionChoice.option_id == option.id))


def remove_session_option(session: Session, option: SessionOption) -> None:
    count = sign_ups(session, option)
    if count:
        raise RuleViolation(
            _(
                "%(count)d registrants signed up for “%(title)s”, so its sign-up cannot be removed. Change its capacity instead.",
                count=count,
                title=option.session.title,
            )
        )
    session.delete(option)
    session.flush()
