"""Visitors vote and write to a booth; exhibitors read and moderate what was written to their booth."""
from __future__ import annotations

import math
import time
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_timedelta, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from limits import parse_many
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from eventsys.core.access import event_role_required, public
from eventsys.core.errors import error_response
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.exhibition import engagement, engagement_mail, visits
from eventsys.exhibition.engagement_forms import MessageForm, VoteForm
from eventsys.exhibition.hall_views import load_exhibition, not_yet_open, render_booth, visible_booth
from eventsys.exhibition.models import Booth, BoothMessage, MessageKind, MessageState
from eventsys.exhibition.services import booths_of, can_edit_booth, is_staff
from eventsys.extensions import db, limiter

bp = Blueprint("exhibition_engagement_views", __name__)


# Per sender address, over all booths. Visitors of one office share an address, so the hourly and daily
# room is wide; the per-minute limit stops a script. Only accepted submissions count (see _accepted).
VOTE_RATE_LIMIT = "10 per minute;100 per hour;500 per day"
MESSAGE_RATE_LIMIT = "10 per minute;60 per hour;300 per day"


def _vote_limit() -> str:
    return current_app.config.get("EXHIBITION_VOTE_RATE_LIMIT", VOTE_RATE_LIMIT)


def _message_limit() -> str:
    return current_app.config.get("EXHIBITION_MESSAGE_RATE_LIMIT", MESSAGE_RATE_LIMIT)


def _accepted(response) -> bool:
    """A submission counts against the limit once accepted (the redirect); a refused form is corrected, not a flood."""
    return response.status_code == 303


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


@bp.post("/exhibition/<slug>/booths/<int:booth_id>/vote")
@limiter.limit(_vote_limit, deduct_when=_accepted)
@public
def vote(slug: str, booth_id: int):
    visible, booth = visible_booth(slug, booth_id)
    if booth is None:
        return not_yet_open(visible)
    form = VoteForm()
    if not form.validate_on_submit():
        return render_booth(visible, booth, vote_form=form, status=400)
    cookie, _new = visits.visitor_cookie(request.cookies.get(visits.COOKIE))
    try:
        address = engagement.normalize_email(form.email.data)
        asked = engagement.request_vote(db.session, _secret(), visible.event, visible.exhibition, booth, form.email.data,
                                        visitor=visits.visitor_key(_secret(), cookie))
        moved_from = db.session.get(Booth, asked.moved_from) if asked.moved_from else None
        engagement_mail.mail_vote_link(db.session, visible.event, visible.exhibition, booth, form.email.data.strip(), asked.token,
                                       str(get_locale()), moved_from)
    except RuleViolation as violation:
        db.session.rollback()
        attach_to_form(form, violation)
        return render_booth(visible, booth, vote_form=form, status=400)
    db.session.commit()
    current_app.logger.info("vote link for booth %s sent (%s)", booth.id, address.split("@", 1)[1])
    flash(_("We sent a link to %(email)s. Your vote counts once you open it.", email=form.email.data.strip()), "success")
    return redirect(url_for("exhibition_hall_views.booth_page", slug=slug, booth_id=booth.id, _anchor="vote"), 303)


