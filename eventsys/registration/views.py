"""The delegate's side: the registration form (/r/<slug>, invitation and organization links) and
the personal page (/my/<secret>) to see the registration and ticket, change sessions or cancel."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import public
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_datetime
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.core.storage import get_storage
from eventsys.events.models import Event, Organization
from eventsys.events.services import event_by_slug_or_404, organization_choices
from eventsys.extensions import db, limiter
from eventsys.registration import answers as answer_files
from eventsys.registration import invitations, seats, services
from eventsys.registration.forms import ConfirmForm, ResendForm, SessionChoicesForm, registration_form_class
from eventsys.registration.invitations import LinkProblem
from eventsys.registration.models import (
    STATE_LABELS,
    DelegateInvitation,
    QuestionKind,
    Registration,
    RegistrationSettings,
    RegistrationState,
)
from eventsys.registration.phones import display_phone

bp = Blueprint("registration", __name__)

STATE_MESSAGES = {
    RegistrationState.CONFIRMED: lambda: _("Your registration is confirmed. Your ticket is on its way to your email."),
    RegistrationState.PENDING: lambda: _("Your registration is received and awaits the organizer's approval. We will email you the decision."),
    RegistrationState.WAITLISTED: lambda: _("Your category is full, so you are on the waiting list. We will email you as soon as a seat is free."),
}


def _event_or_404(slug: str) -> Event:
    event = event_by_slug_or_404(slug)
    if not event.is_public and not (current_user.is_authenticated and current_user.has_event_role(event, list(EventRoleName))):
        abort(404)
    return event


def _settings(event: Event) -> RegistrationSettings:
    """The event's settings without writing anything (a page view must not take a write lock)."""
    return db.session.get(RegistrationSettings, event.id) or RegistrationSettings(event_id=event.id, enabled=False, consent_text="")


def _link_problem(problem: LinkProblem):
    title = _("Link no longer valid") if problem.status == 410 else _("Link not valid")
    return render_template("errors/error.html", status=problem.status, title=title, message=problem.message), problem.status


def _category_label(category, left) -> str:
    parts = [category.name]
    if left == 0:
        parts.append(_("full: you join the waiting list"))
    elif category.needs_approval:
        parts.append(_("needs the organizer's approval"))
    return " — ".join(parts)


def _option_label(event: Event, option) -> str:
    left = seats.option_seats_left(db.session, option)
    when = local_datetime(option.session.starts_at, event.timezone)
    if left is None:
        note = ""
    elif left == 0:
        note = " · " + _("full: you join its waiting list")
    else:
        note = " · " + _("%(count)d seats left", count=left)
    return f"{option.session.title} — {when}{note}"


def _prepare_form(event: Event, settings: RegistrationSettings, *, organization: Organization | None, prefill: dict | None):
    questions = seats.questions_of(db.session, event)
    form_class = registration_form_class(questions)
    form = form_class(data=prefill) if request.method == "GET" and prefill else form_class()
    categories = seats.categories_of(db.session, event)
    choices = [(c.id, _category_label(c, seats.seats_left(db.session, settings, c))) for c in categories]
    form.category_id.choices = choices if len(choices) == 1 else [(0, _("— choose your category —"))] + choices
    if organization is not None:
        form.organization_id.choices = [(organization.id, organization.name)]
        form.organization_id.data = organization.id
        form.proposed_organization.data = ""
    else:
        form.organization_id.choices = [(0, _("— choose from the list —"))] + organization_choices(db.session)
    form.option_ids.choices = [(o.id, _option_label(event, o)) for o in seats.options_of(db.session, event)]
    form.consent.label.text = settings.consent_text or _(
        "I agree that the organizer stores and uses the data in this form to run this event and to contact me about it."
    )
    return form


def _answers_of(form, max_bytes: int):
    """Answers by question id, and the checked uploads as (bytes, suffix, file name); None after a bad file."""
    answers, uploads, ok = {}, {}, True
    for question, field in form.question_fields():
        if question.kind == QuestionKind.FILE:
            upload = field.data
            if upload is None or not getattr(upload, "filename", ""):
                continue
            data = upload.read(max_bytes + 1)
            try:
                suffix = answer_files.check_answer_file(data, max_bytes=max_bytes, field=field.name)
            except RuleViolation as violation:
                attach_to_form(form, violation)
                ok = False
                continue
            uploads[question.id] = (data, suffix, answer_files.clean_file_name(upload.filename))
        elif question.kind == QuestionKind.MULTIPLE_CHOICE:
            answers[question.id] = "\n".join(field.data or [])
        else:
            answers[question.id] = (field.data or "").strip()
    return (answers, uploads) if ok else (None, None)


