"""What organizers set up: the exhibition's settings, its pavilions, the booths per organization, exhibitor invitations.

Deleting a pavilion keeps its booths: they move to "no pavilion" (the foreign key is SET NULL) and stay
in the hall, because a pavilion is only the hall's layout while a booth holds an exhibitor's work. A booth
is deleted only while it has no media; once exhibitors have uploaded, it must be emptied first. Its votes and
guestbook/contact messages go with it (the foreign keys CASCADE): the delete box states how many first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from eventsys.accounts import services as accounts
from eventsys.accounts.models import EventRole, EventRoleName, Invitation, User
from eventsys.config import LANGUAGES
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_date
from eventsys.core.mail import public_url, queue_mail
from eventsys.core.rules import RuleViolation
from eventsys.events.dimensions import Dimension
from eventsys.events.models import Event, Organization
from eventsys.exhibition.models import Booth, BoothDimension, BoothMessage, Exhibition, MediaItem, MediaState, Pavilion, Vote
from eventsys.exhibition.services import check_version, exhibition_for, fingerprint, lock_for_edit

MAX_VIDEO_MB = 5000
MAX_POSTER_MB = 200


# Settings


@dataclass
class SettingsData:
    opens_at: datetime | None
    closes_at: datetime | None
    intro: str
    max_video_mb: int
    max_poster_mb: int
    voting_enabled: bool


def save_settings(session: Session, event: Event, data: SettingsData) -> Exhibition:
    opens, closes = data.opens_at or event.starts_at, data.closes_at or event.ends_at
    if closes <= opens:
        field = "closes_at" if data.closes_at else "opens_at"
        raise RuleViolation(_("The exhibition must close after it opens (without a time, the event's start and end count)."), field)
    if not 1 <= data.max_video_mb <= MAX_VIDEO_MB:
        raise RuleViolation(_("Enter a size from 1 to %(max)d MB.", max=MAX_VIDEO_MB), "max_video_mb")
    if not 1 <= data.max_poster_mb <= MAX_POSTER_MB:
        raise RuleViolation(_("Enter a size from 1 to %(max)d MB.", max=MAX_POSTER_MB), "max_poster_mb")
    exhibition = exhibition_for(session, event)
    exhibition.opens_at, exhibition.closes_at = data.opens_at, data.closes_at
    exhibition.intro = data.intro.strip()
    exhibition.max_video_mb, exhibition.max_poster_mb = data.max_video_mb, data.max_poster_mb
    exhibition.voting_enabled = data.voting_enabled
    return exhibition


def overview_counts(session: Session, event: Event) -> dict:
    """Booths, pavilions and media by state, in three queries."""
    by_state = dict(session.execute(
        select(MediaItem.state, func.count(MediaItem.id)).where(MediaItem.event_id == event.id).group_by(MediaItem.state)
    ).all())
    return {
        "booths": session.scalar(select(func.count(Booth.id)).where(Booth.event_id == event.id)) or 0,
        "pavilions": session.scalar(select(func.count(Pavilion.id)).where(Pavilion.event_id == event.id)) or 0,
        "media": {state: by_state.get(state, 0) for state in MediaState},
        "pending": by_state.get(MediaState.PENDING, 0),
    }


# Pavilions


def pavilions_for(session: Session, event: Event) -> list[tuple[Pavilion, int]]:
    """The event's pavilions in their order, each with its number of booths."""
    counts = (select(Booth.pavilion_id, func.count(Booth.id).label("n")).where(Booth.event_id == event.id)
              .group_by(Booth.pavilion_id).subquery())
    rows = session.execute(
        select(Pavilion, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.pavilion_id == Pavilion.id)
        .where(Pavilion.event_id == event.id).order_by(Pavilion.position, Pavilion.name)
    ).all()
    return [(p, n) for p, n in rows]


def pavilion_of(session: Session, event: Event, pavilion_id: int) -> Pavilion | None:
    pavilion = session.get(Pavilion, pavilion_id)
    return pavilion if pavilion is not None and pavilion.event_id == event.id else None


