"""The check-in desk's test builders: its address, a delegate category, a walk-in form as the desk sends it."""
import re
import uuid
from html import unescape

from sqlalchemy import select

from eventsys.extensions import db
from eventsys.registration.models import DelegateCategory, Registration
from tests.helpers import fresh, text


def desk(event) -> str:
    return f"/manage/{event.slug}/desk"


def flashes(response) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash flash-\w+" role="(?:status|alert)"[^>]*>(.*?)</p>', text(response), re.S)]


def category(event, name="Umum", *, capacity=None, needs_approval=False):
    item = DelegateCategory(event_id=event.id, name=name, color="#0f766e", capacity=capacity, needs_approval=needs_approval)
    db.session.add(item)
    db.session.commit()
    return item


def walk_in_form(category, organization=None, **overrides):
    """A filled walk-in form; each call is a new form (its own nonce) unless `nonce` is given."""
    form = {
        "name": "Dr. H. Syamsuar, M.Si.", "position": "Kepala Dinas Kominfo", "organization_id": str(organization.id) if organization else "0",
        "proposed_organization": "" if organization else "Dinas Kominfo Kab. Siak", "category_id": str(category.id),
        "email": "", "phone": "", "consent": "y", "checkpoint_id": "0", "nonce": uuid.uuid4().hex,
    }
    return form | overrides


def registrations(event) -> list[Registration]:
    return list(fresh().scalars(select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)))
