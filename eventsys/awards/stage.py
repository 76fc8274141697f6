"""The live stage on the award night: the operator moves through the cues; the screens read where the night is.

Every step names the StageState version it was taken from and is applied by one conditional
UPDATE (`... WHERE version = expected`), so a click from a second operator tab that saw an older
state is refused instead of being applied twice. Planned starts are computed from when the show
really started plus the planned lengths of the cues before; the delay is the current cue's actual
start minus its planned start.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from eventsys.attendance import services as attendance
from eventsys.awards.models import AwardCategory, AwardProgramme, Cue, CueKind, Nomination, NominationState, StageState, Winner
from eventsys.awards.runofshow import CUE_KIND_LABELS
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_time
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event, Organization

ON_TIME_MINUTES = 1  # within a minute of the plan counts as on time

KIND_LABELS = CUE_KIND_LABELS  # the run-of-show's words for the kinds


@dataclass
class Stage:
    """The cues in order and where the night is; read-only (screens poll it, it must never write)."""

    event: Event
    cues: list[Cue]
    state: StageState | None
    planned_show_start: datetime

    @property
    def version(self) -> int:
        return self.state.version if self.state else 0

    @property
    def started_at(self) -> datetime | None:
        return self.state.show_started_at if self.state else None

    @property
    def current(self) -> Cue | None:
        cue_id = self.state.current_cue_id if self.state else None
        return next((c for c in self.cues if c.id == cue_id), None)

    @property
    def finished(self) -> bool:
        return self.started_at is not None and self.current is None

    def index_of(self, cue: Cue | None) -> int:
        return self.cues.index(cue) if cue is not None else -1

    @property
    def next(self) -> Cue | None:
        if self.finished:
            return None
        index = self.index_of(self.current)
        return self.cues[index + 1] if index + 1 < len(self.cues) else None

    @property
    def previous(self) -> Cue | None:
        index = self.index_of(self.current)
        return self.cues[index - 1] if index > 0 else None

    def plan_base(self) -> datetime:
        """The plan counts from when the show started; before that, from its planned start."""
        return self.started_at or self.planned_show_start

    def planned_start(self, cue: Cue) -> datetime:
        index = self.index_of(cue)
        return self.plan_base() + timedelta(seconds=sum(c.planned_seconds for c in self.cues[:index]))

    def planned_end(self) -> datetime:
        return self.plan_base() + timedelta(seconds=sum(c.planned_seconds for c in self.cues))

    def delay_seconds(self) -> int | None:
        """Actual start of the current cue minus its planned start (negative: ahead); None before the show."""
        current = self.current
        if current is None or current.started_at is None or self.started_at is None:
            return None
        return int((current.started_at - self.planned_start(current)).total_seconds())

    def next_to_stage(self) -> Cue | None:
        """The next cue after the current one in which a recipient walks to the stage."""
        if self.finished:
            return None
        after = self.cues[self.index_of(self.current) + 1:]
        return next((c for c in after if c.kind == CueKind.TO_STAGE and c.winner is not None), None)


def load_stage(session: Session, event: Event) -> Stage:
    cues = list(session.scalars(
        select(Cue).where(Cue.event_id == event.id).order_by(Cue.position, Cue.id)
        .options(selectinload(Cue.category),
                 selectinload(Cue.winner).selectinload(Winner.nomination).selectinload(Nomination.organization))
    ))
    programme = session.get(AwardProgramme, event.id)  # read only: screens poll this and must never write
    planned = programme.show_starts_at if programme is not None and programme.show_starts_at else event.starts_at
    return Stage(event, cues, session.get(StageState, event.id), planned)


# The operator's steps


def _stale() -> RuleViolation:
    return RuleViolation(_("Someone else moved the show on a moment ago (from another screen). "
                           "The page now shows where the show is; check it and press again if still needed."))


def _move(session: Session, stage: Stage, expected_version: int, target: Cue | None, now: datetime,
          *, start_show: bool = False) -> Stage:
    """Make `target` the current cue (None: the show is over) if nobody moved since `expected_version`."""
    if stage.state is None:
        if expected_version != 0:
            raise _stale()
        session.add(StageState(event_id=stage.event.id, version=0, updated_at=now))
        session.flush()  # two first clicks at once: the second fails on the primary key (the view says "stale")
    values = {"version": expected_version + 1, "current_cue_id": target.id if target else None, "updated_at": now}
    if start_show:
        values["show_started_at"] = now
    result = session.execute(
        update(StageState).where(StageState.event_id == stage.event.id, StageState.version == expected_version).values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _stale()
    old_index, new_index = stage.index_of(stage.current), stage.index_of(target) if target else len(stage.cues)
    for index, cue in enumerate(stage.cues):
        if index == old_index and new_index > old_index and cue.ended_at is None:
            cue.ended_at = now
        elif index > new_index:  # went back: what came after did not happen yet
            cue.started_at = cue.ended_at = None
    if target is not None:
        if target.started_at is None or start_show:
            target.started_at = now
        target.ended_at = None  # back to a cue that ran: it keeps its start, runs on
    session.flush()
    session.expire_all()
    return load_stage(session, stage.event)


def start_show(session: Session, event: Event, expected_version: int, now: datetime | None = None) -> Stage:
    stage = load_stage(session, event)
    if stage.started_at is not None:
        raise RuleViolation(_("The show has already started (at %(time)s).", time=local_time(stage.started_at, event.timezone)))
    if not stage.cues:
        raise RuleViolation(_("The run-of-show has no cues yet. Generate or add them first."))
    for cue in stage.cues:
        cue.started_at = cue.ended_at = None
    return _move(session, stage, expected_version, stage.cues[0], now or utcnow(), start_show=True)


def _require_running(stage: Stage) -> None:
    if stage.started_at is None:
        raise RuleViolation(_("The show has not started yet. Start it first."))


def next_cue(session: Session, event: Event, expected_version: int, now: datetime | None = None) -> Stage:
    """On to the next cue; after the last one the show is over."""
    stage = load_stage(session, event)
    _require_running(stage)
    if stage.finished:
        raise RuleViolation(_("The show is over: there is no next cue."))
    return _move(session, stage, expected_version, stage.next, now or utcnow())


def previous_cue(session: Session, event: Event, expected_version: int, now: datetime | None = None) -> Stage:
    stage = load_stage(session, event)
    _require_running(stage)
    target = stage.cues[-1] if stage.finished else stage.previous
    if target is None:
        raise RuleViolation(_("This is the first cue: there is none before it."))
    return _move(session, stage, expected_version, target, now or utcnow())


def jump_to(session: Session, event: Event, expected_version: int, cue_id: int, now: datetime | None = None) -> Stage:
    stage = load_stage(session, event)
    _require_running(stage)
    target = next((c for c in stage.cues if c.id == cue_id), None)
    if target is None:
        raise RuleViolation(_("That cue is not in this run-of-show (any more). Reload the page."))
    if target is stage.current:
        raise RuleViolation(_("That cue is already on stage."))
    return _move(session, stage, expected_version, target, now or utcnow())


# What the pages and their scripts read


def delay_text(seconds: int | None) -> tuple[str, str]:
    """('late'|'ahead'|'on_time'|'', text): '+4 min late', '2 min ahead'."""
    if seconds is None:
        return "", ""
    minutes = round(seconds / 60)
    if abs(minutes) < ON_TIME_MINUTES:
        return "on_time", _("on time")
    if minutes > 0:
        return "late", _("+%(minutes)d min late", minutes=minutes)
    return "ahead", _("%(minutes)d min ahead", minutes=-minutes)


def _revealed_winners(session: Session, stage: Stage, cue: Cue) -> list[Winner]:
    """Winners of the cue's category whose REVEAL cue has been reached (a reveal without a winner reveals them all)."""
    if cue.category_id is None:
        return []
    index = stage.index_of(cue)
    shown: dict[int, Winner] = {}
    reveal_all = False
    for earlier in stage.cues[:index + 1]:
        if earlier.kind == CueKind.REVEAL and earlier.category_id == cue.category_id:
            if earlier.winner is not None:
                shown[earlier.winner.id] = earlier.winner
            else:
                reveal_all = True
    if reveal_all:
        for winner in _winners_of(session, cue.category_id):
            shown[winner.id] = winner
    winners = sorted(shown.values(), key=lambda w: (w.rank, w.id))
    if cue.winner is not None and cue.winner.id in shown:  # the cue's own winner first
        winners.sort(key=lambda w: w.id != cue.winner.id)
    return winners


