"""Invitation links: personal ones that prefill the form, and one per organization that locks it.

Both are signed with the app's secret (itsdangerous, a salt per purpose), so an altered link is
refused before the database is asked. A personal link names its DelegateInvitation and the
invitation's expiry: making the invitation again (a new expiry) retires older links. An
organization's link is stored only as a hash, so rotating it retires the old one.
"""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.core.tokens import hash_secret
from eventsys.events.models import Event, Organization
from eventsys.registration.models import DelegateCategory, DelegateInvitation, OrganizationLink, Registration

INVITATION_SALT = "eventsys.registration.invitation"
ORGANIZATION_LINK_SALT = "eventsys.registration.organization-link"
MAX_TOKEN_LENGTH = 500


class LinkProblem(RuleViolation):
    """A link that cannot be used; `status` is 400 for a damaged or altered link, 410 for one that no longer works."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(token: str, salt: str, length: int) -> list[int]:
    """The signed payload: a list of `length` whole numbers, or LinkProblem(400)."""
    damaged = LinkProblem(
        _("This link is not valid: it is incomplete or was altered. Copy the whole link from your email, or ask the organizer for a new one."),
        400,
    )
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise damaged
    try:
        payload = _serializer(salt).loads(token)
    except BadSignature:
        raise damaged from None
    if not (isinstance(payload, list) and len(payload) == length and all(type(v) is int for v in payload)):
        raise damaged
    return payload


def _wrong_event() -> LinkProblem:
    return LinkProblem(_("This link belongs to another event. Open the link exactly as it was sent to you."), 400)


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def create_invitation(
    session: Session,
    event: Event,
    *,
    email: str,
    name: str,
    position: str = "",
    phone: str | None = None,
    organization_id: int | None = None,
    category_id: int | None = None,
    locale: str = "id",
    max_age_days: int = 14,
) -> tuple[DelegateInvitation, str]:
    """Invite one person (or invite them again: older links stop working); returns the invitation and its link token."""
    email = email.strip().lower()
    if category_id is not None:
        category = session.get(DelegateCategory, category_id)
        if category is None or category.event_id != event.id:
            raise RuleViolation(_("Choose one of the event's categories."), "category_id")
    if organization_id is not None and session.get(Organization, organization_id) is None:
        raise RuleViolation(_("Choose an organization from the list."), "organization_id")
    invitation = session.scalar(
        select(DelegateInvitation).where(DelegateInvitation.event_id == event.id, DelegateInvitation.email == email)
    )
    if invitation is None:
        invitation = DelegateInvitation(event_id=event.id, email=email)
        session.add(invitation)
    previous = invitation.expires_at
    expires_at = (utcnow() + timedelta(days=max_age_days)).replace(microsecond=0)
    if previous is not None and _stamp(previous) >= _stamp(expires_at):
        expires_at = previous + timedelta(seconds=1)  # a new stamp even within the same second: old links retire
    invitation.name = name.strip()
    invitation.position = (position or "").strip()
    invitation.phone = phone
    invitation.organization_id = organization_id
    invitation.category_id = category_id
    invitation.locale = locale
    invitation.expires_at = expires_at
    session.flush()
    return invitation, invitation_token(invitation)


def invitation_token(invitation: DelegateInvitation) -> str:
    return _serializer(INVITATION_SALT).dumps([invitation.id, invitation.event_id, _stamp(invitation.expires_at)])


def invitation_from_token(session: Session, event: Event, token: str, *, now: datetime | None = None) -> DelegateInvitation:
    """The invitation a link names; LinkProblem when the link is altered, expired, replaced, withdrawn or used."""
    now = now or utcnow()
    invitation_id, event_id, expires = _load(token, INVITATION_SALT, 3)
    if event_id != event.id:
        raise _wrong_event()
    if now.timestamp() >= expires:
        raise LinkProblem(_("This invitation link has expired. Ask the organizer for a new one."), 410)
    invitation = session.get(DelegateInvitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        raise LinkProblem(_("This invitation has been withdrawn. Ask the organizer if you should still register."), 410)
    if _stamp(invitation.expires_at) != expires:
        raise LinkProblem(_("This invitation link has been replaced by a newer one. Use the newest link sent to you."), 410)
    if invitation.registration_id is not None:
        raise LinkProblem(
            _("This invitation has already been used to register. Open your personal link from the confirmation email, or ask for it again on the registration page."),
            410,
        )
    return invitation


def mark_invitation_used(session: Session, invitation: DelegateInvitation, registration: Registration) -> None:
    """Call after services.register (which holds the event's lock): two tabs cannot both use one invitation."""
    session.refresh(invitation)
    if invitation.registration_id is not None:
        raise LinkProblem(
            _("This invitation has already been used to register. Open your personal link from the confirmation email, or ask for it again on the registration page."),
            410,
        )
    invitation.registration_id = registration.id
    session.flush()


def organization_link(session: Session, event: Event, organization: Organization) -> str:
    """The organization's registration link token; made on first use, a new one (retiring the old) after."""
    link = session.scalar(
        select(OrganizationLink).where(OrganizationLink.event_id == event.id, OrganizationLink.organization_id == organization.id)
    )
    if link is None:
        link = OrganizationLink(event_id=event.id, organization_id=organization.id)
        session.add(link)
    # The random part makes each rotation a different token (and hash) for the same pair.
    token = _serializer(ORGANIZATION_LINK_SALT).dumps([event.id, organization.id, secrets.randbits(48)])
    link.token_hash = hash_secret(token)
    link.revoked_at = None
    link.created_at = utcnow()
    session.flush()
    return token


def revoke_organization_link(session: Session, link: OrganizationLink) -> None:
    link.revoked_at = datetime.now(UTC)
    session.flush()


def organization_link_from_token(session: Session, event: Event, token: str) -> OrganizationLink:
    """The organization link a token names; LinkProblem when altered, replaced or withdrawn."""
    event_id, organization_id, _nonce = _load(token, ORGANIZATION_LINK_SALT, 3)
    if event_id != event.id:
        raise _wrong_event()
    link = session.scalar(select(OrganizationLink).where(OrganizationLink.token_hash == hash_secret(token)))
    if link is None or link.event_id != event.id or link.organization_id != organization_id:
        raise LinkProblem(_("This registration link has been replaced or withdrawn. Ask the organizer for the current link."), 410)
    if link.revoked_at is not None:
        raise LinkProblem(_("This registration link has been withdrawn by the organizer."), 410)
    return link
