"""The satisfaction poll after an event: one answer per ticket, results as percentages and a bar chart.

The poll opens when the event starts and closes POLL_DAYS_AFTER days after it ends. One answer per
registration is a unique constraint, not a read-then-write: a second (or a simultaneous) answer
fails on it and is reported with the date of the first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from eventsys.awards.models import PollAnswer, PollRating
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_datetime
from eventsys.core.rules import RuleViolation
from eventsys.core.tabular import safe_cell, template_csv
from eventsys.events.models import Event
from eventsys.registration import tickets
from eventsys.registration.models import Registration, RegistrationState

POLL_DAYS_AFTER = 14
MAX_COMMENT = 2000

RATING_LABELS = {  # Indonesian: Sangat Puas, Puas, Cukup Puas, Tidak Puas
    PollRating.SANGAT_PUAS: _l("Very satisfied"),
    PollRating.PUAS: _l("Satisfied"),
    PollRating.CUKUP_PUAS: _l("Fairly satisfied"),
    PollRating.TIDAK_PUAS: _l("Not satisfied"),
}
RATINGS = list(RATING_LABELS)  # best first
RATING_COLORS = {PollRating.SANGAT_PUAS: "#047857", PollRating.PUAS: "#65a30d", PollRating.CUKUP_PUAS: "#d97706",
                 PollRating.TIDAK_PUAS: "#b91c1c"}


def window(event: Event) -> tuple[datetime, datetime]:
    return event.starts_at, event.ends_at + timedelta(days=POLL_DAYS_AFTER)


def window_problem(event: Event, now: datetime | None = None) -> str | None:
    now = now or utcnow()
    opens, closes = window(event)
    if now < opens:
        return _("The poll opens when the event starts, on %(when)s.", when=local_datetime(opens, event.timezone))
    if now > closes:
        return _("The poll closed on %(when)s.", when=local_datetime(closes, event.timezone))
    return None


def registration_by_code(session: Session, event: Event, code: str, email: str) -> Registration:
    """The registration whose ticket has this desk code and whose email matches; one message for any mismatch."""
    ticket = tickets.ticket_by_code(session, event, code)
    registration = ticket.registration if ticket is not None else None
    if registration is None or registration.email.strip().lower() != (email or "").strip().lower():
        raise RuleViolation(_("No ticket of this event has that code and email. Check both against your ticket."))
    return registration


def answer_of(session: Session, registration: Registration) -> PollAnswer | None:
    return session.scalar(select(PollAnswer).where(PollAnswer.registration_id == registration.id))


def already_answered(answer: PollAnswer, event: Event) -> RuleViolation:
    return RuleViolation(_("You already answered this poll on %(when)s. Thank you!", when=local_datetime(answer.created_at, event.timezone)))


def submit(session: Session, event: Event, registration: Registration, rating: str, comment: str = "",
           now: datetime | None = None) -> PollAnswer:
    """Store the ticket's one answer; refused outside the window, for a cancelled ticket, or when it answered before."""
    now = now or utcnow()
    if registration.event_id != event.id:
        raise RuleViolation(_("This ticket belongs to another event."))
    problem = window_problem(event, now)
    if problem:
        raise RuleViolation(problem)
    if registration.state == RegistrationState.CANCELLED:
        raise RuleViolation(_("This registration was cancelled, so it cannot answer the poll."))
    if registration.state != RegistrationState.CONFIRMED:
        raise RuleViolation(_("Only confirmed tickets can answer the poll."))
    try:
        rating = PollRating(rating)
    except ValueError:
        raise RuleViolation(_("Choose one of the four answers."), "rating") from None
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise RuleViolation(_("The comment may be at most %(max)d characters long.", max=MAX_COMMENT), "comment")
    answer = PollAnswer(event_id=event.id, registration_id=registration.id, rating=rating, comment=comment, created_at=now)
    try:
        with session.begin_nested():  # the constraint decides; a savepoint keeps the caller's transaction usable
            session.add(answer)
    except IntegrityError:
        first = answer_of(session, registration)
        if first is None:
            raise
        raise already_answered(first, event) from None
    return answer


@dataclass
class RatingRow:
    rating: PollRating
    label: str
    count: int
    percent: int
    color: str


@dataclass
class Results:
    total: int
    rows: list[RatingRow]
    answers: list[PollAnswer]

    @property
    def comments(self) -> list[PollAnswer]:
        return [a for a in self.answers if a.comment]


def largest_remainder(counts: list[int], total: int = 100) -> list[int]:
    """Whole percentages that add up to `total` (Hamilton's method; ties go to the earlier entry)."""
    whole = sum(counts)
    if whole == 0:
        return [0] * len(counts)
    exact = [c * total / whole for c in counts]
    shares = [int(e) for e in exact]
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def results(session: Session, event: Event) -> Results:
    counts = dict(session.execute(
        select(PollAnswer.rating, func.count()).where(PollAnswer.event_id == event.id).group_by(PollAnswer.rating)
    ).all())
    numbers = [counts.get(r, 0) for r in RATINGS]
    percents = largest_remainder(numbers)
    rows = [RatingRow(r, str(RATING_LABELS[r]), n, p, RATING_COLORS[r]) for r, n, p in zip(RATINGS, numbers, percents, strict=True)]
    answers = list(session.scalars(select(PollAnswer).where(PollAnswer.event_id == event.id)
                                   .order_by(PollAnswer.created_at.desc(), PollAnswer.id.desc())))
    return Results(sum(numbers), rows, answers)


def chart(result: Results, width: int = 640, bar: int = 34, gap: int = 14, label_width: int = 130) -> dict:
    """Geometry of a horizontal bar chart (drawn as SVG by the template, no script)."""
    scale = width - label_width - 110
    bars = []
    for n, row in enumerate(result.rows):
        bars.append({"row": row, "y": n * (bar + gap), "width": round(scale * row.percent / 100, 1)})
    return {"width": width, "height": len(bars) * (bar + gap) - gap, "bar": bar, "label_width": label_width, "bars": bars}


def results_csv(session: Session, event: Event) -> bytes:
    """Every answer with its registrant, for a spreadsheet; text never runs as a formula."""
    rows = [[_("Answered at"), _("Name"), _("Organization"), _("Rating"), _("Comment")]]
    answers = session.execute(
        select(PollAnswer, Registration).join(Registration, Registration.id == PollAnswer.registration_id)
        .where(PollAnswer.event_id == event.id).order_by(PollAnswer.created_at, PollAnswer.id)
        .options(joinedload(Registration.organization))
    ).all()
    for answer, registration in answers:
        rows.append([local_datetime(answer.created_at, event.timezone), safe_cell(registration.name),
                     safe_cell(registration.organization_name), str(RATING_LABELS[answer.rating]), safe_cell(answer.comment)])
    return template_csv(rows)
