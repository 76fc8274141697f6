"""The satisfaction poll: delegates answer through their personal link or with their ticket's desk code and
email; organizers read the results (percentages, an SVG chart drawn on the server, comments, CSV)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from eventsys.accounts.models import EventRoleName
from eventsys.awards import poll
from eventsys.core.access import event_role_required, public
from eventsys.core.form_base import BaseForm
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.events.models import Event
from eventsys.events.services import event_by_slug_or_404
from eventsys.extensions import db, limiter
from eventsys.registration import services as registration_services
from eventsys.registration.models import Registration

bp = Blueprint("awards_poll_views", __name__)


class AnswerForm(BaseForm):
    rating = RadioField(_l("How satisfied are you with this event?"), choices=[(r.value, label) for r, label in poll.RATING_LABELS.items()],
                        validators=[DataRequired(_l("Choose one of the four answers."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=poll.MAX_COMMENT)],
                            description=_l("At most %(max)d characters.", max=poll.MAX_COMMENT))


class CodeAnswerForm(AnswerForm):
    code = StringField(_l("Ticket code"), validators=[DataRequired(_l("Enter the code printed on your ticket."))],
                       description=_l("Six letters and digits under the QR code, e.g. K7P-4QX."))
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter the email you registered with.")), Length(max=254)])


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _public_event_or_404(slug: str) -> Event:
    event = event_by_slug_or_404(slug)
    if not event.is_public:
        abort(404)
    return event


def _poll_limit() -> str:
    return current_app.config.get("POLL_RATE_LIMIT", "30 per hour")


def _render(event: Event, form, *, registration: Registration | None = None, answered=None, done: bool = False):
    opens, closes = poll.window(event)
    return _private(make_response(render_template(
        "awards/poll_answer.html", event=event, form=form, registration=registration, answered=answered, done=done,
        opens=opens, closes=closes, problem=poll.window_problem(event), labels=poll.RATING_LABELS,
    )))


def _store(event: Event, form, registration_of) -> bool:
    try:
        registration = registration_of()
        poll.submit(db.session, event, registration, form.rating.data, form.comment.data or "")
        db.session.commit()
    except RuleViolation as violation:
        db.session.rollback()
        attach_to_form(form, violation)
        return False
    return True


@bp.route("/poll/<slug>", methods=["GET", "POST"])
@limiter.limit(_poll_limit, methods=["POST"])
@public
def answer_by_code(slug: str):
    event = _public_event_or_404(slug)
    form = CodeAnswerForm()
    if form.validate_on_submit() and _store(
        event, form, lambda: poll.registration_by_code(db.session, event, form.code.data, form.email.data)
    ):
        return redirect(url_for(".thanks", slug=slug))
    return _render(event, form)


@bp.route("/poll/<slug>/<secret>", methods=["GET", "POST"])
@public
def answer(slug: str, secret: str):
    event = _public_event_or_404(slug)
    registration = registration_services.registration_by_secret(db.session, secret)
    if registration is None or registration.event_id != event.id:
        abort(404, description=_("This poll link does not work. Use the link from your email, or answer with your ticket code."))
    existing = poll.answer_of(db.session, registration)
    form = AnswerForm()
    if existing is None and form.validate_on_submit() and _store(event, form, lambda: registration):
        return redirect(url_for(".thanks", slug=slug))
    if existing is None:
        existing = poll.answer_of(db.session, registration)  # answered from another tab meanwhile
    return _render(event, form, registration=registration,
                   answered=poll.already_answered(existing, event).message if existing else None)


@bp.get("/poll/<slug>/thanks")
@public
def thanks(slug: str):
    event = _public_event_or_404(slug)
    return _render(event, None, done=True)


@bp.get("/manage/<slug>/poll")
@event_role_required(EventRoleName.ORGANIZER)
def results(slug: str):
    event = g.event
    result = poll.results(db.session, event)
    opens, closes = poll.window(event)
    return render_template("awards/poll_results.html", event=event, result=result, chart=poll.chart(result), opens=opens, closes=closes, labels=poll.RATING_LABELS,
                           poll_url=url_for(".answer_by_code", slug=slug, _external=True))


@bp.get("/manage/<slug>/poll.csv")
@event_role_required(EventRoleName.ORGANIZER)
def results_csv(slug: str):
    event = g.event
    response = Response(poll.results_csv(db.session, event), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="poll-{event.slug}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