def save_pavilion(session: Session, event: Event, name: str, description: str = "", position: int | None = None,
                  pavilion: Pavilion | None = None) -> Pavilion:
    name = " ".join((name or "").split())
    if not name:
        raise RuleViolation(_("Enter the pavilion's name."), "name")
    if len(name) > 120:
        raise RuleViolation(_("The name is too long: at most %(max)d characters.", max=120), "name")
    clash = session.scalar(select(Pavilion.id).where(
        Pavilion.event_id == event.id, func.lower(Pavilion.name) == name.lower(),
        *([Pavilion.id != pavilion.id] if pavilion is not None else []),
    ))
    if clash is not None:
        raise RuleViolation(_("There is already a pavilion named %(name)s.", name=name), "name")
    if pavilion is None:
        if position is None:
            position = (session.scalar(select(func.max(Pavilion.position)).where(Pavilion.event_id == event.id)) or 0) + 1
        pavilion = Pavilion(event_id=event.id)
        session.add(pavilion)
    pavilion.name, pavilion.description = name, (description or "").strip()
    if position is not None:
        pavilion.position = position
    _flush_or_refuse(session, _("There is already a pavilion named %(name)s.", name=name), "name")
    return pavilion


def delete_pavilion(session: Session, pavilion: Pavilion) -> int:
    """Delete a pavilion; its booths stay, without a pavilion. Returns how many booths moved."""
    moved = session.execute(
        update(Booth).where(Booth.pavilion_id == pavilion.id).values(pavilion_id=None).execution_options(synchronize_session=False)
    ).rowcount
    session.expire(pavilion, ["booths"])
    session.delete(pavilion)
    return moved or 0


# Booths


def booths_for(session: Session, event: Event) -> list[Booth]:
    """Every booth with what a list shows, in a constant number of queries."""
    return list(session.scalars(
        select(Booth).where(Booth.event_id == event.id)
        .options(joinedload(Booth.organization), joinedload(Booth.pavilion), selectinload(Booth.dimensions))
        .order_by(Booth.name)
    ).unique())


def booth_of(session: Session, event: Event, booth_id: int) -> Booth | None:
    booth = session.get(Booth, booth_id)
    return booth if booth is not None and booth.event_id == event.id else None


def media_counts(session: Session, event: Event) -> dict[int, int]:
    return dict(session.execute(
        select(MediaItem.booth_id, func.count(MediaItem.id)).where(MediaItem.event_id == event.id, MediaItem.booth_id.is_not(None))
        .group_by(MediaItem.booth_id)
    ).all())


def organization_choices(session: Session, event: Event) -> list[tuple[int, str]]:
    """Every organization; those that already have a booth here say so (choosing one again gets a clear refusal)."""
    taken = set(session.scalars(select(Booth.organization_id).where(Booth.event_id == event.id)))
    return [(o.id, _("%(name)s (has a booth)", name=o.name) if o.id in taken else o.name)
            for o in session.scalars(select(Organization).order_by(Organization.name))]


def _dimensions(values) -> list[Dimension]:
    try:
        return sorted({Dimension(v) for v in values or ()}, key=list(Dimension).index)
    except ValueError:
        raise RuleViolation(_("Choose dimensions from the list."), "dimensions") from None


def _pavilion_id(session: Session, event: Event, pavilion_id: int | None) -> int | None:
    if not pavilion_id:
        return None
    if pavilion_of(session, event, pavilion_id) is None:
        raise RuleViolation(_("Choose a pavilion from the list."), "pavilion_id")
    return pavilion_id


def _flush_or_refuse(session: Session, message: str, field: str) -> None:
    """Flush inside a savepoint: a unique constraint hit by a concurrent request becomes a message, not a 500."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise RuleViolation(message, field) from None


def create_booth(session: Session, event: Event, organization_id: int | None, *, name: str = "", pavilion_id: int | None = None,
                 dimensions=()) -> Booth:
    organization = session.get(Organization, organization_id) if organization_id and organization_id > 0 else None
    if organization is None:
        raise RuleViolation(_("Choose the exhibiting organization from the list."), "organization_id")
    duplicate = _("%(organization)s already has a booth at this event; edit that one instead.", organization=organization.name)
    if session.scalar(select(Booth.id).where(Booth.event_id == event.id, Booth.organization_id == organization.id)) is not None:
        raise RuleViolation(duplicate, "organization_id")
    exhibition_for(session, event)  # the first booth sets the exhibition up: from now on the event links its hall
    booth = Booth(event_id=event.id, organization_id=organization.id, name=" ".join((name or "").split()) or organization.name,
                  pavilion_id=_pavilion_id(session, event, pavilion_id))
    booth.dimensions = [BoothDimension(dimension=d) for d in _dimensions(dimensions)]
    session.add(booth)
    _flush_or_refuse(session, duplicate, "organization_id")
    return booth


def booth_version(booth: Booth) -> str:
    """What the organizer's booth form edits (name, pavilion, dimensions), as its page showed it."""
    return fingerprint([booth.name, booth.pavilion_id] + sorted(booth.dimension_values))


