"""Account rules: sign-in checks, roles per event, invitations."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from eventsys.accounts.models import EventRole, EventRoleName, Invitation, User
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import Event, Organization

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200

_dummy_hashes: dict[str, str] = {}


class InvitationError(Exception):
    """The invitation link is unknown, used or expired; the message says which."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _spend_hash_time(password: str) -> None:
    """Check the password against a throw-away hash, so an unknown email costs as long as a known one."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(new_secret(), method=method)
    check_password_hash(_dummy_hashes[method], password)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active account with this email and password, else None (same answer for both mistakes)."""
    user = find_user(session, email)
    if user is None or not user.password_hash:
        _spend_hash_time(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(session: Session, email: str, name: str, password: str, is_admin: bool = False) -> User:
    user = User(email=normalize_email(email), name=name.strip(), is_admin=is_admin)
    user.set_password(password)
    session.add(user)
    return user


def exhibits_elsewhere(user: User, event_id: int, organization_id: int | None) -> EventRole | None:
    """The account's exhibitor role at this event for another organization, if it has one."""
    return next((r for r in user.roles if r.event_id == event_id and r.role == EventRoleName.EXHIBITOR
                 and r.organization_id is not None and r.organization_id != organization_id), None)


def _exhibits_elsewhere_message(user: User, role: EventRole, event: Event) -> str:
    return _("%(email)s already exhibits for %(organization)s at %(event)s; an account exhibits for one organization per event. "
             "Ask the organizer to invite another address.",
             email=user.email, organization=role.organization.name if role.organization else "?", event=event.name)


def grant_role(session: Session, user: User, event: Event, role: EventRoleName, organization_id: int | None = None) -> EventRole:
    """Give a role; an exhibitor is never moved to another organization (that would take its booth away)."""
    if role == EventRoleName.EXHIBITOR:
        elsewhere = exhibits_elsewhere(user, event.id, organization_id)
        if elsewhere is not None:
            raise RuleViolation(_exhibits_elsewhere_message(user, elsewhere, event), "email")
    for existing in user.roles:
        if existing.event_id == event.id and existing.role == role:
            existing.organization_id = existing.organization_id or organization_id
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
    if role == EventRoleName.EXHIBITOR:
        if organization_id is None:
            raise RuleViolation(_("An exhibitor account belongs to one organization: choose it."), "organization_id")
        if session.get(Organization, organization_id) is None:
            raise RuleViolation(_("Choose an organization from the list."), "organization_id")
        existing = find_user(session, email)
        elsewhere = exhibits_elsewhere(existing, event.id, organization_id) if existing is not None else None
        if elsewhere is not None:
            raise RuleViolation(_exhibits_elsewhere_message(existing, elsewhere, event), "email")
    else:
        organization_id = None  # only exhibitors act for an organization
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


def _claim(session: Session, invitation: Invitation) -> None:
    """Mark the invitation used in one conditional UPDATE, so two clicks at once cannot both use it."""
    now = utcnow()
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvitationError(_("This invitation has already been used. Sign in with the password you chose."))
    invitation.accepted_at = now


def accept_invitation(session: Session, invitation: Invitation, password: str, name: str) -> User:
    """Create the invited account with its password and role, at once.

    An address that already has an account is refused: the link must never set the password of an
    existing account (an organizer could otherwise take over anyone's account by inviting it).
    Its owner joins with `join_with_account` after signing in.
    """
    if find_user(session, invitation.email) is not None:
        raise InvitationError(_("An account with this email address already exists. Sign in with it, then open the link again."))
    _claim(session, invitation)
    user = create_user(session, invitation.email, name or invitation.name, password)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise InvitationError(
            _("An account with this email address already exists. Sign in with it, then open the link again.")
        ) from None
    grant_role(session, user, invitation.event, invitation.role, invitation.organization_id)
    return user


def join_conflict(invitation: Invitation, user: User) -> str | None:
    """Why this account cannot take the invited role, or None.

    Checked again when accepting: an invitation made before the account became another booth's exhibitor
    must not move it there.
    """
    if invitation.role != EventRoleName.EXHIBITOR:
        return None
    elsewhere = exhibits_elsewhere(user, invitation.event_id, invitation.organization_id)
    return _exhibits_elsewhere_message(user, elsewhere, invitation.event) if elsewhere is not None else None


def join_with_account(session: Session, invitation: Invitation, user: User) -> EventRole:
    """Give the invited role to the signed-in owner of the invited address; the password is left alone."""
    if user.email != invitation.email:
        raise InvitationError(_("This invitation is for %(email)s. Sign in with that account.", email=invitation.email))
    conflict = join_conflict(invitation, user)
    if conflict:
        raise InvitationError(conflict)
    _claim(session, invitation)
    return grant_role(session, user, invitation.event, invitation.role, invitation.organization_id)
