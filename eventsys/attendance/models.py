"""Checkpoints, scanner devices, the scan log and check-ins.

Exactly one admission per (ticket, checkpoint, slot) is held by a unique constraint, not by
application code, so that any number of devices scanning one ticket at the same instant, on
SQLite or PostgreSQL, count it once. The slot depends on the checkpoint's entry policy:

    once           "once"
    once per day   "day:2017-11-15"  (the day in the event's zone)
    unlimited      "any:<scan nonce>" (every scan its own slot)
    entry and exit "in:<n>" / "out:<n>": the n-th entry and the exit that follows it

An undone check-in keeps its row (the log) but frees its slot ("undone:<id>").
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsys.accounts.models import User
from eventsys.api.models import ApiToken
from eventsys.core.db import UTCDateTime, string_enum, utcnow
from eventsys.events.models import AgendaSession, Event
from eventsys.extensions import db
from eventsys.registration.models import DelegateCategory, Registration, Ticket


class EntryPolicy(enum.StrEnum):
    ONCE = "once"
    ONCE_PER_DAY = "once_per_day"
    UNLIMITED = "unlimited"
    IN_OUT = "in_out"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class ScanResult(enum.StrEnum):
    """Stable reason codes of the scan endpoint; scanners and reports key on these."""

    OK = "ok"
    ALREADY_CHECKED_IN = "already_checked_in"
    REVOKED = "revoked"
    NOT_ALLOWED_HERE = "not_allowed_here"
    OUTSIDE_WINDOW = "outside_window"
    UNKNOWN = "unknown"
    INVALID_SIGNATURE = "invalid_signature"
    NOT_INSIDE = "not_inside"  # an exit scan of someone who is not inside (entry-and-exit checkpoints)


class CheckInSource(enum.StrEnum):
    SCAN = "scan"  # camera or handheld scanner
    SEARCH = "search"  # found by name or desk code
    KIOSK = "kiosk"  # the attendee scanned their own QR
    WALK_IN = "walk_in"  # registered at the desk
    ORGANIZER = "organizer"  # recorded by an organizer by hand


class ChangeAction(enum.StrEnum):
    UNDO = "undo"
    RESTORE = "restore"
    MANUAL = "manual"
    DUPLICATE = "duplicate"  # set aside: an earlier scan of the same movement synced after it (movements.py)
    RECORDED_LATER = "recorded_later"  # a scan refused or set aside, recorded after all once an earlier one synced (movements.py)


checkpoint_categories = Table(
    "checkpoint_categories",
    db.metadata,
    Column("checkpoint_id", ForeignKey("checkpoints.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("delegate_categories.id", ondelete="CASCADE"), primary_key=True),
)


class Checkpoint(db.Model):
    """A gate: the event's entrance or an agenda session's door. No categories listed: all may enter."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("event_id", "name", name="uq_checkpoints_event_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="SET NULL"))
    policy: Mapped[EntryPolicy] = mapped_column(string_enum(EntryPolicy, "entry_policy", length=20), default=EntryPolicy.ONCE)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: no limit on that side
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    session: Mapped[AgendaSession | None] = relationship()
    categories: Mapped[list[DelegateCategory]] = relationship(secondary=checkpoint_categories, order_by=DelegateCategory.position)


