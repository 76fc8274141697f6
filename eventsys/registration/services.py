"""Registration rules: the window, capacities and quotas, the waiting list, approval and cancellation.

Capacity holds under concurrent registrations because every change that takes or frees a seat
first locks the event's settings row (SELECT … FOR UPDATE on PostgreSQL; on SQLite write
requests already hold the database's write lock from their first statement). Counting and
inserting then happen with no other registration of the event in between.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventsys.core.db import utcnow
from eventsys.core.models import OutboxMessage
from eventsys.core.rules import RuleViolation
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import Event, Organization
from eventsys.registration import notifications, tickets
from eventsys.registration.models import (
    Answer,
    DelegateCategory,
    QuestionKind,
    Registration,
    RegistrationSettings,
    RegistrationState,
    SessionChoice,
    SessionOption,
)
from eventsys.registration.seats import (
    QUOTA_STATES,
    option_seats_left,
    promote_session_choices,
    questions_of,
    quota_problem,
    seats_left,
)

ACTIVE_STATES = QUOTA_STATES

# The mail each state's registrant gets (again) when asking for their link.
STATE_MAIL = {
    RegistrationState.CONFIRMED: "confirmation",
    RegistrationState.PENDING: "pending",
    RegistrationState.WAITLISTED: "waitlist",
    RegistrationState.CANCELLED: "cancellation",
    RegistrationState.REJECTED: "rejection",
}
# "Send my link again" queues at most this many mails to one address per event and hour.
RESEND_PER_HOUR = 3


class AlreadyRegistered(RuleViolation):
    """The email already has a registration for the event (the form offers to resend the link)."""

    def __init__(self):
        super().__init__(
            _("This email address is already registered for this event. We can send the ticket link to it again."),
            "email",
        )


def settings_for(session: Session, event: Event) -> RegistrationSettings:
    """The event's registration settings, made (closed) on first use."""
    settings = session.get(RegistrationSettings, event.id)
    if settings is None:
        try:
            with session.begin_nested():
                session.add(RegistrationSettings(event_id=event.id, enabled=False, consent_text=""))
        except IntegrityError:  # made by a concurrent request a moment ago
            pass
        settings = session.get(RegistrationSettings, event.id)
    return settings


