"""Delegate registration: settings, categories, questions, registrations, tickets and invitations."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsys.core.db import UTCDateTime, string_enum, utcnow
from eventsys.events.models import AgendaSession, Event, Organization
from eventsys.extensions import db


class RegistrationState(enum.StrEnum):
    PENDING = "pending"  # awaiting an organizer's approval
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


STATE_LABELS = {
    RegistrationState.PENDING: _l("Awaiting approval"),
    RegistrationState.CONFIRMED: _l("Confirmed"),
    RegistrationState.WAITLISTED: _l("Waiting list"),
    RegistrationState.CANCELLED: _l("Cancelled"),
    RegistrationState.REJECTED: _l("Rejected"),
}

# Addresses under the reserved top-level domain .invalid (RFC 2606) are placeholders, never delivered:
# the desk gives one to a walk-in without email, as the schema wants an address per registration.
PLACEHOLDER_EMAIL_TLD = ".invalid"


def deliverable(email: str | None) -> bool:
    return bool(email) and not email.strip().lower().endswith(PLACEHOLDER_EMAIL_TLD)


# States that hold a seat: capacity and quotas count these.
HOLDING_STATES = (RegistrationState.PENDING, RegistrationState.CONFIRMED)


class QuestionKind(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    FILE = "file"


QUESTION_KIND_LABELS = {
    QuestionKind.SHORT_TEXT: _l("Short text"),
    QuestionKind.LONG_TEXT: _l("Long text"),
    QuestionKind.SINGLE_CHOICE: _l("Single choice"),
    QuestionKind.MULTIPLE_CHOICE: _l("Multiple choice"),
    QuestionKind.YES_NO: _l("Yes / no"),
    QuestionKind.FILE: _l("File"),
}


class RegistrationSettings(db.Model):
    """One per event: when registration is open and how many seats there are."""

    __tablename__ = "registration_settings"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("organization_quota IS NULL OR organization_quota > 0", name="quota_positive"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None]
    organization_quota: Mapped[int | None]  # delegates per organization, e.g. 3 per region
    consent_text: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship()


class DelegateCategory(db.Model):
    """Kepala Daerah, Kadis Kominfo, Kepala Bappeda, OPD, Media, Umum …"""

    __tablename__ = "delegate_categories"
    __table_args__ = (
        UniqueConstraint("event_id", "name"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int | None]
    needs_approval: Mapped[bool] = mapped_column(default=False)
    color: Mapped[str] = mapped_column(String(7), default="#1d4ed8")  # the badge's colour band
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship()


class SessionOption(db.Model):
    """An agenda session that needs its own sign-up (a seminar room, FGD day 2)."""

    __tablename__ = "session_options"
    __table_args__ = (CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), unique=True)
    capacity: Mapped[int | None]

    session: Mapped[AgendaSession] = relationship()


class Question(db.Model):
    """One of the event's own questions on the registration form."""

    __tablename__ = "registration_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[QuestionKind] = mapped_column(string_enum(QuestionKind, "question_kind", length=20))
    required: Mapped[bool] = mapped_column(default=False)
    choices: Mapped[str] = mapped_column(Text, default="")  # one a line, for the choice kinds
    position: Mapped[int] = mapped_column(default=0)

    @property
    def choice_list(self) -> list[str]:
        return [c.strip() for c in self.choices.splitlines() if c.strip()]


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "email"),  # one registration per email per event
        Index("ix_registrations_event_state", "event_id", "state"),
        Index("ix_registrations_event_category_state", "event_id", "category_id", "state"),
        Index("ix_registrations_event_organization", "event_id", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("delegate_categories.id", ondelete="RESTRICT"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    proposed_organization: Mapped[str | None] = mapped_column(String(200))  # a body not yet in the list
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")  # jabatan
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, +62…
    nip: Mapped[str | None] = mapped_column(String(18))
    locale: Mapped[str] = mapped_column(String(5), default="id")
    state: Mapped[RegistrationState] = mapped_column(string_enum(RegistrationState, "registration_state", length=20))
    state_reason: Mapped[str] = mapped_column(Text, default="")
    # Only the hash of the personal link's secret (ticket page and self-service).
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    category: Mapped[DelegateCategory] = relationship()
    organization: Mapped[Organization | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="registration", cascade="all, delete-orphan")
    session_choices: Mapped[list[SessionChoice]] = relationship(back_populates="registration", cascade="all, delete-orphan")
    ticket: Mapped[Ticket | None] = relationship(back_populates="registration", uselist=False)

    @property
    def organization_name(self) -> str:
        return self.organization.name if self.organization else (self.proposed_organization or "")

    @property
    def has_email(self) -> bool:
        """False for a placeholder address (the desk's walk-ins without one): nothing is mailed there nor shown."""
        return deliverable(self.email)


class Answer(db.Model):
    __tablename__ = "registration_answers"
    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("registration_questions.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(Text, default="")  # choices joined by newlines
    file_key: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(String(200))

    registration: Mapped[Registration] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class SessionChoice(db.Model):
    __tablename__ = "session_choices"
    __table_args__ = (UniqueConstraint("registration_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("session_options.id", ondelete="CASCADE"), index=True)
    waitlisted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="session_choices")
    option: Mapped[SessionOption] = relationship()


class EventKey(db.Model):
    """The event's Ed25519 key: tickets are signed with it; scanners hold only the public half."""

    __tablename__ = "event_keys"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    private_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(db.Model):
    """A confirmed registration's ticket. `serial` grows on each re-issue, revoking older QR codes."""

    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("event_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(7))  # "K7P-4QX", typed at a desk
    serial: Mapped[int] = mapped_column(default=1)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")

    registration: Mapped[Registration] = relationship(back_populates="ticket")


class RevokedToken(db.Model):
    """A ticket token no longer valid (re-issued or cancelled); scanners sync this list."""

    __tablename__ = "revoked_tokens"
    __table_args__ = (UniqueConstraint("ticket_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    serial: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DelegateInvitation(db.Model):
    """A person invited to register (from an imported list); the link prefills the form."""

    __tablename__ = "delegate_invitations"
    __table_args__ = (UniqueConstraint("event_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("delegate_categories.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(5), default="id")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))

    organization: Mapped[Organization | None] = relationship()
    category: Mapped[DelegateCategory | None] = relationship()


class OrganizationLink(db.Model):
    """One link per organization: that region registers its delegates, up to its quota."""

    __tablename__ = "organization_links"
    __table_args__ = (UniqueConstraint("event_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship()
