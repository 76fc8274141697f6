"""Events, their venues and rooms, agenda sessions and the organizations (regions) taking part."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsys.core.db import UTCDateTime, string_enum, utcnow
from eventsys.extensions import db


class OrganizationKind(enum.StrEnum):
    PROVINSI = "provinsi"
    KABUPATEN = "kabupaten"
    KOTA = "kota"
    KEMENTERIAN_LEMBAGA = "kementerian_lembaga"
    PERUSAHAAN = "perusahaan"
    STARTUP = "startup"
    LAINNYA = "lainnya"


ORGANIZATION_KIND_LABELS = {
    OrganizationKind.PROVINSI: _l("Province"),
    OrganizationKind.KABUPATEN: _l("Regency (kabupaten)"),
    OrganizationKind.KOTA: _l("City (kota)"),
    OrganizationKind.KEMENTERIAN_LEMBAGA: _l("Ministry or agency"),
    OrganizationKind.PERUSAHAAN: _l("Company"),
    OrganizationKind.STARTUP: _l("Startup"),
    OrganizationKind.LAINNYA: _l("Other"),
}


class EventKind(enum.StrEnum):
    PROGRAMME = "programme"
    FORUM = "forum"
    SEMINAR = "seminar"
    EXPOSE = "expose"
    EXHIBITION = "exhibition"
    AWARD_NIGHT = "award_night"
    FGD = "fgd"
    BIMTEK = "bimtek"


EVENT_KIND_LABELS = {
    EventKind.PROGRAMME: _l("Programme (several gatherings)"),
    EventKind.FORUM: _l("Forum"),
    EventKind.SEMINAR: _l("Seminar"),
    EventKind.EXPOSE: _l("Exposé"),
    EventKind.EXHIBITION: _l("Exhibition"),
    EventKind.AWARD_NIGHT: _l("Award night"),
    EventKind.FGD: _l("Focus group discussion (FGD)"),
    EventKind.BIMTEK: _l("Technical guidance (bimtek)"),
}


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


EVENT_STATUS_LABELS = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.ARCHIVED: _l("Archived"),
}


class SessionType(enum.StrEnum):
    OPENING = "opening"
    KEYNOTE = "keynote"
    SEMINAR = "seminar"
    PANEL = "panel"
    EXPOSE_BLOCK = "expose_block"
    FGD = "fgd"
    BREAK = "break"
    PERFORMANCE = "performance"
    AWARD_SEGMENT = "award_segment"
    EXHIBITION_OPENING = "exhibition_opening"


SESSION_TYPE_LABELS = {
    SessionType.OPENING: _l("Opening"),
    SessionType.KEYNOTE: _l("Keynote"),
    SessionType.SEMINAR: _l("Seminar"),
    SessionType.PANEL: _l("Panel"),
    SessionType.EXPOSE_BLOCK: _l("Exposé block"),
    SessionType.FGD: _l("Focus group discussion"),
    SessionType.BREAK: _l("Break"),
    SessionType.PERFORMANCE: _l("Performance"),
    SessionType.AWARD_SEGMENT: _l("Award segment"),
    SessionType.EXHIBITION_OPENING: _l("Exhibition opening"),
}


class Organization(db.Model):
    """A participating region or body: Kab. Cirebon, Kota Cirebon, Direktorat LAIP, a startup."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased, single-spaced name: "Kab.  Cirebon" and "kab. cirebon" are one region.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(string_enum(OrganizationKind, "organization_kind"))
    province: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    logo_key: Mapped[str | None] = mapped_column(String(200))
    logo_content_type: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @staticmethod
    def key_for(name: str) -> str:
        return " ".join(name.split()).casefold()

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"


class Venue(db.Model):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100))

    rooms: Mapped[list[Room]] = relationship(back_populates="venue", order_by="Room.name", cascade="all, delete-orphan")


class Room(db.Model):
    __tablename__ = "rooms"
    __table_args__ = (
        UniqueConstraint("venue_id", "name"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int | None]

    venue: Mapped[Venue] = relationship(back_populates="rooms")


class Event(db.Model):
    """One gathering: a seminar day, an exposé night, an award night, an FGD.

    A programme that spans days and kinds of gathering is an Event of kind `programme` whose
    gatherings point to it by `parent_id`: each gathering keeps its own kind, dates, venue,
    agenda, and later its own registration and check-in (the award night has its own guests),
    while the programme page shows them together.
    """

    __tablename__ = "events"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[EventKind] = mapped_column(string_enum(EventKind, "event_kind"))
    status: Mapped[EventStatus] = mapped_column(string_enum(EventStatus, "event_status"), default=EventStatus.DRAFT)
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    venue: Mapped[Venue | None] = relationship()
    parent: Mapped[Event | None] = relationship(remote_side=[id], back_populates="gatherings")
    gatherings: Mapped[list[Event]] = relationship(back_populates="parent", order_by="Event.starts_at")
    sessions: Mapped[list[AgendaSession]] = relationship(
        back_populates="event", order_by="AgendaSession.starts_at", cascade="all, delete-orphan"
    )

    @property
    def is_public(self) -> bool:
        return self.status != EventStatus.DRAFT

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class AgendaSession(db.Model):
    __tablename__ = "agenda_sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_agenda_sessions_room_time", "room_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"))
    session_type: Mapped[SessionType] = mapped_column(string_enum(SessionType, "session_type"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, server_default=func.now())

    event: Mapped[Event] = relationship(back_populates="sessions")
    room: Mapped[Room | None] = relationship()
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="session", order_by="Speaker.position_in_list", cascade="all, delete-orphan"
    )


class Speaker(db.Model):
    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    position_in_list: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")  # jabatan
    organization: Mapped[str] = mapped_column(String(200), default="")

    session: Mapped[AgendaSession] = relationship(back_populates="speakers")
