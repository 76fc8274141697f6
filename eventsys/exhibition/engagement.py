"""The people's-choice vote and the booth guestbook / contact requests.

A vote counts only once its address is confirmed through a mailed link. The address is normalised
and stored as a keyed hash; the database's unique (event, email_hash) keeps one vote per address even
when two requests race. Asking again with the same address sends a new link: the vote moves to the
new booth when that link is confirmed, and never becomes a second vote. The link is signed and names
its booth, and only the latest link of an address works (its hash is on the row).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event
from eventsys.exhibition.models import Booth, BoothMessage, Exhibition, MessageKind, MessageState, Vote
from eventsys.exhibition.services import Phase, phase

VOTE_LINK_MAX_AGE = 7 * 24 * 3600
_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")
_GMAIL = {"gmail.com", "googlemail.com"}


def normalize_email(address: str) -> str:
    """One spelling per mailbox: lower case; for Gmail also without dots and +tags (they reach the same inbox)."""
    address = (address or "").strip().lower()
    if len(address) > 254 or not _EMAIL.match(address):
        raise RuleViolation(_("Enter a valid email address, like nama@contoh.go.id."), "email")
    local, domain = address.rsplit("@", 1)
    if domain in _GMAIL:
        local, domain = local.split("+", 1)[0].replace(".", ""), "gmail.com"
        if not local:
            raise RuleViolation(_("Enter a valid email address, like nama@contoh.go.id."), "email")
    return f"{local}@{domain}"


def email_hash(secret: str, address: str) -> str:
    return hmac.new(secret.encode(), b"exhibition-vote:" + normalize_email(address).encode(), hashlib.sha256).hexdigest()


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="exhibition-vote")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def voting_closed_reason(exhibition: Exhibition, event: Event, now: datetime | None = None) -> str | None:
    """Why a vote cannot be cast now, in the visitor's language, or None while voting is open."""
    if not exhibition.voting_enabled:
        return _("There is no people's-choice vote in this exhibition.")
    current = phase(exhibition, event, now)
    if current == Phase.BEFORE:
        return _("Voting opens when the exhibition opens.")
    if current == Phase.ARCHIVE:
        return _("The exhibition has closed; this is its archive. Voting has ended.")
    return None


@dataclass
class VoteRequest:
    vote: Vote
    token: str  # goes into the mailed link, never stored as such
    moved_from: int | None  # the booth the address's confirmed vote is on now, when it differs


def request_vote(session: Session, secret: str, event: Event, exhibition: Exhibition, booth: Booth, address: str, *,
                 visitor: str = "", now: datetime | None = None) -> VoteRequest:
    """Store (or renew) the address's vote link for `booth`; the caller mails the token. Counts nothing yet."""
    reason = voting_closed_reason(exhibition, event, now)
    if reason:
        raise RuleViolation(reason)
    if booth.event_id != event.id:
        raise RuleViolation(_("This booth is not part of this exhibition."))
    hashed = email_hash(secret, address)
    token = _serializer(secret).dumps({"e": event.id, "b": booth.id, "h": hashed, "n": secrets.token_urlsafe(8)})
    vote = _vote_of(session, event, hashed)
    if vote is None:
        vote = Vote(event_id=event.id, booth_id=booth.id, email_hash=hashed, confirm_token_hash=_token_hash(token), visitor=visitor)
        try:
            with session.begin_nested():  # a racing request with the same address wins; this one renews its link
                session.add(vote)
        except IntegrityError:
            vote = _vote_of(session, event, hashed)
            if vote is None:  # not the address: a token collision, practically never
                raise
    if vote.confirm_token_hash != _token_hash(token):
        vote.confirm_token_hash = _token_hash(token)
        vote.visitor = visitor or vote.visitor
        if vote.confirmed_at is None:
            vote.booth_id = booth.id  # nothing counted yet: the row may follow the latest choice
    moved_from = vote.booth_id if vote.confirmed_at is not None and vote.booth_id != booth.id else None
    session.flush()
    return VoteRequest(vote=vote, token=token, moved_from=moved_from)


def _vote_of(session: Session, event: Event, hashed: str) -> Vote | None:
    return session.scalar(select(Vote).where(Vote.event_id == event.id, Vote.email_hash == hashed))