def update_booth(session: Session, booth: Booth, *, name: str, pavilion_id: int | None, dimensions,
                 version: str | None = None) -> Booth:
    """Save name, pavilion and dimensions; `version` is `booth_version` as the form's page showed it (None: not checked).

    A save from a page someone else's save (another organizer, or the exhibitor in the portal) has
    overtaken is refused; the same save sent twice (a double click) passes.
    """
    name = " ".join((name or "").split())[:200]
    if not name:
        raise RuleViolation(_("Enter the booth's name."), "name")
    pavilion_id = _pavilion_id(session, booth.event, pavilion_id)
    chosen = _dimensions(dimensions)
    if version is not None:
        lock_for_edit(session, booth)
        session.expire(booth, ["dimensions"])
        check_version(version, booth_version(booth), fingerprint([name, pavilion_id] + sorted(chosen)),
                       _("Someone else saved this booth after you opened the page. Their version is shown below; "
                         "your text is kept in the form, so compare the two and save again to keep yours."))
    booth.pavilion_id, booth.name = pavilion_id, name
    kept = [d for d in booth.dimensions if d.dimension in chosen]
    booth.dimensions = kept + [BoothDimension(dimension=d) for d in chosen if d not in {k.dimension for k in kept}]
    return booth


def booth_losses(session: Session, booth: Booth) -> tuple[int, int]:
    """What deleting the booth deletes with it: its confirmed votes and its messages (guestbook and contact)."""
    votes = select(func.count(Vote.id)).where(Vote.booth_id == booth.id, Vote.confirmed_at.is_not(None)).scalar_subquery()
    messages = select(func.count(BoothMessage.id)).where(BoothMessage.booth_id == booth.id).scalar_subquery()
    found = session.execute(select(votes, messages)).one()
    return found[0] or 0, found[1] or 0


def losses_text(votes: int, messages: int) -> list[str]:
    """The sentences that tell the organizer what goes with the booth; nothing when nothing does."""
    lines = []
    if votes:
        lines.append(ngettext("Its %(num)d confirmed vote in the people's choice is deleted with it.",
                              "Its %(num)d confirmed votes in the people's choice are deleted with it.", votes))
    if messages:
        lines.append(ngettext("Its %(num)d guestbook entry or contact request is deleted with it.",
                              "Its %(num)d guestbook entries and contact requests are deleted with it.", messages))
    return lines


def delete_booth(session: Session, booth: Booth, shown: str | None = None) -> tuple[int, int]:
    """Delete an empty booth with its votes and messages; returns how many confirmed votes and messages went.

    `shown` is "votes:messages" as the delete form stated them: when more arrived since, the deletion is
    refused, so nothing goes that the organizer was not told about.
    """
    count = session.scalar(select(func.count(MediaItem.id)).where(MediaItem.booth_id == booth.id)) or 0
    if count:
        raise RuleViolation(ngettext("This booth has %(num)d media item. Delete it (or ask the exhibitor to) before deleting the booth.",
                                     "This booth has %(num)d media items. Delete them (or ask the exhibitor to) before deleting the booth.",
                                     count))
    votes, messages = booth_losses(session, booth)
    if shown is not None and _more_than(shown, votes, messages):
        raise RuleViolation(" ".join([_("Votes or messages for this booth arrived after you opened the page. Look at what the delete "
                                        "box says now before you delete it.")] + losses_text(votes, messages)))
    session.delete(booth)
    return votes, messages


def shown_losses(votes: int, messages: int) -> str:
    """The counts the delete form states, sent back with it as `shown` (read by `_more_than`)."""
    return f"{votes}:{messages}"


def _more_than(shown: str, votes: int, messages: int) -> bool:
    """True when there are more votes or messages now than the form stated (an unreadable statement counts as none)."""
    parts = shown.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) < 10 for p in parts):
        return True
    return votes > int(parts[0]) or messages > int(parts[1])


# Exhibitors


def exhibitors_of(session: Session, booth: Booth) -> list[EventRole]:
    return list(session.scalars(
        select(EventRole).join(EventRole.user).options(joinedload(EventRole.user)).where(
            EventRole.event_id == booth.event_id, EventRole.role == EventRoleName.EXHIBITOR,
            EventRole.organization_id == booth.organization_id,
        ).order_by(User.name)
    ))


def open_invitations_of(session: Session, booth: Booth) -> list[Invitation]:
    return list(session.scalars(select(Invitation).where(
        Invitation.event_id == booth.event_id, Invitation.role == EventRoleName.EXHIBITOR,
        Invitation.organization_id == booth.organization_id, Invitation.accepted_at.is_(None),
    ).order_by(Invitation.created_at.desc())))


