"""The ticket page behind the registrant's secret link (/t/<secret>) and its downloads:
the QR as PNG and SVG, the PDF ticket and the event's calendar entry."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from flask_babel import gettext as _

from eventsys.core.access import public
from eventsys.extensions import db, limiter
from eventsys.registration import services, tickets
from eventsys.registration.models import STATE_LABELS, Registration, RegistrationState, Ticket

bp = Blueprint("tickets", __name__)

# The SVG is an image we made, but served alone it is a document: nothing in it may run or load.
SVG_CSP = "default-src 'none'; frame-ancestors 'none'"


def _registration_or_404(secret: str) -> Registration:
    registration = services.registration_by_secret(db.session, secret)
    if registration is None:
        abort(404, description=_(
            "This ticket link does not work (any more). Use the newest link from your email, or ask for it again on the event's registration page."
        ))
    return registration


def _ticket_or_404(registration: Registration) -> Ticket:
    ticket = tickets.live_ticket(registration)
    if ticket is None:
        abort(404, description=_("This registration has no valid ticket."))
    return ticket


def _private(response: Response) -> Response:
    """Everything here is one person's: never cached by anyone, never indexed, no referrer with the secret."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/t/<secret>")
@public
def ticket_page(secret: str):
    registration = _registration_or_404(secret)
    ticket = tickets.live_ticket(registration)
    manage_url = url_for("registration.my", secret=secret) if "registration.my" in current_app.view_functions else None
    body = render_template(
        "registration/ticket.html",
        registration=registration,
        event=registration.event,
        ticket=ticket,
        secret=secret,
        state_label=STATE_LABELS.get(registration.state, registration.state),
        states=RegistrationState,
        when=tickets.event_when(registration.event),
        place=tickets.event_place(registration.event),
        manage_url=manage_url,
    )
    return _private(current_app.make_response(body))


@bp.get("/t/<secret>/qr.png")
@public
def ticket_qr_png(secret: str):
    ticket = _ticket_or_404(_registration_or_404(secret))
    return _private(Response(tickets.qr_png(tickets.token_for(ticket)), mimetype="image/png"))


@bp.get("/t/<secret>/qr.svg")
@public
def ticket_qr_svg(secret: str):
    ticket = _ticket_or_404(_registration_or_404(secret))
    response = Response(tickets.qr_svg(tickets.token_for(ticket)), mimetype="image/svg+xml")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SVG_CSP
    return _private(response)


def _pdf_limit() -> str:
    # Each PDF takes WeasyPrint a good half second: a leaked link must not tie up the workers.
    return current_app.config.get("TICKET_PDF_RATE_LIMIT", "20 per minute")


@bp.get("/t/<secret>/ticket.pdf")
@limiter.limit(_pdf_limit)
@public
def ticket_pdf(secret: str):
    registration = _registration_or_404(secret)
    ticket = _ticket_or_404(registration)
    response = Response(tickets.ticket_pdf(registration), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="ticket-{ticket.code}.pdf"'
    return _private(response)


@bp.get("/t/<secret>/event.ics")
@public
def ticket_ics(secret: str):
    registration = _registration_or_404(secret)
    if registration.state in (RegistrationState.CANCELLED, RegistrationState.REJECTED):
        abort(404, description=_("This registration is no longer active."))
    response = Response(tickets.ticket_ics(registration), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{registration.event.slug}.ics"'
    return _private(response)