def confirm_vote(session: Session, secret: str, event: Event, exhibition: Exhibition, token: str, now: datetime | None = None) -> Vote:
    """Count the vote the link names: the address's one vote now sits on that booth."""
    try:
        data = _serializer(secret).loads(token, max_age=VOTE_LINK_MAX_AGE)
    except SignatureExpired:
        raise RuleViolation(_("This confirmation link has expired. Vote again to get a new one.")) from None
    except BadSignature:
        raise RuleViolation(_("This confirmation link is not valid. Copy the whole link from the email.")) from None
    if not isinstance(data, dict) or data.get("e") != event.id:
        raise RuleViolation(_("This confirmation link is not valid. Copy the whole link from the email."))
    reason = voting_closed_reason(exhibition, event, now)
    if reason:
        raise RuleViolation(reason)
    booth = session.get(Booth, data.get("b")) if isinstance(data.get("b"), int) else None
    if booth is None and isinstance(data.get("b"), int):
        raise RuleViolation(booth_removed_message())
    vote = _vote_of(session, event, str(data.get("h", "")))
    if vote is None or booth is None or booth.event_id != event.id:
        raise RuleViolation(_("This confirmation link is not valid. Copy the whole link from the email."))
    if vote.confirm_token_hash != _token_hash(token):
        if vote.confirmed_at is not None and vote.booth_id == booth.id:
            return vote  # the same link opened twice
        raise RuleViolation(_("This link was replaced by a newer one: use the link in the latest email."))
    vote.booth_id = booth.id
    vote.confirmed_at = now or utcnow()
    vote.confirm_token_hash = None
    session.flush()
    return vote


def booth_removed_message() -> str:
    return _("The booth this link votes for has been removed from the exhibition, so this vote cannot count. "
             "You can vote for another booth in the hall.")


def link_of_removed_booth(session: Session, secret: str, event: Event, token: str) -> bool:
    """True for an intact link of this event whose booth has since been deleted (its votes went with it)."""
    try:
        data = _serializer(secret).loads(token)  # however old: the booth is gone either way
    except BadSignature:
        return False
    if not isinstance(data, dict) or data.get("e") != event.id or not isinstance(data.get("b"), int):
        return False
    return session.get(Booth, data["b"]) is None


def vote_link_booth(secret: str, token: str) -> int | None:
    """The booth a link would vote for (for the confirmation page), or None for a bad link."""
    try:
        data = _serializer(secret).loads(token, max_age=VOTE_LINK_MAX_AGE)
    except BadSignature:
        return None
    return data.get("b") if isinstance(data, dict) and isinstance(data.get("b"), int) else None


# The guestbook and contact requests


def messages_closed_reason(exhibition: Exhibition, event: Event, now: datetime | None = None) -> str | None:
    current = phase(exhibition, event, now)
    if current == Phase.ARCHIVE:
        return _("The exhibition has closed; this is its archive. The guestbook no longer takes messages.")
    if current == Phase.BEFORE:
        return _("The guestbook opens when the exhibition opens.")
    return None


def leave_message(session: Session, event: Event, exhibition: Exhibition, booth: Booth, *, kind: MessageKind, name: str,
                  email: str, organization: str, body: str, now: datetime | None = None) -> BoothMessage:
    """A guestbook entry or contact request, stored for the exhibitor to read (and approve, for the guestbook)."""
    reason = messages_closed_reason(exhibition, event, now)
    if reason:
        raise RuleViolation(reason)
    name, organization, body, email = name.strip(), organization.strip(), body.strip(), email.strip()
    if not name:
        raise RuleViolation(_("Enter your name."), "name")
    if not body:
        raise RuleViolation(_("Write a message."), "body")
    if kind == MessageKind.CONTACT and not email:
        raise RuleViolation(_("Enter your email address so the exhibitor can answer."), "email")
    if email:
        normalize_email(email)  # the check only: the address is kept as typed
    message = BoothMessage(booth_id=booth.id, kind=kind, state=MessageState.PENDING, name=name[:200], email=email[:254],
                           organization=organization[:200], body=body[:4000], created_at=now or utcnow())
    session.add(message)
    session.flush()
    return message


def moderate(session: Session, message: BoothMessage, approve: bool, now: datetime | None = None) -> None:
    """Approve or reject a guestbook entry; a contact request is never public, only marked as handled."""
    if message.kind == MessageKind.CONTACT and approve:
        raise RuleViolation(_("A contact request is never published; mark it as handled instead."))
    message.state = MessageState.APPROVED if approve else MessageState.REJECTED
    message.reviewed_at = now or utcnow()


def messages_for(session: Session, booth_ids: list[int], state: MessageState | None = None) -> list[BoothMessage]:
    if not booth_ids:
        return []
    query = select(BoothMessage).where(BoothMessage.booth_id.in_(booth_ids))
    if state is not None:
        query = query.where(BoothMessage.state == state)
    return list(session.scalars(query.order_by(BoothMessage.created_at.desc(), BoothMessage.id.desc()).limit(500)))
