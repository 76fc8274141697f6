"""The award programme's shared rules: getting it, its state machine, jurors, and the audit log.

Other features read award nights only through this module.
"""
from __future__ import annotations

import json

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsys.awards.models import AwardAudit, AwardProgramme, JudgingState, Juror
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
    if not getattr(user, "is_authenticated", False):
        return None
    return session.scalar(select(Juror).where(Juror.event_id == event.id, Juror.user_id == user.id))


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
