"""Builders shared by the award tests: an award night with its programme, categories with criteria,
nominations, jurors. Rows are made directly (no service rules), so each test sets up exactly its situation.

    event = make_award_night(make_event)
    governance = make_category(event, "Smart Governance Terbaik", Dimension.GOVERNANCE)
    nomination = make_nomination(governance, make_organization(name="Kab. Cirebon"))
    juror = make_juror(make_user, event, categories=[governance])
"""
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from eventsys.accounts import services as accounts
from eventsys.accounts.models import EventRoleName
from eventsys.awards.models import (
    AwardCategory,
    AwardProgramme,
    Criterion,
    JudgingState,
    Juror,
    JurorCategory,
    Nomination,
    NominationSource,
    NominationState,
)
from eventsys.events.models import EventKind, Organization, OrganizationKind
from eventsys.extensions import db

DEFAULT_CRITERIA = (("Inovasi", 30), ("Dampak", 40), ("Keberlanjutan", 30))
NIGHT_START = datetime(2021, 12, 14, 11, 30, tzinfo=UTC)  # 18:30 WIB


def make_award_night(make_event, name="Malam Penganugerahan Gerakan Menuju 100 Smart City 2021", *, slug=None,
                     state=JudgingState.SETUP, starts_at=NIGHT_START, hours=3, timezone="Asia/Jakarta", **programme_fields):
    """An award-night event with its AwardProgramme (in `state`); extra keywords set programme columns
    (tie_break="criterion:Dampak,first_places", normalize_scores=True, nominations_open_at=…)."""
    event = make_event(name=name, slug=slug, kind=EventKind.AWARD_NIGHT, starts_at=starts_at,
                       ends_at=starts_at + timedelta(hours=hours), timezone=timezone)
    programme = AwardProgramme(event_id=event.id, state=state, **programme_fields)
    db.session.add(programme)
    db.session.commit()
    return event


def programme_of(event) -> AwardProgramme:
    return db.session.get(AwardProgramme, event.id)


def set_state(event, state: JudgingState) -> AwardProgramme:
    """Move the programme to `state` directly (tests of later stages skip the transitions)."""
    db.session.commit()  # ends a read snapshot older than another client's writes (SQLite could not upgrade it)
    programme = programme_of(event)
    programme.state = state
    db.session.commit()
    return programme


def make_category(event, name, dimension=None, criteria=DEFAULT_CRITERIA, scale=(1, 10), *, winners_count=1, position=None,
                  description=""):
    """A category with criteria given as (name, weight) pairs, all on `scale` (min, max)."""
    if position is None:
        position = db.session.scalar(select(func.count()).select_from(AwardCategory).where(AwardCategory.event_id == event.id))
    category = AwardCategory(event_id=event.id, name=name, dimension=dimension, description=description,
                             winners_count=winners_count, position=position)
    category.criteria = [
        Criterion(name=n, weight=w, scale_min=scale[0], scale_max=scale[1], position=i) for i, (n, w) in enumerate(criteria)
    ]
    db.session.add(category)
    db.session.commit()
    return category


def region(name="Kab. Cirebon", province="Jawa Barat", kind=None) -> Organization:
    """The organization of this name, made the first time (Kab./Kota picked from the name unless given)."""
    found = db.session.scalar(select(Organization).where(Organization.name_key == Organization.key_for(name)))
    if found is not None:
        return found
    if kind is None:
        kind = OrganizationKind.KOTA if name.startswith("Kota") else OrganizationKind.KABUPATEN
    org = Organization(name=name, name_key=Organization.key_for(name), kind=kind, province=province, timezone="Asia/Jakarta")
    db.session.add(org)
    db.session.commit()
    return org


def make_nomination(category, organization, state=NominationState.ACCEPTED, *, source=NominationSource.ORGANIZER,
                    title="", statement="Program unggulan daerah."):
    nomination = Nomination(category_id=category.id, organization_id=organization.id, source=source, state=state,
                            title=title or f"Program {organization.name}", statement=statement)
    db.session.add(nomination)
    db.session.commit()
    return nomination


def make_juror(make_user, event, organization=None, province=None, categories=(), *, email=None, name="Dr. Ir. Juri Penilai"):
    """A user with the juror role on `event` and the Juror row (province defaults to the organization's), assigned to `categories`."""
    user = make_user(email=email, name=name)
    accounts.grant_role(db.session, user, event, EventRoleName.JUROR)
    if province is None and organization is not None:
        province = organization.province
    juror = Juror(event_id=event.id, user_id=user.id, organization_id=organization.id if organization else None, province=province)
    juror.categories = [JurorCategory(category_id=c.id) for c in categories]
    db.session.add(juror)
    db.session.commit()
    return juror
