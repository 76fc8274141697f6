"""The run-of-show (rundown acara): ordered cues, planned lengths, computed start times, editing.

Start times are never stored: each cue starts when the ones before it end, counted from the show's
planned start (the programme's `show_starts_at`, else the event's start). Positions stay dense
(1, 2, 3 …) after every change, so "up" and "down" always swap neighbours.

Generating makes the whole rundown from the locked results; when cues exist it replaces them all
(manual cues included) and only when asked to, and never once the show has started on stage. An
MC script left empty follows the results (see `default_script`): a recipient changed after
generating is named correctly; a script the organizer wrote stays as written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from eventsys.awards import show_wording as wording
from eventsys.awards.certificates import winners_of
from eventsys.awards.models import AwardCategory, Cue, CueKind, JudgingState, Nomination, NominationState, StageState, Winner
from eventsys.awards.services import audit, programme_for
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event

CUE_KIND_LABELS = {
    CueKind.OPENING: _l("Opening"),
    CueKind.ANTHEM: _l("Indonesia Raya"),
    CueKind.WELCOME: _l("Welcome"),
    CueKind.SPEECH: _l("Speech"),
    CueKind.NOMINEES: _l("Nominees"),
    CueKind.REVEAL: _l("Reveal"),
    CueKind.TO_STAGE: _l("To the stage"),
    CueKind.PHOTO: _l("Photo"),
    CueKind.PERFORMANCE: _l("Performance"),
    CueKind.BREAK: _l("Break"),
    CueKind.CLOSING: _l("Closing"),
    CueKind.OTHER: _l("Other"),
}

# Planned lengths of generated cues, in seconds.
DEFAULT_SECONDS = {
    CueKind.OPENING: 180, CueKind.ANTHEM: 180, CueKind.WELCOME: 300, CueKind.SPEECH: 600, CueKind.NOMINEES: 120,
    CueKind.REVEAL: 45, CueKind.TO_STAGE: 90, CueKind.PHOTO: 60, CueKind.PERFORMANCE: 300, CueKind.BREAK: 600,
    CueKind.CLOSING: 180, CueKind.OTHER: 60,
}
MAX_CUES = 500


def format_duration(seconds: int) -> str:
    """ "4:05" (minutes:seconds); "1:02:05" past an hour."""
    seconds = max(int(seconds or 0), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def parse_duration(text: str) -> int | None:
    """ "4:05" or "4" (minutes) or "1:02:05" as seconds; None when it is not one."""
    parts = (text or "").strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.strip().isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts]
    if len(numbers) == 1:
        return numbers[0] * 60
    if any(n >= 60 for n in numbers[1:]):
        return None
    return numbers[-1] + numbers[-2] * 60 + (numbers[0] * 3600 if len(numbers) == 3 else 0)


# Reading


def cues_of(session: Session, event: Event) -> list[Cue]:
    return list(
        session.scalars(
            select(Cue)
            .where(Cue.event_id == event.id)
            .order_by(Cue.position, Cue.id)
            .options(
                selectinload(Cue.category),
                selectinload(Cue.winner).selectinload(Winner.category),
                selectinload(Cue.winner).selectinload(Winner.nomination).selectinload(Nomination.organization),
            )
            .execution_options(populate_existing=True)
        )
    )


def show_start(session: Session, event: Event) -> datetime:
    return programme_for(session, event).show_starts_at or event.starts_at


@dataclass
class TimedCue:
    cue: Cue
    starts_at: datetime
    ends_at: datetime


@dataclass
class Rundown:
    event: Event
    starts_at: datetime
    cues: list[TimedCue]

    @property
    def total_seconds(self) -> int:
        return sum(t.cue.planned_seconds for t in self.cues)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(seconds=self.total_seconds)


def rundown(session: Session, event: Event) -> Rundown:
    """The cues with their computed start and end times."""
    start = show_start(session, event)
    timed, at = [], start
    for cue in cues_of(session, event):
        end = at + timedelta(seconds=cue.planned_seconds)
        timed.append(TimedCue(cue, at, end))
        at = end
    return Rundown(event, start, timed)


def show_running(session: Session, event: Event) -> bool:
    state = session.get(StageState, event.id)
    return state is not None and state.show_started_at is not None


# What the MC says


def _nominees(session: Session, category: AwardCategory) -> str:
    names = session.scalars(
        select(Nomination)
        .where(Nomination.category_id == category.id, Nomination.state == NominationState.ACCEPTED)
        .options(selectinload(Nomination.organization))
        .order_by(Nomination.id)
    )
    return ", ".join(n.organization.name for n in names)


def default_script(session: Session, event: Event, cue: Cue, presenter: str = "") -> str:
    """The MC's words for a cue of this kind, in the current language (formal Indonesian by default)."""
    winner, category = cue.winner, cue.category or (cue.winner.category if cue.winner else None)
    award = wording.award_title(winner) if winner else (wording.category_label(category) if category else cue.title)
    speaker = presenter or cue.presenter or _("the minister")
    if cue.kind == CueKind.OPENING:
        return _("Ladies and gentlemen, good evening and welcome to %(event)s. Please take your seats; the event is about to begin.",
                 event=event.name)
    if cue.kind == CueKind.ANTHEM:
        return _("Ladies and gentlemen, please rise as we sing our national anthem, Indonesia Raya.")
    if cue.kind == CueKind.WELCOME:
        return _("Ladies and gentlemen, honoured guests, regional heads and delegates: welcome to %(event)s.", event=event.name)
    if cue.kind == CueKind.SPEECH:
        return _("Ladies and gentlemen, we respectfully invite %(speaker)s to deliver a speech.", speaker=speaker)
    if cue.kind == CueKind.NOMINEES and category is not None:
        return _("Ladies and gentlemen, these are the nominees for the award %(award)s: %(nominees)s.",
                 award=wording.category_label(category), nominees=_nominees(session, category) or "—")
    if cue.kind == CueKind.REVEAL and winner is not None:
        text = _("Ladies and gentlemen, the award %(award)s is presented to %(awardee)s!",
                 award=award, awardee=wording.region_government(wording.region_of(winner)))
        line = wording.recipient_line(winner)
        return f"{text} {_('The award is %(received_by)s.', received_by=line)}" if line else text
    if cue.kind == CueKind.TO_STAGE and winner is not None:
        line = wording.recipient_line(winner)
        if line:
            return _("We invite %(person)s, %(on_behalf)s, to come to the stage to receive the award from %(speaker)s.",
                     person=", ".join(p for p in (winner.recipient_name, winner.recipient_position) if p),
                     on_behalf=wording.on_behalf_phrase(winner) or wording.awardee_person(winner), speaker=speaker)
        return _("We invite %(person)s to come to the stage to receive the award from %(speaker)s.",
                 person=wording.awardee_person(winner) or wording.region_of(winner).name, speaker=speaker)
    if cue.kind == CueKind.PHOTO and winner is not None:
        return _("Photo session: %(speaker)s with the award winner %(awardee)s.",
                 speaker=speaker, awardee=wording.region_government(wording.region_of(winner)))
    if cue.kind == CueKind.PERFORMANCE:
        return _("Ladies and gentlemen, please enjoy the following performance.")
    if cue.kind == CueKind.BREAK:
        return _("Ladies and gentlemen, we take a short break.")
    if cue.kind == CueKind.CLOSING:
        return _("Ladies and gentlemen, this concludes %(event)s. Thank you for attending, and congratulations to all award winners.",
                 event=event.name)
    return ""