@bp.route("/exhibition/<slug>/vote/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_vote(slug: str, token: str):
    """GET shows what the link votes for and a button; POST counts it (mail scanners only GET links)."""
    visible = load_exhibition(slug)
    booth_id = engagement.vote_link_booth(_secret(), token)
    booth = db.session.get(Booth, booth_id) if booth_id else None
    if booth is not None and booth.event_id != visible.event.id:
        booth = None
    problem = None
    if request.method == "POST":
        try:
            engagement.confirm_vote(db.session, _secret(), visible.event, visible.exhibition, token)
        except RuleViolation as violation:
            db.session.rollback()
            problem = violation.message
        else:
            db.session.commit()
            flash(_("Thank you: your vote for %(booth)s counts.", booth=booth.name), "success")
            return redirect(url_for("exhibition_hall_views.booth_page", slug=slug, booth_id=booth.id), 303)
    elif booth is None and engagement.link_of_removed_booth(db.session, _secret(), visible.event, token):
        problem = engagement.booth_removed_message()
    elif booth is None:
        problem = _("This confirmation link is not valid. Copy the whole link from the email.")
    else:
        problem = engagement.voting_closed_reason(visible.exhibition, visible.event)
    return render_template("exhibition/engagement_confirm.html", event=visible.event, booth=booth, problem=problem,
                           token=token), (400 if problem and request.method == "POST" else 200)


@bp.post("/exhibition/<slug>/booths/<int:booth_id>/messages")
@limiter.limit(_message_limit, deduct_when=_accepted)
@public
def leave_message(slug: str, booth_id: int):
    visible, booth = visible_booth(slug, booth_id)
    if booth is None:
        return not_yet_open(visible)
    form = MessageForm()
    if not form.validate_on_submit():
        return render_booth(visible, booth, message_form=form, status=400)
    if form.homepage.data:  # the hidden field a person never fills: answer as if stored, store nothing
        flash(_("Thank you: the exhibitor will read your message."), "success")
        return redirect(url_for("exhibition_hall_views.booth_page", slug=slug, booth_id=booth.id), 303)
    try:
        message = engagement.leave_message(
            db.session, visible.event, visible.exhibition, booth, kind=MessageKind(form.kind.data), name=form.name.data or "",
            email=form.email.data or "", organization=form.organization.data or "", body=form.body.data or "",
        )
        if message.kind == MessageKind.CONTACT:
            engagement_mail.mail_contact_request(db.session, visible.event, visible.exhibition, booth, message)
        else:
            engagement_mail.mail_guestbook_entry(db.session, visible.event, visible.exhibition, booth, message)
    except RuleViolation as violation:
        db.session.rollback()
        attach_to_form(form, violation)
        return render_booth(visible, booth, message_form=form, status=400)
    db.session.commit()
    if message.kind == MessageKind.CONTACT:
        flash(_("Thank you: your request was sent to the exhibitor, who will answer by email."), "success")
    else:
        flash(_("Thank you: your entry appears in the guestbook once the exhibitor approves it."), "success")
    return redirect(url_for("exhibition_hall_views.booth_page", slug=slug, booth_id=booth.id, _anchor="guestbook"), 303)


def _wait() -> timedelta:
    """How long until the sender may submit again: the latest reset among this route's full windows (minute, hour, day)."""
    breached = limiter.current_limit
    if breached is None:
        return timedelta(minutes=1)
    limit_value = _vote_limit() if request.endpoint == "exhibition_engagement_views.vote" else _message_limit()
    windows = [limiter.limiter.get_window_stats(item, *breached.request_args) for item in parse_many(limit_value)]
    seconds = max((reset for reset, remaining in windows if remaining < 1), default=breached.reset_at) - time.time()
    return timedelta(minutes=max(1, math.ceil(seconds / 60)))


@bp.errorhandler(429)
def _rate_limited(error):
    """The booth page again, with what the visitor typed and how long to wait; not a bare error page."""
    waiting = _wait()
    wait = format_timedelta(waiting, granularity="minute", threshold=1.5)
    vote = request.endpoint == "exhibition_engagement_views.vote"
    message = (_("Many votes were sent from your network in a short time. Try again in about %(wait)s.", wait=wait) if vote else
               _("Many messages were sent from your network in a short time. Try again in about %(wait)s; what you wrote is "
                 "still in the form below.", wait=wait))
    try:
        visible, booth = visible_booth(request.view_args["slug"], request.view_args["booth_id"])
    except (HTTPException, KeyError, TypeError):
        booth = None
    if booth is None:
        return error_response(429, message=message)
    form = VoteForm() if vote else MessageForm()  # filled from the refused post: nothing typed is lost
    form.form_errors.append(message)
    response = render_booth(visible, booth, **({"vote_form": form} if vote else {"message_form": form}), status=429)
    response.headers["Retry-After"] = str(int(waiting.total_seconds()))
    return response


# The exhibitor's side


def _my_booths() -> list[Booth]:
    event = g.event
    if is_staff(current_user, event):
        return list(db.session.scalars(select(Booth).where(Booth.event_id == event.id).order_by(Booth.name)))
    return booths_of(db.session, current_user, event)


@bp.get("/exhibit/<slug>/messages")
@event_role_required("organizer", "exhibitor")
def messages(slug: str):
    booths = _my_booths()
    chosen = request.args.get("state", "pending")
    state = MessageState(chosen) if chosen in MessageState._value2member_map_ else None
    names = {b.id: b.name for b in booths}
    return render_template(
        "exhibition/engagement_messages.html", event=g.event, booths=booths, names=names, state=chosen if state else "all",
        messages=engagement.messages_for(db.session, list(names), state),
    )


@bp.post("/exhibit/<slug>/messages/<int:message_id>")
@event_role_required("organizer", "exhibitor")
def moderate(slug: str, message_id: int):
    message = db.session.get(BoothMessage, message_id)
    booth = db.session.get(Booth, message.booth_id) if message else None
    if booth is None or booth.event_id != g.event.id or not can_edit_booth(current_user, booth):
        abort(404)  # another booth's messages are not even confirmed to exist
    action = request.form.get("action", "")
    if action not in ("approve", "reject"):
        flash(_("Choose approve or reject."), "error")
    else:
        was_public = message.state == MessageState.APPROVED
        try:
            engagement.moderate(db.session, message, action == "approve")
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
        else:
            db.session.commit()
            flash(_moderation_done(message, action == "approve", was_public), "success")
    return redirect(url_for(".messages", slug=slug, state=request.form.get("state", "pending")), 303)


def _moderation_done(message: BoothMessage, approved: bool, was_public: bool) -> str:
    """What the exhibitor's button did, in its own words: a contact request is handled, not set aside."""
    if approved:
        return _("Message approved: it is shown on the booth page.")
    if message.kind == MessageKind.CONTACT:
        return _("Contact request marked as handled.")
    return _("Message taken off the booth page.") if was_public else _("Message set aside.")