def _register(event: Event, form, *, organization: Organization | None, invitation: DelegateInvitation | None):
    """Store the registration; (registration, secret), or None with the problems shown on the form."""
    max_bytes = current_app.config.get("REGISTRATION_FILE_MAX_BYTES", answer_files.DEFAULT_ANSWER_FILE_MAX_BYTES)
    answers, uploads = _answers_of(form, max_bytes)
    if answers is None:
        return None
    storage = get_storage(current_app)
    saved: dict[int, tuple[str, str]] = {}
    data = services.RegistrationData(
        category_id=form.category_id.data,
        name=form.name.data or "",
        email=form.email.data or "",
        position=form.position.data or "",
        phone=form.phone_e164,
        nip=form.nip.data or None,
        organization_id=organization.id if organization else (form.organization_id.data or None),
        proposed_organization=None if organization or form.organization_id.data else form.proposed_organization.data,
        locale=str(get_locale()),
        consent=bool(form.consent.data),
        answers=answers,
        files=saved,
        option_ids=list(form.option_ids.data or []),
    )
    try:
        for question_id, (content, suffix, name) in uploads.items():
            saved[question_id] = (storage.save(content, suffix), name)
        registration, secret = services.register(db.session, event, data, organization_locked=organization is not None)
        if invitation is not None:
            invitations.mark_invitation_used(db.session, invitation, registration)
        db.session.commit()
    except BaseException as error:
        db.session.rollback()
        for key, _name in saved.values():  # nothing half-stored: the files go with the registration
            storage.delete(key)
        if not isinstance(error, RuleViolation):
            raise
        attach_to_form(form, error)
        form.already_registered = isinstance(error, services.AlreadyRegistered)
        return None
    return registration, secret


def _registration_page(event: Event, *, organization: Organization | None = None, invitation: DelegateInvitation | None = None):
    settings = _settings(event)
    closed = services.window_problem(settings, utcnow())
    if not closed and not seats.categories_of(db.session, event):
        closed = _("Registration for this event is not open.")
    quota_full = seats.quota_problem(db.session, settings, organization) if organization is not None else None
    if closed or quota_full:
        return render_template("registration/form.html", event=event, settings=settings, form=None, closed=closed or quota_full,
                               organization=organization)
    prefill = None
    if invitation is not None:
        prefill = {
            "name": invitation.name,
            "position": invitation.position,
            "email": invitation.email,
            "phone": invitation.phone or "",
            "organization_id": invitation.organization_id or 0,
            "category_id": invitation.category_id or 0,
        }
    form = _prepare_form(event, settings, organization=organization, prefill=prefill)
    form.already_registered = False
    if form.validate_on_submit():
        result = _register(event, form, organization=organization, invitation=invitation)
        if result is not None:
            registration, secret = result
            flash(STATE_MESSAGES[registration.state](), "success")
            return redirect(url_for("registration.my", secret=secret, welcome=1))
    return render_template(
        "registration/form.html",
        event=event,
        settings=settings,
        form=form,
        closed=None,
        organization=organization,
        invitation=invitation,
        resend_form=ResendForm(email=form.email.data) if form.already_registered else None,
    )


@bp.app_template_global()
def registration_open_for(event) -> bool:
    """For the event page (the events package knows nothing of registration)."""
    return services.is_open(db.session, event)


@bp.route("/r/<slug>", methods=["GET", "POST"])
@public
def register(slug: str):
    event = _event_or_404(slug)
    invitation = None
    token = request.args.get("invite")
    if token is not None:
        try:
            invitation = invitations.invitation_from_token(db.session, event, token)
        except LinkProblem as problem:
            return _link_problem(problem)
    return _registration_page(event, invitation=invitation)


