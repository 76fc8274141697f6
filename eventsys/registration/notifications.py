"""Mail to registrants and invitees, through the outbox, in their own language.

Each mail is rendered from templates/mail/<kind>.html and .txt (sharing templates/mail/_layout.*)
under flask_babel.force_locale(the registrant's locale), and queued in the caller's transaction
(eventsys.core.mail.queue_mail): a registration and its mail are stored together or not at all.

Links are absolute, built on PUBLIC_BASE_URL rather than the current request: mail is also made by
jobs and CLI commands (no request), and a request may arrive on an internal host name that the
reader cannot reach. Templates are rendered straight from the Jinja environment, without the
page context processors, for the same reason.
"""
from __future__ import annotations

import re
import secrets
from functools import lru_cache

from flask import current_app
from flask_babel import force_locale, get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2.ext import _make_new_gettext, _make_new_ngettext
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsys.config import LANGUAGES
from eventsys.core.i18n import local_date, local_time
from eventsys.core.mail import MailAttachment, public_url, queue_mail
from eventsys.core.models import OutboxMessage
from eventsys.core.tokens import hash_secret, new_secret
from eventsys.events.models import Event
from eventsys.registration import tickets
from eventsys.registration.models import STATE_LABELS, DelegateInvitation, Registration, Ticket

KIND_LABELS = {
    "confirmation": _l("Confirmation"),
    "pending": _l("Awaiting approval"),
    "waitlist": _l("Waiting list"),
    "promotion": _l("Seat from the waiting list"),
    "approval": _l("Approval"),
    "rejection": _l("Rejection"),
    "cancellation": _l("Cancellation"),
    "invitation": _l("Invitation"),
}
REGISTRATION_KINDS = ("confirmation", "pending", "waitlist", "promotion", "approval", "rejection", "cancellation")
# Mail that carries the personal link (see, change, cancel): the registration is still active.
LINK_KINDS = {"confirmation", "pending", "waitlist", "promotion", "approval"}
# Mail that carries the ticket: the PDF attached and the ticket page's link.
TICKET_KINDS = {"confirmation", "promotion", "approval"}


def _subject(kind: str, event: Event) -> str:
    name = event.name
    subjects = {
        "confirmation": lambda: _("Your registration for %(event)s is confirmed", event=name),
        "pending": lambda: _("We received your registration for %(event)s", event=name),
        "waitlist": lambda: _("You are on the waiting list for %(event)s", event=name),
        "promotion": lambda: _("A seat is free: your registration for %(event)s is confirmed", event=name),
        "approval": lambda: _("Your registration for %(event)s is approved", event=name),
        "rejection": lambda: _("Your registration for %(event)s was not accepted", event=name),
        "cancellation": lambda: _("Your registration for %(event)s is cancelled", event=name),
        "invitation": lambda: _("Invitation to register for %(event)s", event=name),
    }
    return subjects[kind]()


def _locale(code: str | None) -> str:
    return code if code in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "id")


def _path(endpoint: str, fallback: str, **values) -> str:
    """The route's path from the URL map (no request needed), or the agreed path while it is not registered."""
    if endpoint in current_app.view_functions:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    return fallback


def personal_link(secret: str) -> str:
    return public_url(_path("registration.my", f"/my/{secret}", secret=secret))


def ticket_link(secret: str) -> str:
    return public_url(_path("tickets.ticket_page", f"/t/{secret}", secret=secret))


def _event_facts(event: Event) -> dict:
    """Date, time and place as the reader's locale writes them, in the event's own zone."""
    venue = event.venue
    place = ", ".join(p for p in (venue.name, venue.address, venue.city) if p) if venue else ""
    when_date, when_time = _when(str(get_locale()), event.starts_at, event.ends_at, event.timezone)
    return {"event": event, "when_date": when_date, "when_time": when_time, "place": place}


@lru_cache(maxsize=256)
def _when(locale: str, starts_at, ends_at, zone: str) -> tuple[str, str]:
    # Cached: a list import writes thousands of mails about one event in one or two languages.
    start_date, end_date = local_date(starts_at, zone), local_date(ends_at, zone)
    if start_date == end_date:
        return start_date, f"{local_time(starts_at, zone, with_zone=False)}–{local_time(ends_at, zone)}"
    return f"{start_date} – {end_date}", f"{local_time(starts_at, zone)} – {local_time(ends_at, zone)}"


def _direct_gettext() -> dict:
    """gettext/ngettext bound to the current locale's catalog, for one render.

    Flask-Babel looks the catalog up again on every message, through the app context; a list
    import renders thousands of mails, and binding the catalog once per mail makes that ~3× faster.
    The functions have the same shape Flask-Babel installs (Jinja's new-style gettext).
    """
    translations = get_translations()
    return {
        "gettext": _make_new_gettext(translations.ugettext),
        "ngettext": _make_new_ngettext(translations.ungettext),
    }


