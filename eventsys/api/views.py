"""JSON API under /api/v1 (filled in by the API work)."""
from flask import Blueprint, g, render_template

from eventsys.accounts.models import EventRoleName
from eventsys.core.access import event_role_required

bp = Blueprint("api", __name__)


@bp.route("/manage/<slug>/api-tokens", methods=["GET", "POST"])
@event_role_required(EventRoleName.ORGANIZER)
def tokens(slug: str):
    return render_template("api/tokens.html", event=g.event)
