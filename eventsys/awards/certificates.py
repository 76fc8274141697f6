"""Piagam penghargaan: one per winner of a locked award programme, with a public code, a PDF and verification.

Issuing is idempotent and safe when two organizers issue at once: each winner's code is set by a
conditional UPDATE (`... WHERE certificate_code IS NULL`), so the second writer changes nothing
and the first code stays; the unique constraint on the code settles the (astronomically rare)
case of one code drawn twice, inside a savepoint, and a new one is drawn.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from eventsys.awards import show_wording as wording
from eventsys.awards.models import AwardCategory, JudgingState, Nomination, Winner
from eventsys.awards.services import audit, programme_for
from eventsys.config import LANGUAGES
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_date, local_time
from eventsys.core.mail import public_url
from eventsys.core.pdf import data_uri, render_pdf
from eventsys.core.qr import qr_svg
from eventsys.core.rules import RuleViolation
from eventsys.core.storage import get_storage
from eventsys.core.verification import display_code, new_code, normalize_code
from eventsys.events.models import Event

ISSUE_ATTEMPTS = 3
LOGO_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif", "image/svg+xml"}


# Who gets a piagam


def winners_of(session: Session, event: Event) -> list[Winner]:
    """Every winner of the night, category by category (their order), best place first."""
    return list(
        session.scalars(
            select(Winner)
            .join(AwardCategory, AwardCategory.id == Winner.category_id)
            .where(AwardCategory.event_id == event.id)
            .options(selectinload(Winner.category), selectinload(Winner.nomination).selectinload(Nomination.organization))
            .order_by(AwardCategory.position, AwardCategory.id, Winner.rank, Winner.id)
            .execution_options(populate_existing=True)
        )
    )


def winner_of_event(session: Session, event: Event, winner_id: int) -> Winner | None:
    winner = session.get(Winner, winner_id, populate_existing=True)
    return winner if winner is not None and winner.category.event_id == event.id else None


def require_locked(session: Session, event: Event) -> None:
    if programme_for(session, event).state != JudgingState.LOCKED:
        raise RuleViolation(_("Certificates are issued once the results are locked. Lock the results first."))


def _set_code(session: Session, winner_id: int) -> bool:
    """Give the winner a code unless it has one; True when this call gave it."""
    for _attempt in range(ISSUE_ATTEMPTS):
        try:
            with session.begin_nested():
                result = session.execute(
                    update(Winner)
                    .where(Winner.id == winner_id, Winner.certificate_code.is_(None))
                    .values(certificate_code=new_code(), certificate_issued_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
            return result.rowcount == 1
        except IntegrityError:  # the code was drawn before: draw again
            continue
    raise RuntimeError("could not draw a unique certificate code")


def issue_all(session: Session, event: Event, user=None) -> int:
    """A piagam code for every winner without one; how many were made (0 when all have one)."""
    require_locked(session, event)
    made = [w for w in winners_of(session, event) if w.certificate_code is None and _set_code(session, w.id)]
    if made:
        audit(session, event, user, "certificate", issued=[w.id for w in made])
    session.expire_all()
    return len(made)


def issue_one(session: Session, event: Event, winner: Winner, user=None) -> Winner:
    """The winner's piagam code, made now if missing (the download of one piagam issues it)."""
    if winner.certificate_code is None:
        require_locked(session, event)
        if _set_code(session, winner.id):
            audit(session, event, user, "certificate", issued=[winner.id])
        session.refresh(winner)
    return winner


def winner_by_code(session: Session, text: str) -> Winner | None:
    code = normalize_code(text)
    if not code:
        return None
    return session.scalar(
        select(Winner)
        .where(Winner.certificate_code == code)
        .options(selectinload(Winner.category), selectinload(Winner.nomination).selectinload(Nomination.organization))
    )


def verification_url(winner: Winner) -> str:
    """The public page the piagam's QR opens, on PUBLIC_BASE_URL like every printed link."""
    return public_url(url_for("awards_show_views.piagam", code=winner.certificate_code))


# The PDF


def piagam_locale(requested: str | None, user=None) -> str:
    """The `lang` asked for, else the organizer's language, else the default (Indonesian)."""
    if requested in LANGUAGES:
        return requested
    locale = getattr(user, "locale", None) if getattr(user, "is_authenticated", False) else None
    return locale if locale in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "id")


def _logo_uri(winner: Winner) -> str | None:
    organization = wording.region_of(winner)
    if not organization.logo_key or organization.logo_content_type not in LOGO_TYPES:
        return None
    try:
        return data_uri(organization.logo_content_type, get_storage(current_app).read(organization.logo_key))
    except (OSError, ValueError):  # a logo missing from storage leaves the piagam without it
        return None


@dataclass
class PiagamText:
    """What one piagam says, in the language it is rendered in (also the public page's facts)."""

    region: str
    awardee_person: str
    award: str
    recipient: str
    citation: str
    place_date: str


def piagam_text(winner: Winner, event: Event) -> PiagamText:
    city = event.venue.city if event.venue and event.venue.city else ""
    day = local_date(event.starts_at, event.timezone)
    return PiagamText(
        region=wording.region_government(wording.region_of(winner)),
        awardee_person=wording.awardee_person(winner),
        award=wording.award_title(winner),
        recipient=wording.recipient_line(winner),
        citation=(winner.citation or "").strip(),
        place_date=f"{city}, {day}" if city else day,
    )


def _page_html(winner: Winner, event: Event, programme, locale: str) -> str:
    url = verification_url(winner)
    return current_app.jinja_env.get_template("awards/piagam_page.html").render(
        lang=locale,
        winner=winner,
        event=event,
        programme=programme,
        text=piagam_text(winner, event),
        code=display_code(winner.certificate_code),
        url=url,
        qr_uri=data_uri("image/svg+xml", qr_svg(url)),
        logo_uri=_logo_uri(winner),
        issued_on=local_date(winner.certificate_issued_at or utcnow(), event.timezone),
        local_time=local_time,
    )


def piagam_pdf(session: Session, event: Event, winners: list[Winner], locale: str) -> bytes:
    """One A4 landscape page per winner (each must have its code)."""
    if not winners or any(w.certificate_code is None for w in winners):
        raise ValueError("only issued certificates are printed")
    programme = programme_for(session, event)
    with force_locale(locale):
        pages = [_page_html(w, event, programme, locale) for w in winners]
        html = current_app.jinja_env.get_template("awards/piagam_pdf.html").render(lang=locale, pages=pages, event=event)
    return render_pdf(html)


def piagam_filename(winner: Winner) -> str:
    """ "piagam-smart-governance-kab-cirebon.pdf" (the category's and the region's names)."""
    category = slugify(winner.category.name, max_length=60) or f"kategori-{winner.category_id}"
    region = slugify(wording.region_of(winner).name, max_length=60) or f"wilayah-{winner.id}"
    rank = f"-{winner.rank}" if (winner.category.winners_count or 1) > 1 else ""
    return f"piagam-{category}{rank}-{region}.pdf"


def piagam_zip(session: Session, event: Event, locale: str) -> bytes:
    """Every issued piagam of the night as its own PDF in one ZIP file."""
    winners = [w for w in winners_of(session, event) if w.certificate_code is not None]
    if not winners:
        raise RuleViolation(_("No certificate has been issued yet. Issue them first."))
    out = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for winner in winners:
            name = piagam_filename(winner)
            if name in used:  # two categories whose names slugify alike
                name = name.removesuffix(".pdf") + f"-{winner.id}.pdf"
            used.add(name)
            archive.writestr(name, piagam_pdf(session, event, [winner], locale))
    return out.getvalue()
