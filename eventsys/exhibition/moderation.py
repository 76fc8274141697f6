"""Moderation of exhibition media: organizers approve or reject each item with a reason; the exhibitors are told by email.

A decision can be changed later (a rejected item approved after all, an approved one taken down), and
each one records who took it and when. Items still processing, or that failed processing, are not
decided on: there is nothing a visitor could see yet.
"""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from eventsys.accounts.models import User
from eventsys.config import LANGUAGES
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_datetime
from eventsys.core.mail import public_url, queue_mail
from eventsys.core.rules import RuleViolation
from eventsys.events.models import Event
from eventsys.exhibition import duplicates
from eventsys.exhibition.models import Booth, Exhibition, MediaItem, MediaKind, MediaState
from eventsys.exhibition.services import exhibitor_roles, fingerprint, opening_lines

MAX_REASON = 2000
DECIDABLE = {MediaState.PENDING, MediaState.APPROVED, MediaState.REJECTED}


def _items(session: Session, event: Event, states) -> list[MediaItem]:
    return list(session.scalars(
        select(MediaItem).where(MediaItem.event_id == event.id, MediaItem.state.in_(states))
        .options(joinedload(MediaItem.booth).joinedload(Booth.organization))
        .order_by(MediaItem.created_at, MediaItem.id)
    ).unique())


def queue(session: Session, event: Event) -> list[MediaItem]:
    """What waits for a decision, oldest first: booth items and stage performances alike."""
    return _items(session, event, [MediaState.PENDING])


def failed(session: Session, event: Event) -> list[MediaItem]:
    """Items the processing job could not read; shown apart, the exhibitor has to upload again."""
    return _items(session, event, [MediaState.FAILED])


def decided(session: Session, event: Event, limit: int = 200) -> list[MediaItem]:
    """The latest decisions, so one can be changed."""
    return list(session.scalars(
        select(MediaItem).where(MediaItem.event_id == event.id, MediaItem.state.in_([MediaState.APPROVED, MediaState.REJECTED]))
        .options(joinedload(MediaItem.booth).joinedload(Booth.organization))
        .order_by(MediaItem.reviewed_at.desc(), MediaItem.id.desc()).limit(limit)
    ).unique())


def item_of(session: Session, event: Event, media_id: int) -> MediaItem | None:
    item = session.get(MediaItem, media_id)
    return item if item is not None and item.event_id == event.id else None


def _check_decidable(item: MediaItem) -> None:
    if item.state not in DECIDABLE:
        if item.state == MediaState.FAILED:
            raise RuleViolation(_("This item could not be processed, so there is nothing to approve; the exhibitor has to upload it again."))
        raise RuleViolation(_("This item is still being processed. Try again in a minute."))


def seen_as(item: MediaItem) -> str:
    """A short fingerprint of what the moderator sees of an item (its text and file), sent back with the decision."""
    return fingerprint([item.title, item.description, item.file_key, item.external_url])


def approve(session: Session, item: MediaItem, reviewer: User, seen: str | None = None) -> int | None:
    """Approve (also a rejected item); returns how many were mailed, None when it already was approved (nothing changes).

    `seen` is `seen_as(item)` as the moderator's page showed it: when the exhibitor changed the item since,
    the approval is refused, so text nobody reviewed never goes public.
    """
    _check_decidable(item)
    if seen is not None and seen != seen_as(item):
        raise RuleViolation(_("The exhibitor changed “%(title)s” after you opened this page. Look at it again before you approve it.",
                              title=item.title))
    if item.state == MediaState.APPROVED:
        return None
    copy = duplicates.approved_copy(session, item)
    if copy is not None:  # e.g. a rejected item approved after its re-upload was: the hall would show the file twice
        raise RuleViolation(_("“%(other)s” holds the same file and is already approved, so “%(title)s” would show it twice. "
                              "Take “%(other)s” down first if this one should be shown instead.", other=copy.title, title=item.title))
    item.state, item.reject_reason = MediaState.APPROVED, ""
    item.reviewed_by_id, item.reviewed_at = reviewer.id, utcnow()
    return notify(session, item, reviewer)


def reject(session: Session, item: MediaItem, reviewer: User, reason: str, shown_state: str | None = None) -> int | None:
    """Reject (also an approved item, which leaves the hall) with a reason the exhibitor reads.

    Returns how many were mailed, None when it already was rejected for this reason, or rejected by someone
    else after the moderator's page showed it (`shown_state`, the state that page showed): nothing changes,
    the exhibitor is not mailed a second, different reason.
    """
    _check_decidable(item)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Give a reason: the exhibitor needs to know what to change."), "reason")
    if len(reason) > MAX_REASON:
        raise RuleViolation(_("The reason is too long: at most %(max)d characters.", max=MAX_REASON), "reason")
    if item.state == MediaState.REJECTED and (item.reject_reason == reason or shown_state not in (None, MediaState.REJECTED.value)):
        return None
    item.state, item.reject_reason = MediaState.REJECTED, reason
    item.reviewed_by_id, item.reviewed_at = reviewer.id, utcnow()
    return notify(session, item, reviewer)