def _winners_of(session: Session, category_id: int) -> list[Winner]:
    return list(session.scalars(
        select(Winner).where(Winner.category_id == category_id).order_by(Winner.rank, Winner.id)
        .options(selectinload(Winner.nomination).selectinload(Nomination.organization))
    ))


def _nominees(session: Session, category: AwardCategory) -> list[str]:
    rows = session.scalars(
        select(Organization.name).join(Nomination, Nomination.organization_id == Organization.id)
        .where(Nomination.category_id == category.id, Nomination.state == NominationState.ACCEPTED)
        .order_by(Organization.name)
    )
    return list(rows)


def winner_json(winner: Winner, logo_url) -> dict:
    organization = winner.nomination.organization
    return {
        "rank": winner.rank,
        "organization": organization.name,
        "logo_url": logo_url(organization),
        "awardee_name": winner.awardee_name,
        "awardee_title": winner.awardee_title,
        "recipient_name": winner.recipient_name,
        "recipient_position": winner.recipient_position,
        "on_behalf_of": winner.on_behalf_of,
        "citation": winner.citation,
    }


def screen_json(session: Session, stage: Stage, logo_url) -> dict:
    """What the projector shows: the award and its nominees; the winner only from its REVEAL cue on."""
    cue = stage.current
    data = {"version": stage.version, "event": stage.event.name, "started": stage.started_at is not None,
            "finished": stage.finished, "kind": None, "title": stage.event.name, "category": None,
            "nominees": [], "winners": []}
    if cue is None:
        return data
    data["kind"] = cue.kind.value
    if cue.category is None:
        data["title"] = cue.title
        return data
    data["title"] = cue.category.name  # a cue's own title may name the winner; the category never does
    data["category"] = cue.category.name
    data["nominees"] = _nominees(session, cue.category)
    data["winners"] = [winner_json(w, logo_url) for w in _revealed_winners(session, stage, cue)]
    return data