@bp.route("/r/<slug>/o/<token>", methods=["GET", "POST"])
@public
def organization_register(slug: str, token: str):
    event = _event_or_404(slug)
    try:
        link = invitations.organization_link_from_token(db.session, event, token)
    except LinkProblem as problem:
        return _link_problem(problem)
    return _registration_page(event, organization=link.organization)


def _resend_limit() -> str:
    return current_app.config.get("REGISTRATION_RESEND_RATE_LIMIT", "10 per hour")


@bp.post("/r/<slug>/resend")
@limiter.limit(_resend_limit)
@public
def resend(slug: str):
    event = _event_or_404(slug)
    form = ResendForm()
    if form.validate_on_submit():
        services.resend_link(db.session, event, form.email.data)
        db.session.commit()
        flash(
            _("If this address is registered for the event, its personal link is on its way to it. Check your inbox (and spam folder) in a few minutes."),
            "success",
        )
    else:
        flash(_("Enter the email address you registered with."), "error")
    return redirect(url_for("registration.register", slug=event.slug))


# The personal page: the secret in the address is the registrant's key.


def _registration_or_404(secret: str) -> Registration:
    registration = services.registration_by_secret(db.session, secret)
    if registration is None:
        abort(404, description=_(
            "This personal link does not work (any more). Use the newest link from your email, or ask for it again on the event's registration page."
        ))
    return registration


def _ticket_url(registration: Registration, secret: str) -> str | None:
    ticket = registration.ticket
    if registration.state != RegistrationState.CONFIRMED or ticket is None or ticket.revoked_at is not None:
        return None
    if "tickets.ticket_page" not in current_app.view_functions:
        return None
    return url_for("tickets.ticket_page", secret=secret)


def _choices_form(registration: Registration) -> SessionChoicesForm | None:
    options = seats.options_of(db.session, registration.event)
    if not options or registration.state not in services.ACTIVE_STATES:
        return None
    form = SessionChoicesForm()
    form.option_ids.choices = [(o.id, _option_label(registration.event, o)) for o in options]
    if request.method == "GET":
        form.option_ids.data = [c.option_id for c in registration.session_choices]
    return form


def _my_page(registration: Registration, secret: str, *, choices_form=None, confirm_cancel=False, status=200):
    response = render_template(
        "registration/my.html",
        registration=registration,
        event=registration.event,
        secret=secret,
        state_labels=STATE_LABELS,
        states=RegistrationState,
        active=registration.state in services.ACTIVE_STATES,
        waitlist_position=seats.waitlist_position(db.session, registration),
        ticket_url=_ticket_url(registration, secret),
        choices_form=choices_form if choices_form is not None else _choices_form(registration),
        cancel_form=ConfirmForm() if confirm_cancel else None,
        personal_link=url_for("registration.my", secret=secret, _external=True),
        welcome=bool(request.args.get("welcome")),
        phone=display_phone(registration.phone),
    ), status
    return response


def _private(response):
    """The personal page is for its owner only: no caches, no search engines."""
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/my/<secret>")
@public
def my(secret: str):
    registration = _registration_or_404(secret)
    return _private(_my_page(registration, secret))


@bp.post("/my/<secret>/sessions")
@public
def change_sessions(secret: str):
    registration = _registration_or_404(secret)
    form = _choices_form(registration)
    if form is None:
        abort(404)
    if form.validate_on_submit():
        try:
            services.change_session_choices(db.session, registration, list(form.option_ids.data or []))
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            flash(_("Your session choices are saved."), "success")
            return redirect(url_for("registration.my", secret=secret))
    return _private(_my_page(registration, secret, choices_form=form, status=400))


@bp.route("/my/<secret>/cancel", methods=["GET", "POST"])
@public
def cancel(secret: str):
    registration = _registration_or_404(secret)
    if registration.state not in services.ACTIVE_STATES:
        flash(_("This registration is already cancelled."), "info")
        return redirect(url_for("registration.my", secret=secret))
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.cancel(db.session, registration, by_registrant=True)
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
        else:
            db.session.commit()
            flash(_("Your registration is cancelled. We have sent you a confirmation by email."), "success")
        return redirect(url_for("registration.my", secret=secret))
    return _private(_my_page(registration, secret, confirm_cancel=True))
