"""Mail to registrants, through the outbox, in their language. (Being built.)"""
from sqlalchemy.orm import Session

from eventsys.registration.models import Registration


def notify(session: Session, registration: Registration, kind: str, reason: str = "") -> None:
    raise NotImplementedError