def cue_json(stage: Stage, cue: Cue | None) -> dict | None:
    if cue is None:
        return None
    zone = stage.event.timezone
    planned = local_time(stage.planned_start(cue), zone, False)
    minutes = round(cue.planned_seconds / 60, 1)
    return {
        "id": cue.id,
        "position": stage.index_of(cue) + 1,
        "kind": cue.kind.value,
        "title": cue.title,
        "category": cue.category.name if cue.category else "",
        "presenter": cue.presenter,
        "planned_start": planned,
        "planned_minutes": minutes,
        "planned_text": _("planned %(time)s, %(minutes)s min", time=planned, minutes=f"{minutes:g}"),
        "started_at": local_time(cue.started_at, zone, False) if cue.started_at else None,
    }


def recipient_json(session: Session, stage: Stage, cue: Cue | None) -> dict | None:
    """Who walks to the stage at `cue`, and whether they (or, without a registration, their region) checked in."""
    if cue is None or cue.winner is None:
        return None
    winner, event = cue.winner, stage.event
    organization = winner.nomination.organization
    if winner.recipient_registration_id is not None:
        arrived = attendance.registrations_arrived(session, event, [winner.recipient_registration_id]).get(winner.recipient_registration_id)
        by = "registration"
    else:
        arrived = attendance.organizations_arrived(session, event, [organization.id]).get(organization.id)
        by = "organization"
    return {
        "cue_id": cue.id,
        "category": cue.category.name if cue.category else winner.category.name,
        "organization": organization.name,
        "recipient_name": winner.recipient_name or winner.awardee_name,
        "recipient_position": winner.recipient_position or winner.awardee_title,
        "on_behalf_of": winner.on_behalf_of,
        "checked_in": arrived is not None,
        "checked_in_by": by,
        "checked_in_at": local_time(arrived, event.timezone) if arrived else None,
    }


def backstage_json(session: Session, stage: Stage) -> dict:
    status, text = delay_text(stage.delay_seconds())
    upcoming = stage.next_to_stage()
    return {
        "version": stage.version,
        "started": stage.started_at is not None,
        "finished": stage.finished,
        "current": cue_json(stage, stage.current),
        "next_cue": cue_json(stage, stage.next),
        "next_recipient": recipient_json(session, stage, upcoming),
        "delay_status": status,
        "delay_text": text,
    }