def script_of(session: Session, event: Event, cue: Cue) -> str:
    return cue.script or default_script(session, event, cue)


def recipient_of(cue: Cue) -> str:
    """ "Pemerintah Kabupaten Cirebon — diterima oleh …, atas nama …" for a cue of a winner."""
    winner = cue.winner
    if winner is None:
        return ""
    line = wording.recipient_line(winner)
    region = wording.region_government(wording.region_of(winner))
    return f"{region} — {line}" if line else region


# Generating


def generate(session: Session, event: Event, *, replace: bool = False, performance_every: int = 0, user=None) -> int:
    """The whole rundown from the locked results; how many cues it has."""
    programme = programme_for(session, event)
    if programme.state != JudgingState.LOCKED:
        raise RuleViolation(_("The run-of-show is generated from the results: lock the results first."))
    if show_running(session, event):
        raise RuleViolation(_("The show has started on stage; edit its cues one by one instead of generating them again."))
    existing = session.scalar(select(func.count(Cue.id)).where(Cue.event_id == event.id))
    if existing and not replace:
        raise RuleViolation(_("The run-of-show already has %(num)d cues. Confirm that they are to be replaced.", num=existing), "confirm")
    session.execute(delete(Cue).where(Cue.event_id == event.id).execution_options(synchronize_session=False))
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "id")):  # cue titles in the MC's language
        minister = programme.signatory_name or _("the minister")
        mc = _("MC")
        plan: list[dict] = [
            {"kind": CueKind.OPENING, "title": _("Opening"), "presenter": mc},
            {"kind": CueKind.ANTHEM, "title": _("Indonesia Raya"), "presenter": mc, "media_cue": _("Song: Indonesia Raya")},
            {"kind": CueKind.WELCOME, "title": _("Welcome"), "presenter": mc},
            {"kind": CueKind.SPEECH, "title": _("Speech by %(speaker)s", speaker=minister), "presenter": minister},
        ]
        by_category: dict[int, list[Winner]] = {}
        for winner in winners_of(session, event):
            by_category.setdefault(winner.category_id, []).append(winner)
        blocks = [ws for ws in by_category.values() if ws]
        for number, winners in enumerate(blocks, start=1):
            category = winners[0].category
            label = wording.category_label(category)
            plan.append({"kind": CueKind.NOMINEES, "title": _("Nominees: %(award)s", award=label), "presenter": mc,
                         "category_id": category.id, "media_cue": _("Video: nominees of %(award)s", award=label)})
            for winner in sorted(winners, key=lambda w: -w.rank):  # third place first, the best last
                region = wording.region_of(winner).name
                common = {"category_id": category.id, "winner_id": winner.id}
                plan.append({"kind": CueKind.REVEAL, "title": _("Reveal: %(award)s", award=wording.award_title(winner)),
                             "presenter": mc, "media_cue": _("Fanfare; logo of %(region)s on screen", region=region), **common})
                plan.append({"kind": CueKind.TO_STAGE, "title": _("To the stage: %(region)s", region=region), "presenter": minister,
                             "stage_notes": _("Usher brings the recipient to the stage; the minister hands over the trophy and the certificate."),
                             **common})
                plan.append({"kind": CueKind.PHOTO, "title": _("Photo: %(region)s", region=region), "presenter": minister,
                             "stage_notes": _("Recipient and minister face the photographers at centre stage."), **common})
            if performance_every and number % performance_every == 0 and number < len(blocks):
                plan.append({"kind": CueKind.PERFORMANCE, "title": _("Performance"), "presenter": mc})
        plan.append({"kind": CueKind.CLOSING, "title": _("Closing"), "presenter": mc})
    for position, fields in enumerate(plan, start=1):
        session.add(Cue(event_id=event.id, position=position, planned_seconds=DEFAULT_SECONDS[fields["kind"]], script="", **fields))
    session.flush()
    audit(session, event, user, "rundown", generated=len(plan), replaced=existing)
    return len(plan)