# What the moderator is told when another decision came first (a second tab, a colleague)


def earlier_decision(session: Session, item: MediaItem) -> dict:
    """The item's current decision, read before a new one: its state, who took it and when (in the event's zone)."""
    reviewer = session.get(User, item.reviewed_by_id) if item.reviewed_by_id else None
    event = session.get(Event, item.event_id)
    return {"state": MediaState(item.state), "title": item.title, "name": reviewer.name if reviewer else "?",
            "when": local_datetime(item.reviewed_at, event.timezone) if item.reviewed_at else "?"}


def already_decided(earlier: dict) -> str:
    """A decision that changed nothing: the item already had it."""
    if earlier["state"] == MediaState.APPROVED:
        return _("“%(title)s” was already approved by %(name)s (%(when)s); nothing changed.", title=earlier["title"],
                 name=earlier["name"], when=earlier["when"])
    return _("“%(title)s” was already rejected by %(name)s (%(when)s); nothing changed and the exhibitor got no second email.",
             title=earlier["title"], name=earlier["name"], when=earlier["when"])


def overruled(earlier: dict, shown_state: str | None) -> str | None:
    """When the decision just taken replaced one made after the moderator's page showed the item: say whose."""
    if shown_state is None or shown_state == earlier["state"].value or earlier["state"] == MediaState.PENDING:
        return None
    if earlier["state"] == MediaState.REJECTED:
        return _("%(name)s had rejected it (%(when)s) after your page was loaded; your approval replaces that decision.",
                 name=earlier["name"], when=earlier["when"])
    return _("%(name)s had approved it (%(when)s) after your page was loaded; your rejection takes it out of the hall.",
             name=earlier["name"], when=earlier["when"])


# Mail


def recipients(session: Session, item: MediaItem, reviewer: User | None = None) -> list[User]:
    """The booth's exhibitors; for a stage item, whoever uploaded it. Each address once.

    Never the reviewer: an organizer deciding on its own upload (a stage video, an item added to a booth)
    or on its own booth's item already knows the decision.
    """
    users: list[User] = []
    if item.booth is not None:
        roles = exhibitor_roles(session, item.booth.event, item.booth.organization_id)
        ids = [r.user_id for r in roles]
        users = list(session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
    elif item.uploaded_by_id is not None:
        uploader = session.get(User, item.uploaded_by_id)
        users = [uploader] if uploader is not None else []
    seen, unique = set(), []
    for user in users:
        if user.is_active_account and user.email not in seen and (reviewer is None or user.id != reviewer.id):
            seen.add(user.email)
            unique.append(user)
    return unique


def _path(endpoint: str, **values) -> str | None:
    if endpoint not in current_app.view_functions:
        return None
    return current_app.url_map.bind("localhost").build(endpoint, values)


def render_mail(stem: str, context: dict) -> tuple[str, str]:
    """The text and HTML bodies of `stem`.txt / `stem`.html, in the locale forced by the caller."""
    env = current_app.jinja_env
    text = env.get_template(f"{stem}.txt").render(**context)
    text = re.sub(r"\n[ \t]*(?:\n[ \t]*){2,}", "\n\n", text).strip() + "\n"
    return text, env.get_template(f"{stem}.html").render(**context)


def opening_facts(session: Session, event: Event) -> dict:
    """The mail layout's date and time lines: the exhibition's opening period in the event's zone."""
    exhibition = session.get(Exhibition, event.id) or Exhibition(event_id=event.id)
    return opening_lines(exhibition, event)


def notify(session: Session, item: MediaItem, reviewer: User | None = None) -> int:
    """Queue the decision's mail to each recipient (never the reviewer) in their own language; returns how many were queued."""
    event = session.get(Event, item.event_id)
    approved = item.state == MediaState.APPROVED
    if item.booth is not None:
        link = _path("exhibition_upload_views.media", slug=event.slug, booth_id=item.booth.id)
    else:
        link = _path("exhibition_upload_views.stage", slug=event.slug)
    sent = 0
    for user in recipients(session, item, reviewer):
        lang = user.locale if user.locale in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "id")
        with force_locale(lang):
            subject = (_("Approved: %(title)s", title=item.title) if approved
                       else _("Not approved: %(title)s", title=item.title))
            context = {
                "lang": lang, "event": event, "subject": subject, "name": user.name, "item": item, "approved": approved,
                "where": item.booth.name if item.booth is not None else _("Stage"),
                "kind_label": kind_label(item.kind), "reason": "" if approved else item.reject_reason,
                "portal_url": public_url(link) if link else "", **opening_facts(session, event),
            }
            text, html = render_mail("exhibition/manage_moderation_mail", context)
        queue_mail(session, to_email=user.email, to_name=user.name, subject=subject, text=text, html=html,
                   event_id=event.id, kind="exhibition_approved" if approved else "exhibition_rejected")
        sent += 1
    return sent


def kind_label(kind: MediaKind) -> str:
    return {
        MediaKind.VIDEO: _("Video"), MediaKind.POSTER: _("Poster"), MediaKind.DOCUMENT: _("PDF document"),
        MediaKind.LINK: _("Video link"),
    }[MediaKind(kind)]
