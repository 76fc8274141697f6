"""`flask seed-demo` schedules and publishes the 2017 exposé night: 25 regions in four blocks, no hard violations."""
from collections import Counter

from sqlalchemy import select

from eventsys.events.models import AgendaSession, Event, SessionType
from eventsys.exposes import publishing, services
from eventsys.exposes.models import BlockPanel, RuleSeverity
from eventsys.extensions import db
from tests.helpers import fresh


def test_seed_demo_publishes_the_exposé_night_as_version_1(runner, app, tmp_path):
    app.config["DEMO_LOGINS_FILE"] = str(tmp_path / "demo-logins.txt")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    session = fresh()
    event = session.scalar(select(Event).where(Event.slug == "ekspos-malam-penghargaan-smart-city-2017"))
    version = publishing.latest_version(session, event)
    assert version is not None and version.number == 1
    assert len(version.slots) == 25 and len({s.presenter_id for s in version.slots}) == 25
    assert [v for v, severity in services.draft_violations(session, event) if severity == RuleSeverity.BLOCK] == []
    blocks = {b.id: b for b in session.scalars(select(AgendaSession).where(
        AgendaSession.event_id == event.id, AgendaSession.session_type == SessionType.EXPOSE_BLOCK))}
    for slot in version.slots:
        block = blocks[slot.block_id]
        assert block.starts_at <= slot.starts_at and slot.ends_at <= block.ends_at, slot.organization_name
        assert slot.room_name == block.room.name
    assert sorted(Counter(blocks[s.block_id].title for s in version.slots).values()) == [6, 6, 6, 7]
    by_room = {}
    for slot in sorted(version.slots, key=lambda s: s.starts_at):
        previous = by_room.get(slot.room_name)
        assert previous is None or previous.ends_at <= slot.starts_at, slot.organization_name
        by_room[slot.room_name] = slot
    cirebon = next(s for s in version.slots if s.organization_name == "Kota Cirebon")
    assert (cirebon.person_name, cirebon.person_title) == ("Drs. Nasrudin Azis, SH", "Wali Kota Cirebon")
    bojonegoro = next(s for s in version.slots if s.organization_name == "Kab. Bojonegoro")
    assert (bojonegoro.person_name, bojonegoro.person_title) == ("Drs. H. Suyoto, M.Si", "Bupati Bojonegoro")
    assert next(s for s in version.slots if s.organization_name == "Kab. Banyuwangi").person_name == "Bupati Banyuwangi"
    assert session.scalar(select(db.func.count(BlockPanel.session_id)).where(BlockPanel.session_id.in_(blocks))) == 4
