"""Certificates of attendance: the event's rule, who met it, issuing, the PDF and verification.

A confirmed registration earns a certificate when it has live check-ins (not undone) at no fewer
than `minimum` of the rule's checkpoints (all of them when `minimum` is empty), e.g. both FGD days.
Issuing is idempotent and safe when two organizers (or an organizer and the delegate) issue at
once: the unique constraint on the registration decides, and a losing insert is skipped.
A holder who stops meeting the rule (an undone check-in, a cancellation) keeps the certificate until
an organizer revokes it: the organizer's list keeps showing them, marked, so it can be revoked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from eventsys.attendance.arrivals import entered, live_checkins
from eventsys.attendance.models import Certificate, CertificateRule, CheckIn, Checkpoint, Direction
from eventsys.config import LANGUAGES
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_date
from eventsys.core.mail import public_url
from eventsys.core.pdf import data_uri, render_pdf
from eventsys.core.qr import qr_svg
from eventsys.core.rules import RuleViolation
from eventsys.core.verification import display_code, new_code, normalize_code
from eventsys.events.models import Event, Organization
from eventsys.registration.models import DelegateCategory, Registration, RegistrationState
from eventsys.registration.tickets import event_place, event_when

INSERT_CHUNK = 500  # rows per INSERT (SQLite limits the number of bound values)
ISSUE_ATTEMPTS = 3


# The rule


def rule_of(session: Session, event: Event) -> CertificateRule | None:
    return session.get(CertificateRule, event.id)


def save_rule(
    session: Session, event: Event, *, enabled: bool, checkpoint_ids: list[int], minimum: int | None,
    title: str, signer_name: str, signer_position: str,
) -> CertificateRule:
    checkpoints = list(
        session.scalars(select(Checkpoint).where(Checkpoint.event_id == event.id, Checkpoint.id.in_(checkpoint_ids or [])))
    )
    if enabled and not checkpoints:
        raise RuleViolation(_("Choose the checkpoints a delegate must attend to earn a certificate."), "checkpoints")
    if minimum is not None and not 1 <= minimum <= max(len(checkpoints), 1):
        raise RuleViolation(
            _("The minimum must be between 1 and the number of chosen checkpoints (%(num)d). Leave it empty to require all of them.",
              num=len(checkpoints)),
            "minimum",
        )
    rule = rule_of(session, event)
    if rule is None:
        rule = CertificateRule(event_id=event.id)
        session.add(rule)
    rule.enabled = bool(enabled)
    rule.checkpoints = checkpoints
    rule.minimum = minimum
    rule.title = " ".join((title or "").split())[:200]
    rule.signer_name = " ".join((signer_name or "").split())[:200]
    rule.signer_position = " ".join((signer_position or "").split())[:200]
    session.flush()
    return rule


def required_count(rule: CertificateRule | None) -> int | None:
    """How many of the rule's checkpoints a delegate must attend; None when nobody can qualify."""
    if rule is None or not rule.checkpoints:
        return None
    return min(rule.minimum or len(rule.checkpoints), len(rule.checkpoints))


def certificate_title(rule: CertificateRule | None) -> str:
    return (rule.title if rule is not None and rule.title else "") or _("Certificate of Attendance")


# Who met the rule


def _attended(rule: CertificateRule):
    """Correlated: how many of the rule's checkpoints the outer query's registration entered (live check-ins).

    Asked per registration (an index probe), not by joining an aggregate (see eventsys.attendance.arrivals).
    """
    return (
        select(func.count(func.distinct(CheckIn.checkpoint_id)))
        .where(
            CheckIn.registration_id == Registration.id, CheckIn.undone_at.is_(None), CheckIn.direction == Direction.IN,
            CheckIn.checkpoint_id.in_([c.id for c in rule.checkpoints]),
        )
        .scalar_subquery()
    )


@dataclass
class EligibleRow:
    registration_id: int
    name: str
    position: str
    organization: str
    category: str
    attended: int
    certificate: Certificate | None
    meets_rule: bool = True
    cancelled: bool = False  # the registration is no longer confirmed


def eligible_query(rule: CertificateRule, *columns):
    """SELECT `columns` FROM the confirmed registrations that met the rule."""
    return (
        select(*columns)
        .select_from(Registration)
        .where(Registration.event_id == rule.event_id, *_meets_rule(rule))
    )


def _meets_rule(rule: CertificateRule):
    return (
        Registration.state == RegistrationState.CONFIRMED,
        entered(CheckIn.checkpoint_id.in_([c.id for c in rule.checkpoints])), _attended(rule) >= required_count(rule),
    )


def _listed(rule: CertificateRule):
    """Who the organizer's list shows: who met the rule, and whoever holds a certificate (met or not, any more)."""
    holds = exists().where(Certificate.registration_id == Registration.id).correlate(Registration)  # the list joins Certificate too
    if required_count(rule) is None:
        return holds
    return or_(and_(*_meets_rule(rule)), holds)


