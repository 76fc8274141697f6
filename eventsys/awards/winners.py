"""Winners: chosen from the ranking while judging is closed, checked against the night's rules, published and locked.

Ranks, citations and awardees change only while the programme is CLOSED. The recipient (who walks to
the stage, on whose behalf, the letter of mandate) may still be corrected after the results are locked,
because that can change on the night itself; each such correction is audited like every other change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from eventsys.awards import documents as docs
from eventsys.awards import judging
from eventsys.awards.models import AwardCategory, AwardProgramme, JudgingState, Nomination, NominationState, Winner
from eventsys.awards.ranking import default_winners
from eventsys.awards.services import audit, programme_for, require_state
from eventsys.core.db import utcnow
from eventsys.core.rules import RuleViolation
from eventsys.core.storage import get_storage
from eventsys.events.models import Event, Organization, OrganizationKind
from eventsys.registration.models import Registration, RegistrationState


def categories_of(session: Session, event: Event) -> list[AwardCategory]:
    return list(session.scalars(
        select(AwardCategory).where(AwardCategory.event_id == event.id).order_by(AwardCategory.position, AwardCategory.id)
        .options(selectinload(AwardCategory.criteria), selectinload(AwardCategory.nominations).selectinload(Nomination.organization))))


def winners_of(session: Session, category: AwardCategory) -> list[Winner]:
    return list(session.scalars(select(Winner).where(Winner.category_id == category.id).order_by(Winner.rank)
                                .options(selectinload(Winner.nomination).selectinload(Nomination.organization))))


_HEADS = {  # the head of a region, as the awardee's title is written ("Bupati Cirebon"); the organizer may change it
    OrganizationKind.KABUPATEN: (re.compile(r"^\s*(kab\.?|kabupaten)\s+", re.I), "Bupati"),
    OrganizationKind.KOTA: (re.compile(r"^\s*kota\s+", re.I), "Wali Kota"),
    OrganizationKind.PROVINSI: (re.compile(r"^\s*(prov\.?|provinsi)\s+", re.I), "Gubernur"),
}


def head_title(organization: Organization) -> str:
    """ "Bupati Cirebon" for Kab. Cirebon, "Wali Kota Surabaya" for Kota Surabaya; "" for other bodies."""
    found = _HEADS.get(organization.kind)
    if found is None:
        return ""
    pattern, title = found
    return f"{title} {pattern.sub('', organization.name).strip() or organization.name}"


def _place(session: Session, category: AwardCategory, nomination_ids: list[int]) -> None:
    """Make the category's winners exactly `nomination_ids` in rank order, keeping the rows (citations) of nominations that stay."""
    current = {w.nomination_id: w for w in winners_of(session, category)}
    for nomination_id, winner in current.items():
        if nomination_id not in nomination_ids:
            session.delete(winner)
    session.flush()
    kept = [current[n] for n in nomination_ids if n in current]
    for winner in kept:  # out of the way first, so swapping two ranks never meets the unique (category, rank)
        winner.rank = -winner.id
    session.flush()
    for rank, nomination_id in enumerate(nomination_ids, start=1):
        if nomination_id in current:
            current[nomination_id].rank = rank
        else:
            nomination = session.get(Nomination, nomination_id)
            session.add(Winner(category_id=category.id, nomination_id=nomination_id, rank=rank,
                               awardee_title=head_title(nomination.organization)))
    session.flush()


def fill_default_winners(session: Session, event: Event, user=None) -> int:
    """Categories without winners get the top of their ranking (done when judging closes)."""
    filled = 0
    for category in categories_of(session, event):
        if winners_of(session, category):
            continue
        chosen = default_winners(judging.category_ranking(session, event, category), category.winners_count)
        if chosen:
            _place(session, category, chosen)
            audit(session, event, user, "winner", category=category.name, before=[], after=chosen, source="ranking")
            filled += 1
    return filled


def close_judging(session: Session, event: Event, user=None) -> None:
    judging.advance(session, event, JudgingState.JUDGING, user)
    fill_default_winners(session, event, user)


@dataclass
class WinnerEntry:
    nomination_id: int | None
    citation: str = ""
    awardee_name: str = ""
    awardee_title: str = ""


def save_winners(session: Session, event: Event, category: AwardCategory, entries: list[WinnerEntry], user=None) -> None:
    """Set the category's places (entry i is rank i+1; an empty entry ends the list) with citations and awardees."""
    require_state(programme_for(session, event), JudgingState.CLOSED)
    accepted = {n.id: n for n in category.nominations if n.state == NominationState.ACCEPTED}
    chosen = [e for e in entries if e.nomination_id]
    if len(chosen) > category.winners_count:
        raise RuleViolation(_("“%(category)s” awards at most %(count)d places.", category=category.name, count=category.winners_count))
    ids = [e.nomination_id for e in chosen]
    if any(i not in accepted for i in ids):
        raise RuleViolation(_("Choose winners among the accepted nominations of this category."))
    if len(set(ids)) != len(ids):
        raise RuleViolation(_("A nomination can hold only one place."))
    if any(not e.nomination_id for e in entries[:len(chosen)]):
        raise RuleViolation(_("Fill the places in order, from the first, without gaps."))
    previous = {w.rank: (w.nomination_id, w.citation, w.awardee_name, w.awardee_title) for w in winners_of(session, category)}
    before = [(rank, *row) for rank, row in sorted(previous.items())]
    _place(session, category, ids)
    for winner, entry in zip(winners_of(session, category), chosen, strict=True):
        citation, name, title = entry.citation.strip(), entry.awardee_name.strip()[:200], entry.awardee_title.strip()[:200]
        old = previous.get(winner.rank)
        if old is not None and old[0] != winner.nomination_id:
            # Another region now holds this place: texts left as they were belonged to the region before.
            citation = "" if citation == old[1] else citation
            name = "" if name == old[2] else name
            title = "" if title == old[3] else title
        winner.citation, winner.awardee_name = citation, name
        winner.awardee_title = title or head_title(winner.nomination.organization)
    after = [(w.rank, w.nomination_id, w.citation, w.awardee_name, w.awardee_title) for w in winners_of(session, category)]
    audit(session, event, user, "winner", category=category.name, before=before, after=after)
    session.flush()


