"""The registration desk, for check-in staff and organizers: register a walk-in and hand over a
ticket at once, find people by name or desk code, check them in, show or print their ticket."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsys.accounts.models import EventRoleName
from eventsys.attendance import checkin_admin, checkpoint_admin, checkpoints, scanning, walk_in
from eventsys.attendance.forms import DIRECTION_LABELS, DeskCheckInForm, DeskSearchForm, WalkInForm, new_nonce
from eventsys.attendance.models import CheckInSource, ScanResult
from eventsys.core.access import event_role_required
from eventsys.core.pdf import data_uri
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.events.services import organization_choices
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import STATE_LABELS, RegistrationSettings, RegistrationState

bp = Blueprint("attendance_desk_views", __name__, url_prefix="/manage/<slug>/desk")
desk_staff = event_role_required(EventRoleName.ORGANIZER, EventRoleName.CHECKIN)


def _is_organizer() -> bool:
    return current_user.has_event_role(g.event, (EventRoleName.ORGANIZER,))


def _page(template: str, **context):
    return render_template(
        f"attendance/{template}", event=g.event, status_labels=EVENT_STATUS_LABELS, is_organizer=_is_organizer(),
        state_labels=STATE_LABELS, new_nonce=new_nonce, **context,
    )


def _checkpoint_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in checkpoints.event_checkpoints(db.session, g.event)]


def _last_checkpoint_key() -> str:
    return f"desk_checkpoint:{g.event.id}"


def _checkin_form() -> DeskCheckInForm:
    """The check-in form, set to the checkpoint this browser last checked someone in at (the gala door stays the gala door)."""
    form = DeskCheckInForm(formdata=None)
    form.checkpoint_id.choices = _checkpoint_choices()
    last = session.get(_last_checkpoint_key())
    if any(value == last for value, _label in form.checkpoint_id.choices):
        form.checkpoint_id.data = last
    return form


@bp.get("")
@desk_staff
def index(slug: str):
    search = DeskSearchForm(request.args)
    searched = search.validate()
    if not searched:  # the only rule: Length(max=SEARCH_MAX)
        search.q.errors = [_("The search text is too long: type at most %(max)d characters of the name or the ticket code.", max=walk_in.SEARCH_MAX)]
    found = walk_in.desk_search(db.session, g.event, search.q.data or "") if searched else []
    return _page(
        "desk_index.html",
        search=search,
        searched=searched,
        found=found[: walk_in.SEARCH_LIMIT],
        more_found=len(found) > walk_in.SEARCH_LIMIT,
        checkin_form=_checkin_form(),
        confirmed=RegistrationState.CONFIRMED,
    )


def _walk_in_form() -> WalkInForm:
    form = WalkInForm()
    form.organization_id.choices = [(0, _("— choose from the list —"))] + organization_choices(db.session)
    form.category_id.choices = [(0, _("— choose —"))] + [
        (c.id, c.name) for c in walk_in.desk_categories(db.session, g.event, organizer=_is_organizer())
    ]
    form.checkpoint_id.choices = [(0, _("Do not check in yet"))] + _checkpoint_choices()
    settings = db.session.get(RegistrationSettings, g.event.id)
    if settings is not None and settings.consent_text:
        form.consent.label.text = _("The attendee agrees to this: %(text)s", text=settings.consent_text)
    else:
        form.consent.label.text = _("The attendee agrees that the organizer stores and uses these data to run this event and to contact them about it.")
    if request.method == "GET" and form.checkpoint_id.choices[1:]:
        last = session.get(_last_checkpoint_key())  # where this desk last checked someone in, else the first: usually the entrance
        known = [value for value, _label in form.checkpoint_id.choices[1:]]
        form.checkpoint_id.data = last if last in known else known[0]
    return form


@bp.route("/walk-in", methods=["GET", "POST"])
@desk_staff
def walk_in_page(slug: str):
    event = g.event
    form = _walk_in_form()
    existing = twin = None
    another_person = request.method == "POST" and request.form.get("another_person") == "y"
    if form.validate_on_submit():
        data = walk_in.WalkInData(
            name=form.name.data, category_id=form.category_id.data, position=form.position.data or "",
            organization_id=form.organization_id.data or None, proposed_organization=form.proposed_organization.data or "",
            email=form.email.data or "", phone=form.phone_e164, consent=form.consent.data, locale=form.locale.data,
            another_person=another_person,
        )
        # The form's nonce is its identity: sent twice (Back and again, a double click), it registers once.
        nonce = form.nonce.data if scanning.valid_nonce(form.nonce.data) else new_nonce()
        secret = walk_in.submission_secret(current_app.config["SECRET_KEY"], event, nonce)
        try:
            made = walk_in.register_walk_in(db.session, event, data, organizer=_is_organizer(), secret=secret)
        except walk_in.AlreadyRegisteredHere as violation:
            db.session.rollback()
            existing = violation.registration
            attach_to_form(form, violation)
        except walk_in.PossibleDuplicate as violation:  # Back and Register again gives a new nonce: ask, store nothing
            db.session.rollback()
            twin = violation.registration
            attach_to_form(form, violation)
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            registration = made.registration
            outcome = None
            checkpoint = _checkpoint(form.checkpoint_id.data)
            if checkpoint is not None:  # the same nonce again gives the first check-in's verdict, not a second one
                outcome = scanning.check_in_registration(
                    db.session, event, checkpoint, registration, nonce=nonce, source=CheckInSource.WALK_IN, user=current_user
                )
            db.session.commit()
            if made.repeated:
                flash(_("This form was already sent: %(name)s is registered once. Here is that registration.", name=registration.name), "success")
            else:
                flash(_("%(name)s is registered and has a ticket.", name=registration.name), "success")
            if outcome is not None and not (made.repeated and outcome.replayed):
                flash(outcome.message, "success" if outcome.result == ScanResult.OK else "error")
            return redirect(url_for(".ticket", slug=slug, registration_id=registration.id))
    return _page("desk_walk_in.html", form=form, existing=existing, twin=twin, another_person=another_person)


def _checkpoint(checkpoint_id: int | None):
    return checkpoint_admin.checkpoint_of(db.session, g.event, checkpoint_id) if checkpoint_id else None


def _registration_or_404(registration_id: int):
    registration = checkin_admin.registration_of(db.session, g.event, registration_id)
    if registration is None:
        abort(404)
    return registration


@bp.get("/registrations/<int:registration_id>")
@desk_staff
def ticket(slug: str, registration_id: int):
    registration = _registration_or_404(registration_id)
    live = tickets.live_ticket(registration)
    qr = data_uri("image/svg+xml", tickets.qr_svg(tickets.token_for(live))) if live else None
    checkins = [c for c in checkin_admin.registration_checkins(db.session, registration) if c.undone_at is None]
    response = _page(
        "desk_ticket.html", registration=registration, ticket=live, qr=qr, checkins=checkins, checkin_form=_checkin_form(),
        has_email=walk_in.has_email(registration), direction_labels=DIRECTION_LABELS,
    )
    return response, 200, {"Cache-Control": "no-store"}


@bp.get("/registrations/<int:registration_id>/ticket.pdf")
@desk_staff
def ticket_pdf(slug: str, registration_id: int):
    registration = _registration_or_404(registration_id)
    live = tickets.live_ticket(registration)
    if live is None:
        abort(404, description=_("This registration has no valid ticket."))
    response = Response(tickets.ticket_pdf(registration), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="ticket-{live.code}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_back(slug: str, registration_id: int) -> str:
    """Back to the search the desk came from, or to the person's ticket; never to another site."""
    q = request.form.get("q", "")
    if q:
        return url_for(".index", slug=slug, q=q[:200])
    return url_for(".ticket", slug=slug, registration_id=registration_id)


@bp.post("/registrations/<int:registration_id>/checkin")
@desk_staff
def check_in(slug: str, registration_id: int):
    registration = _registration_or_404(registration_id)
    form = DeskCheckInForm()
    form.checkpoint_id.choices = _checkpoint_choices()
    back = redirect(_safe_back(slug, registration.id))
    if not form.validate_on_submit() or not scanning.valid_nonce(form.nonce.data):
        flash(_("Choose a checkpoint and try again."), "error")
        return back
    checkpoint = _checkpoint(form.checkpoint_id.data)
    session[_last_checkpoint_key()] = checkpoint.id
    outcome = scanning.check_in_registration(
        db.session, g.event, checkpoint, registration, nonce=form.nonce.data, source=CheckInSource.SEARCH, user=current_user
    )
    db.session.commit()
    flash(f"{registration.name}: {outcome.message}", "success" if outcome.result == ScanResult.OK else "error")
    return back