def _render(name: str, context: dict) -> str:
    # Straight from the environment: the page context processors need a request.
    body = current_app.jinja_env.get_template(name).render(**(context | _direct_gettext()))
    if name.endswith(".txt"):  # sections left out by the template leave no gaps behind
        body = re.sub(r"\n[ \t]*(?:\n[ \t]*){2,}", "\n\n", body).strip() + "\n"
    return body


def _live_ticket(session: Session, registration: Registration) -> Ticket | None:
    # Asked of the database: the ticket may have been issued after the relationship was loaded.
    session.flush()
    ticket = session.scalar(select(Ticket).where(Ticket.registration_id == registration.id))
    return ticket if ticket is not None and ticket.revoked_at is None else None


def notify(session: Session, registration: Registration, kind: str, *, reason: str = "",
           link_secret: str | None = None) -> OutboxMessage | None:
    """Queue the mail of `kind` for the registrant, in their language; None when they have no email (a placeholder).

    Mail with the personal link needs its secret; only a hash is stored, so without `link_secret`
    a new one is made (the older link stops working: each mail carries the current link).
    """
    if kind not in REGISTRATION_KINDS:
        raise ValueError(f"unknown mail kind: {kind}")
    if not registration.has_email:  # every mail to a registrant comes here: none goes to a placeholder
        return None
    event = registration.event
    manage_url = ticket_url = None
    attachments: list[MailAttachment] = []
    if kind in LINK_KINDS:
        if link_secret is None:
            link_secret = new_secret()
            registration.manage_token_hash = hash_secret(link_secret)
        manage_url = personal_link(link_secret)
    ticket = _live_ticket(session, registration) if kind in TICKET_KINDS else None
    locale = _locale(registration.locale)
    with force_locale(locale):
        if ticket is not None:
            ticket_url = ticket_link(link_secret)
            try:
                pdf = tickets.ticket_pdf(registration)
            except Exception:  # the mail still carries the ticket's link; the registration must not fail
                current_app.logger.exception("PDF ticket for registration %s not made; mail sent without it", registration.id)
            else:
                attachments.append(MailAttachment(_("ticket-%(code)s.pdf", code=ticket.code), "application/pdf", pdf))
        subject = _subject(kind, event)
        context = _event_facts(event) | {
            "lang": locale,
            "kind": kind,
            "subject": subject,
            "name": registration.name,
            "registration": registration,
            "state_label": STATE_LABELS.get(registration.state, registration.state),
            "reason": (reason or "").strip(),
            "manage_url": manage_url,
            "ticket_url": ticket_url,
            "ticket": ticket,
            "attached": bool(attachments),
        }
        text = _render(f"mail/{kind}.txt", context)
        html = _render(f"mail/{kind}.html", context)
    return queue_mail(
        session,
        to_email=registration.email,
        to_name=registration.name,
        subject=subject,
        text=text,
        html=html,
        attachments=attachments,
        event_id=event.id,
        kind=kind,
    )


# Stand-ins for the parts of an invitation mail that differ per person: letters and digits only,
# so escaping leaves them as they are, and random, so no event name or text can contain them.
_NAME_MARK = f"EVSNAME{secrets.token_hex(8)}"
_URL_MARK = f"EVSURL{secrets.token_hex(8)}"


def notify_invitation(session: Session, invitation: DelegateInvitation, link: str) -> OutboxMessage:
    """Queue the invitation mail with its personal registration link (a path or a full URL)."""
    return notify_invitations(session, [(invitation, link)])[0]


def notify_invitations(session: Session, invitees: list[tuple[DelegateInvitation, str]]) -> list[OutboxMessage]:
    """Queue invitation mails for a list of (invitation, link).

    The mail is rendered once per event, language and expiry, and each person's name and link are
    put in afterwards (escaped for the HTML part): a list import of 10,000 delegates renders a few
    mails, not 10,000. Name and link stand outside every word-wrapped paragraph of the templates.
    """
    stencils: dict[tuple, tuple[str, str, str]] = {}
    queued = []
    for invitation, link in invitees:
        event = session.get(Event, invitation.event_id)
        locale = _locale(invitation.locale)
        key = (event.id, locale, invitation.expires_at)
        if key not in stencils:
            with force_locale(locale):
                subject = _subject("invitation", event)
                context = _event_facts(event) | {
                    "lang": locale,
                    "kind": "invitation",
                    "subject": subject,
                    "name": _NAME_MARK,
                    "register_url": _URL_MARK,
                    "expires_on": local_date(invitation.expires_at, event.timezone),
                }
                stencils[key] = (subject, _render("mail/invitation.txt", context), _render("mail/invitation.html", context))
        subject, text, html = stencils[key]
        url = public_url(link)
        queued.append(
            queue_mail(
                session,
                to_email=invitation.email,
                to_name=invitation.name,
                subject=subject,
                text=text.replace(_NAME_MARK, invitation.name).replace(_URL_MARK, url),
                html=html.replace(_NAME_MARK, str(escape(invitation.name))).replace(_URL_MARK, str(escape(url))),
                event_id=event.id,
                kind="invitation",
            )
        )
    return queued
