"""Judging: what a juror scores, recusal, declared conflicts, saving scores, progress and reminders, opening/closing.

Recusal: a juror never scores a nomination of their own organization, nor of an organization in their own
province, nor one they declared a conflict for. Such nominations are "recused": no form, and a score
sent anyway is refused with nothing stored. Scores are saved only while the programme is JUDGING, in
steps of 0.5 within each criterion's scale, all criteria of a nomination at once; every save is audited.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from eventsys.awards import ranking as ranking_rules
from eventsys.awards.models import (
    AwardCategory,
    Conflict,
    JudgingState,
    Juror,
    JurorCategory,
    Nomination,
    NominationState,
    Score,
)
from eventsys.awards.services import NEXT_STATE, audit, programme_for, require_state
from eventsys.core.db import utcnow
from eventsys.core.mail import queue_mail
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event

STEP = Decimal("0.5")  # scores are whole or half points
ORGANIZATION, PROVINCE, CONFLICT = "organization", "province", "conflict"
RECUSAL_LABELS = {
    ORGANIZATION: _l("Recused: this is your own organization."),
    PROVINCE: _l("Recused: this region is in your province."),
    CONFLICT: _l("Recused: you declared a conflict of interest."),
}


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() == b.strip().casefold())


def recusal_reason(juror: Juror, nomination: Nomination, conflict_ids: set[int]) -> str | None:
    """Why `juror` may not score `nomination` (ORGANIZATION, PROVINCE, CONFLICT), or None."""
    if juror.organization_id is not None and nomination.organization_id == juror.organization_id:
        return ORGANIZATION
    if _same(juror.province, nomination.organization.province):
        return PROVINCE
    if nomination.id in conflict_ids:
        return CONFLICT
    return None


def conflict_ids(session: Session, juror: Juror) -> set[int]:
    return set(session.scalars(select(Conflict.nomination_id).where(Conflict.juror_id == juror.id)))


@dataclass
class NomineeCard:
    nomination: Nomination
    recused: str | None
    scores: dict[int, Decimal] = field(default_factory=dict)  # criterion id -> value

    @property
    def complete(self) -> bool:
        return bool(self.nomination.category.criteria) and all(c.id in self.scores for c in self.nomination.category.criteria)


@dataclass
class CategoryCards:
    category: AwardCategory
    cards: list[NomineeCard]


def assigned_category_ids(session: Session, juror: Juror) -> set[int]:
    return set(session.scalars(select(JurorCategory.category_id).where(JurorCategory.juror_id == juror.id)))


def juror_cards(session: Session, event: Event, juror: Juror) -> list[CategoryCards]:
    """The juror's categories, each with its accepted nominations, recusal and the juror's scores so far."""
    ids = assigned_category_ids(session, juror)
    if not ids:
        return []
    categories = session.scalars(
        select(AwardCategory).where(AwardCategory.event_id == event.id, AwardCategory.id.in_(ids))
        .order_by(AwardCategory.position, AwardCategory.id)
        .options(selectinload(AwardCategory.criteria), selectinload(AwardCategory.nominations).selectinload(Nomination.organization),
                 selectinload(AwardCategory.nominations).selectinload(Nomination.documents))
    ).all()
    conflicts = conflict_ids(session, juror)
    scores: dict[int, dict[int, Decimal]] = {}
    for score in session.scalars(select(Score).where(Score.juror_id == juror.id)):
        scores.setdefault(score.nomination_id, {})[score.criterion_id] = score.value
    out = []
    for category in categories:
        nominations = sorted((n for n in category.nominations if n.state == NominationState.ACCEPTED), key=lambda n: n.organization.name)
        out.append(CategoryCards(category, [NomineeCard(n, recusal_reason(juror, n, conflicts), scores.get(n.id, {})) for n in nominations]))
    return out


def _nomination_for_juror(session: Session, event: Event, juror: Juror, nomination_id: int) -> Nomination:
    nomination = session.get(Nomination, nomination_id)
    if (nomination is None or nomination.category.event_id != event.id or nomination.state != NominationState.ACCEPTED
            or nomination.category_id not in assigned_category_ids(session, juror)):
        raise RuleViolation(_("This nomination is not one you judge."))
    return nomination


def parse_score(raw, criterion) -> Decimal:
    """A score as typed ("7", "7.5", "7,5"), checked against the criterion's scale; RuleViolation naming the criterion."""
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    bounds = {"criterion": criterion.name, "min": criterion.scale_min, "max": criterion.scale_max}
    if not text:
        raise RuleViolation(_("Give a score for “%(criterion)s” (%(min)d–%(max)d).", **bounds), f"criterion_{criterion.id}")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise RuleViolation(_("“%(value)s” is not a number: give a score for “%(criterion)s” from %(min)d to %(max)d.",
                              value=text[:20], **bounds), f"criterion_{criterion.id}")
    if not criterion.scale_min <= value <= criterion.scale_max:
        raise RuleViolation(_("The score for “%(criterion)s” must be from %(min)d to %(max)d.", **bounds), f"criterion_{criterion.id}")
    if value % STEP:
        raise RuleViolation(_("Scores are whole or half points (e.g. 7 or 7.5); check “%(criterion)s”.", **bounds),
                            f"criterion_{criterion.id}")
    return value.quantize(Decimal("0.01"))


