"""Award nights: categories, nominations, judging, winners, who receives, certificates, run-of-show, poll.

The judging flow of an `AwardProgramme` moves one way: setup → judging → closed → locked. The
tie-break rule is chosen during setup and cannot change once judging opens; once results are
locked no score or winner changes, and every change before that is written to `AwardAudit`.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsys.core.db import UTCDateTime, string_enum, utcnow
from eventsys.events.dimensions import Dimension, dimension_enum
from eventsys.events.models import Event, Organization
from eventsys.extensions import db


class JudgingState(enum.StrEnum):
    SETUP = "setup"  # categories, criteria, jurors, tie-break may change
    JUDGING = "judging"  # jurors score; the tie-break is fixed
    CLOSED = "closed"  # no more scores; organizers choose winners and citations
    LOCKED = "locked"  # results final; published or ready to publish, nothing changes


class NominationSource(enum.StrEnum):
    ORGANIZER = "organizer"
    SELF = "self"  # the region nominated itself in the nomination window


class NominationState(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"  # goes to the jurors
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class CueKind(enum.StrEnum):
    OPENING = "opening"
    ANTHEM = "anthem"  # Indonesia Raya
    WELCOME = "welcome"
    SPEECH = "speech"
    NOMINEES = "nominees"
    REVEAL = "reveal"
    TO_STAGE = "to_stage"  # the recipient comes to the stage
    PHOTO = "photo"
    PERFORMANCE = "performance"
    BREAK = "break"
    CLOSING = "closing"
    OTHER = "other"


class PollRating(enum.StrEnum):
    SANGAT_PUAS = "sangat_puas"
    PUAS = "puas"
    CUKUP_PUAS = "cukup_puas"
    TIDAK_PUAS = "tidak_puas"


class AwardProgramme(db.Model):
    """One per award night: the nomination window, the judging state and the rules chosen before judging."""

    __tablename__ = "award_programmes"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[JudgingState] = mapped_column(string_enum(JudgingState, "judging_state", length=10), default=JudgingState.SETUP)
    nominations_open_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # regions may nominate themselves in this window
    nominations_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    judging_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    normalize_scores: Mapped[bool] = mapped_column(default=False)  # z-scores per juror before averaging
    # Tie-break, in order, e.g. "criterion:12,first_places,lowest_spread"; fixed once judging opens.
    tie_break: Mapped[str] = mapped_column(String(200), default="first_places")
    one_award_per_region: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signatory_name: Mapped[str] = mapped_column(String(200), default="")  # who signs the piagam
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    show_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the run-of-show's planned start (else the event's)

    event: Mapped[Event] = relationship()


class AwardCategory(db.Model):
    """An award: one of the six dimensions or another ("Masterplan Terbaik")."""

    __tablename__ = "award_categories"
    __table_args__ = (UniqueConstraint("event_id", "name", name="uq_award_categories_event_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    dimension: Mapped[Dimension | None] = mapped_column(dimension_enum)
    description: Mapped[str] = mapped_column(Text, default="")
    winners_count: Mapped[int] = mapped_column(default=1)  # places awarded (1: "terbaik"; 3: I, II, III)
    position: Mapped[int] = mapped_column(default=0)

    nominations: Mapped[list[Nomination]] = relationship(back_populates="category", cascade="all, delete-orphan")
    criteria: Mapped[list[Criterion]] = relationship(back_populates="category", cascade="all, delete-orphan", order_by="Criterion.position")


class Criterion(db.Model):
    """A weighted criterion of one category's judging, scored on [scale_min, scale_max]."""

    __tablename__ = "award_criteria"
    __table_args__ = (UniqueConstraint("category_id", "name", name="uq_award_criteria_category_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("award_categories.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))  # "Inovasi", "Dampak", "Keberlanjutan"
    weight: Mapped[int] = mapped_column()  # weights of a category add up to 100
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=10)
    position: Mapped[int] = mapped_column(default=0)

    category: Mapped[AwardCategory] = relationship(back_populates="criteria")


class EligibleOrganization(db.Model):
    """An organization that may be nominated at this award night (none listed: every region may)."""

    __tablename__ = "award_eligible_organizations"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)