class ScannerDevice(db.Model):
    """A phone, tablet or desk computer paired as a scanner for one event.

    Pairing: the organizer creates the device and shows its pairing QR or link (a single-use
    secret, stored hashed, that expires); the phone exchanges it for an API token of the
    check-in role bound to this device. Revoking the device revokes that token at once.
    """

    __tablename__ = "scanner_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))  # "Pintu utama 1", "Meja registrasi"
    kiosk: Mapped[bool] = mapped_column(default=False)  # attendees scan their own QR
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id", ondelete="SET NULL"))
    pairing_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    pairing_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # who paired it
    staff_name: Mapped[str] = mapped_column(String(200), default="")  # who holds it at the door
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    checkpoint: Mapped[Checkpoint | None] = relationship()
    api_token: Mapped[ApiToken | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.paired_at is not None


class CheckIn(db.Model):
    """One admission (or exit) of a ticket at a checkpoint; see the module's note on slots."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("ticket_id", "checkpoint_id", "slot", name="uq_checkins_ticket_checkpoint_slot"),
        Index("ix_checkins_event_at", "event_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    direction: Mapped[Direction] = mapped_column(string_enum(Direction, "checkin_direction", length=5), default=Direction.IN)
    slot: Mapped[str] = mapped_column(String(80))
    source: Mapped[CheckInSource] = mapped_column(string_enum(CheckInSource, "checkin_source", length=20), default=CheckInSource.SCAN)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when it happened (the device's time, corrected)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("scanner_devices.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    checkpoint: Mapped[Checkpoint] = relationship()
    ticket: Mapped[Ticket] = relationship()
    registration: Mapped[Registration] = relationship()
    device: Mapped[ScannerDevice | None] = relationship()
    user: Mapped[User | None] = relationship()


class Scan(db.Model):
    """Every scan, the refused ones too: device, staff, gate, time, the raw code and the verdict.

    `nonce` is the client's idempotency key: the same nonce again returns the stored verdict.
    `device_time` is what the device's clock said; `scanned_at` is that time corrected by the
    device's clock offset measured at upload (offline scans), or the server's time (online).
    `sync_conflict` marks a scan a sync contradicted or changed: an offline scan the device showed as
    admitted that the server found already admitted elsewhere, an admission set aside as a duplicate of
    an earlier scan synced later, or a scan recorded later after all (movements.py; counted apart in
    checkin_admin.SyncConflicts): shown to organizers, never hidden.
    """

    __tablename__ = "scans"
    __table_args__ = (
        UniqueConstraint("event_id", "nonce", name="uq_scans_event_nonce"),
        Index("ix_scans_event_scanned_at", "event_id", "scanned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64))
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("scanner_devices.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    staff_name: Mapped[str] = mapped_column(String(200), default="")
    direction: Mapped[Direction] = mapped_column(string_enum(Direction, "scan_direction", length=5), default=Direction.IN)
    source: Mapped[CheckInSource] = mapped_column(string_enum(CheckInSource, "scan_source", length=20), default=CheckInSource.SCAN)
    raw_code: Mapped[str] = mapped_column(String(300), default="")  # as sent, cut at 300 characters
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))
    result: Mapped[ScanResult] = mapped_column(string_enum(ScanResult, "scan_result", length=30))
    detail: Mapped[str] = mapped_column(String(200), default="")  # for people: "cancelled", "event 12", …
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="SET NULL"))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    offline: Mapped[bool] = mapped_column(default=False)
    clock_offset_seconds: Mapped[int | None] = mapped_column()  # server minus device, at upload
    local_result: Mapped[str | None] = mapped_column(String(30))  # what an offline device showed
    sync_conflict: Mapped[bool] = mapped_column(default=False)

    checkpoint: Mapped[Checkpoint | None] = relationship()
    device: Mapped[ScannerDevice | None] = relationship()
    checkin: Mapped[CheckIn | None] = relationship()
    registration: Mapped[Registration | None] = relationship()


class CheckInChange(db.Model):
    """The log of every change to a check-in after it was made: undo by staff, correction by organizers."""

    __tablename__ = "checkin_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"), index=True)
    action: Mapped[ChangeAction] = mapped_column(string_enum(ChangeAction, "checkin_change_action", length=20))
    reason: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("scanner_devices.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    checkin: Mapped[CheckIn] = relationship()
    user: Mapped[User | None] = relationship()
    device: Mapped[ScannerDevice | None] = relationship()


certificate_checkpoints = Table(
    "certificate_rule_checkpoints",
    db.metadata,
    Column("event_id", ForeignKey("certificate_rules.event_id", ondelete="CASCADE"), primary_key=True),
    Column("checkpoint_id", ForeignKey("checkpoints.id", ondelete="CASCADE"), primary_key=True),
)


class CertificateRule(db.Model):
    """Who earns a certificate of attendance: checked in at least `minimum` of the listed checkpoints
    (all of them when `minimum` is None), e.g. both FGD days."""

    __tablename__ = "certificate_rules"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    minimum: Mapped[int | None] = mapped_column()
    title: Mapped[str] = mapped_column(String(200), default="")  # "Sertifikat Kehadiran" if empty
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_position: Mapped[str] = mapped_column(String(200), default="")

    checkpoints: Mapped[list[Checkpoint]] = relationship(secondary=certificate_checkpoints, order_by=Checkpoint.position)


class Certificate(db.Model):
    """A certificate issued to one registration; `code` opens its public verification page."""

    __tablename__ = "attendance_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # random, in the QR's URL
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    registration: Mapped[Registration] = relationship()
