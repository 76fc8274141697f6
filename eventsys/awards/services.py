"""The award programme's shared rules: getting it, its state machine, jurors, and the audit log.

Other features read award nights only through this module.
"""
from __future__ import annotations

import json

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventsys.accounts.models import EventRole, EventRoleName, Invitation, User
from eventsys.awards.models import AwardAudit, AwardCategory, AwardProgramme, JudgingState, Juror, JurorCategory, JurorInvitation
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event

# The one way the judging state moves.
NEXT_STATE = {
    JudgingState.SETUP: JudgingState.JUDGING,
    JudgingState.JUDGING: JudgingState.CLOSED,
    JudgingState.CLOSED: JudgingState.LOCKED,
}


def programme_for(session: Session, event: Event) -> AwardProgramme:
    """The event's award programme, created with the defaults the first time it is asked for."""
    programme = session.get(AwardProgramme, event.id)
    if programme is None:
        programme = AwardProgramme(event_id=event.id)
        session.add(programme)
        session.flush()
    return programme


def require_state(programme: AwardProgramme, *states: JudgingState) -> None:
    """Refuse (RuleViolation) unless the programme is in one of `states`; locked results never change."""
    if programme.state in states:
        return
    if programme.state == JudgingState.LOCKED:
        raise RuleViolation(_("The results are locked; nothing can change any more."))
    raise RuleViolation(_("This cannot be done while the award programme is in the “%(state)s” stage.", state=state_label(programme.state)))


def state_label(state: JudgingState) -> str:
    return {
        JudgingState.SETUP: _("setup"),
        JudgingState.JUDGING: _("judging"),
        JudgingState.CLOSED: _("judging closed"),
        JudgingState.LOCKED: _("results locked"),
    }[state]


def juror_for(session: Session, user, event: Event) -> Juror | None:
    """The signed-in user's Juror row; one holding the juror role without a row (an invitation just accepted) gets it now."""
    if not getattr(user, "is_authenticated", False):
        return None
    juror = session.scalar(select(Juror).where(Juror.event_id == event.id, Juror.user_id == user.id))
    if juror is None and session.scalar(select(EventRole.id).where(
            EventRole.event_id == event.id, EventRole.user_id == user.id, EventRole.role == EventRoleName.JUROR)) is not None:
        juror = make_juror(session, event, user.id)
    return juror


def make_juror(session: Session, event: Event, user_id: int) -> Juror:
    """The Juror row of a juror-role holder, with the organization, province and categories of their accepted invitation.

    Accounts knows no feature, so an accepted juror invitation is turned into a Juror here, the first time it is needed.
    """
    user = session.get(User, user_id)
    pending = session.scalar(
        select(JurorInvitation).join(Invitation, Invitation.id == JurorInvitation.invitation_id)
        .where(JurorInvitation.event_id == event.id, Invitation.email == user.email, Invitation.accepted_at.is_not(None))
        .order_by(Invitation.accepted_at.desc(), Invitation.id.desc()).limit(1))
    juror = Juror(event_id=event.id, user_id=user_id)
    if pending is not None:
        own = set(session.scalars(select(AwardCategory.id).where(AwardCategory.event_id == event.id)))
        wanted = {int(part) for part in pending.category_ids.split(",") if part.strip().isdigit()}
        juror.organization_id, juror.province = pending.organization_id, pending.province
        juror.categories = [JurorCategory(category_id=c) for c in sorted(wanted & own)]
    try:
        with session.begin_nested():
            session.add(juror)
            session.flush()
    except IntegrityError:  # made by a simultaneous request
        juror = session.scalar(select(Juror).where(Juror.event_id == event.id, Juror.user_id == user_id))
    return juror


def audit(session: Session, event: Event, user, action: str, **detail) -> AwardAudit:
    """Write one audit row (in the caller's transaction, so it is kept exactly when the change is)."""
    entry = AwardAudit(
        event_id=event.id,
        user_id=getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None,
        action=action,
        detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
        created_at=utcnow(),
    )
    session.add(entry)
    return entry


# What other pages (the public event page) may ask about an award night


def results_published(session: Session, event: Event) -> bool:
    programme = session.get(AwardProgramme, event.id)
    return programme is not None and programme.published_at is not None


def poll_open(session: Session, event: Event) -> bool:
    """The night's satisfaction poll takes answers now (an event with an award programme, within the poll's window)."""
    if session.get(AwardProgramme, event.id) is None:
        return False
    from eventsys.awards import poll  # poll's rules live there; imported here only when asked

    return poll.window_problem(event) is None


def event_page_links(session: Session, event: Event) -> dict[str, bool]:
    """For the event's public page: the published results, and the satisfaction poll while it is open."""
    return {"results": results_published(session, event), "poll": event.is_public and poll_open(session, event)}
