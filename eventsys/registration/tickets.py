"""Tickets: Ed25519-signed QR tokens, short desk codes, QR images and PDF tickets. (Being built.)"""
from sqlalchemy.orm import Session

from eventsys.registration.models import Registration, Ticket


def issue_ticket(session: Session, registration: Registration) -> Ticket:
    raise NotImplementedError


def revoke_ticket(session: Session, ticket: Ticket, reason: str) -> None:
    raise NotImplementedError