# Editing


def _lock_cues(session: Session, event: Event) -> list[Cue]:
    """The event's cues in order, locked for this transaction (PostgreSQL; SQLite's write lock covers it)."""
    return list(
        session.scalars(select(Cue).where(Cue.event_id == event.id).order_by(Cue.position, Cue.id).with_for_update())
    )


def renumber(session: Session, event: Event, ordered: list[Cue] | None = None) -> list[Cue]:
    ordered = ordered if ordered is not None else _lock_cues(session, event)
    for position, cue in enumerate(ordered, start=1):
        if cue.position != position:
            cue.position = position
    session.flush()
    return ordered


def move(session: Session, event: Event, cue_id: int, direction: str) -> None:
    """Swap the cue with its neighbour above ("up") or below ("down")."""
    cues = _lock_cues(session, event)
    index = next((i for i, c in enumerate(cues) if c.id == cue_id), None)
    if index is None:
        raise RuleViolation(_("That cue is not in this run-of-show (any more). Reload the page."))
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(cues):
        cues[index], cues[other] = cues[other], cues[index]
    renumber(session, event, cues)


def add_cue(session: Session, event: Event, **fields) -> Cue:
    cues = _lock_cues(session, event)
    if len(cues) >= MAX_CUES:
        raise RuleViolation(_("A run-of-show holds at most %(num)d cues.", num=MAX_CUES))
    renumber(session, event, cues)
    cue = Cue(event_id=event.id, position=len(cues) + 1)
    update_cue(session, event, cue, **fields)
    session.add(cue)
    session.flush()
    return cue


