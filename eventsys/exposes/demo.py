"""The demo's exposé night (15 November 2017): 25 regional heads in four blocks, auto-scheduled and published as version 1.

Blocks I and III are in the Ballroom (90 and 105 minutes), II and IV in Ruang Sidang 1, with six or
seven regions each in the protocol order of the agenda. 10 minutes talk + 5 Q&A + 2 changeover would
not fit (six take 6 × 15 + 5 × 2 = 100 of 90 minutes), so the demo runs 10 + 3 + 2: a presenter every
15 minutes, six in 88 minutes and seven in 103.
"""
from __future__ import annotations

from datetime import datetime

from eventsys.core.rules import RuleViolation
from eventsys.core.timezones import local_to_utc
from eventsys.demo_data import EXPOSE_REGIONS
from eventsys.events.models import Event, Organization, OrganizationKind
from eventsys.exposes import presenters, publishing, services
from eventsys.exposes.models import OrderPreference, RuleSeverity
from eventsys.extensions import db

# Regions 1–6 present in block I, 7–12 in II, 13–19 in III, 20–25 in IV (as eventsys/demo_data.py lists them).
BALLROOM, SIDANG = "Ballroom", "Ruang Sidang 1"
ROOM_OF_RANK = [BALLROOM] * 6 + [SIDANG] * 6 + [BALLROOM] * 7 + [SIDANG] * 6
HEADS = {"Kota Cirebon": "Drs. Nasrudin Azis, SH", "Kab. Bojonegoro": "Drs. H. Suyoto, M.Si"}
# Kab. Mimika's delegation flies in from Timika and lands in the afternoon: it can present from 16:00 only.
AVAILABLE_FROM = {"Kab. Mimika": datetime(2017, 11, 15, 16, 0)}
CONFIRMED = ("Kota Cirebon", "Kab. Bojonegoro", "Kota Semarang", "Kab. Banyuwangi", "Kota Makassar", "Kota Bandung")
PANELS = {
    "Ekspos Masterplan Blok I": ("Perwakilan Direktorat LAIP", ["Tim Pakar Gerakan Menuju 100 Smart City", "Perwakilan Bappenas"]),
    "Ekspos Masterplan Blok II": ("Perwakilan Direktorat LAIP", ["Tim Pakar Gerakan Menuju 100 Smart City", "Perwakilan Kemendagri"]),
    "Ekspos Masterplan Blok III": ("Perwakilan Direktorat LAIP", ["Tim Pakar Gerakan Menuju 100 Smart City", "Perwakilan Kementerian PUPR"]),
    "Ekspos Masterplan Blok IV": ("Perwakilan Direktorat LAIP", ["Tim Pakar Gerakan Menuju 100 Smart City", "Perwakilan KSP"]),
}


def _head_title(region: str, kind: OrganizationKind) -> str:
    return ("Bupati " if kind == OrganizationKind.KABUPATEN else "Wali Kota ") + region.split(" ", 1)[1]


def _email(region: str) -> str:
    return "kepala.daerah@" + region.lower().replace("kab. ", "").replace("kota ", "").replace(" ", "") + ".go.id"


def load_expose_demo(events: dict[str, Event], organizations: dict[str, Organization]) -> None:
    event = events["expose2017"]
    zone = event.timezone
    services.save_programme(db.session, event, services.ProgrammeData(
        order_preference=OrderPreference.PROTOCOL, talk_minutes=10, qa_minutes=3, buffer_minutes=2, step_minutes=5,
        deck_deadline=None, deck_max_mb=50, severities={},  # no deadline, so the demo's portal still takes decks
    ))
    blocks = services.blocks_for(db.session, event)
    for block in blocks:
        moderator, members = PANELS.get(block.title, ("", []))
        services.save_panel(db.session, event, block.id, moderator, "\n".join(members))
    rooms = {b.room.name: b.room.id for b in blocks if b.room is not None}
    for rank, (region, kind, _province, _zone) in enumerate(EXPOSE_REGIONS, start=1):
        title = _head_title(region, kind)
        since = AVAILABLE_FROM.get(region)
        presenters.save_presenter(db.session, event, presenters.PresenterData(
            organization_id=organizations[region].id,
            person_name=HEADS.get(region, title),
            person_title=title if region in HEADS else "",
            email=_email(region),
            locale="id",
            protocol_rank=rank,
            room_id=rooms[ROOM_OF_RANK[rank - 1]],
            available_from=local_to_utc(since, zone) if since else None,
        ))
    services.auto_schedule(db.session, event)
    blocking = [v for v, severity in services.draft_violations(db.session, event) if severity == RuleSeverity.BLOCK]
    if blocking:
        raise RuleViolation(f"the demo exposé schedule breaks {len(blocking)} blocking rules")
    version = publishing.publish(db.session, event, None, note="Jadwal ekspos masterplan smart city, 15 November 2017.")
    for presenter in services.presenters_for(db.session, event):
        if presenter.organization.name in CONFIRMED and publishing.slot_of(version, presenter.id) is not None:
            presenter.confirmed_version, presenter.confirmed_at = version.number, version.published_at
    db.session.flush()

