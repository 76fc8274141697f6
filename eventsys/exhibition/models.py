"""Virtual exhibitions: pavilions, booths per organization, their programmes and media, and what visitors do.

An `Exhibition` belongs to one event and has an opening period: before it only the exhibitors and
organizers see it, during it visitors browse and vote, after it the hall stays as a read-only archive.
Every uploaded file is a `MediaItem` whose bytes live in the storage (never in the database) under a
random key; its content type is what the content check found, never what the browser said, and only
approved items are shown to visitors.
"""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsys.core.db import UTCDateTime, string_enum, utcnow
from eventsys.events.dimensions import Dimension, dimension_enum
from eventsys.events.models import Event, Organization
from eventsys.extensions import db


class MediaKind(enum.StrEnum):
    VIDEO = "video"  # MP4 or WebM in our storage
    POSTER = "poster"  # JPEG or PNG picture
    DOCUMENT = "document"  # a PDF poster or leaflet
    LINK = "link"  # a video elsewhere (YouTube, the region's own site): no bytes here


class MediaState(enum.StrEnum):
    PROCESSING = "processing"  # stored; thumbnail / duration / poster frame being made in a job
    PENDING = "pending"  # waiting for an organizer's review
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"  # the job could not read it (a truncated MP4, say); the exhibitor is told why


class MessageKind(enum.StrEnum):
    GUESTBOOK = "guestbook"  # public once the exhibitor approves it
    CONTACT = "contact"  # a private request to the exhibitor, never public


class MessageState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


# What processing can tell the exhibitor about a file (MediaItem.problem_code), kept as a code and
# translated when shown, so each reader sees it in their own language, whoever's request ran the job.
MEDIA_PROBLEMS = {
    "unprocessable": _l("The file could not be processed. Upload it again; if this keeps happening, tell the organizers."),
    "picture_damaged": _l("The picture could not be read; it may be damaged. Save it again as JPEG or PNG."),
    "pdf_unreadable": _l("The PDF could not be opened; it may be damaged or locked with a password. Save it again without a password."),
    "pdf_empty": _l("The PDF has no pages."),
    "pdf_page_damaged": _l("The first page of the PDF could not be drawn; it may be damaged. Save it again as PDF."),
    "video_truncated": _l("The video file is incomplete: it was cut off while being saved or copied. Export it again as MP4 (H.264) or WebM and upload the new file."),
    "video_no_picture": _l("The file contains no video picture. Export the video again as MP4 (H.264) or WebM."),
    "video_timeout": _l("Reading the video took too long. Export it again as MP4 (H.264) or WebM, shorter or smaller, and upload it again."),
    "video_damaged": _l("The video could not be read; it may be damaged. Export it again as MP4 (H.264) or WebM and upload the new file."),
    "video_hevc": _l("This video is HEVC (H.265): Firefox, and Chrome on computers without an HEVC decoder, cannot play it. "
                     "For every visitor, export it as MP4 (H.264); on an iPhone choose Settings › Camera › Formats › Most Compatible."),
}

DIMENSION_ORDER = list(Dimension)  # Governance, Branding, Economy, Living, Society, Environment

media_kind_enum = string_enum(MediaKind, "media_kind", length=12)
media_state_enum = string_enum(MediaState, "media_state", length=12)


class Exhibition(db.Model):
    """One per exhibition event: the opening period, upload limits and whether voting is on."""

    __tablename__ = "exhibitions"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: the event's start
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: the event's end; an archive after
    intro: Mapped[str] = mapped_column(Text, default="")
    max_video_mb: Mapped[int] = mapped_column(default=500)
    max_poster_mb: Mapped[int] = mapped_column(default=20)
    voting_enabled: Mapped[bool] = mapped_column(default=True)

    event: Mapped[Event] = relationship()