def _check_links(session: Session, event: Event, category_id: int | None, winner_id: int | None) -> None:
    if category_id is not None:
        category = session.get(AwardCategory, category_id)
        if category is None or category.event_id != event.id:
            raise RuleViolation(_("Choose a category of this award night."), "category_id")
    if winner_id is not None:
        winner = session.get(Winner, winner_id)
        if winner is None or winner.category.event_id != event.id:
            raise RuleViolation(_("Choose a winner of this award night."), "winner_id")
        if category_id is not None and winner.category_id != category_id:
            raise RuleViolation(_("The winner must be one of the chosen category's winners."), "winner_id")


def update_cue(session: Session, event: Event, cue: Cue, *, kind: CueKind, title: str, planned_seconds: int, presenter: str = "",
               stage_notes: str = "", media_cue: str = "", script: str = "", category_id: int | None = None,
               winner_id: int | None = None) -> Cue:
    """Change a cue (also while the show runs: the stage reads the new values on its next poll)."""
    _check_links(session, event, category_id, winner_id)
    if winner_id is not None and category_id is None:
        category_id = session.get(Winner, winner_id).category_id
    if not 0 < planned_seconds <= 6 * 3600:
        raise RuleViolation(_("Enter a length between 0:01 and 6:00:00 (minutes:seconds)."), "duration")
    cue.kind = kind
    cue.title = " ".join((title or "").split())[:200]
    cue.planned_seconds = planned_seconds
    cue.presenter = " ".join((presenter or "").split())[:200]
    cue.stage_notes = (stage_notes or "").strip()
    cue.media_cue = " ".join((media_cue or "").split())[:200]
    cue.category_id, cue.winner_id = category_id, winner_id
    cue.script = (script or "").strip()
    return cue


def delete_cue(session: Session, event: Event, cue_id: int) -> None:
    cues = _lock_cues(session, event)
    cue = next((c for c in cues if c.id == cue_id), None)
    if cue is None:
        raise RuleViolation(_("That cue is not in this run-of-show (any more). Reload the page."))
    state = session.get(StageState, event.id)
    if state is not None and state.current_cue_id == cue.id:
        raise RuleViolation(_("This cue is on stage now. Move the show on before deleting it."))
    session.delete(cue)
    renumber(session, event, [c for c in cues if c is not cue])


def set_show_start(session: Session, event: Event, starts_at: datetime | None) -> None:
    """The planned start of the show; None goes back to the event's start."""
    programme_for(session, event).show_starts_at = starts_at
    session.flush()
