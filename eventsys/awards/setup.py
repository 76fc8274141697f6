"""Setting an award night up: its rules, categories with weighted criteria, eligible organizations, jurors.

The tie-break is stored as an ordered comma list (A2's ranking parses it):
`criterion:<criterion name>` (highest mean on that criterion), `first_places` (most rank-1 votes
across jurors), `lowest_spread` (lowest standard deviation of juror totals). It and the criteria
are fixed once judging opens.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from eventsys.accounts import services as accounts
from eventsys.accounts.models import EventRole, EventRoleName, Invitation, User
from eventsys.awards.models import (
    AwardCategory,
    AwardProgramme,
    Criterion,
    EligibleOrganization,
    JudgingState,
    Juror,
    JurorCategory,
    JurorInvitation,
)
from eventsys.awards.services import audit, make_juror, programme_for, require_state
from eventsys.core.rules import RuleViolation
from eventsys.events.dimensions import DIMENSION_LABELS, Dimension
from eventsys.events.models import Event, Organization

DEFAULT_CRITERIA = (("Inovasi", 30), ("Dampak", 40), ("Keberlanjutan", 30))
DEFAULT_SCALE = (1, 10)
FIRST_PLACES, LOWEST_SPREAD, CRITERION_PREFIX = "first_places", "lowest_spread", "criterion:"
TIE_BREAK_LABELS = {
    FIRST_PLACES: _l("Most first places (rank-1 votes across jurors)"),
    LOWEST_SPREAD: _l("Lowest spread of juror totals (standard deviation)"),
}


# Programme settings


def parse_tie_break(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def tie_break_label(rule: str) -> str:
    if rule.startswith(CRITERION_PREFIX):
        return _("Highest mean on “%(criterion)s”", criterion=rule[len(CRITERION_PREFIX):])
    return str(TIE_BREAK_LABELS.get(rule, rule))


def shared_criterion_names(session: Session, event: Event) -> list[str]:
    """Criterion names that every category of the event has (a tie-break must apply to all of them)."""
    categories = categories_of(session, event)
    if not categories:
        return []
    names = [c.name for c in categories[0].criteria]
    return [n for n in names if all(any(c.name == n for c in cat.criteria) for cat in categories[1:])]


def tie_break_choices(session: Session, event: Event) -> list[tuple[str, str]]:
    rules = [CRITERION_PREFIX + n for n in shared_criterion_names(session, event)] + [FIRST_PLACES, LOWEST_SPREAD]
    return [(r, tie_break_label(r)) for r in rules]


@dataclass
class ProgrammeSettings:
    nominations_open_at: datetime | None
    nominations_close_at: datetime | None
    judging_deadline: datetime | None
    normalize_scores: bool
    one_award_per_region: bool
    signatory_name: str
    signatory_title: str
    tie_break: list[str] = field(default_factory=list)


def save_settings(session: Session, event: Event, data: ProgrammeSettings, user=None) -> AwardProgramme:
    programme = programme_for(session, event)
    require_state(programme, JudgingState.SETUP, JudgingState.JUDGING, JudgingState.CLOSED)
    if data.nominations_open_at and data.nominations_close_at and data.nominations_close_at <= data.nominations_open_at:
        raise RuleViolation(_("The nomination window must close after it opens."), "nominations_close_at")
    rules = [r for r in data.tie_break if r]
    if len(set(rules)) != len(rules):
        raise RuleViolation(_("Each tie-break rule may be chosen only once."), "tie_break_1")
    allowed = {value for value, _label in tie_break_choices(session, event)}
    for rule in rules:
        if rule not in allowed:
            raise RuleViolation(_("The tie-break rule “%(rule)s” is not available: a criterion must exist in every category.",
                                  rule=tie_break_label(rule)), "tie_break_1")
    tie_break = ",".join(rules) or FIRST_PLACES
    if tie_break != programme.tie_break:
        if programme.state != JudgingState.SETUP:
            raise RuleViolation(_("The tie-break rule is fixed once judging has opened."), "tie_break_1")
        audit(session, event, user, "tie_break", before=programme.tie_break, after=tie_break)
    if data.normalize_scores != programme.normalize_scores and programme.state != JudgingState.SETUP:
        raise RuleViolation(_("Normalization is fixed once judging has opened."), "normalize_scores")
    programme.tie_break = tie_break
    for name in ("nominations_open_at", "nominations_close_at", "judging_deadline", "normalize_scores",
                 "one_award_per_region"):
        setattr(programme, name, getattr(data, name))
    programme.signatory_name = data.signatory_name.strip()
    programme.signatory_title = data.signatory_title.strip()
    session.flush()
    return programme


# Categories and criteria


def categories_of(session: Session, event: Event) -> list[AwardCategory]:
    return list(session.scalars(
        select(AwardCategory).where(AwardCategory.event_id == event.id)
        .options(selectinload(AwardCategory.criteria)).order_by(AwardCategory.position, AwardCategory.id)
    ))


def _next_position(session: Session, event: Event) -> int:
    return (session.scalar(select(func.max(AwardCategory.position)).where(AwardCategory.event_id == event.id)) or 0) + 1


def _default_criteria() -> list[Criterion]:
    return [Criterion(name=n, weight=w, scale_min=DEFAULT_SCALE[0], scale_max=DEFAULT_SCALE[1], position=i)
            for i, (n, w) in enumerate(DEFAULT_CRITERIA)]


def create_dimension_categories(session: Session, event: Event) -> list[AwardCategory]:
    """The six Smart City dimension categories (those not there yet), each with the default criteria."""
    require_state(programme_for(session, event), JudgingState.SETUP)
    existing = categories_of(session, event)
    taken_dimensions = {c.dimension for c in existing}
    taken_names = {c.name.casefold() for c in existing}
    position = _next_position(session, event)
    made = []
    for dimension in Dimension:
        name = str(DIMENSION_LABELS[dimension])
        if dimension in taken_dimensions or name.casefold() in taken_names:
            continue
        category = AwardCategory(event_id=event.id, name=name, dimension=dimension, winners_count=1, position=position,
                                 description="", criteria=_default_criteria())
        position += 1
        session.add(category)
        made.append(category)
    session.flush()
    return made


@dataclass
class CriterionData:
    name: str
    weight: int
    scale_min: int
    scale_max: int


@dataclass
class CategoryData:
    name: str
    dimension: Dimension | None
    description: str
    winners_count: int
    criteria: list[CriterionData]


def _check_criteria(criteria: list[CriterionData]) -> None:
    if not criteria:
        raise RuleViolation(_("A category needs at least one criterion."), "criteria")
    names = [c.name.strip().casefold() for c in criteria]
    if len(set(names)) != len(names):
        raise RuleViolation(_("Two criteria have the same name; give each criterion its own name."), "criteria")
    for c in criteria:
        if c.weight < 1:
            raise RuleViolation(_("The weight of “%(name)s” must be at least 1.", name=c.name), "criteria")
        if c.scale_min >= c.scale_max:
            raise RuleViolation(_("The scale of “%(name)s” must go from a lower to a higher number (e.g. 1 to 10).", name=c.name), "criteria")
    total = sum(c.weight for c in criteria)
    if total != 100:
        raise RuleViolation(_("The weights add up to %(total)d; they must add up to 100.", total=total), "criteria")


def save_category(session: Session, event: Event, data: CategoryData, category: AwardCategory | None = None,
                  user=None) -> AwardCategory:
    """Create or change a category and its criteria (matched by name, so unchanged criteria keep their id)."""
    require_state(programme_for(session, event), JudgingState.SETUP)
    name = data.name.strip()
    if not name:
        raise RuleViolation(_("Enter the category's name."), "name")
    _check_criteria(data.criteria)
    clash = session.scalar(select(AwardCategory.id).where(
        AwardCategory.event_id == event.id, func.lower(AwardCategory.name) == name.lower(),
        AwardCategory.id != (category.id if category else -1)))
    if clash is not None:
        raise RuleViolation(_("There is already a category named “%(name)s”.", name=name), "name")
    if category is None:
        category = AwardCategory(event_id=event.id, position=_next_position(session, event))
        session.add(category)
    category.name, category.dimension = name, data.dimension
    category.description, category.winners_count = data.description.strip(), data.winners_count
    by_name = {c.name.casefold(): c for c in category.criteria}
    kept = []
    for position, item in enumerate(data.criteria):
        criterion = by_name.pop(item.name.strip().casefold(), None) or Criterion()
        criterion.name, criterion.weight = item.name.strip(), item.weight
        criterion.scale_min, criterion.scale_max, criterion.position = item.scale_min, item.scale_max, position
        kept.append(criterion)
    category.criteria = kept
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise RuleViolation(_("There is already a category named “%(name)s”.", name=name), "name") from None
    audit(session, event, user, "category", category=name, criteria=[(c.name, c.weight, c.scale_min, c.scale_max) for c in kept])
    return category


def delete_category(session: Session, event: Event, category: AwardCategory, user=None) -> None:
    require_state(programme_for(session, event), JudgingState.SETUP)
    audit(session, event, user, "category_deleted", category=category.name)
    session.delete(category)
    session.flush()


# Eligible organizations


def eligible_ids(session: Session, event: Event) -> set[int]:
    return set(session.scalars(select(EligibleOrganization.organization_id).where(EligibleOrganization.event_id == event.id)))


def is_eligible(session: Session, event: Event, organization_id: int) -> bool:
    listed = eligible_ids(session, event)
    return not listed or organization_id in listed


def set_eligible(session: Session, event: Event, shown_ids: set[int], chosen_ids: set[int], user=None) -> None:
    """Among the organizations shown (a filtered list), make exactly `chosen_ids` eligible; others keep theirs."""
    require_state(programme_for(session, event), JudgingState.SETUP)
    current = eligible_ids(session, event)
    for org_id in shown_ids & chosen_ids - current:
        session.add(EligibleOrganization(event_id=event.id, organization_id=org_id))
    for org_id in (shown_ids - chosen_ids) & current:
        session.delete(session.get(EligibleOrganization, (event.id, org_id)))
    session.flush()
    audit(session, event, user, "eligible", added=sorted(shown_ids & chosen_ids - current), removed=sorted((shown_ids - chosen_ids) & current))


def clear_eligible(session: Session, event: Event, user=None) -> None:
    require_state(programme_for(session, event), JudgingState.SETUP)
    for row in session.scalars(select(EligibleOrganization).where(EligibleOrganization.event_id == event.id)):
        session.delete(row)
    session.flush()
    audit(session, event, user, "eligible", cleared=True)


# Jurors


@dataclass
class JurorData:
    organization_id: int | None
    province: str | None
    category_ids: list[int]


def _check_juror_data(session: Session, event: Event, data: JurorData) -> tuple[Organization | None, str | None]:
    organization = session.get(Organization, data.organization_id) if data.organization_id else None
    if data.organization_id and organization is None:
        raise RuleViolation(_("Choose an organization from the list."), "organization_id")
    own = {c.id for c in categories_of(session, event)}
    if not set(data.category_ids) <= own:
        raise RuleViolation(_("Choose categories of this award night."), "category_ids")
    province = (data.province or "").strip() or (organization.province if organization else None)
    return organization, province


def save_juror(session: Session, event: Event, juror: Juror, data: JurorData, user=None) -> Juror:
    _organization, province = _check_juror_data(session, event, data)
    before = (juror.organization_id, juror.province, sorted(c.category_id for c in juror.categories))
    juror.organization_id, juror.province = data.organization_id, province
    juror.categories = [JurorCategory(category_id=c) for c in sorted(set(data.category_ids))]
    session.flush()
    audit(session, event, user, "juror", juror=juror.user.email, before=before,
          after=(juror.organization_id, juror.province, sorted(set(data.category_ids))))
    return juror


def add_juror(session: Session, event: Event, *, email: str, name: str, data: JurorData, invited_by: User,
              max_age_days: int) -> tuple[Juror | None, str | None]:
    """An existing account becomes a juror at once (Juror, None); a new address gets an invitation (None, secret).

    The invitation keeps what was entered (a JurorInvitation); the Juror row is made from it once the invitation is
    accepted, when the juror or an organizer first opens an award page (`services.juror_for`, `sync_jurors`).
    """
    _organization, province = _check_juror_data(session, event, data)
    existing = accounts.find_user(session, email)
    if existing is None:
        invitation, secret = accounts.invite(session, event=event, email=email, name=name or email, role=EventRoleName.JUROR,
                                             invited_by=invited_by, max_age_days=max_age_days)
        session.flush()
        session.add(JurorInvitation(invitation_id=invitation.id, event_id=event.id, organization_id=data.organization_id,
                                    province=province, category_ids=",".join(str(c) for c in sorted(set(data.category_ids)))))
        audit(session, event, invited_by, "juror_invited", email=invitation.email)
        return None, secret
    accounts.grant_role(session, existing, event, EventRoleName.JUROR)
    juror = session.scalar(select(Juror).where(Juror.event_id == event.id, Juror.user_id == existing.id))
    if juror is None:
        juror = Juror(event_id=event.id, user_id=existing.id)
        session.add(juror)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:  # made by a simultaneous request
            juror = session.scalar(select(Juror).where(Juror.event_id == event.id, Juror.user_id == existing.id))
    return save_juror(session, event, juror, data, invited_by), None


def sync_jurors(session: Session, event: Event) -> int:
    """Make Juror rows for accounts holding the juror role without one (invitations accepted since)."""
    have = select(Juror.user_id).where(Juror.event_id == event.id)
    user_ids = list(session.scalars(select(EventRole.user_id).where(
        EventRole.event_id == event.id, EventRole.role == EventRoleName.JUROR, EventRole.user_id.not_in(have))))
    for user_id in user_ids:
        make_juror(session, event, user_id)
    return len(user_ids)


def jurors_of(session: Session, event: Event) -> list[Juror]:
    return list(session.scalars(
        select(Juror).where(Juror.event_id == event.id).join(User, User.id == Juror.user_id)
        .options(selectinload(Juror.categories), selectinload(Juror.organization), selectinload(Juror.user)).order_by(User.name)
    ))


def open_juror_invitations(session: Session, event: Event, now: datetime) -> list[Invitation]:
    return list(session.scalars(select(Invitation).where(
        Invitation.event_id == event.id, Invitation.role == EventRoleName.JUROR, Invitation.accepted_at.is_(None),
        Invitation.expires_at > now - timedelta(0)).order_by(Invitation.created_at.desc())))


def remove_juror(session: Session, event: Event, juror: Juror, user=None) -> None:
    require_state(programme_for(session, event), JudgingState.SETUP)
    for role in session.scalars(select(EventRole).where(EventRole.event_id == event.id, EventRole.user_id == juror.user_id,
                                                        EventRole.role == EventRoleName.JUROR)):
        session.delete(role)
    audit(session, event, user, "juror_removed", juror=juror.user.email)
    session.delete(juror)
    session.flush()


def mail_juror_invitation(session: Session, event: Event, *, email: str, name: str, link: str) -> None:
    """The invitation link, by mail through the outbox (sent once the transaction commits)."""
    from eventsys.core.mail import queue_mail

    subject = _("You are invited as a juror: %(event)s", event=event.name)
    text = "\n\n".join([
        _("Dear %(name)s,", name=name or email),
        _("You are invited to be a juror of %(event)s. Open the link below to set your password; then you can score the nominations assigned to you.", event=event.name),
        link,
    ])
    queue_mail(session, to_email=email, to_name=name, subject=subject, text=text, event_id=event.id, kind="award_juror_invitation")