class Nomination(db.Model):
    __tablename__ = "award_nominations"
    __table_args__ = (UniqueConstraint("category_id", "organization_id", name="uq_award_nominations_category_organization"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("award_categories.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    source: Mapped[NominationSource] = mapped_column(string_enum(NominationSource, "nomination_source", length=10))
    state: Mapped[NominationState] = mapped_column(string_enum(NominationState, "nomination_state", length=10), default=NominationState.SUBMITTED)
    title: Mapped[str] = mapped_column(String(200), default="")  # the programme nominated, e.g. "PSC 119"
    statement: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[AwardCategory] = relationship(back_populates="nominations")
    organization: Mapped[Organization] = relationship()
    documents: Mapped[list[NominationDocument]] = relationship(cascade="all, delete-orphan", order_by="NominationDocument.id")


class NominationDocument(db.Model):
    """A supporting document (PDF, picture) of a nomination, in the storage under a random key."""

    __tablename__ = "award_nomination_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("award_nominations.id", ondelete="CASCADE"), index=True)
    file_key: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Juror(db.Model):
    """A juror of this award night, with the organization and province they come from (for recusal)."""

    __tablename__ = "award_jurors"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_award_jurors_event_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    province: Mapped[str | None] = mapped_column(String(100))
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
    organization: Mapped[Organization | None] = relationship()
    categories: Mapped[list[JurorCategory]] = relationship(cascade="all, delete-orphan")


class JurorCategory(db.Model):
    """A juror scores the nominations of this category."""

    __tablename__ = "award_juror_categories"

    juror_id: Mapped[int] = mapped_column(ForeignKey("award_jurors.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("award_categories.id", ondelete="CASCADE"), primary_key=True)


class JurorInvitation(db.Model):
    """What the organizer entered when inviting a new address as juror; the Juror row takes it once the invitation is accepted."""

    __tablename__ = "award_juror_invitations"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    province: Mapped[str | None] = mapped_column(String(100))
    category_ids: Mapped[str] = mapped_column(String(1000), default="")  # "3,5,8"; ids of this event's categories


class Conflict(db.Model):
    """A declared conflict of interest: the juror does not score this nomination, as with recusal."""

    __tablename__ = "award_conflicts"

    juror_id: Mapped[int] = mapped_column(ForeignKey("award_jurors.id", ondelete="CASCADE"), primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("award_nominations.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Score(db.Model):
    __tablename__ = "award_scores"
    __table_args__ = (UniqueConstraint("juror_id", "nomination_id", "criterion_id", name="uq_award_scores_juror_nomination_criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey("award_jurors.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("award_nominations.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("award_criteria.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Numeric(6, 2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Winner(db.Model):
    """A place in a category, and who receives it on the night.

    The awardee is the nominated organization (a region, represented by its head, e.g. the Bupati);
    the recipient is the person who walks to the stage (e.g. the Kepala Diskominfo "atas nama Bupati"),
    with the letter of mandate (surat kuasa) when they receive on someone's behalf.
    """

    __tablename__ = "award_winners"
    __table_args__ = (UniqueConstraint("category_id", "rank", name="uq_award_winners_category_rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("award_categories.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("award_nominations.id", ondelete="RESTRICT"), unique=True)
    rank: Mapped[int] = mapped_column(default=1)
    citation: Mapped[str] = mapped_column(Text, default="")
    awardee_name: Mapped[str] = mapped_column(String(200), default="")  # the region's head: "H. Imron, M.Ag."
    awardee_title: Mapped[str] = mapped_column(String(200), default="")  # "Bupati Cirebon"
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    recipient_position: Mapped[str] = mapped_column(String(200), default="")
    on_behalf_of: Mapped[str] = mapped_column(String(200), default="")  # "atas nama Bupati Cirebon"
    mandate_key: Mapped[str | None] = mapped_column(String(100))  # the letter of mandate (PDF/picture)
    mandate_content_type: Mapped[str | None] = mapped_column(String(50))
    recipient_registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))
    certificate_code: Mapped[str | None] = mapped_column(String(32), unique=True)  # the piagam's public code
    certificate_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[AwardCategory] = relationship()
    nomination: Mapped[Nomination] = relationship()


class AwardAudit(db.Model):
    """Every change to scores, conflicts, winners, state and publication, with who and when."""

    __tablename__ = "award_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))  # "score", "conflict", "winner", "state", "publish", …
    detail: Mapped[str] = mapped_column(Text, default="")  # JSON: what changed, before and after
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cue(db.Model):
    """One step of the run-of-show, in `position` order; start times are computed from durations."""

    __tablename__ = "award_cues"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    kind: Mapped[CueKind] = mapped_column(string_enum(CueKind, "cue_kind", length=12))
    title: Mapped[str] = mapped_column(String(200))
    planned_seconds: Mapped[int] = mapped_column(default=60)
    presenter: Mapped[str] = mapped_column(String(200), default="")  # MC or who speaks / hands over
    winner_id: Mapped[int | None] = mapped_column(ForeignKey("award_winners.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("award_categories.id", ondelete="SET NULL"))
    stage_notes: Mapped[str] = mapped_column(Text, default="")
    media_cue: Mapped[str] = mapped_column(String(200), default="")  # "VT nominees Smart Governance", "lagu Indonesia Raya"
    script: Mapped[str] = mapped_column(Text, default="")  # what the MC says
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the operator reached it on the night
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    winner: Mapped[Winner | None] = relationship()
    category: Mapped[AwardCategory | None] = relationship()


class StageState(db.Model):
    """Where the night is: the current cue and a version that each operator step bumps (screens poll it)."""

    __tablename__ = "award_stage_states"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    current_cue_id: Mapped[int | None] = mapped_column(ForeignKey("award_cues.id", ondelete="SET NULL"))
    show_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    current_cue: Mapped[Cue | None] = relationship()


class PollAnswer(db.Model):
    """A satisfaction poll answer after an event: one per ticket (registration), held by a unique constraint."""

    __tablename__ = "poll_answers"
    __table_args__ = (UniqueConstraint("registration_id", name="uq_poll_answers_registration"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    rating: Mapped[PollRating] = mapped_column(string_enum(PollRating, "poll_rating", length=12))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
