"""Piagam penghargaan: the organizer's list, issuing, one PDF, all as a ZIP; the public page the QR opens.

The routes join the `awards_show_views` blueprint (see the import at the end of show_views).
"""
from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsys.accounts.models import EventRoleName
from eventsys.awards import certificates
from eventsys.awards import show_wording as wording
from eventsys.awards.models import JudgingState
from eventsys.awards.services import programme_for
from eventsys.awards.show_forms import ActionForm
from eventsys.awards.show_views import bp
from eventsys.core.access import event_role_required, public
from eventsys.core.rules import RuleViolation
from eventsys.core.verification import display_code
from eventsys.events.models import EVENT_STATUS_LABELS, Event
from eventsys.extensions import db

organizer_only = event_role_required(EventRoleName.ORGANIZER)

MANAGE = "/manage/<slug>/awards/certificates"


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


@bp.get(MANAGE)
@organizer_only
def certificates_index(slug: str):
    event = g.event
    programme = programme_for(db.session, event)
    winners = certificates.winners_of(db.session, event)
    return render_template(
        "awards/show_certificates.html",
        event=event,
        status_labels=EVENT_STATUS_LABELS,
        programme=programme,
        locked=programme.state == JudgingState.LOCKED,
        rows=[(w, wording.region_government(wording.region_of(w)), wording.award_title(w), wording.recipient_line(w)) for w in winners],
        issued=sum(1 for w in winners if w.certificate_code),
        action_form=ActionForm(),
        display_code=display_code,
    )


@bp.post(MANAGE + "/issue")
@organizer_only
def certificates_issue(slug: str):
    if ActionForm().validate_on_submit():
        try:
            made = certificates.issue_all(db.session, g.event, user=current_user)
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
        else:
            db.session.commit()
            flash(_("%(num)d certificates issued.", num=made) if made else _("Every winner already has a certificate."), "success")
    return redirect(url_for(".certificates_index", slug=slug))


def _locale() -> str:
    return certificates.piagam_locale(request.args.get("lang"), current_user)


@bp.get(MANAGE + "/<int:winner_id>.pdf")
@organizer_only
def certificate_pdf(slug: str, winner_id: int):
    event = g.event
    winner = certificates.winner_of_event(db.session, event, winner_id)
    if winner is None:
        abort(404)
    if winner.certificate_code is None:
        flash(_("The certificate of this winner has not been issued yet. Issue the certificates first."), "error")
        return redirect(url_for(".certificates_index", slug=slug))
    data = certificates.piagam_pdf(db.session, event, [winner], _locale())
    return _download(data, "application/pdf", certificates.piagam_filename(winner))


@bp.get(MANAGE + "/piagam.zip")
@organizer_only
def certificates_zip(slug: str):
    try:
        data = certificates.piagam_zip(db.session, g.event, _locale())
    except RuleViolation as violation:
        flash(violation.message, "error")
        return redirect(url_for(".certificates_index", slug=slug))
    return _download(data, "application/zip", f"piagam-{g.event.slug}.zip")


@bp.get("/piagam/<code>")
@public
def piagam(code: str):
    winner = certificates.winner_by_code(db.session, code)
    if winner is None:
        return _private(current_app.make_response((render_template("awards/piagam_invalid.html"), 404)))
    event = db.session.get(Event, winner.category.event_id)
    return _private(current_app.make_response(render_template(
        "awards/piagam_verify.html",
        winner=winner,
        event=event,
        region=wording.region_of(winner),
        text=certificates.piagam_text(winner, event),
        code=display_code(winner.certificate_code),
    )))