def lock_event(session: Session, event: Event) -> RegistrationSettings:
    """Serialize seat-changing work per event (see the module's docstring)."""
    settings_for(session, event)
    return session.scalars(
        select(RegistrationSettings)
        .where(RegistrationSettings.event_id == event.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def is_open(session: Session, event: Event, now: datetime | None = None) -> bool:
    """Whether delegates can register now; reads only (event pages call it on every view)."""
    settings = session.get(RegistrationSettings, event.id)
    return settings is not None and window_problem(settings, now or utcnow()) is None


def window_problem(settings: RegistrationSettings, now: datetime) -> str | None:
    """Why registration is closed now, or None when it is open."""
    if not settings.enabled:
        return _("Registration for this event is not open.")
    if settings.opens_at and now < settings.opens_at:
        return _("Registration has not opened yet.")
    if settings.closes_at and now >= settings.closes_at:
        return _("Registration has closed.")
    return None


@dataclass
class RegistrationData:
    category_id: int
    name: str
    email: str
    position: str = ""
    phone: str | None = None  # already E.164
    nip: str | None = None
    organization_id: int | None = None
    proposed_organization: str | None = None
    locale: str = "id"
    consent: bool = False
    answers: dict[int, str] = field(default_factory=dict)  # question id -> value (choices joined by "\n")
    files: dict[int, tuple[str, str]] = field(default_factory=dict)  # question id -> (storage key, file name)
    option_ids: list[int] = field(default_factory=list)


def find_registration(session: Session, event: Event, email: str) -> Registration | None:
    return session.scalar(
        select(Registration).where(Registration.event_id == event.id, Registration.email == email.strip().lower())
    )


def _already_registered() -> RuleViolation:
    return AlreadyRegistered()


YES_NO = ("yes", "no")


def _check_answers(session: Session, event: Event, data: RegistrationData) -> None:
    questions = {q.id: q for q in questions_of(session, event)}
    if any(qid not in questions for qid in [*data.answers, *data.files]):
        raise RuleViolation(_("The form has changed since you opened it. Reload the page and fill it in again."))
    for q in questions.values():
        value = (data.answers.get(q.id) or "").strip()
        if q.kind == QuestionKind.FILE:
            if q.required and q.id not in data.files:
                raise RuleViolation(_("“%(question)s” needs a file.", question=q.label), f"q_{q.id}")
            continue
        if q.required and not value:
            raise RuleViolation(_("“%(question)s” needs an answer.", question=q.label), f"q_{q.id}")
        if value and q.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
            picked = value.split("\n")
            if any(p not in q.choice_list for p in picked) or (q.kind == QuestionKind.SINGLE_CHOICE and len(picked) > 1):
                raise RuleViolation(_("Choose from the listed answers to “%(question)s”.", question=q.label), f"q_{q.id}")
        if value and q.kind == QuestionKind.YES_NO and value not in YES_NO:
            raise RuleViolation(_("Answer “%(question)s” with yes or no.", question=q.label), f"q_{q.id}")


def _organization_of(session: Session, data: RegistrationData) -> Organization | None:
    """The listed organization chosen, or the listed one a proposed name turns out to be."""
    if data.organization_id is not None:
        organization = session.get(Organization, data.organization_id)
        if organization is None:
            raise RuleViolation(_("Choose an organization from the list, or propose a new one."), "organization_id")
        return organization
    proposed = (data.proposed_organization or "").strip()
    if not proposed:
        raise RuleViolation(_("Choose your organization, or propose a new one."), "organization_id")
    # "kab.  siak" typed as new is Kab. Siak from the list: its quota must still count.
    return session.scalar(select(Organization).where(Organization.name_key == Organization.key_for(proposed)))


def register(session: Session, event: Event, data: RegistrationData, *, now: datetime | None = None,
             organization_locked: bool = False) -> tuple[Registration, str]:
    """Register a delegate; returns the registration and the secret of their personal link.

    `organization_locked` is set when the registrant came through an organization's link, whose
    organization they cannot change. Nothing is stored when a rule is broken.
    """
    now = now or utcnow()
    settings = lock_event(session, event)
    problem = window_problem(settings, now)
    if problem:
        raise RuleViolation(problem)
    if not data.name.strip():
        raise RuleViolation(_("Enter your name."), "name")
    if not data.consent:
        raise RuleViolation(_("Agree to the processing of your data to register."), "consent")
    email = data.email.strip().lower()
    if find_registration(session, event, email) is not None:
        raise _already_registered()
    category = session.get(DelegateCategory, data.category_id)
    if category is None or category.event_id != event.id:
        raise RuleViolation(_("Choose one of the listed categories."), "category_id")
    if organization_locked and data.organization_id is None:
        raise RuleViolation(_("This organization link is not valid."))
    organization = _organization_of(session, data)
    if organization is not None:
        quota = quota_problem(session, settings, organization)
        if quota:
            raise RuleViolation(quota, "organization_id")
    _check_answers(session, event, data)
    options = []
    if data.option_ids:
        options = session.scalars(
            select(SessionOption).where(SessionOption.id.in_(data.option_ids), SessionOption.event_id == event.id)
        ).all()
        if len(options) != len(set(data.option_ids)):
            raise RuleViolation(_("Choose sessions from the list."), "option_ids")

    left = seats_left(session, settings, category)
    if left == 0:
        state = RegistrationState.WAITLISTED
    elif category.needs_approval:
        state = RegistrationState.PENDING
    else:
        state = RegistrationState.CONFIRMED

    secret = new_secret()
    registration = Registration(
        event_id=event.id,
        category_id=category.id,
        organization_id=organization.id if organization else None,
        proposed_organization=None if organization else (data.proposed_organization or "").strip()[:200],
        name=data.name.strip(),
        position=data.position.strip(),
        email=email,
        phone=data.phone,
        nip=data.nip,
        locale=data.locale,
        state=state,
        manage_token_hash=hash_secret(secret),
        consent_at=now,
    )
    for question_id, value in data.answers.items():
        if value:
            registration.answers.append(Answer(question_id=question_id, value=value))
    for question_id, (key, name) in data.files.items():
        registration.answers.append(Answer(question_id=question_id, value=name, file_key=key, file_name=name))
    session.add(registration)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _already_registered() from None
    for option in options:
        # Someone waiting for a seat at the event waits for the session's seat too.
        full = state == RegistrationState.WAITLISTED or option_seats_left(session, option) == 0
        registration.session_choices.append(SessionChoice(option=option, waitlisted=full))
    session.flush()
    if state == RegistrationState.CONFIRMED:
        tickets.issue_ticket(session, registration)
    notifications.notify(session, registration, STATE_MAIL[state], link_secret=secret)
    return registration, secret


def registration_by_secret(session: Session, secret: str) -> Registration | None:
    if not secret or len(secret) > 200:
        return None
    return session.scalar(select(Registration).where(Registration.manage_token_hash == hash_secret(secret)))


def new_manage_secret(registration: Registration) -> str:
    """A fresh personal link (e.g. when the ticket is resent); the old link stops working."""
    secret = new_secret()
    registration.manage_token_hash = hash_secret(secret)
    return secret


def resend_link(session: Session, event: Event, email: str, *, now: datetime | None = None) -> None:
    """Mail the registrant of `email` their personal link again, with the mail of their state.

    Says nothing about whether the address is registered; a few requests an hour per address
    are served, the rest are dropped quietly so nobody can flood an inbox through this form.
    """
    now = now or utcnow()
    registration = find_registration(session, event, email or "")
    if registration is None:
        return
    recent = session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.event_id == event.id,
            OutboxMessage.to_email == registration.email,
            OutboxMessage.created_at >= now - timedelta(hours=1),
        )
    )
    if recent >= RESEND_PER_HOUR:
        return
    kind = STATE_MAIL[registration.state]
    notifications.notify(session, registration, kind, reason=registration.state_reason)