def save_scores(session: Session, event: Event, juror: Juror, nomination_id: int, raw: dict[int, str], user=None) -> Nomination:
    """Store the juror's scores for every criterion of the nomination (all or nothing); audited with before and after."""
    require_state(programme_for(session, event), JudgingState.JUDGING)
    nomination = _nomination_for_juror(session, event, juror, nomination_id)
    reason = recusal_reason(juror, nomination, conflict_ids(session, juror))
    if reason is not None:
        raise RuleViolation(_("You may not score %(region)s: %(reason)s", region=nomination.organization.name,
                              reason=str(RECUSAL_LABELS[reason])))
    criteria = nomination.category.criteria
    if not criteria:
        raise RuleViolation(_("This category has no criteria to score yet."))
    values = {c.id: parse_score(raw.get(c.id), c) for c in criteria}
    existing = {s.criterion_id: s for s in session.scalars(
        select(Score).where(Score.juror_id == juror.id, Score.nomination_id == nomination.id))}
    before = {c.name: str(existing[c.id].value) for c in criteria if c.id in existing}
    for c in criteria:
        if c.id in existing:
            existing[c.id].value = values[c.id]
            existing[c.id].updated_at = utcnow()
        else:
            session.add(Score(juror_id=juror.id, nomination_id=nomination.id, criterion_id=c.id, value=values[c.id]))
    audit(session, event, user, "score", juror=juror.user.name, nomination=nomination.id, region=nomination.organization.name,
          category=nomination.category.name, before=before, after={c.name: str(values[c.id]) for c in criteria})
    session.flush()
    return nomination


def declare_conflict(session: Session, event: Event, juror: Juror, nomination_id: int, reason: str, user=None) -> Nomination:
    """Record a conflict of interest; scores the juror already gave this nomination are removed (audited)."""
    require_state(programme_for(session, event), JudgingState.SETUP, JudgingState.JUDGING)
    nomination = _nomination_for_juror(session, event, juror, nomination_id)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Say briefly why you have a conflict of interest."), "reason")
    if session.get(Conflict, (juror.id, nomination.id)) is not None:
        raise RuleViolation(_("You already declared a conflict for this nomination."))
    removed = {}
    for score in session.scalars(select(Score).where(Score.juror_id == juror.id, Score.nomination_id == nomination.id)):
        removed[str(score.criterion_id)] = str(score.value)
        session.delete(score)
    session.add(Conflict(juror_id=juror.id, nomination_id=nomination.id, reason=reason[:2000]))
    audit(session, event, user, "conflict", juror=juror.user.name, nomination=nomination.id, region=nomination.organization.name,
          reason=reason[:2000], scores_removed=removed)
    session.flush()
    return nomination


@dataclass
class JurorProgress:
    juror: Juror
    scored: int
    to_score: int  # accepted nominations of the juror's categories, recused ones excluded

    @property
    def behind(self) -> bool:
        return self.scored < self.to_score


def progress(session: Session, event: Event) -> list[JurorProgress]:
    """Per juror: nominations fully scored and nominations to score (recused ones left out), in a fixed number of queries."""
    jurors = session.scalars(select(Juror).where(Juror.event_id == event.id).options(selectinload(Juror.user))).all()
    categories = {c.id: c for c in session.scalars(
        select(AwardCategory).where(AwardCategory.event_id == event.id)
        .options(selectinload(AwardCategory.criteria), selectinload(AwardCategory.nominations).selectinload(Nomination.organization)))}
    assigned: dict[int, set[int]] = {}
    conflicts: dict[int, set[int]] = {}
    scored: dict[tuple[int, int], set[int]] = {}
    juror_ids = [j.id for j in jurors] or [0]
    for link in session.scalars(select(JurorCategory).where(JurorCategory.juror_id.in_(juror_ids))):
        assigned.setdefault(link.juror_id, set()).add(link.category_id)
    for c in session.scalars(select(Conflict).where(Conflict.juror_id.in_(juror_ids))):
        conflicts.setdefault(c.juror_id, set()).add(c.nomination_id)
    for juror_id, nomination_id, criterion_id in session.execute(
            select(Score.juror_id, Score.nomination_id, Score.criterion_id).where(Score.juror_id.in_(juror_ids))):
        scored.setdefault((juror_id, nomination_id), set()).add(criterion_id)
    out = []
    for juror in sorted(jurors, key=lambda j: j.user.name.casefold()):
        done = total = 0
        for category_id in assigned.get(juror.id, set()):
            category = categories.get(category_id)
            if category is None:
                continue
            needed = {c.id for c in category.criteria}
            for n in category.nominations:
                if n.state != NominationState.ACCEPTED or recusal_reason(juror, n, conflicts.get(juror.id, set())):
                    continue
                total += 1
                done += bool(needed) and needed <= scored.get((juror.id, n.id), set())
        out.append(JurorProgress(juror, done, total))
    return out


