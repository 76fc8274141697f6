"""Public award results: per category and per region, shown only once the organizers have published them."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from eventsys.awards import show_wording as wording
from eventsys.awards import winners
from eventsys.awards.models import AwardProgramme
from eventsys.core.access import public
from eventsys.events.models import Event, Organization
from eventsys.extensions import db

bp = Blueprint("awards_public_views", __name__, url_prefix="/awards/<slug>")


def _event_or_404(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None or db.session.get(AwardProgramme, event.id) is None:
        abort(404)
    return event


def _lines(results):
    return [(category, [(w, wording.awardee_person(w), wording.recipient_line(w)) for w in ws]) for category, ws in results]


@bp.get("")
@public
def results(slug: str):
    event = _event_or_404(slug)
    found = winners.published_winners(db.session, event)
    if not found:
        return render_template("awards/public_pending.html", event=event)
    return render_template("awards/public_results.html", event=event, results=_lines(found), region=None,
                           programme=db.session.get(AwardProgramme, event.id))


@bp.get("/regions/<int:organization_id>")
@public
def region(slug: str, organization_id: int):
    event = _event_or_404(slug)
    organization = db.get_or_404(Organization, organization_id)
    found = winners.published_winners(db.session, event)
    if not found:
        return render_template("awards/public_pending.html", event=event)
    mine = [(c, [w for w in ws if w.nomination.organization_id == organization.id]) for c, ws in found]
    return render_template("awards/public_results.html", event=event, results=_lines([(c, ws) for c, ws in mine if ws]),
                           region=organization, programme=db.session.get(AwardProgramme, event.id))