def approve(session: Session, registration: Registration) -> None:
    lock_event(session, registration.event)
    session.refresh(registration)
    if registration.state not in (RegistrationState.PENDING, RegistrationState.WAITLISTED):
        raise RuleViolation(_("Only registrations awaiting approval or on the waiting list can be approved."))
    if registration.state == RegistrationState.WAITLISTED:
        settings = settings_for(session, registration.event)
        if seats_left(session, settings, registration.category) == 0:
            raise RuleViolation(
                _("“%(category)s” has no free seat. Raise its capacity or wait for a cancellation.", category=registration.category.name)
            )
    registration.state = RegistrationState.CONFIRMED
    registration.state_reason = ""
    session.flush()
    tickets.issue_ticket(session, registration)
    notifications.notify(session, registration, "approval")
    promote_session_choices(session, registration.event)


def reject(session: Session, registration: Registration, reason: str) -> None:
    if not reason.strip():
        raise RuleViolation(_("Give the reason for the rejection; the registrant will read it."), "reason")
    lock_event(session, registration.event)
    session.refresh(registration)
    if registration.state not in (RegistrationState.PENDING, RegistrationState.WAITLISTED):
        raise RuleViolation(_("Only registrations awaiting approval or on the waiting list can be rejected."))
    registration.state = RegistrationState.REJECTED
    registration.state_reason = reason.strip()
    session.flush()
    notifications.notify(session, registration, "rejection", reason=reason.strip())
    promote_waitlist(session, registration.event)


def cancel(session: Session, registration: Registration, reason: str = "", *, by_registrant: bool = False) -> None:
    """Cancel; the ticket's token is revoked and the freed seat goes to the next in line."""
    lock_event(session, registration.event)
    session.refresh(registration)
    if registration.state in (RegistrationState.CANCELLED, RegistrationState.REJECTED):
        raise RuleViolation(_("This registration is already cancelled."))
    registration.state = RegistrationState.CANCELLED
    registration.state_reason = reason.strip() or (_("Cancelled by the registrant.") if by_registrant else "")
    if registration.ticket is not None and registration.ticket.revoked_at is None:
        tickets.revoke_ticket(session, registration.ticket, registration.state_reason or "cancelled")
    session.flush()
    notifications.notify(session, registration, "cancellation", reason=registration.state_reason)
    promote_waitlist(session, registration.event)


def promote_waitlist(session: Session, event: Event) -> list[Registration]:
    """Give free seats to the waiting list in order of registration; each promoted person is told.

    Call with the event locked (approve, reject, cancel and the settings screens do).
    """
    settings = settings_for(session, event)
    promoted = []
    waiting = session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.state == RegistrationState.WAITLISTED)
        .order_by(Registration.created_at, Registration.id)
    ).all()
    for registration in waiting:
        left = seats_left(session, settings, registration.category)
        if left == 0:
            continue  # another category may still have room
        if registration.category.needs_approval:
            registration.state = RegistrationState.PENDING
            session.flush()
            notifications.notify(session, registration, "pending")
        else:
            registration.state = RegistrationState.CONFIRMED
            session.flush()
            tickets.issue_ticket(session, registration)
            notifications.notify(session, registration, "promotion")
        promoted.append(registration)
    promote_session_choices(session, event)
    return promoted


def change_session_choices(session: Session, registration: Registration, option_ids: list[int]) -> None:
    """Self-service: keep, drop or add session sign-ups; a full session puts the new choice on its waiting list."""
    lock_event(session, registration.event)
    session.refresh(registration)
    if registration.state not in ACTIVE_STATES:
        raise RuleViolation(_("This registration is no longer active."))
    options = session.scalars(
        select(SessionOption).where(SessionOption.id.in_(option_ids), SessionOption.event_id == registration.event_id)
    ).all()
    if len(options) != len(set(option_ids)):
        raise RuleViolation(_("Choose sessions from the list."), "option_ids")
    wanted = {o.id for o in options}
    for choice in list(registration.session_choices):
        if choice.option_id not in wanted:
            registration.session_choices.remove(choice)
    session.flush()
    have = {c.option_id for c in registration.session_choices}
    for option in options:
        if option.id not in have:
            full = registration.state == RegistrationState.WAITLISTED or option_seats_left(session, option) == 0
            registration.session_choices.append(SessionChoice(option=option, waitlisted=full))
    session.flush()
    promote_session_choices(session, registration.event)