def send_reminders(session: Session, event: Event, link: str, user=None) -> int:
    """Mail every juror who is behind, in their own language; returns how many were reminded."""
    require_state(programme_for(session, event), JudgingState.JUDGING)
    count = 0
    for row in progress(session, event):
        if not row.behind or not row.juror.user.email:
            continue
        with force_locale(row.juror.user.locale or "id"):
            subject = _("Reminder: scores for %(event)s", event=event.name)
            text = _("Dear %(name)s,\n\nYou have scored %(scored)d of %(total)d nominations for %(event)s. "
                     "Please finish your scores here:\n%(link)s\n\nThank you.",
                     name=row.juror.user.name, scored=row.scored, total=row.to_score, event=event.name, link=link)
        queue_mail(session, to_email=row.juror.user.email, to_name=row.juror.user.name, subject=subject, text=text,
                   event_id=event.id, kind="award_juror_reminder")
        row.juror.last_reminded_at = utcnow()
        count += 1
    audit(session, event, user, "reminder", jurors=count)
    session.flush()
    return count


# Rankings from the stored scores


def category_ranking(session: Session, event: Event, category: AwardCategory) -> ranking_rules.Ranking:
    """The category's ranking; scores that recusal forbids (e.g. after a juror's details changed) are left out."""
    programme = programme_for(session, event)
    nominations = [n for n in category.nominations if n.state == NominationState.ACCEPTED]
    jurors = {j.id: j for j in session.scalars(select(Juror).where(Juror.event_id == event.id))}
    conflicts: dict[int, set[int]] = {}
    for c in session.scalars(select(Conflict).join(Juror).where(Juror.event_id == event.id)):
        conflicts.setdefault(c.juror_id, set()).add(c.nomination_id)
    by_id = {n.id: n for n in nominations}
    scores: dict[int, dict[int, dict[int, float]]] = {n.id: {} for n in nominations}
    rows = session.scalars(select(Score).where(Score.nomination_id.in_(list(by_id) or [0])))
    for s in rows:
        juror = jurors.get(s.juror_id)
        if juror is None or recusal_reason(juror, by_id[s.nomination_id], conflicts.get(juror.id, set())):
            continue
        scores[s.nomination_id].setdefault(s.juror_id, {})[s.criterion_id] = float(s.value)
    specs = [ranking_rules.CriterionSpec(c.id, c.name, c.weight, c.scale_min, c.scale_max) for c in category.criteria]
    return ranking_rules.rank(specs, scores, programme.tie_break, normalize=programme.normalize_scores)


# Opening and closing judging


def opening_problems(session: Session, event: Event) -> list[str]:
    """Why judging cannot open yet (empty: it can): at least one category needs criteria, accepted nominations and jurors."""
    categories = session.scalars(select(AwardCategory).where(AwardCategory.event_id == event.id)
                                 .options(selectinload(AwardCategory.criteria), selectinload(AwardCategory.nominations))).all()
    assigned = set(session.scalars(select(JurorCategory.category_id).join(Juror).where(Juror.event_id == event.id)))
    ready = [c for c in categories if c.criteria and c.id in assigned
             and any(n.state == NominationState.ACCEPTED for n in c.nominations)]
    if ready:
        return []
    return [_("Judging needs at least one category with criteria, accepted nominations and jurors assigned to it.")]


def advance(session: Session, event: Event, expected: JudgingState, user=None) -> JudgingState:
    """Move setup → judging or judging → closed (closing is refused from any other state); audited."""
    programme = programme_for(session, event)
    require_state(programme, expected)
    target = NEXT_STATE[expected]
    if target == JudgingState.LOCKED:
        raise RuleViolation(_("Results are locked by publishing them."))
    if target == JudgingState.JUDGING:
        problems = opening_problems(session, event)
        if problems:
            raise RuleViolation(" ".join(problems))
    programme.state = target
    audit(session, event, user, "state", before=expected.value, after=target.value)
    session.flush()
    return target