def _booth_name(session: Session, event: Event, organization_id: int | None) -> str:
    """The booth an organization has at the event (its name as the organizer knows it), else the organization's name."""
    name = session.scalar(select(Booth.name).where(Booth.event_id == event.id, Booth.organization_id == organization_id))
    organization = session.get(Organization, organization_id) if name is None and organization_id else None
    return name or (organization.name if organization else "?")


def _refuse_duplicate(session: Session, booth: Booth, address: str) -> None:
    """An account exhibits for one booth per event: refuse what would move it, or a second open invitation."""
    event = booth.event
    existing = accounts.find_user(session, address)
    role = next((r for r in existing.roles if r.event_id == event.id and r.role == EventRoleName.EXHIBITOR), None) if existing else None
    if role is not None and role.organization_id == booth.organization_id:
        raise RuleViolation(_("%(email)s already exhibits for %(organization)s.", email=address, organization=booth.organization.name),
                            "email")
    if role is not None:
        raise RuleViolation(_("%(email)s already represents the booth %(booth)s at this event, and an account exhibits for one booth "
                              "only. Invite another address for this booth.",
                              email=address, booth=_booth_name(session, event, role.organization_id)), "email")
    pending = session.scalar(select(Invitation).where(
        Invitation.event_id == event.id, Invitation.role == EventRoleName.EXHIBITOR, Invitation.email == address,
        Invitation.accepted_at.is_(None), Invitation.expires_at > utcnow(),
    ).order_by(Invitation.id).limit(1))
    if pending is not None and pending.organization_id == booth.organization_id:
        raise RuleViolation(_("%(email)s has already been invited to this booth (valid until %(date)s). To send a new link, revoke "
                              "that invitation first.", email=address, date=local_date(pending.expires_at, event.timezone)), "email")
    if pending is not None:
        raise RuleViolation(_("%(email)s has already been invited to exhibit for the booth %(booth)s, and an account exhibits for one "
                              "booth only. Invite another address for this booth.",
                              email=address, booth=_booth_name(session, event, pending.organization_id)), "email")


def invite_exhibitor(session: Session, booth: Booth, *, email: str, name: str, invited_by: User, locale: str | None = None
                     ) -> tuple[Invitation, str]:
    """An exhibitor invitation for the booth's organization, mailed through the outbox; returns it with its link."""
    event = booth.event
    address = accounts.normalize_email(email)
    _refuse_duplicate(session, booth, address)
    invitation, secret = accounts.invite(
        session, event=event, email=address, name=name, role=EventRoleName.EXHIBITOR, invited_by=invited_by,
        max_age_days=current_app.config["INVITATION_MAX_AGE_DAYS"], organization_id=booth.organization_id,
    )
    session.flush()
    link = public_url(current_app.url_map.bind("localhost").build("accounts.accept_invitation", {"token": secret}))
    _mail_invitation(session, booth, invitation, link, locale)
    return invitation, link


def open_invitation_of(session: Session, booth: Booth, invitation_id: int) -> Invitation | None:
    """One of the booth's invitations not yet accepted, or None (another booth's, used, or unknown)."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None or invitation.event_id != booth.event_id \
            or invitation.role != EventRoleName.EXHIBITOR or invitation.organization_id != booth.organization_id:
        return None
    return invitation


def revoke_invitation(session: Session, invitation: Invitation) -> None:
    """Delete an open invitation, so its link stops working; one accepted meanwhile is left alone."""
    deleted = session.execute(
        delete(Invitation).where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .execution_options(synchronize_session=False)
    ).rowcount
    if deleted != 1:
        raise RuleViolation(_("%(email)s has just accepted this invitation; it can no longer be revoked.", email=invitation.email))
    session.expunge(invitation)


def _mail_invitation(session: Session, booth: Booth, invitation: Invitation, link: str, locale: str | None) -> None:
    from eventsys.exhibition.moderation import opening_facts, render_mail  # one renderer for this area's mail

    event = booth.event
    has_account = accounts.find_user(session, invitation.email) is not None  # then the link never sets a password
    lang = locale if locale in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "id")
    with force_locale(lang):
        subject = _("You are invited to exhibit at %(event)s", event=event.name)
        context = {
            "lang": lang, "event": event, "subject": subject, "name": invitation.name, "booth": booth,
            "organization": booth.organization.name, "accept_url": link, "has_account": has_account,
            "expires_on": local_date(invitation.expires_at, event.timezone), **opening_facts(session, event),
        }
        text, html = render_mail("exhibition/manage_invitation_mail", context)
    queue_mail(session, to_email=invitation.email, to_name=invitation.name, subject=subject, text=text, html=html,
               event_id=event.id, kind="exhibitor_invitation")
