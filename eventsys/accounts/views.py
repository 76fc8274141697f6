"""Sign-in, sign-out, passwords, invitations to an event's team, and the language switch."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from eventsys.accounts import services
from eventsys.accounts.forms import (
    ROLE_LABELS,
    AcceptInvitationForm,
    ChangePasswordForm,
    InvitationForm,
    JoinEventForm,
    LoginForm,
)
from eventsys.accounts.models import EventRole, EventRoleName, Invitation, User
from eventsys.config import LANGUAGES
from eventsys.core.access import event_role_required, login_required, public
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.events.services import organization_choices
from eventsys.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _safe_next(target: str | None) -> str | None:
    """Only paths on this site: a crafted ?next= must not send people elsewhere after sign-in."""
    if not target:
        return None
    # Browsers read "/\\evil.example" and "/<TAB>/evil.example" as "//evil.example": refuse both.
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("events.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong email or password."))
        else:
            login_user(user, remember=form.remember.data)
            if user.locale in LANGUAGES:
                session["lang"] = user.locale
            return redirect(_safe_next(form.next.data) or url_for("events.dashboard"))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("events.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("That is not your current password."))
        else:
            current_user.set_password(form.password.data)
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("events.dashboard"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    try:
        invitation = services.open_invitation(db.session, token)
    except services.InvitationError as error:
        return _invitation_refused(error)
    role_label = ROLE_LABELS[invitation.role]
    existing = services.find_user(db.session, invitation.email)
    if existing is not None:
        # The address has an account: its owner signs in and joins; the link never sets its password.
        conflict = services.join_conflict(invitation, existing)
        if conflict:  # said before anyone clicks: accepting would take the account's booth away
            return _invitation_refused(services.InvitationError(conflict), 409)
        signed_in_as_invited = current_user.is_authenticated and current_user.id == existing.id
        form = JoinEventForm()
        if signed_in_as_invited and form.validate_on_submit():
            try:
                services.join_with_account(db.session, invitation, current_user)
            except services.InvitationError as error:
                db.session.rollback()
                return _invitation_refused(error)
            db.session.commit()
            flash(_("You have joined %(event)s.", event=invitation.event.name), "success")
            return redirect(url_for("events.dashboard"))
        return render_template(
            "accounts/accept_invitation.html",
            form=form,
            invitation=invitation,
            role_label=role_label,
            existing=True,
            signed_in_as_invited=signed_in_as_invited,
            login_url=url_for("accounts.login", next=url_for("accounts.accept_invitation", token=token)),
        )
    form = AcceptInvitationForm(name=invitation.name)
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(db.session, invitation, form.password.data, form.name.data)
        except services.InvitationError as error:
            db.session.rollback()
            return _invitation_refused(error)
        db.session.commit()
        login_user(user)
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(url_for("events.dashboard"))
    return render_template(
        "accounts/accept_invitation.html", form=form, invitation=invitation, role_label=role_label, existing=False
    )


def _invitation_refused(error: services.InvitationError, status: int = 410):
    # 410 Gone: the link is (no longer) usable, whichever way; 409 when the account's other role stands in the way.
    return render_template("accounts/invitation_invalid.html", message=str(error)), status


@bp.route("/manage/<slug>/team", methods=["GET", "POST"])
@event_role_required(EventRoleName.ORGANIZER)
def team(slug: str):
    event = g.event
    form = InvitationForm()
    form.organization_id.choices = [(0, "—")] + organization_choices(db.session)
    link = None
    if form.validate_on_submit():
        try:
            invitation, secret = services.invite(
                db.session,
                event=event,
                email=form.email.data,
                name=form.name.data,
                role=EventRoleName(form.role.data),
                invited_by=current_user,
                max_age_days=current_app.config["INVITATION_MAX_AGE_DAYS"],
                organization_id=form.organization_id.data or None,
            )
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            link = url_for("accounts.accept_invitation", token=secret, _external=True)
            flash(_("Invitation made for %(email)s. Send them the link below; it works once.", email=invitation.email), "success")
            form = InvitationForm(formdata=None)
            form.organization_id.choices = [(0, "—")] + organization_choices(db.session)
    members = db.session.scalars(
        select(EventRole).where(EventRole.event_id == event.id).join(EventRole.user).order_by(User.name)
    ).all()
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.event_id == event.id, Invitation.accepted_at.is_(None)).order_by(Invitation.created_at.desc())
    ).all()
    return render_template(
        "accounts/team.html", event=event, form=form, link=link, members=members, invitations=invitations, role_labels=ROLE_LABELS
    )


@bp.post("/language/<code>")
@public
def set_language(code: str):
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("events.home"))
