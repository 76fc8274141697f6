"""Nominations: made by organizers during setup, or by a region itself through its link within the window.

One nomination per category and organization is a database constraint; a second (even raced) is
refused with a message. Judging uses ACCEPTED nominations only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from eventsys.awards import documents as docs
from eventsys.awards.models import (
    AwardCategory,
    AwardProgramme,
    JudgingState,
    Nomination,
    NominationSource,
    NominationState,
)
from eventsys.awards.services import audit, programme_for, require_state
from eventsys.awards.setup import is_eligible
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_datetime
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event, Organization

LINK_SALT = "eventsys.awards.nomination-link"
MAX_TOKEN_LENGTH = 300
STATE_LABELS = {
    NominationState.SUBMITTED: _l("submitted"),
    NominationState.ACCEPTED: _l("accepted"),
    NominationState.DECLINED: _l("declined"),
    NominationState.WITHDRAWN: _l("withdrawn"),
}
SOURCE_LABELS = {NominationSource.ORGANIZER: _l("by the organizer"), NominationSource.SELF: _l("by the region")}
# Which state an organizer's action moves a nomination to, from which states.
ACTIONS = {
    "accept": (NominationState.ACCEPTED, {NominationState.SUBMITTED, NominationState.DECLINED}),
    "decline": (NominationState.DECLINED, {NominationState.SUBMITTED, NominationState.ACCEPTED}),
    "withdraw": (NominationState.WITHDRAWN, {NominationState.SUBMITTED, NominationState.ACCEPTED}),
    "reopen": (NominationState.SUBMITTED, {NominationState.DECLINED, NominationState.WITHDRAWN}),
}


@dataclass
class NominationData:
    category_id: int
    organization_id: int
    title: str
    statement: str


def _category(session: Session, event: Event, category_id: int) -> AwardCategory:
    category = session.get(AwardCategory, category_id)
    if category is None or category.event_id != event.id:
        raise RuleViolation(_("Choose one of this award night's categories."), "category_id")
    return category


def _duplicate(category: AwardCategory, organization: Organization) -> RuleViolation:
    return RuleViolation(_("%(organization)s is already nominated for “%(category)s”.", organization=organization.name,
                           category=category.name), "organization_id")


def create_nomination(session: Session, event: Event, data: NominationData, *, source: NominationSource,
                      documents: list[docs.CheckedDocument], saved_keys: list[str], user=None) -> Nomination:
    """Add a nomination (with its checked documents); RuleViolation for anything that breaks the rules."""
    programme = programme_for(session, event)
    require_state(programme, JudgingState.SETUP)
    category = _category(session, event, data.category_id)
    organization = session.get(Organization, data.organization_id)
    if organization is None:
        raise RuleViolation(_("Choose an organization from the list."), "organization_id")
    if not is_eligible(session, event, organization.id):
        raise RuleViolation(_("%(organization)s is not among the organizations eligible at this award night.",
                              organization=organization.name), "organization_id")
    if session.scalar(select(Nomination.id).where(Nomination.category_id == category.id,
                                                  Nomination.organization_id == organization.id)) is not None:
        raise _duplicate(category, organization)
    state = NominationState.ACCEPTED if source == NominationSource.ORGANIZER else NominationState.SUBMITTED
    nomination = Nomination(category_id=category.id, organization_id=organization.id, source=source, state=state,
                            title=data.title.strip(), statement=data.statement.strip(),
                            submitted_by_id=getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None)
    duplicate = _duplicate(category, organization)  # made now: after a failed flush the rows cannot be read
    session.add(nomination)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same pair inserted by a simultaneous request
        raise duplicate from None
    docs.attach(session, nomination, documents, saved_keys)
    audit(session, event, user, "nomination", nomination=nomination.id, category=category.name,
          organization=organization.name, source=source.value, state=state.value)
    return nomination


def update_nomination(session: Session, event: Event, nomination: Nomination, title: str, statement: str, *,
                      documents: list[docs.CheckedDocument], saved_keys: list[str], user=None) -> Nomination:
    require_state(programme_for(session, event), JudgingState.SETUP)
    nomination.title, nomination.statement = title.strip(), statement.strip()
    docs.attach(session, nomination, documents, saved_keys)
    audit(session, event, user, "nomination_changed", nomination=nomination.id, documents_added=len(documents))
    return nomination


def change_state(session: Session, event: Event, nomination: Nomination, action: str, user=None) -> Nomination:
    """Accept, decline, withdraw or reopen a nomination (setup only: judging works on a fixed field)."""
    require_state(programme_for(session, event), JudgingState.SETUP)
    if action not in ACTIONS:
        raise RuleViolation(_("Unknown action."))
    target, sources = ACTIONS[action]
    if nomination.state not in sources:
        raise RuleViolation(_("A nomination that is %(state)s cannot be changed this way.", state=STATE_LABELS[nomination.state]))
    before = nomination.state
    nomination.state = target
    session.flush()
    audit(session, event, user, "nomination_state", nomination=nomination.id, organization=nomination.organization.name,
          category=nomination.category.name, before=before.value, after=target.value)
    return nomination


def remove_document(session: Session, event: Event, nomination: Nomination, document_id: int, user=None) -> str:
    """Drop a document row; returns its storage key for the caller to delete after commit."""
    require_state(programme_for(session, event), JudgingState.SETUP)
    document = next((d for d in nomination.documents if d.id == document_id), None)
    if document is None:
        raise RuleViolation(_("This document is no longer there."))
    nomination.documents.remove(document)
    session.flush()
    audit(session, event, user, "nomination_document_removed", nomination=nomination.id, document=document.name)
    return document.file_key


def nominations_of(session: Session, event: Event, organization_id: int | None = None) -> list[Nomination]:
    query = (select(Nomination).join(AwardCategory).where(AwardCategory.event_id == event.id)
             .options(selectinload(Nomination.organization), selectinload(Nomination.documents), selectinload(Nomination.category))
             .order_by(AwardCategory.position, AwardCategory.id, Nomination.id))
    if organization_id is not None:
        query = query.where(Nomination.organization_id == organization_id)
    return list(session.scalars(query))


def nomination_of_event(session: Session, event: Event, nomination_id: int) -> Nomination | None:
    nomination = session.get(Nomination, nomination_id)
    if nomination is None or nomination.category.event_id != event.id:
        return None
    return nomination


# The region's own link


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def nomination_token(event: Event, organization: Organization) -> str:
    """The organization's nomination link token, signed; it works only within the window."""
    return _serializer().dumps([event.id, organization.id])


