"""Certificates of attendance: the organizer's rule, list, issuing and PDFs; the delegate's own
download from the personal page; the public verification page the certificate's QR opens."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional

from eventsys.accounts.models import EventRoleName
from eventsys.attendance import certificates
from eventsys.attendance.arrivals import checkpoints_of
from eventsys.attendance.forms import ConfirmForm
from eventsys.attendance.models import Certificate
from eventsys.core.access import event_role_required, public
from eventsys.core.form_base import BaseForm, MultiCheckboxField, choice_id
from eventsys.core.rules import RuleViolation, attach_to_form
from eventsys.core.verification import display_code
from eventsys.events.models import EVENT_STATUS_LABELS
from eventsys.extensions import db, limiter
from eventsys.registration import services as registration_services
from eventsys.registration.models import Registration
from eventsys.registration.tickets import event_when

bp = Blueprint("attendance_certificate_views", __name__)
organizer_only = event_role_required(EventRoleName.ORGANIZER)

MANAGE = "/manage/<slug>/checkin/certificates"
LIST_LIMIT = 500
PDF_PAGES_PER_FILE = 200  # about 5 seconds of WeasyPrint per file


class CertificateRuleForm(BaseForm):
    enabled = BooleanField(_l("Issue certificates of attendance"))
    checkpoints = MultiCheckboxField(_l("Checkpoints to attend"), coerce=choice_id, validators=[Optional()])
    minimum = IntegerField(
        _l("At least how many of them"),
        description=_l("Leave empty to require all of them."),
        validators=[Optional(), NumberRange(min=1, max=1000, message=_l("Enter a number from 1 to the number of chosen checkpoints."))],
    )
    title = StringField(
        _l("Title"), description=_l("Leave empty for “Certificate of Attendance” in the delegate's language."),
        validators=[Optional(), Length(max=200)],
    )
    signer_name = StringField(_l("Signed by (name)"), validators=[Optional(), Length(max=200)])
    signer_position = StringField(_l("Signer's position"), description=_l("E.g. Direktur Layanan Aplikasi Informatika Pemerintahan"),
                                  validators=[Optional(), Length(max=200)])


class ActionForm(BaseForm):
    """A button that only needs the CSRF token."""


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


# The organizer's pages


def _settings_page(form: CertificateRuleForm, status: int = 200):
    event = g.event
    rule = certificates.rule_of(db.session, event)
    eligible = certificates.eligible_count(db.session, rule)
    listed = certificates.listed_count(db.session, rule)
    valid, revoked = certificates.certificate_counts(db.session, event)
    return render_template(
        "attendance/certificates.html",
        event=event,
        status_labels=EVENT_STATUS_LABELS,
        form=form,
        rule=rule,
        required=certificates.required_count(rule),
        eligible=eligible,
        listed=listed,
        lapsed=listed - eligible,  # holders of a certificate who no longer meet the rule
        rows=certificates.eligible_rows(db.session, rule, limit=LIST_LIMIT),
        valid=valid,
        revoked=revoked,
        parts=range(1, (valid + PDF_PAGES_PER_FILE - 1) // PDF_PAGES_PER_FILE + 1),
        action_form=ActionForm(),
        display_code=display_code,
    ), status


@bp.route(MANAGE, methods=["GET", "POST"])
@organizer_only
def settings(slug: str):
    event = g.event
    rule = certificates.rule_of(db.session, event)
    if request.method == "GET":
        data = {}
        if rule is not None:
            data = {"enabled": rule.enabled, "checkpoints": [c.id for c in rule.checkpoints], "minimum": rule.minimum,
                    "title": rule.title, "signer_name": rule.signer_name, "signer_position": rule.signer_position}
        form = CertificateRuleForm(formdata=None, data=data)
    else:
        form = CertificateRuleForm()
    form.checkpoints.choices = [(c.id, c.name) for c in checkpoints_of(db.session, event)]
    if request.method == "POST" and form.validate_on_submit():
        try:
            certificates.save_rule(
                db.session, event, enabled=form.enabled.data, checkpoint_ids=list(form.checkpoints.data or []), minimum=form.minimum.data,
                title=form.title.data or "", signer_name=form.signer_name.data or "", signer_position=form.signer_position.data or "",
            )
        except RuleViolation as violation:
            db.session.rollback()
            attach_to_form(form, violation)
        else:
            db.session.commit()
            flash(_("The certificate rule is saved."), "success")
            return redirect(url_for(".settings", slug=slug))
    return _settings_page(form, 400 if request.method == "POST" else 200)


@bp.post(MANAGE + "/issue")
@organizer_only
def issue(slug: str):
    if ActionForm().validate_on_submit():
        try:
            made = certificates.issue_all(db.session, g.event)
        except RuleViolation as violation:
            db.session.rollback()
            flash(violation.message, "error")
        else:
            db.session.commit()
            flash(_("%(num)d certificates issued.", num=made) if made else _("Everyone who met the rule already has a certificate."), "success")
    return redirect(url_for(".settings", slug=slug))


def _certificate_or_404(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.event_id != g.event.id:
        abort(404)
    return certificate


@bp.get(MANAGE + "/<int:certificate_id>.pdf")
@organizer_only
def certificate_pdf(slug: str, certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    if certificate.revoked_at is not None:
        abort(404, description=_("This certificate was revoked."))
    return _pdf(certificates.certificates_pdf(db.session, g.event, [certificate]), f"certificate-{certificate.code}.pdf")


@bp.get(MANAGE + "/all.pdf")
@organizer_only
def all_pdf(slug: str):
    part = max(request.args.get("part", 1, type=int), 1)
    issued = certificates.issued_certificates(db.session, g.event, offset=(part - 1) * PDF_PAGES_PER_FILE, limit=PDF_PAGES_PER_FILE)
    if not issued:
        flash(_("No certificate has been issued yet. Issue them first."), "error")
        return redirect(url_for(".settings", slug=slug))
    suffix = f"-{part}" if part > 1 or request.args.get("part") else ""
    return _pdf(certificates.certificates_pdf(db.session, g.event, issued), f"certificates-{g.event.slug}{suffix}.pdf")


@bp.post(MANAGE + "/<int:certificate_id>/<any(revoke, restore):action>")
@organizer_only
def change(slug: str, certificate_id: int, action: str):
    certificate = _certificate_or_404(certificate_id)
    form = ConfirmForm() if action == "revoke" else ActionForm()  # revoking wants the box next to its button ticked
    if form.validate_on_submit():
        certificates.set_revoked(db.session, certificate, action == "revoke")
        db.session.commit()
        if action == "revoke":
            flash(_("The certificate of %(name)s is revoked: its verification page now says it is not valid.",
                    name=certificate.registration.name), "success")
        else:
            flash(_("The certificate of %(name)s is valid again.", name=certificate.registration.name), "success")
    elif set(form.errors) == {"confirm"}:
        flash(_("Nothing was revoked: tick the box next to Revoke to confirm, then press Revoke."), "error")
    return redirect(url_for(".settings", slug=slug))


# The delegate's own certificate, behind the personal link


def _registration_or_404(secret: str) -> Registration:
    registration = registration_services.registration_by_secret(db.session, secret)
    if registration is None:
        abort(404, description=_(
            "This personal link does not work (any more). Use the newest link from your email, or ask for it again on the event's registration page."
        ))
    return registration


@bp.app_template_global()
def attendance_certificate_state(registration: Registration) -> str | None:
    """For the delegate's personal page: "issued", "eligible" (can be made now) or None."""
    if certificates.live_certificate(db.session, registration) is not None:
        return "issued"
    if certificates.certificate_of(db.session, registration) is None and certificates.is_eligible(db.session, registration):
        return "eligible"
    return None


