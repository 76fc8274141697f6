"""The printed programme booklet and the MC script of the award night, as PDF (A4 portrait)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from eventsys.awards import runofshow
from eventsys.awards import show_wording as wording
from eventsys.awards.certificates import winners_of
from eventsys.awards.models import Winner
from eventsys.awards.services import programme_for
from eventsys.core.i18n import local_date, local_time
from eventsys.core.pdf import render_pdf
from eventsys.core.timezones import zone_abbreviation
from eventsys.events.models import Event


@dataclass
class WinnerEntry:
    award: str
    region: str
    organization: str
    awardee: str
    recipient: str
    citation: str


@dataclass
class CategoryBlock:
    name: str
    winners: list[WinnerEntry]


def _place(event: Event) -> str:
    venue = event.venue
    return ", ".join(p for p in (venue.name, venue.address, venue.city) if p) if venue else ""


def _winner_blocks(session: Session, event: Event) -> list[CategoryBlock]:
    blocks: dict[int, CategoryBlock] = {}
    for winner in winners_of(session, event):
        block = blocks.setdefault(winner.category_id, CategoryBlock(wording.category_label(winner.category), []))
        block.winners.append(_entry(winner))
    return list(blocks.values())


def _entry(winner: Winner) -> WinnerEntry:
    return WinnerEntry(
        award=wording.award_title(winner),
        region=wording.region_government(wording.region_of(winner)),
        organization=wording.region_of(winner).name,
        awardee=wording.awardee_person(winner),
        recipient=wording.recipient_line(winner),
        citation=(winner.citation or "").strip(),
    )


def _common(session: Session, event: Event) -> dict:
    rundown = runofshow.rundown(session, event)
    return {
        "event": event,
        "programme": programme_for(session, event),
        "rundown": rundown,
        "day": local_date(rundown.starts_at, event.timezone),
        "zone": zone_abbreviation(event.timezone, rundown.starts_at),
        "place": _place(event),
        "time": lambda value: local_time(value, event.timezone, with_zone=False),
        "duration": runofshow.format_duration,
        "kind_labels": runofshow.CUE_KIND_LABELS,
        "recipient_of": runofshow.recipient_of,
    }


def booklet_pdf(session: Session, event: Event, locale: str, *, with_winners: bool = True) -> bytes:
    """Cover, rundown with times, and (unless left out for printing before the night) the winners with citations."""
    with force_locale(locale):
        html = current_app.jinja_env.get_template("awards/booklet_pdf.html").render(
            lang=locale, winners=_winner_blocks(session, event) if with_winners else [], with_winners=with_winners,
            **_common(session, event),
        )
    return render_pdf(html)


def script_pdf(session: Session, event: Event, locale: str) -> bytes:
    """Every cue with its time, title, presenter, media cue, stage notes and what the MC says."""
    with force_locale(locale):
        common = _common(session, event)
        scripts = {t.cue.id: runofshow.script_of(session, event, t.cue) for t in common["rundown"].cues}
        html = current_app.jinja_env.get_template("awards/script_pdf.html").render(lang=locale, scripts=scripts, **common)
    return render_pdf(html)