# Who receives the award on the night


@dataclass
class RecipientData:
    recipient_name: str
    recipient_position: str
    on_behalf_of: str
    registration_id: int | None
    mandate: tuple[bytes, str] | None = None  # (data, file name) of a new letter of mandate
    remove_mandate: bool = False


def registration_choices(session: Session, event: Event, winner: Winner) -> list[Registration]:
    """The event's live registrations from the winner's organization."""
    return list(session.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.organization_id == winner.nomination.organization_id,
        Registration.state.notin_([RegistrationState.CANCELLED, RegistrationState.REJECTED])).order_by(Registration.name)))


def save_recipient(session: Session, event: Event, winner: Winner, data: RecipientData, saved_keys: list[str], user=None) -> None:
    """Who receives the award; allowed while closed and after locking (corrections on the night), always audited.

    A new mandate file is checked by content first (PDF that PDFium opens, or a picture core.images redraws)."""
    programme = programme_for(session, event)
    if programme.state not in (JudgingState.CLOSED, JudgingState.LOCKED):
        require_state(programme, JudgingState.CLOSED)
    if data.registration_id is not None and data.registration_id not in {r.id for r in registration_choices(session, event, winner)}:
        raise RuleViolation(_("Choose a registration of %(region)s for this event.", region=winner.nomination.organization.name),
                            "registration_id")
    before = {"name": winner.recipient_name, "position": winner.recipient_position, "on_behalf_of": winner.on_behalf_of,
              "registration": winner.recipient_registration_id, "mandate": winner.mandate_key}
    if data.mandate is not None:
        try:
            checked = docs.check_document(data.mandate[0], data.mandate[1])
        except RuleViolation as violation:
            raise RuleViolation(violation.message, "mandate") from None
        key = get_storage(current_app).save(checked.data, docs.SUFFIXES[checked.content_type])
        saved_keys.append(key)
        winner.mandate_key, winner.mandate_content_type = key, checked.content_type
    elif data.remove_mandate:
        winner.mandate_key = winner.mandate_content_type = None
    winner.recipient_name = data.recipient_name.strip()[:200]
    winner.recipient_position = data.recipient_position.strip()[:200]
    winner.on_behalf_of = data.on_behalf_of.strip()[:200]
    winner.recipient_registration_id = data.registration_id
    after = {"name": winner.recipient_name, "position": winner.recipient_position, "on_behalf_of": winner.on_behalf_of,
             "registration": winner.recipient_registration_id, "mandate": winner.mandate_key}
    audit(session, event, user, "recipient", category=winner.category.name, rank=winner.rank,
          region=winner.nomination.organization.name, after_lock=programme.state == JudgingState.LOCKED, before=before, after=after)
    session.flush()  # a replaced letter stays in storage: the audit row still names it


# Publishing


def publishing_problems(session: Session, event: Event) -> list[str]:
    """Every rule the chosen winners break (empty: they may be published)."""
    programme = programme_for(session, event)
    problems = []
    won: dict[int, list[tuple[str, str]]] = {}
    for category in categories_of(session, event):
        accepted = [n for n in category.nominations if n.state == NominationState.ACCEPTED]
        if not accepted:
            continue  # a category nobody was nominated for awards nothing
        winners = winners_of(session, category)
        needed = min(category.winners_count, len(accepted))
        if len(winners) < needed:
            problems.append(_("“%(category)s” has %(have)d of its %(need)d winners.", category=category.name, have=len(winners), need=needed))
        for w in winners:
            won.setdefault(w.nomination.organization_id, []).append((w.nomination.organization.name, category.name))
    if programme.one_award_per_region:
        for awards in won.values():
            if len(awards) > 1:
                problems.append(_("%(region)s wins in more than one category (%(categories)s), but each region may receive at most one award.",
                                  region=awards[0][0], categories=", ".join(c for _r, c in awards)))
    return problems


def publish(session: Session, event: Event, user=None) -> None:
    """Check the rules, then publish and lock; with a broken rule nothing changes (RuleViolation lists them all)."""
    programme = programme_for(session, event)
    require_state(programme, JudgingState.CLOSED)
    problems = publishing_problems(session, event)
    if problems:
        raise RuleViolation(_("The results cannot be published yet:") + " " + " ".join(problems))
    now = utcnow()
    programme.published_at = now
    programme.locked_at = now
    programme.state = JudgingState.LOCKED
    audit(session, event, user, "publish", before=JudgingState.CLOSED.value, after=JudgingState.LOCKED.value)
    session.flush()


def published_winners(session: Session, event: Event) -> list[tuple[AwardCategory, list[Winner]]]:
    """(category, winners) of a published programme; empty before publishing."""
    programme = session.get(AwardProgramme, event.id)
    if programme is None or programme.published_at is None:
        return []
    return [(c, ws) for c in categories_of(session, event) if (ws := winners_of(session, c))]
