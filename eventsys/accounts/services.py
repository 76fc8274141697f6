"""Account rules: sign-in checks, roles per event, invitations."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsys.accounts.models import EventRole, EventRoleName, Invitation, User
from eventsys.core.db import utcnow
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import Event

MIN_PASSWORD_LENGTH = 10


class InvitationError(Exception):
    """The invitation link is unknown, used or expired; the message says which."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active account with this email and password, else None (same answer for both mistakes)."""
    user = find_user(session, email)
    if user is None or not user.is_active or not user.check_password(password):
        return None
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(session: Session, email: str, name: str, password: str, is_admin: bool = False) -> User:
    user = User(email=normalize_email(email), name=name.strip(), is_admin=is_admin)
    user.set_password(password)
    session.add(user)
    return user


def grant_role(session: Session, user: User, event: Event, role: EventRoleName, organization_id: int | None = None) -> EventRole:
    for existing in user.roles:
        if existing.event_id == event.id and existing.role == role:
            existing.organization_id = organization_id
            return existing
    granted = EventRole(user=user, event_id=event.id, role=role, organization_id=organization_id)
    session.add(granted)
    return granted


def can_create_events(user: User) -> bool:
    """Site admins, and anyone already organizing an event (ministry staff run several)."""
    return user.is_admin or any(r.role == EventRoleName.ORGANIZER for r in user.roles)


def invite(
    session: Session,
    *,
    event: Event,
    email: str,
    name: str,
    role: EventRoleName,
    invited_by: User,
    max_age_days: int,
    organization_id: int | None = None,
) -> tuple[Invitation, str]:
    """Make an invitation; returns it with the secret for the link (shown once, never stored)."""
    secret = new_secret()
    invitation = Invitation(
        token_hash=hash_secret(secret),
        email=normalize_email(email),
        name=name.strip(),
        event_id=event.id,
        role=role,
        organization_id=organization_id,
        invited_by_id=invited_by.id,
        expires_at=utcnow() + timedelta(days=max_age_days),
    )
    session.add(invitation)
    return invitation, secret


def open_invitation(session: Session, secret: str) -> Invitation:
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == hash_secret(secret)))
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid. Check that you copied the whole link."))
    if invitation.accepted_at is not None:
        raise InvitationError(_("This invitation has already been used. Sign in with the password you chose."))
    if invitation.expires_at <= utcnow():
        raise InvitationError(_("This invitation has expired. Ask the organizer to send a new one."))
    return invitation


def accept_invitation(session: Session, invitation: Invitation, password: str, name: str) -> User:
    """Create (or reuse) the account, set its password, and give it the invited role, at once."""
    user = find_user(session, invitation.email)
    if user is None:
        user = create_user(session, invitation.email, name or invitation.name, password)
    else:
        user.set_password(password)
    session.flush()
    grant_role(session, user, invitation.event, invitation.role, invitation.organization_id)
    invitation.accepted_at = utcnow()
    return user