def eligible_count(session: Session, rule: CertificateRule | None) -> int:
    if required_count(rule) is None:
        return 0
    return session.scalar(eligible_query(rule, func.count(Registration.id)))


def listed_count(session: Session, rule: CertificateRule | None) -> int:
    """How many rows the organizer's list has in all (see eligible_rows)."""
    if rule is None:
        return 0
    return session.scalar(select(func.count(Registration.id)).where(Registration.event_id == rule.event_id, _listed(rule)))


def eligible_rows(session: Session, rule: CertificateRule | None, *, limit: int | None = None) -> list[EligibleRow]:
    """Who met the rule, by name, with their certificate if issued (revoked ones too), and every holder of a
    certificate who no longer meets it (an undone check-in, a cancelled registration): marked, never revoked here."""
    if rule is None:
        return []
    required = required_count(rule)
    attended = _attended(rule) if required is not None else literal(0)
    query = (
        select(
            Registration.id, Registration.name, Registration.position, Registration.proposed_organization, Organization.name,
            DelegateCategory.name, attended, Registration.state, Certificate,
        )
        .select_from(Registration)
        .join(DelegateCategory, DelegateCategory.id == Registration.category_id)
        .outerjoin(Organization, Organization.id == Registration.organization_id)
        .outerjoin(Certificate, Certificate.registration_id == Registration.id)
        .where(Registration.event_id == rule.event_id, _listed(rule))
        .order_by(Registration.name, Registration.id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = []
    for reg_id, name, position, proposed, organization, category, count, state, certificate in session.execute(query):
        confirmed = state == RegistrationState.CONFIRMED
        meets = confirmed and required is not None and count >= required
        rows.append(EligibleRow(reg_id, name, position or "", organization or proposed or "", category, count, certificate, meets, not confirmed))
    return rows


def is_eligible(session: Session, registration: Registration, rule: CertificateRule | None = None) -> bool:
    rule = rule if rule is not None else rule_of(session, registration.event)
    if rule is None or not rule.enabled or required_count(rule) is None or registration.state != RegistrationState.CONFIRMED:
        return False
    attended = session.scalar(
        select(func.count(func.distinct(CheckIn.checkpoint_id))).where(
            CheckIn.registration_id == registration.id, CheckIn.undone_at.is_(None), CheckIn.direction == Direction.IN,
            CheckIn.checkpoint_id.in_([c.id for c in rule.checkpoints]),
        )
    )
    return attended >= required_count(rule)


# Issuing


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(Certificate)


def _insert_certificates(session: Session, event_id: int, registration_ids: list[int]) -> None:
    """One row per registration; a registration that has one meanwhile (or a code drawn twice) is skipped."""
    now = utcnow()
    for start in range(0, len(registration_ids), INSERT_CHUNK):
        rows = [
            {"event_id": event_id, "registration_id": rid, "code": new_code(), "issued_at": now}
            for rid in registration_ids[start : start + INSERT_CHUNK]
        ]
        session.execute(_insert(session).values(rows).on_conflict_do_nothing())


def issue_all(session: Session, event: Event) -> int:
    """Certificates for everyone who met the rule and has none yet; how many were made."""
    rule = rule_of(session, event)
    if rule is None or not rule.enabled or required_count(rule) is None:
        raise RuleViolation(_("Turn certificates on and choose their checkpoints first."))
    issued = 0
    for _attempt in range(ISSUE_ATTEMPTS):  # a code that collided is skipped once and drawn again
        missing = list(session.scalars(eligible_query(rule, Registration.id).where(~exists().where(Certificate.registration_id == Registration.id))))
        if not missing:
            break
        before = session.scalar(select(func.count(Certificate.id)).where(Certificate.event_id == event.id))
        _insert_certificates(session, event.id, missing)
        issued += session.scalar(select(func.count(Certificate.id)).where(Certificate.event_id == event.id)) - before
    return issued


def certificate_of(session: Session, registration: Registration) -> Certificate | None:
    return session.scalar(
        select(Certificate).where(Certificate.registration_id == registration.id).execution_options(populate_existing=True)
    )


def issue_for(session: Session, registration: Registration) -> Certificate:
    """The registration's certificate, made now if it met the rule (the delegate's own download)."""
    certificate = certificate_of(session, registration)
    if certificate is None:
        if not is_eligible(session, registration):
            raise RuleViolation(_("No certificate of attendance is available for this registration."))
        for _attempt in range(ISSUE_ATTEMPTS):
            _insert_certificates(session, registration.event_id, [registration.id])
            certificate = certificate_of(session, registration)
            if certificate is not None:
                break
    if certificate is None or certificate.revoked_at is not None:
        raise RuleViolation(_("No certificate of attendance is available for this registration."))
    return certificate


def live_certificate(session: Session, registration: Registration) -> Certificate | None:
    certificate = certificate_of(session, registration)
    return certificate if certificate is not None and certificate.revoked_at is None else None


def certificate_by_code(session: Session, text: str) -> Certificate | None:
    """The valid certificate a verification link names, or None (unknown, malformed or revoked)."""
    code = normalize_code(text)
    if not code:
        return None
    certificate = session.scalar(select(Certificate).where(Certificate.code == code))
    return certificate if certificate is not None and certificate.revoked_at is None else None


def set_revoked(session: Session, certificate: Certificate, revoked: bool, now: datetime | None = None) -> None:
    certificate.revoked_at = (now or utcnow()) if revoked else None
    session.flush()


def issued_certificates(session: Session, event: Event, *, offset: int = 0, limit: int | None = None) -> list[Certificate]:
    query = (
        select(Certificate)
        .join(Registration, Registration.id == Certificate.registration_id)
        .where(Certificate.event_id == event.id, Certificate.revoked_at.is_(None))
        .options(
            selectinload(Certificate.registration).selectinload(Registration.organization),
            selectinload(Certificate.registration).selectinload(Registration.category),
        )
        .order_by(Registration.name, Registration.id)
        .offset(offset)
    )
    return list(session.scalars(query.limit(limit) if limit is not None else query))


def certificate_counts(session: Session, event: Event) -> tuple[int, int]:
    """(valid, revoked) certificates of the event."""
    valid, total = session.execute(
        select(func.count(Certificate.id).filter(Certificate.revoked_at.is_(None)), func.count(Certificate.id)).where(
            Certificate.event_id == event.id
        )
    ).one()
    return valid, total - valid


# What a certificate states


@dataclass
class Attendance:
    name: str  # the session's title, or the checkpoint's name
    at: datetime


def attendances(session: Session, event: Event, registration_ids: list[int]) -> dict[int, list[Attendance]]:
    """Per registration, the rule's checkpoints attended (first entry each), in checkpoint order.

    A rule changed after issuing may list none of them; then every checkpoint attended is shown.
    """
    rule = rule_of(session, event)
    rule_ids = {c.id for c in rule.checkpoints} if rule is not None else set()
    checkpoints = {
        c.id: c
        for c in session.scalars(select(Checkpoint).where(Checkpoint.event_id == event.id).options(selectinload(Checkpoint.session)))
    }
    firsts: dict[int, dict[int, datetime]] = {}
    for chunk in range(0, len(registration_ids), INSERT_CHUNK):
        rows = session.execute(
            select(CheckIn.registration_id, CheckIn.checkpoint_id, func.min(CheckIn.at))
            .where(*live_checkins(event, CheckIn.direction == Direction.IN), CheckIn.registration_id.in_(registration_ids[chunk : chunk + INSERT_CHUNK]))
            .group_by(CheckIn.registration_id, CheckIn.checkpoint_id)
        )
        for reg_id, checkpoint_id, at in rows:
            firsts.setdefault(reg_id, {})[checkpoint_id] = at
    result = {}
    for reg_id in registration_ids:
        attended = firsts.get(reg_id, {})
        chosen = [i for i in attended if i in rule_ids] or list(attended)
        ordered = sorted((checkpoints[i] for i in chosen if i in checkpoints), key=lambda c: (c.position, c.id))
        result[reg_id] = [Attendance(c.session.title if c.session else c.name, attended[c.id]) for c in ordered]
    return result


def verification_url(certificate: Certificate) -> str:
    """The public page the certificate's QR opens, on PUBLIC_BASE_URL like the tickets' links."""
    return public_url(url_for("attendance_certificate_views.verify", code=certificate.code))


def _locale(code: str | None) -> str:
    return code if code in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "id")


def _page_html(certificate: Certificate, rule: CertificateRule | None, attended: list[Attendance]) -> str:
    registration, event = certificate.registration, certificate.event
    with force_locale(_locale(registration.locale)):
        return current_app.jinja_env.get_template("attendance/certificate_page.html").render(
            lang=_locale(registration.locale),
            certificate=certificate,
            registration=registration,
            event=event,
            rule=rule,
            title=certificate_title(rule),
            code=display_code(certificate.code),
            when=event_when(event),
            place=event_place(event),
            city=event.venue.city if event.venue and event.venue.city else "",
            signed_on=local_date(event.ends_at, event.timezone),
            attended=[(a.name, local_date(a.at, event.timezone)) for a in attended],
            url=verification_url(certificate),
            qr_uri=data_uri("image/svg+xml", qr_svg(verification_url(certificate))),
        )


def certificates_pdf(session: Session, event: Event, certificates: list[Certificate]) -> bytes:
    """One A4 landscape page per certificate, each in its holder's language (formal Indonesian by default)."""
    if not certificates:
        raise ValueError("no certificates to print")
    rule = rule_of(session, event)
    attended = attendances(session, event, [c.registration_id for c in certificates])
    pages = [_page_html(c, rule, attended.get(c.registration_id, [])) for c in certificates]
    locale = _locale(certificates[0].registration.locale) if len(certificates) == 1 else current_app.config.get("BABEL_DEFAULT_LOCALE", "id")
    with force_locale(locale):
        html = current_app.jinja_env.get_template("attendance/certificate_pdf.html").render(lang=locale, pages=pages, event=event)
    return render_pdf(html)
