"""The organizer's registration settings: window and capacity, categories, questions, session sign-ups."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required
from eventsys.core.rules import RuleViolation, commit_or_attach
from eventsys.core.timezones import form_local, form_utc, to_local
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.extensions import db
from eventsys.registration import seats
from eventsys.registration import settings_services as rules
from eventsys.registration.forms import (
    CategoryForm,
    ConfirmForm,
    OptionCapacityForm,
    QuestionForm,
    SessionOptionForm,
    SettingsForm,
)
from eventsys.registration.models import (
    QUESTION_KIND_LABELS,
    DelegateCategory,
    Question,
    QuestionKind,
    RegistrationSettings,
    RegistrationState,
    SessionOption,
)

bp = Blueprint("registration_settings", __name__, url_prefix="/manage/<slug>/registration/settings")
organizer_only = event_role_required(EventRoleName.ORGANIZER)


def _page(template: str, **context):
    return render_template(
        f"registration/{template}", event=g.event, status_labels=EVENT_STATUS_LABELS, delete_form=ConfirmForm(), **context
    )








@bp.route("", methods=["GET", "POST"])
@organizer_only
def settings(slug: str):
    event = g.event
    current = db.session.get(RegistrationSettings, event.id)
    form = SettingsForm()
    if request.method == "GET" and current is not None:
        form.enabled.data = current.enabled
        form.opens_at.data = form_local(current.opens_at, event.timezone)
        form.closes_at.data = form_local(current.closes_at, event.timezone)
        form.capacity.data = current.capacity
        form.organization_quota.data = current.organization_quota
        form.consent_text.data = current.consent_text
    if form.validate_on_submit():
        data = rules.SettingsData(
            enabled=form.enabled.data,
            opens_at=form_utc(form.opens_at.data, event.timezone),
            closes_at=form_utc(form.closes_at.data, event.timezone),
            capacity=form.capacity.data,
            organization_quota=form.organization_quota.data,
            consent_text=form.consent_text.data or "",
        )
        if commit_or_attach(form, lambda: rules.save_settings(db.session, event, data)):
            flash(_("Registration settings saved."), "success")
            return redirect(url_for("registration_settings.settings", slug=slug))
    return _page(
        "settings.html",
        form=form,
        zone=event.timezone,
        categories=seats.categories_of(db.session, event),
        questions=seats.questions_of(db.session, event),
        options=seats.options_of(db.session, event),
        public_url=url_for("registration.register", slug=event.slug, _external=True),
    )


# Categories


def _category_of(category_id: int) -> DelegateCategory:
    category = db.get_or_404(DelegateCategory, category_id)
    if category.event_id != g.event.id:
        abort(404)
    return category


def _category_page(form: CategoryForm, category: DelegateCategory | None):
    counts = seats.counts_by_category(db.session, g.event)
    return _page(
        "settings_categories.html",
        form=form,
        category=category,
        categories=seats.categories_of(db.session, g.event),
        holding={cid: sum(n for s, n in c.items() if s in (RegistrationState.PENDING, RegistrationState.CONFIRMED)) for cid, c in counts.items()},
        waiting={cid: c.get(RegistrationState.WAITLISTED, 0) for cid, c in counts.items()},
    )


def _save_category(form: CategoryForm, category: DelegateCategory | None) -> bool:
    data = rules.CategoryData(
        name=form.name.data or "",
        capacity=form.capacity.data,
        needs_approval=form.needs_approval.data,
        color=form.color.data or "",
        position=form.position.data or 0,
    )
    return commit_or_attach(form, lambda: rules.save_category(db.session, g.event, data, category))


@bp.route("/categories", methods=["GET", "POST"])
@organizer_only
def categories(slug: str):
    form = CategoryForm()
    if form.validate_on_submit() and _save_category(form, None):
        flash(_("Category “%(name)s” added.", name=form.name.data.strip()), "success")
        return redirect(url_for("registration_settings.categories", slug=slug))
    return _category_page(form, None)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@organizer_only
def edit_category(slug: str, category_id: int):
    category = _category_of(category_id)
    form = CategoryForm(obj=category) if request.method == "GET" else CategoryForm()
    if form.validate_on_submit() and _save_category(form, category):
        flash(_("Changes saved."), "success")
        return redirect(url_for("registration_settings.categories", slug=slug))
    return _category_page(form, category)


@bp.post("/categories/<int:category_id>/delete")
@organizer_only
def delete_category(slug: str, category_id: int):
    category = _category_of(category_id)
    if ConfirmForm().validate_on_submit():
        name = category.name
        try:
            rules.delete_category(db.session, category)
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
        else:
            db.session.commit()
            flash(_("Category “%(name)s” deleted.", name=name), "info")
    return redirect(url_for("registration_settings.categories", slug=slug))


# Questions


def _question_of(question_id: int) -> Question:
    question = db.get_or_404(Question, question_id)
    if question.event_id != g.event.id:
        abort(404)
    return question


def _save_question(form: QuestionForm, question: Question | None) -> bool:
    data = rules.QuestionData(
        label=form.label.data or "",
        kind=QuestionKind(form.kind.data),
        required=form.required.data,
        choices=form.choices.data or "",
        position=form.position.data or 0,
    )
    return commit_or_attach(form, lambda: rules.save_question(db.session, g.event, data, question))


def _question_page(form: QuestionForm, question: Question | None):
    return _page(
        "settings_questions.html",
        form=form,
        question=question,
        questions=seats.questions_of(db.session, g.event),
        kind_labels=QUESTION_KIND_LABELS,
    )


@bp.route("/questions", methods=["GET", "POST"])
@organizer_only
def questions(slug: str):
    form = QuestionForm()
    if form.validate_on_submit() and _save_question(form, None):
        flash(_("Question added."), "success")
        return redirect(url_for("registration_settings.questions", slug=slug))
    return _question_page(form, None)


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@organizer_only
def edit_question(slug: str, question_id: int):
    question = _question_of(question_id)
    form = QuestionForm(obj=question) if request.method == "GET" else QuestionForm()
    if request.method == "GET":
        form.kind.data = question.kind.value
    if form.validate_on_submit() and _save_question(form, question):
        flash(_("Changes saved."), "success")
        return redirect(url_for("registration_settings.questions", slug=slug))
    return _question_page(form, question)


@bp.post("/questions/<int:question_id>/delete")
@organizer_only
def delete_question(slug: str, question_id: int):
    question = _question_of(question_id)
    if ConfirmForm().validate_on_submit():
        answers = rules.delete_question(db.session, question)
        db.session.commit()
        flash(_("Question deleted with its %(count)d answers.", count=answers) if answers else _("Question deleted."), "info")
    return redirect(url_for("registration_settings.questions", slug=slug))


# Agenda sessions with their own sign-up


def _option_of(option_id: int) -> SessionOption:
    option = db.get_or_404(SessionOption, option_id)
    if option.event_id != g.event.id:
        abort(404)
    return option


def _sessions_page(form: SessionOptionForm, capacity_errors: dict | None = None):
    options = seats.options_of(db.session, g.event)
    return _page(
        "settings_sessions.html",
        form=form,
        options=options,
        seats_left={o.id: seats.option_seats_left(db.session, o) for o in options},
        sign_ups={o.id: rules.sign_ups(db.session, o) for o in options},
        capacity_errors=capacity_errors or {},
        has_agenda=bool(g.event.sessions),
    )


def _session_option_form() -> SessionOptionForm:
    form = SessionOptionForm()
    event = g.event
    form.session_id.choices = [(0, _("— choose a session —"))] + [
        (s.id, f"{s.title} — {to_local(s.starts_at, event.timezone):%d/%m %H:%M}") for s in rules.available_sessions(db.session, event)
    ]
    return form


@bp.route("/sessions", methods=["GET", "POST"])
@organizer_only
def sessions(slug: str):
    form = _session_option_form()
    if form.validate_on_submit():
        if not form.session_id.data:
            form.session_id.errors = [_("Choose a session.")]
        elif commit_or_attach(form, lambda: rules.add_session_option(db.session, g.event, form.session_id.data, form.capacity.data)):
            flash(_("The session now has its own sign-up."), "success")
            return redirect(url_for("registration_settings.sessions", slug=slug))
    return _sessions_page(form)


@bp.post("/sessions/<int:option_id>")
@organizer_only
def option_capacity(slug: str, option_id: int):
    option = _option_of(option_id)
    form = OptionCapacityForm()
    if form.validate_on_submit() and commit_or_attach(form, lambda: rules.change_option_capacity(db.session, option, form.capacity.data)):
        flash(_("Changes saved."), "success")
        return redirect(url_for("registration_settings.sessions", slug=slug))
    errors = list(form.capacity.errors) + list(form.form_errors) or [_("Check the capacity.")]
    return _sessions_page(_session_option_form(), {option.id: errors}), 400


@bp.post("/sessions/<int:option_id>/delete")
@organizer_only
def delete_option(slug: str, option_id: int):
    option = _option_of(option_id)
    if ConfirmForm().validate_on_submit():
        title = option.session.title
        try:
            rules.remove_session_option(db.session, option)
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
        else:
            db.session.commit()
            flash(_("“%(title)s” no longer has its own sign-up.", title=title), "info")
    return redirect(url_for("registration_settings.sessions", slug=slug))