def organization_from_token(session: Session, event: Event, token: str) -> Organization:
    """The organization a link names; RuleViolation when altered, of another event, or not eligible."""
    damaged = RuleViolation(_("This nomination link is not valid: it is incomplete or was altered. Copy the whole link, or ask the organizer for it again."))
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise damaged
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise damaged from None
    if not (isinstance(payload, list) and len(payload) == 2 and all(type(v) is int for v in payload)):
        raise damaged
    if payload[0] != event.id:
        raise RuleViolation(_("This nomination link belongs to another event. Open the link exactly as it was sent to you."))
    organization = session.get(Organization, payload[1])
    if organization is None or not is_eligible(session, event, organization.id):
        raise RuleViolation(_("Your organization cannot be nominated at this award night. Ask the organizer."))
    return organization


def window_problem(programme: AwardProgramme, event: Event, now: datetime | None = None) -> str | None:
    """Why a region cannot nominate itself now (in the event's zone), or None when it can."""
    now = now or utcnow()
    if programme.state != JudgingState.SETUP:
        return _("Nominations are closed: judging has begun.")
    opens, closes = programme.nominations_open_at, programme.nominations_close_at
    if opens is None or closes is None:
        return _("Self-nomination is not open for this award night.")
    if now < opens:
        return _("Nominations open on %(when)s.", when=local_datetime(opens, event.timezone))
    if now >= closes:
        return _("Nominations closed on %(when)s.", when=local_datetime(closes, event.timezone))
    return None


def self_nominate(session: Session, event: Event, organization: Organization, category_ids: list[int], title: str,
                  statement: str, documents: list[docs.CheckedDocument], saved_keys: list[str],
                  now: datetime | None = None) -> list[Nomination]:
    """A region nominates itself for one or more categories (SUBMITTED until the organizer accepts)."""
    problem = window_problem(programme_for(session, event), event, now)
    if problem:
        raise RuleViolation(problem)
    if not category_ids:
        raise RuleViolation(_("Choose at least one category."), "category_ids")
    if not statement.strip():
        raise RuleViolation(_("Write the statement: what the region did and why it deserves the award."), "statement")
    made = []
    for category_id in category_ids:
        data = NominationData(category_id=category_id, organization_id=organization.id, title=title, statement=statement)
        try:
            made.append(create_nomination(session, event, data, source=NominationSource.SELF, documents=documents,
                                          saved_keys=saved_keys))
        except RuleViolation as violation:
            raise RuleViolation(violation.message, "category_ids" if violation.field == "organization_id" else violation.field) from None
    return made
