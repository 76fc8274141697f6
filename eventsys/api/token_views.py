"""The event organizer's page for API tokens: make one (its secret is shown once), list, revoke.

A blueprint of its own, apart from the CSRF-exempt JSON API: these are cookie-signed-in forms.
"""
from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsys.accounts.models import EventRoleName
from eventsys.api import services
from eventsys.api.forms import TOKEN_ROLE_LABELS, ApiTokenForm, RevokeTokenForm
from eventsys.core.access import event_role_required
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.extensions import db

bp = Blueprint("api_tokens", __name__)


@bp.route("/manage/<slug>/api-tokens", methods=["GET", "POST"])
@event_role_required(EventRoleName.ORGANIZER)
def tokens(slug: str):
    event = g.event
    form = ApiTokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            token, secret = services.create_token(
                db.session, event=event, name=form.name.data, role=form.role.data, created_by_id=current_user.id
            )
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            flash(_("Token “%(name)s” made. Copy it now: it is shown only this once.", name=token.name), "success")
            form = ApiTokenForm(formdata=None)
    response = make_response(
        render_template(
            "api/tokens.html",
            event=event,
            form=form,
            secret=secret,
            tokens=services.event_tokens(db.session, event),
            role_labels=TOKEN_ROLE_LABELS,
            status_labels=EVENT_STATUS_LABELS,
        )
    )
    # The secret must not linger in a browser or proxy cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/manage/<slug>/api-tokens/<int:token_id>/revoke")
@event_role_required(EventRoleName.ORGANIZER)
def revoke(slug: str, token_id: int):
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400)
    token = services.revoke_token(db.session, g.event, token_id)
    if token is None:
        abort(404)
    db.session.commit()
    flash(_("Token “%(name)s” revoked. Systems using it are refused from now on.", name=token.name), "success")
    return redirect(url_for(".tokens", slug=slug))
