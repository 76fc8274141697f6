"""Exposé programmes: who presents, the working draft of slots, published versions, and what happened on the night.

The draft (`Slot`, one per presenter) is what organizers and the auto-scheduler edit. Publishing
copies it into a `ScheduleVersion` with its `VersionSlot` rows, each a snapshot of names, rooms and
times, so a published version reads the same forever, whatever is renamed or moved later; the ORM
refuses to change or delete those rows once written (see `_published_rows_are_immutable`).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from eventsys.core.db import UTCDateTime, string_enum, utcnow
from eventsys.events.models import AgendaSession, Event, Organization
from eventsys.extensions import db


class OrderPreference(enum.StrEnum):
    PROTOCOL = "protocol"  # an explicit protocol order set by the organizer
    PROVINCE = "province"  # by province, then name
    ISLAND = "island"  # by island group (Sumatra, Java, …), then province, then name
    ALPHABETICAL = "alphabetical"


class RuleSeverity(enum.StrEnum):
    BLOCK = "block"  # blocks publication
    WARN = "warn"
    IGNORE = "ignore"


class PerformanceState(enum.StrEnum):
    WAITING = "waiting"
    PRESENTING = "presenting"
    DONE = "done"
    NO_SHOW = "no_show"


severity_enum = string_enum(RuleSeverity, "rule_severity", length=10)


class ExposeProgramme(db.Model):
    """One per exposé event: default lengths, the order preference, deck rules, and how strict each rule is."""

    __tablename__ = "expose_programmes"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    order_preference: Mapped[OrderPreference] = mapped_column(
        string_enum(OrderPreference, "order_preference", length=20), default=OrderPreference.PROTOCOL
    )
    talk_minutes: Mapped[int] = mapped_column(default=10)
    qa_minutes: Mapped[int] = mapped_column(default=5)
    buffer_minutes: Mapped[int] = mapped_column(default=2)  # changeover between consecutive presenters
    step_minutes: Mapped[int] = mapped_column(default=5)  # the grid slots start on
    deck_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deck_max_mb: Mapped[int] = mapped_column(default=50)
    # What each rule does to publication: block, warn, or ignore.
    overlap: Mapped[RuleSeverity] = mapped_column(severity_enum, default=RuleSeverity.BLOCK)
    outside_availability: Mapped[RuleSeverity] = mapped_column(severity_enum, default=RuleSeverity.BLOCK)
    outside_block: Mapped[RuleSeverity] = mapped_column(severity_enum, default=RuleSeverity.BLOCK)
    double_booked: Mapped[RuleSeverity] = mapped_column(severity_enum, default=RuleSeverity.BLOCK)
    short_buffer: Mapped[RuleSeverity] = mapped_column(severity_enum, default=RuleSeverity.WARN)

    event: Mapped[Event] = relationship()


class BlockPanel(db.Model):
    """The panel (penanggap) of an exposé block, i.e. of one room at one time."""

    __tablename__ = "expose_block_panels"

    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), primary_key=True)
    moderator: Mapped[str] = mapped_column(String(200), default="")
    members: Mapped[str] = mapped_column(Text, default="")  # one a line: "Name, position"

    session: Mapped[AgendaSession] = relationship()


class Presenter(db.Model):
    """A presenting organization and the person who presents for it (e.g. Bupati/Wali Kota)."""

    __tablename__ = "expose_presenters"
    __table_args__ = (UniqueConstraint("event_id", "organization_id", name="uq_expose_presenters_event_organization"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    person_name: Mapped[str] = mapped_column(String(200), default="")
    person_title: Mapped[str] = mapped_column(String(200), default="")  # "Wali Kota Cirebon"
    email: Mapped[str] = mapped_column(String(254), default="")
    locale: Mapped[str] = mapped_column(String(5), default="id")
    talk_minutes: Mapped[int | None] = mapped_column()  # None: the programme's default
    qa_minutes: Mapped[int | None] = mapped_column()
    protocol_rank: Mapped[int | None] = mapped_column()  # the explicit order; lower presents earlier
    available_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    available_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))  # must present in this room
    pinned_block_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="SET NULL"))
    pinned_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    portal_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirmed_version: Mapped[int | None] = mapped_column()  # the version number whose slot they confirmed
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deck_key: Mapped[str | None] = mapped_column(String(100))
    deck_name: Mapped[str | None] = mapped_column(String(200))
    deck_content_type: Mapped[str | None] = mapped_column(String(100))
    deck_size: Mapped[int | None] = mapped_column()
    deck_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    organization: Mapped[Organization] = relationship()
    pinned_block: Mapped[AgendaSession | None] = relationship()
    slot: Mapped[Slot | None] = relationship(back_populates="presenter", uselist=False, cascade="all, delete-orphan")
    performance: Mapped[Performance | None] = relationship(back_populates="presenter", uselist=False, cascade="all, delete-orphan")


class Slot(db.Model):
    """The working draft: where and when a presenter presents. Edited freely; published by copying."""

    __tablename__ = "expose_slots"

    presenter_id: Mapped[int] = mapped_column(ForeignKey("expose_presenters.id", ondelete="CASCADE"), primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)  # talk + Q&A; the buffer follows
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    presenter: Mapped[Presenter] = relationship(back_populates="slot")
    block: Mapped[AgendaSession] = relationship()


class ScheduleVersion(db.Model):
    """A published schedule: numbered from 1 per event, never changed afterwards."""

    __tablename__ = "expose_versions"
    __table_args__ = (UniqueConstraint("event_id", "number", name="uq_expose_versions_event_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    slots: Mapped[list[VersionSlot]] = relationship(back_populates="version", order_by="VersionSlot.starts_at, VersionSlot.id")


class VersionSlot(db.Model):
    """One presenter's slot in a published version, with the names as they were then."""

    __tablename__ = "expose_version_slots"
    __table_args__ = (UniqueConstraint("version_id", "presenter_id", name="uq_expose_version_slots_version_presenter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("expose_versions.id", ondelete="CASCADE"), index=True)
    presenter_id: Mapped[int | None] = mapped_column(ForeignKey("expose_presenters.id", ondelete="SET NULL"))
    organization_name: Mapped[str] = mapped_column(String(200))
    person_name: Mapped[str] = mapped_column(String(200), default="")
    person_title: Mapped[str] = mapped_column(String(200), default="")
    block_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="SET NULL"))
    block_title: Mapped[str] = mapped_column(String(200), default="")
    room_name: Mapped[str] = mapped_column(String(120), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    version: Mapped[ScheduleVersion] = relationship(back_populates="slots")


class Performance(db.Model):
    """What happened on the night: started, finished, or a no-show; kept apart from the published times."""

    __tablename__ = "expose_performances"

    presenter_id: Mapped[int] = mapped_column(ForeignKey("expose_presenters.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[PerformanceState] = mapped_column(string_enum(PerformanceState, "performance_state", length=20), default=PerformanceState.WAITING)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    presenter: Mapped[Presenter] = relationship(back_populates="performance")


class PublishedVersionChanged(RuntimeError):
    """Raised on any attempt to change or delete a published version or its slots."""


@event.listens_for(Session, "before_flush")
def _published_rows_are_immutable(session: Session, _context, _instances) -> None:
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, ScheduleVersion | VersionSlot) and (instance in session.deleted or session.is_modified(instance)):
            raise PublishedVersionChanged(f"published schedule versions never change: {instance!r}")
