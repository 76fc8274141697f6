"""Mail of the visitor side: the vote confirmation link, contact requests forwarded to the exhibitor, and
word to the exhibitors that guestbook entries wait for their approval."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventsys.config import LANGUAGES
from eventsys.core.db import utcnow
from eventsys.core.mail import public_url, queue_mail
from eventsys.events.models import Event
from eventsys.exhibition.models import Booth, BoothMessage, MessageKind, MessageState
from eventsys.exhibition.services import exhibitor_roles, opening_lines


def _path(endpoint: str, **values) -> str:
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _render(name: str, context: dict) -> str:
    body = current_app.jinja_env.get_template(name).render(**context)
    if name.endswith(".txt"):
        body = re.sub(r"\n[ \t]*(?:\n[ \t]*){2,}", "\n\n", body).strip() + "\n"
    return body


def _locale(value: str | None) -> str:
    return value if value in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "id")


def mail_vote_link(session: Session, event: Event, exhibition, booth: Booth, to_email: str, token: str, locale: str | None,
                   moved_from: Booth | None = None):
    """The confirmation link, in the language the visitor voted in."""
    lang = _locale(locale)
    with force_locale(lang):
        subject = _("Confirm your vote for %(booth)s", booth=booth.name)
        context = {
            "lang": lang, "event": event, "subject": subject, "name": to_email, "booth": booth, "moved_from": moved_from,
            "confirm_url": public_url(_path("exhibition_engagement_views.confirm_vote", slug=event.slug, token=token)),
            **opening_lines(exhibition, event),
        }
        text = _render("exhibition/engagement_vote_mail.txt", context)
        html = _render("exhibition/engagement_vote_mail.html", context)
    return queue_mail(session, to_email=to_email, subject=subject, text=text, html=html, event_id=event.id, kind="exhibition_vote")


def mail_contact_request(session: Session, event: Event, exhibition, booth: Booth, message: BoothMessage) -> int:
    """A contact request goes to the booth's contact address and its exhibitors (each in their language)."""
    recipients: dict[str, tuple[str, str | None]] = {}
    if booth.contact_email and "@" in booth.contact_email:
        recipients[booth.contact_email.strip().lower()] = (booth.contact_name or booth.name, None)
    for role in exhibitor_roles(session, event, booth.organization_id):
        recipients.setdefault(role.user.email.lower(), (role.user.name, role.user.locale))
    for address, (name, locale) in recipients.items():
        lang = _locale(locale)
        with force_locale(lang):
            subject = _("Contact request at your booth %(booth)s", booth=booth.name)
            context = {
                "lang": lang, "event": event, "subject": subject, "name": name, "booth": booth, "message": message,
                "messages_url": public_url(_path("exhibition_engagement_views.messages", slug=event.slug)),
                **opening_lines(exhibition, event),
            }
            text = _render("exhibition/engagement_contact_mail.txt", context)
            html = _render("exhibition/engagement_contact_mail.html", context)
        try:
            queue_mail(session, to_email=address, to_name=name, subject=subject, text=text, html=html, event_id=event.id,
                       kind="exhibition_contact", reply_to=message.email or "")  # Reply answers the visitor
        except ValueError:  # a contact address typed badly by the exhibitor: the request stays on the messages page
            current_app.logger.warning("booth %s: contact address %r not usable", booth.id, address)
    return len(recipients)


# One mail per booth per this much time at most: a busy booth's exhibitors hear of the first entry
# and find the others (the mail counts them) on the messages page, instead of a mail per visitor.
GUESTBOOK_MAIL_INTERVAL = timedelta(minutes=30)


def mail_guestbook_entry(session: Session, event: Event, exhibition, booth: Booth, message: BoothMessage,
                         now: datetime | None = None) -> int:
    """Tell the booth's exhibitors (each in their language) that guestbook entries wait for approval.

    Not when another entry of this booth was left within GUESTBOOK_MAIL_INTERVAL before this one:
    that one's mail already sent them to the messages page. Returns the number of mails queued.
    """
    now = now or utcnow()
    pending = select(func.count(BoothMessage.id)).where(
        BoothMessage.booth_id == booth.id, BoothMessage.kind == MessageKind.GUESTBOOK, BoothMessage.state == MessageState.PENDING,
    )
    if session.scalar(pending.where(BoothMessage.id != message.id, BoothMessage.created_at > now - GUESTBOOK_MAIL_INTERVAL)):
        return 0
    waiting = session.scalar(pending)
    sent = 0
    for role in exhibitor_roles(session, event, booth.organization_id):
        user = role.user
        lang = _locale(user.locale)
        with force_locale(lang):
            subject = _("New guestbook entry at your booth %(booth)s", booth=booth.name)
            context = {
                "lang": lang, "event": event, "subject": subject, "name": user.name, "booth": booth, "message": message,
                "waiting": ngettext("%(num)d guestbook entry waits for your approval.", "%(num)d guestbook entries wait for your approval.",
                                    waiting),
                "messages_url": public_url(_path("exhibition_engagement_views.messages", slug=event.slug)),
                **opening_lines(exhibition, event),
            }
            text = _render("exhibition/engagement_guestbook_mail.txt", context)
            html = _render("exhibition/engagement_guestbook_mail.html", context)
        queue_mail(session, to_email=user.email, to_name=user.name, subject=subject, text=text, html=html, event_id=event.id,
                   kind="exhibition_guestbook")
        sent += 1
    return sent