@bp.post("/my/<secret>/certificate")
@public
def my_certificate(secret: str):
    registration = _registration_or_404(secret)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("registration.my", secret=secret))
    try:
        certificates.issue_for(db.session, registration)
    except RuleViolation as violation:
        db.session.rollback()
        flash(violation.message, "error")
        return redirect(url_for("registration.my", secret=secret))
    db.session.commit()
    return redirect(url_for(".my_certificate_pdf", secret=secret))


def _pdf_limit() -> str:
    return current_app.config.get("TICKET_PDF_RATE_LIMIT", "20 per minute")


@bp.get("/my/<secret>/certificate.pdf")
@limiter.limit(_pdf_limit)
@public
def my_certificate_pdf(secret: str):
    registration = _registration_or_404(secret)
    certificate = certificates.live_certificate(db.session, registration)
    if certificate is None:
        abort(404, description=_("No certificate of attendance is available for this registration."))
    return _pdf(certificates.certificates_pdf(db.session, registration.event, [certificate]), f"certificate-{certificate.code}.pdf")


# Public verification


@bp.get("/c/<code>")
@public
def verify(code: str):
    certificate = certificates.certificate_by_code(db.session, code)
    if certificate is None:
        return _private(current_app.make_response((render_template("attendance/certificate_invalid.html"), 404)))
    event = certificate.event
    attended = certificates.attendances(db.session, event, [certificate.registration_id])[certificate.registration_id]
    body = render_template(
        "attendance/certificate_verify.html",
        certificate=certificate,
        registration=certificate.registration,
        event=event,
        title=certificates.certificate_title(certificates.rule_of(db.session, event)),
        code=display_code(certificate.code),
        when=event_when(event),
        attended=attended,
        # An undone check-in or a cancellation since it was issued: the page does not vouch for what the record no longer shows.
        still_met=certificates.is_eligible(db.session, certificate.registration),
    )
    return _private(current_app.make_response(body))
