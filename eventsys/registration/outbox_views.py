"""The organizer's mail screen: how the event's mail stands, what is stuck and why, retry, send now."""
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from eventsys.accounts.models import EventRoleName
from eventsys.core import mail, outbox
from eventsys.core.access import event_role_required
from eventsys.core.db import utcnow
from eventsys.core.form_base import BaseForm
from eventsys.core.models import OutboxMessage, OutboxStatus
from eventsys.core.rules import RuleViolation
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.extensions import db
from eventsys.registration.notifications import KIND_LABELS

bp = Blueprint("outbox", __name__)


class MailActionForm(BaseForm):
    """Retry and send-now buttons: only the CSRF token."""


@bp.get("/manage/<slug>/mail")
@event_role_required(EventRoleName.ORGANIZER)
def index(slug: str):
    event = g.event
    now = utcnow()
    return render_template(
        "registration/outbox.html",
        event=event,
        form=MailActionForm(),
        counts=outbox.status_counts(db.session, event_id=event.id),
        messages=outbox.troubled_messages(db.session, event_id=event.id, now=now),
        overdue=outbox.overdue_count(db.session, event_id=event.id, now=now),
        kind_labels=KIND_LABELS,
        mail_status_labels=mail.STATUS_LABELS,
        status_labels=EVENT_STATUS_LABELS,
        OutboxStatus=OutboxStatus,
    )


@bp.post("/manage/<slug>/mail/<int:message_id>/retry")
@event_role_required(EventRoleName.ORGANIZER)
def retry(slug: str, message_id: int):
    if not MailActionForm().validate_on_submit():
        abort(400)
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.event_id != g.event.id:
        abort(404)
    try:
        outbox.retry_message(db.session, message)
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
    else:
        db.session.commit()
        flash(_("The message to %(email)s is back in the queue.", email=message.to_email), "success")
    return redirect(url_for(".index", slug=slug))


@bp.post("/manage/<slug>/mail/send")
@event_role_required(EventRoleName.ORGANIZER)
def send_now(slug: str):
    """Send the event's queued mail now, skipping any wait between retries."""
    if not MailActionForm().validate_on_submit():
        abort(400)
    event_id = g.event.id
    outbox.make_due_now(db.session, event_id=event_id)
    db.session.commit()
    report = mail.send_due(db.session, event_id=event_id)
    if report.claimed == 0:
        flash(_("Nothing was waiting to be sent."), "info")
    elif report.retrying or report.failed:
        flash(_("%(sent)d sent, %(unsent)d not sent: see the errors below.", sent=report.sent,
                unsent=report.retrying + report.failed), "error")
    else:
        flash(_("%(sent)d sent.", sent=report.sent), "success")
    return redirect(url_for(".index", slug=slug))
