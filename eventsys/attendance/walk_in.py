"""The registration desk: people who arrive without registering get a confirmed registration and a
ticket on the spot, and people who forgot their QR code are found by name or desk code.

A walk-in follows the registration rules that protect the room (category and event capacity,
the organizations' quotas, one registration per email) under the same per-event lock as online
registration, but not the ones meant for strangers online: the registration window (the desk works
on the day, after online registration has closed), the approval step (staff facing the person
are the approval; check-in staff may only pick categories that need none) and the event's extra
questions (the desk form is short on purpose).

The desk form sent twice (Back, then Send again; or a double click) makes one registration: the
personal-link secret of a walk-in is derived from the form's nonce, so the second request finds the
registration by it, and the unique constraint on its hash stops two that race. A form shown again
(Back, reloaded) has a new nonce but keeps the typed fields: a registration with the same name and
organization made a few minutes before is then shown to the staff, who confirm it is another person.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import Event, Organization
from eventsys.registration import notifications, services, tickets
from eventsys.registration.models import DelegateCategory, Registration, RegistrationState, Ticket
from eventsys.registration.seats import quota_problem, seats_left

# Walk-ins without an email get an address under a reserved domain (RFC 2606): unique per event as the
# schema wants, recognisable, and never deliverable, so no mail is queued for it.
NO_EMAIL_DOMAIN = "walk-in.invalid"
SEARCH_MAX = 200
SEARCH_LIMIT = 20
RECENT_TWIN = timedelta(minutes=15)  # how far back a registration with the same name and organization is asked about


class AlreadyRegisteredHere(RuleViolation):
    """The email has a registration for the event already; the desk shows it instead."""

    def __init__(self, registration: Registration):
        super().__init__(
            _("%(name)s is already registered for this event with this email address. Open that registration instead.",
              name=registration.name),
            "email",
        )
        self.registration = registration


class PossibleDuplicate(RuleViolation):
    """Someone with the same name and organization was registered a moment ago: the same form sent again?"""

    def __init__(self, registration: Registration):
        super().__init__(
            _("%(name)s (%(organization)s) was registered a few minutes ago. If this is the same person, open that "
              "registration instead of registering them again.", name=registration.name, organization=registration.organization_name),
            "name",
        )
        self.registration = registration


@dataclass
class WalkInData:
    name: str
    category_id: int
    position: str = ""
    organization_id: int | None = None
    proposed_organization: str = ""
    email: str = ""  # empty: none given
    phone: str | None = None  # already E.164
    consent: bool = False
    locale: str = "id"
    another_person: bool = False  # staff confirmed: not the person of a recent registration with the same name


@dataclass
class WalkIn:
    registration: Registration
    ticket: Ticket | None  # None only when the registration was cancelled since
    repeated: bool = False  # the same form was sent before: this is the registration it made


def submission_secret(key: str, event: Event, nonce: str) -> str:
    """The personal-link secret of the walk-in one desk form makes: the same for the same form, unguessable without the key."""
    digest = hmac.new(key.encode(), f"walk-in:{event.id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _made_by(session: Session, event: Event, secret: str) -> Registration | None:
    registration = session.scalar(select(Registration).where(Registration.manage_token_hash == hash_secret(secret)))
    return registration if registration is not None and registration.event_id == event.id else None


def _repeated(registration: Registration) -> WalkIn:
    return WalkIn(registration, registration.ticket, repeated=True)


def has_email(registration: Registration) -> bool:
    return registration.has_email


def desk_categories(session: Session, event: Event, *, organizer: bool) -> list[DelegateCategory]:
    """Categories the desk may register into: all for organizers, those needing no approval for check-in staff."""
    query = select(DelegateCategory).where(DelegateCategory.event_id == event.id)
    if not organizer:
        query = query.where(DelegateCategory.needs_approval.is_(False))
    return list(session.scalars(query.order_by(DelegateCategory.position, DelegateCategory.name)))


def _organization(session: Session, data: WalkInData) -> Organization | None:
    if data.organization_id:
        organization = session.get(Organization, data.organization_id)
        if organization is None:
            raise RuleViolation(_("Choose an organization from the list, or write its name below."), "organization_id")
        return organization
    proposed = " ".join((data.proposed_organization or "").split())
    if not proposed:
        raise RuleViolation(_("Choose the organization, or write its name below if it is not in the list."), "organization_id")
    # A listed region typed as new is still that region: its quota counts.
    return session.scalar(select(Organization).where(Organization.name_key == Organization.key_for(proposed)))


def _key(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def recent_twin(
    session: Session, event: Event, name: str, organization: Organization | None, proposed: str, now: datetime
) -> Registration | None:
    """The newest registration of the event made within RECENT_TWIN with the same name and organization, if any."""
    query = select(Registration).where(Registration.event_id == event.id, Registration.created_at >= now - RECENT_TWIN)
    if organization is not None:
        query = query.where(Registration.organization_id == organization.id)
    else:
        query = query.where(Registration.organization_id.is_(None))
    for registration in session.scalars(query.order_by(Registration.created_at.desc(), Registration.id.desc())):
        if _key(registration.name) == _key(name) and (organization is not None or _key(registration.proposed_organization) == _key(proposed)):
            return registration
    return None


def register_walk_in(
    session: Session, event: Event, data: WalkInData, *, organizer: bool, secret: str | None = None, now: datetime | None = None
) -> WalkIn:
    """A confirmed registration with its ticket; the caller commits. Nothing is stored when a rule is broken.

    `secret` (see submission_secret) makes it idempotent: a registration made with it before is returned, `repeated`.
    """
    now = now or utcnow()
    name = " ".join((data.name or "").split())
    if not name:
        raise RuleViolation(_("Enter the attendee's name."), "name")
    if not data.consent:
        raise RuleViolation(_("The attendee must agree to the processing of their data."), "consent")
    settings = services.lock_event(session, event)
    secret = secret or new_secret()
    earlier = _made_by(session, event, secret)
    if earlier is not None:
        return _repeated(earlier)
    email = (data.email or "").strip().lower()
    if email:
        existing = services.find_registration(session, event, email)
        if existing is not None:
            raise AlreadyRegisteredHere(existing)
    category = session.get(DelegateCategory, data.category_id)
    if category is None or category.event_id != event.id or (category.needs_approval and not organizer):
        raise RuleViolation(_("Choose one of the listed categories."), "category_id")
    organization = _organization(session, data)
    if not data.another_person:
        twin = recent_twin(session, event, name, organization, data.proposed_organization, now)
        if twin is not None:
            raise PossibleDuplicate(twin)
    if organization is not None:
        quota = quota_problem(session, settings, organization)
        if quota:
            raise RuleViolation(quota, "organization_id")
    if seats_left(session, settings, category) == 0:
        raise RuleViolation(
            _("“%(category)s” has no free seat. An organizer can raise the capacity in the registration settings.", category=category.name),
            "category_id",
        )
    registration = Registration(
        event_id=event.id,
        category_id=category.id,
        organization_id=organization.id if organization else None,
        proposed_organization=None if organization else " ".join(data.proposed_organization.split())[:200],
        name=name[:200],
        position=" ".join((data.position or "").split())[:200],
        email=email or f"{secrets.token_hex(8)}@{NO_EMAIL_DOMAIN}",
        phone=data.phone,
        locale=data.locale,
        state=RegistrationState.CONFIRMED,
        manage_token_hash=hash_secret(secret),
        consent_at=now,
    )
    try:
        with session.begin_nested():  # added inside: begin_nested() flushes what is pending outside the savepoint
            session.add(registration)
    except IntegrityError:  # the same form sent again, or the same email registered online, a moment ago
        earlier = _made_by(session, event, secret)
        if earlier is not None:
            return _repeated(earlier)
        existing = services.find_registration(session, event, email) if email else None
        if existing is None:
            raise
        raise AlreadyRegisteredHere(existing) from None
    ticket = tickets.issue_ticket(session, registration)
    if email:
        notifications.notify(session, registration, "confirmation", link_secret=secret)
    return WalkIn(registration, ticket)


def desk_search(session: Session, event: Event, text: str) -> list[Registration]:
    """Registrations matching a name (any part) or a desk code, confirmed ones first; at most SEARCH_LIMIT."""
    text = " ".join((text or "").split())[:SEARCH_MAX]
    if not text:
        return []
    conditions = [Registration.name.icontains(text, autoescape=True)]
    code = tickets.normalize_code(text)
    if code:
        conditions.append(Registration.ticket.has(Ticket.code == code))
    rows = session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, or_(*conditions))
        .options(selectinload(Registration.category), selectinload(Registration.organization), selectinload(Registration.ticket))
        .order_by(Registration.state != RegistrationState.CONFIRMED, Registration.name, Registration.id)
        .limit(SEARCH_LIMIT + 1)
    )
    return list(rows)