class Pavilion(db.Model):
    """A part of the hall: "Kabupaten/Kota", "Direktorat LAIP", "Startup"."""

    __tablename__ = "exhibition_pavilions"
    __table_args__ = (UniqueConstraint("event_id", "name", name="uq_exhibition_pavilions_event_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    booths: Mapped[list[Booth]] = relationship(back_populates="pavilion", order_by="Booth.name")


class Booth(db.Model):
    """One organization's stand in one exhibition, edited by that organization's exhibitors."""

    __tablename__ = "exhibition_booths"
    __table_args__ = (UniqueConstraint("event_id", "organization_id", name="uq_exhibition_booths_event_organization"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    pavilion_id: Mapped[int | None] = mapped_column(ForeignKey("exhibition_pavilions.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # the organization's name unless the exhibitor changes it
    tagline: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    logo_key: Mapped[str | None] = mapped_column(String(100))
    logo_content_type: Mapped[str | None] = mapped_column(String(50))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    organization: Mapped[Organization] = relationship()
    pavilion: Mapped[Pavilion | None] = relationship(back_populates="booths")
    dimensions: Mapped[list[BoothDimension]] = relationship(cascade="all, delete-orphan", order_by="BoothDimension.dimension")
    programmes: Mapped[list[QuickWin]] = relationship(back_populates="booth", cascade="all, delete-orphan", order_by="QuickWin.position")

    @property
    def dimension_values(self) -> list[Dimension]:
        """The booth's dimensions in the programme's official order (the Dimension enum's), as filters and forms list them."""
        return sorted((d.dimension for d in self.dimensions), key=DIMENSION_ORDER.index)


class BoothDimension(db.Model):
    """A Smart City dimension a booth is tagged with (filterable in the hall)."""

    __tablename__ = "exhibition_booth_dimensions"

    booth_id: Mapped[int] = mapped_column(ForeignKey("exhibition_booths.id", ondelete="CASCADE"), primary_key=True)
    dimension: Mapped[Dimension] = mapped_column(dimension_enum, primary_key=True, index=True)


class QuickWin(db.Model):
    """A quick-win programme a booth shows: "PSC 119", "Bus Wisata Cirebon Katon"."""

    __tablename__ = "exhibition_quick_wins"

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("exhibition_booths.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    dimension: Mapped[Dimension] = mapped_column(dimension_enum)
    description: Mapped[str] = mapped_column(Text, default="")
    responsible_opd: Mapped[str] = mapped_column(String(200), default="")  # the agency in charge, e.g. "Dinas Kesehatan"
    position: Mapped[int] = mapped_column(default=0)

    booth: Mapped[Booth] = relationship(back_populates="programmes")


class MediaItem(db.Model):
    """A video, poster, PDF or external video link of a booth, or a performance video of the stage (no booth)."""

    __tablename__ = "exhibition_media"
    __table_args__ = (Index("ix_exhibition_media_event_state", "event_id", "state"),
                      Index("ix_exhibition_media_booth_content", "booth_id", "content_sha256"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("exhibition_booths.id", ondelete="CASCADE"), index=True)
    on_stage: Mapped[bool] = mapped_column(default=False)  # a performance video of the stage section
    kind: Mapped[MediaKind] = mapped_column(media_kind_enum)
    state: Mapped[MediaState] = mapped_column(media_state_enum, default=MediaState.PROCESSING)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    dimension: Mapped[Dimension | None] = mapped_column(dimension_enum)
    quick_win_id: Mapped[int | None] = mapped_column(ForeignKey("exhibition_quick_wins.id", ondelete="SET NULL"))
    # The stored file (None for a link): key, the content type the check found, its size and a digest.
    file_key: Mapped[str | None] = mapped_column(String(100))
    content_type: Mapped[str | None] = mapped_column(String(50))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    # The digest of the bytes as uploaded (a poster is stored redrawn, a .mov rewritten): finds the same file
    # uploaded twice to a booth or the stage. None for links and for rows from before it was kept.
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(200), default="")  # shown only, cleaned; never a path
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    duration_seconds: Mapped[float | None] = mapped_column()
    thumb_key: Mapped[str | None] = mapped_column(String(100))  # a JPEG: poster thumbnail, PDF page 1, video frame
    external_url: Mapped[str | None] = mapped_column(String(500))
    # Why processing failed; for a file that works, what the exhibitor should know (an HEVC video): a MEDIA_PROBLEMS
    # code, shown in the reader's language by `problem`. Rows from before the codes hold the words themselves.
    problem_code: Mapped[str] = mapped_column("problem", Text, default="")
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booth: Mapped[Booth | None] = relationship()
    quick_win: Mapped[QuickWin | None] = relationship()

    @property
    def problem(self) -> str:
        """What processing found, in the current language (pages, and mails under force_locale)."""
        text = MEDIA_PROBLEMS.get(self.problem_code)
        return str(text) if text is not None else self.problem_code

    @problem.setter
    def problem(self, value: str) -> None:
        self.problem_code = value


class Upload(db.Model):
    """A chunked upload in progress: the bytes so far sit in a part file named after `token`.

    The browser sends chunks with their offset; after a dropped connection it asks how much arrived
    and goes on from there. When the last byte is in, the file is checked by content and becomes a
    MediaItem in the same transaction that deletes this row; a stale upload is swept with its part file.
    """

    __tablename__ = "exhibition_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # random, names the part file too
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("exhibition_booths.id", ondelete="CASCADE"), index=True)
    on_stage: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[MediaKind] = mapped_column(media_kind_enum)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    dimension: Mapped[Dimension | None] = mapped_column(dimension_enum)
    quick_win_id: Mapped[int | None] = mapped_column(ForeignKey("exhibition_quick_wins.id", ondelete="SET NULL"))
    original_name: Mapped[str] = mapped_column(String(200), default="")
    total_size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def _is_item_view(context) -> bool:
    """A row written without `item_view` is an item view when it names an item."""
    return context.get_current_parameters().get("media_id") is not None


class Visit(db.Model):
    """A visitor opened a booth page or played / opened one item (`item_view`).

    `media_id` names the item while it exists; deleting the item clears it (SET NULL), so its past views
    stay counted as item views of the booth and the event (`item_view` still says what they were).
    `visitor` is a keyed hash of a random first-party cookie, never an address or a name, so unique
    visitors can be counted without knowing who they are. `day` is the date in the event's zone.
    """

    __tablename__ = "exhibition_visits"
    __table_args__ = (
        Index("ix_exhibition_visits_booth_day", "booth_id", "day"),
        Index("ix_exhibition_visits_event_day", "event_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("exhibition_booths.id", ondelete="CASCADE"))
    media_id: Mapped[int | None] = mapped_column(ForeignKey("exhibition_media.id", ondelete="SET NULL"), index=True)
    item_view: Mapped[bool] = mapped_column(default=_is_item_view)  # False: a view of the booth page
    visitor: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the event's zone
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Vote(db.Model):
    """A people's-choice vote: one per confirmed email address per exhibition.

    The vote counts only once its address is confirmed through the link mailed to it (`confirmed_at`);
    the unique constraint on (event, email_hash) holds the one-vote rule under concurrent requests,
    and a vote may move to another booth by confirming again, never add a second one.
    """

    __tablename__ = "exhibition_votes"
    __table_args__ = (UniqueConstraint("event_id", "email_hash", name="uq_exhibition_votes_event_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    booth_id: Mapped[int] = mapped_column(ForeignKey("exhibition_booths.id", ondelete="CASCADE"), index=True)
    email_hash: Mapped[str] = mapped_column(String(64))  # keyed hash of the lower-cased address
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visitor: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoothMessage(db.Model):
    """A guestbook entry (public once approved by the exhibitor) or a private contact request."""

    __tablename__ = "exhibition_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("exhibition_booths.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MessageKind] = mapped_column(string_enum(MessageKind, "booth_message_kind", length=12))
    state: Mapped[MessageState] = mapped_column(string_enum(MessageState, "booth_message_state", length=12), default=MessageState.PENDING)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    organization: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
