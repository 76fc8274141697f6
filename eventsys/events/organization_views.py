"""Organizations (regions and bodies): list, edit, logo, import from CSV/XLSX."""
from flask import Blueprint, render_template
from sqlalchemy import select

from eventsys.core.access import login_required
from eventsys.events.models import Organization
from eventsys.extensions import db

bp = Blueprint("organizations", __name__, url_prefix="/organizations")


@bp.get("/")
@login_required
def index():
    organizations = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    return render_template("organizations/index.html", organizations=organizations)
