"""Exposé programme: settings and panels, presenters and their checks, auto-scheduling, hand editing with warnings.

Requests go through `organizer_web` (a client of its own app instance); messages are compared with what
Flask-Babel makes of their msgid, so the tests hold once the Indonesian catalog exists.
"""
import io
import re
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from eventsys.core.i18n import local_datetime
from eventsys.core.rules import RuleViolation
from eventsys.exposes import ordering, scheduler, services
from eventsys.exposes.models import BlockPanel, ExposeProgramme, OrderPreference, Presenter, RuleSeverity, Slot
from tests.expose_helpers import block, organization, place, presenter, room, wib
from tests.helpers import field_errors, fresh, text, tr


def presenter_count() -> int:
    return fresh().scalar(select(func.count()).select_from(Presenter))


def slot_of(who) -> Slot | None:
    return fresh().get(Slot, who.id)


def when(app, moment) -> str:
    with app.test_request_context(), force_locale("id"):
        return local_datetime(moment, "Asia/Jakarta")


def presenter_form(org, **fields) -> dict:
    return {
        "organization_id": str(org.id), "person_name": "Drs. Nasrudin Azis, SH", "person_title": "Wali Kota Cirebon",
        "email": "walikota@cirebonkota.go.id", "locale": "id", "talk_minutes": "", "qa_minutes": "", "protocol_rank": "",
        "available_from": "", "available_until": "", "room_id": "0", "pinned_block_id": "0", "pinned_start": "",
    } | fields


# Settings and panels ----------------------------------------------------------------------------


def test_settings_are_saved_with_the_deadline_in_the_event_zone(organizer_web):
    web, event = organizer_web
    page = web.get(f"/manage/{event.slug}/expose/settings")
    assert page.status_code == 200 and 'value="10"' in text(page)  # the default talk length
    response = web.post(f"/manage/{event.slug}/expose/settings", data={
        "order_preference": "island", "talk_minutes": "12", "qa_minutes": "3", "buffer_minutes": "1", "step_minutes": "5",
        "deck_deadline": "2017-11-14T17:00", "deck_max_mb": "30", "overlap": "block", "outside_availability": "warn",
        "outside_block": "block", "double_booked": "block", "short_buffer": "ignore",
    })
    assert response.status_code == 302
    programme = fresh().get(ExposeProgramme, event.id)
    assert programme.order_preference == OrderPreference.ISLAND
    assert (programme.talk_minutes, programme.qa_minutes, programme.buffer_minutes, programme.deck_max_mb) == (12, 3, 1, 30)
    assert programme.deck_deadline == wib("17:00", day=14)
    assert programme.outside_availability == RuleSeverity.WARN and programme.short_buffer == RuleSeverity.IGNORE


def test_settings_out_of_range_are_refused_and_nothing_changes(app, organizer_web):
    web, event = organizer_web
    response = web.post(f"/manage/{event.slug}/expose/settings", data={
        "order_preference": "protocol", "talk_minutes": "0", "qa_minutes": "5", "buffer_minutes": "2", "step_minutes": "5",
        "deck_max_mb": "50", "overlap": "warn", "outside_availability": "block", "outside_block": "block",
        "double_booked": "block", "short_buffer": "warn",
    })
    assert response.status_code == 200
    assert field_errors(response, "talk_minutes") == [tr(app, "Enter a number of minutes from %(min)d to %(max)d.", min=1, max=240)]
    assert fresh().get(ExposeProgramme, event.id).overlap == RuleSeverity.BLOCK


def test_each_block_has_its_panel(app, organizer_web):
    web, event = organizer_web
    night = block(event)
    response = web.post(f"/manage/{event.slug}/expose/panels/{night.id}", data={
        f"panel{night.id}-moderator": "Prof. Suhono Harso Supangkat",
        f"panel{night.id}-members": "Dr. Ir. Ismail, Kominfo\n\n  Ir. Iing   Daiman, Kadis Kominfo Cirebon\n",
    })
    assert response.status_code == 302
    panel = fresh().get(BlockPanel, night.id)
    assert panel.moderator == "Prof. Suhono Harso Supangkat"
    assert services.panel_members(panel) == ["Dr. Ir. Ismail, Kominfo", "Ir. Iing Daiman, Kadis Kominfo Cirebon"]
    assert "Prof. Suhono Harso Supangkat" in text(web.get(f"/manage/{event.slug}/expose/settings"))

    too_many = "\n".join(f"Anggota {i}" for i in range(25))
    response = web.post(f"/manage/{event.slug}/expose/panels/{night.id}", data={f"panel{night.id}-members": too_many})
    assert field_errors(response, f"panel{night.id}-members") == [
        tr(app, "List at most 20 panel members, one a line, each under 300 characters.")
    ]
    assert services.panel_members(fresh().get(BlockPanel, night.id))[0] == "Dr. Ir. Ismail, Kominfo"


# Presenters -------------------------------------------------------------------------------------


def test_add_a_presenter_with_availability_and_room(organizer_web):
    web, event = organizer_web
    org = organization("Kota Cirebon")
    response = web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(
        org, talk_minutes="15", protocol_rank="3", available_from="2017-11-15T13:00", available_until="2017-11-15T16:00",
        room_id=str(room(event, "Ruang B").id), locale="en",
    ))
    assert response.status_code == 302, text(response)[:3000]
    [stored] = fresh().scalars(select(Presenter)).all()
    assert (stored.person_title, stored.talk_minutes, stored.qa_minutes, stored.protocol_rank) == ("Wali Kota Cirebon", 15, None, 3)
    assert (stored.available_from, stored.available_until) == (wib("13:00"), wib("16:00"))
    assert stored.room_id == room(event, "Ruang B").id and stored.locale == "en"
    listing = text(web.get(f"/manage/{event.slug}/expose/presenters"))
    assert "Kota Cirebon" in listing and "15 + 5" in listing


def test_availability_ending_before_it_starts_is_refused(app, organizer_web):
    web, event = organizer_web
    org = organization("Kab. Siak", "Riau")
    response = web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(
        org, available_from="2017-11-15T14:00", available_until="2017-11-15T13:00",
    ))
    assert response.status_code == 200
    assert field_errors(response, "available_until") == [tr(
        app, "“Available until” (%(until)s) must be later than “available from” (%(since)s).",
        until=when(app, wib("13:00")), since=when(app, wib("14:00")),
    )]
    assert presenter_count() == 0


def test_one_entry_per_organization(app, organizer_web):
    web, event = organizer_web
    presenter(event, "Kota Cirebon")
    org = organization("Kota Cirebon")
    response = web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(org))
    assert field_errors(response, "organization_id") == [
        tr(app, "%(name)s already presents at this event; edit its entry instead.", name="Kota Cirebon")
    ]
    assert presenter_count() == 1


def test_a_pin_puts_the_presenter_in_the_draft(organizer_web):
    web, event = organizer_web
    night = block(event, start="19:00", end="22:00")
    org = organization("Kota Cirebon")
    response = web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(
        org, pinned_block_id=str(night.id), pinned_start="19:30", talk_minutes="10", qa_minutes="5",
    ))
    assert response.status_code == 302, text(response)[:3000]
    stored = fresh().scalars(select(Presenter)).one()
    assert stored.pinned_start == wib("19:30")
    assert (slot_of(stored).starts_at, slot_of(stored).ends_at) == (wib("19:30"), wib("19:45"))


@pytest.mark.parametrize("pin, end", [("11:55", "12:10 WIB"), ("09:00", "09:15 WIB")])
def test_a_pin_outside_its_block_is_refused(app, organizer_web, pin, end):
    web, event = organizer_web
    morning = block(event, start="10:00", end="12:00")
    org = organization("Kab. Cirebon")
    response = web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(
        org, pinned_block_id=str(morning.id), pinned_start=pin,
    ))
    assert response.status_code == 200
    assert field_errors(response, "pinned_start") == [tr(
        app, "The pinned slot (%(start)s–%(end)s) does not fit in the block “%(block)s”, which runs %(block_start)s–%(block_end)s.",
        start=pin, end=end, block=morning.title, block_start="10:00", block_end="12:00 WIB",
    )]
    assert presenter_count() == 0


def test_a_pin_outside_the_availability_is_refused(app, organizer_web):
    web, event = organizer_web
    morning = block(event, start="10:00", end="12:00")
    org = organization("Kab. Cirebon")
    response = web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(
        org, pinned_block_id=str(morning.id), pinned_start="10:00", available_from="2017-11-15T11:00",
    ))
    assert field_errors(response, "pinned_start") == [tr(
        app, "The pinned slot (%(start)s–%(end)s) is outside the presenter's availability (%(window)s).",
        start="10:00", end="10:15 WIB", window=f"{when(app, wib('11:00'))} – …",
    )]
    assert presenter_count() == 0


def test_two_pins_overlapping_in_one_block_are_refused(app, organizer_web):
    web, event = organizer_web
    night = block(event, start="19:00", end="22:00")
    presenter(event, "Kota Cirebon", pinned_block_id=night.id, pinned_start=wib("19:30"))
    org = organization("Kota Makassar", "Sulawesi Selatan")
    response = web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(
        org, pinned_block_id=str(night.id), pinned_start="19:40",
    ))
    assert field_errors(response, "pinned_start") == [tr(
        app, "The pinned slot overlaps the slot pinned for %(other)s in “%(block)s” (%(start)s–%(end)s). Choose another time.",
        other="Kota Cirebon", block=night.title, start="19:30", end="19:45 WIB",
    )]
    assert presenter_count() == 1
    # Right after it, the changeover (2 minutes) is missing: the scheduler's own check says so.
    response = web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(
        org, pinned_block_id=str(night.id), pinned_start="19:45",
    ))
    assert field_errors(response, "pinned_start") == [tr(
        app, "%(name)s (%(slot)s) and %(other)s (%(other_slot)s) are pinned in %(room)s with less than the "
        "%(minutes)s-minute changeover between them.", name="Kota Makassar", slot="19:45–20:00 WIB", other="Kota Cirebon",
        other_slot="19:30–19:45 WIB", room="Ballroom", minutes=2,
    )]
    assert presenter_count() == 1
    assert web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(
        org, pinned_block_id=str(night.id), pinned_start="19:50",
    )).status_code == 302


def test_a_pin_in_another_room_than_the_required_one_is_refused(app, organizer_web):
    web, event = organizer_web
    ballroom = block(event, room_name="Ballroom")
    org = organization("Kota Cirebon")
    response = web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(
        org, room_id=str(room(event, "Ruang B").id), pinned_block_id=str(ballroom.id), pinned_start="10:00",
    ))
    assert field_errors(response, "pinned_block_id") == [tr(
        app, "The block “%(block)s” is in %(room)s, but this presenter must present in another room.",
        block=ballroom.title, room="Ballroom",
    )]
    assert presenter_count() == 0


def test_a_pin_needs_both_block_and_time(app, organizer_web):
    web, event = organizer_web
    block(event)
    org = organization("Kota Cirebon")
    response = web.post(f"/manage/{event.slug}/expose/presenters", data=presenter_form(org, pinned_start="10:00"))
    assert field_errors(response, "pinned_start") == [
        tr(app, "To pin a slot, choose both its block and its start time; to unpin, clear both.")
    ]
    assert presenter_count() == 0


def test_edit_and_remove_a_presenter(organizer_web):
    web, event = organizer_web
    morning = block(event)
    who = presenter(event, "Kota Cirebon")
    place(event, who, morning, "10:00")
    org = organization("Kota Cirebon")
    response = web.post(f"/manage/{event.slug}/expose/presenters/{who.id}", data=presenter_form(org, talk_minutes="20", qa_minutes="10"))
    assert response.status_code == 302
    assert slot_of(who).ends_at == wib("10:30")  # the draft slot follows the new length
    assert web.post(f"/manage/{event.slug}/expose/presenters/{who.id}/delete").status_code == 302
    assert presenter_count() == 0 and fresh().scalar(select(func.count()).select_from(Slot)) == 0


def test_island_groups_and_orders():
    assert ordering.island_of("jawa barat") == "Jawa" and ordering.island_of("Nusa Tenggara Barat") == "Bali & Nusa Tenggara"
    assert ordering.island_of("Papua Pegunungan") == "Papua" and ordering.island_of("Atlantis") is None
    assert all(ordering.island_of(p) in ordering.ISLAND_GROUPS for p in ordering.ISLAND_OF_PROVINCE)
    assert ordering.sort_name("Kab. Cirebon") == ordering.sort_name("Kota Cirebon") == "cirebon"


# Auto-scheduling --------------------------------------------------------------------------------


def grid_page(web, event) -> str:
    return text(web.get(f"/manage/{event.slug}/expose/"))


def test_auto_schedule_writes_a_draft_that_breaks_no_rule(app, organizer_web):
    web, event = organizer_web
    morning = block(event, title="Sesi 1", room_name="Ballroom", start="10:00", end="12:00")
    block(event, title="Sesi 2", room_name="Ruang B", start="10:00", end="12:00")
    names = ["Kota Cirebon", "Kota Makassar", "Kab. Siak", "Kota Tomohon", "Kab. Banyuwangi", "Kota Sukabumi"]
    regions = [presenter(event, name, protocol_rank=rank) for rank, name in enumerate(names, start=1)]
    late = presenter(event, "Kab. Badung", "Bali", available_from=wib("10:30"))
    pinned = presenter(event, "Kota Semarang", "Jawa Tengah", pinned_block_id=morning.id, pinned_start=wib("10:45"))

    response = web.post(f"/manage/{event.slug}/expose/auto-schedule")
    assert response.status_code == 200
    assert 'data-testid="auto-result"' in text(response)

    blocks, specs = services.scheduler_inputs(fresh(), event)
    placements = services.draft_placements(fresh(), event)
    assert len(placements) == 8
    assert scheduler.check(blocks, specs, placements, zone=event.timezone) == []
    assert placements[pinned.id].starts_at == wib("10:45") and placements[pinned.id].block_id == morning.id
    assert placements[late.id].starts_at >= wib("10:30")
    ballroom = sorted((p.starts_at, p.presenter_id) for p in placements.values() if p.block_id == morning.id)
    ranked = [pid for _start, pid in ballroom if pid in {r.id for r in regions}]
    assert ranked == sorted(ranked)  # protocol order within the room
    assert 'data-testid="no-problems"' in grid_page(web, event)


def test_auto_schedule_says_who_could_not_be_placed_and_moves_as_few_as_possible(app, organizer_web):
    web, event = organizer_web
    block(event, title="Sesi 1", room_name="Ballroom", start="10:00", end="12:00")
    for rank, name in enumerate(["Kota Cirebon", "Kota Makassar", "Kota Tomohon"], start=2):
        presenter(event, name, protocol_rank=rank)
    presenter(event, "Kab. Siak", "Riau", available_from=wib("13:00"), available_until=wib("14:00"))
    first = web.post(f"/manage/{event.slug}/expose/auto-schedule")
    unplaced = [u.strip() for u in re.findall(r'<li data-organization="Kab. Siak">(.*?)</li>', text(first), re.S)]
    assert unplaced == [tr(app, "%(name)s: available %(window)s, but no exposé block has room for a %(minutes)s-minute slot then.",
                           name="Kab. Siak", window="13:00–14:00 WIB", minutes=15)]
    before = services.draft_placements(fresh(), event)

    presenter(event, "Kota Bogor", protocol_rank=1)  # a new first in the protocol order
    second = web.post(f"/manage/{event.slug}/expose/auto-schedule")
    assert tr(app, "Auto-schedule done: %(placed)d placed, %(moved)d moved.", placed=4, moved=0) in text(second)
    after = services.draft_placements(fresh(), event)
    assert all(after[pid] == placement for pid, placement in before.items())


# Hand editing -----------------------------------------------------------------------------------


def test_move_and_swap_by_form_and_the_warnings_they_cause(app, organizer_web):
    web, event = organizer_web
    morning = block(event, title="Sesi 1", room_name="Ballroom", start="10:00", end="12:00")
    cirebon, makassar = presenter(event, "Kota Cirebon"), presenter(event, "Kota Makassar", "Sulawesi Selatan")
    place(event, cirebon, morning, "10:00")
    place(event, makassar, morning, "10:20")

    response = web.post(f"/manage/{event.slug}/expose/move", data={"presenter_id": makassar.id, "block_id": morning.id, "start": "10:10"})
    assert response.status_code == 302
    assert slot_of(makassar).starts_at == wib("10:10") and slot_of(makassar).ends_at == wib("10:25")
    page = grid_page(web, event)
    problems = re.findall(r'data-rule="(\w+)" data-severity="(\w+)"', page)
    assert ("overlap", "block") in problems
    assert "severity-block" in page and tr(app, "Blocks publication") in page
    assert tr(app, "%(a)s (%(a_slot)s) and %(b)s (%(b_slot)s) overlap in %(room)s.", a="Kota Cirebon", a_slot="10:00–10:15 WIB",
              b="Kota Makassar", b_slot="10:10–10:25 WIB", room="Ballroom") in page

    session = fresh()
    services.programme_for(session, event).overlap = RuleSeverity.WARN
    session.commit()
    assert ("overlap", "warn") in re.findall(r'data-rule="(\w+)" data-severity="(\w+)"', grid_page(web, event))

    # The changeover: 10:15 after a slot ending at 10:15 leaves no buffer (a warning by default).
    web.post(f"/manage/{event.slug}/expose/move", data={"presenter_id": makassar.id, "block_id": morning.id, "start": "10:15"})
    assert re.findall(r'data-rule="(\w+)" data-severity="(\w+)"', grid_page(web, event)) == [("short_buffer", "warn")] * 3

    response = web.post(f"/manage/{event.slug}/expose/swap", data={"presenter_id": cirebon.id, "other_id": makassar.id})
    assert response.status_code == 302
    assert slot_of(cirebon).starts_at == wib("10:15") and slot_of(makassar).starts_at == wib("10:00")


def test_drag_and_drop_posts_json_and_refusals_change_nothing(app, organizer_web):
    web, event = organizer_web
    morning = block(event, title="Sesi 1", room_name="Ballroom", start="10:00", end="12:00")
    afternoon = block(event, title="Sesi 2", room_name="Ruang B", start="13:00", end="15:00")
    cirebon = presenter(event, "Kota Cirebon")
    place(event, cirebon, morning, "10:00")

    moved = web.post(f"/manage/{event.slug}/expose/move", json={"presenter_id": cirebon.id, "block_id": afternoon.id, "start": "13:30"})
    assert moved.status_code == 200 and moved.json["ok"] is True
    assert (slot_of(cirebon).block_id, slot_of(cirebon).starts_at) == (afternoon.id, wib("13:30"))

    refused = web.post(f"/manage/{event.slug}/expose/move", json={"presenter_id": cirebon.id, "block_id": morning.id, "start": "09:00"})
    assert refused.status_code == 400
    assert refused.json["error"]["message"] == tr(app, "Choose a start between %(start)s and %(end)s, while “%(block)s” runs.",
                                                  start="10:00", end="12:00 WIB", block="Sesi 1")
    bad = web.post(f"/manage/{event.slug}/expose/move", json={"presenter_id": cirebon.id, "block_id": "x", "start": "25:99"})
    assert bad.status_code == 400 and bad.json["error"]["message"] == tr(app, "Choose one of this event's exposé blocks.")
    assert (slot_of(cirebon).block_id, slot_of(cirebon).starts_at) == (afternoon.id, wib("13:30"))


def test_a_pinned_presenter_is_not_moved_by_hand(app, organizer_web):
    web, event = organizer_web
    night = block(event, start="19:00", end="22:00")
    pinned = presenter(event, "Kota Cirebon", pinned_block_id=night.id, pinned_start=wib("19:30"))
    response = web.post(f"/manage/{event.slug}/expose/move", json={"presenter_id": pinned.id, "block_id": night.id, "start": "20:00"})
    assert response.status_code == 400
    assert response.json["error"]["message"] == tr(
        app, "%(name)s is pinned to a fixed slot. Remove the pin in the presenter's details to move it.", name="Kota Cirebon")
    assert slot_of(pinned).starts_at == wib("19:30")
    with pytest.raises(RuleViolation):
        services.unschedule(fresh(), event, fresh().get(Presenter, pinned.id))


# Import -----------------------------------------------------------------------------------------


def upload(web, event, body: str):
    return web.post(f"/manage/{event.slug}/expose/presenters/import", data={"file": (io.BytesIO(body.encode("utf-8")), "penyaji.csv")},
                    content_type="multipart/form-data")


def test_import_presenters_from_csv_all_rows_or_none(app, organizer_web):
    web, event = organizer_web
    organization("Kota Cirebon")
    organization("Kab. Siak", "Riau")
    presenter(event, "Kota Cirebon", person="Drs. Nasrudin Azis, SH", email="lama@cirebonkota.go.id")

    bad = upload(web, event, "organisasi;jabatan;urutan;hadir mulai;hadir sampai\n"
                             "Kota Cirebon;Wali Kota Cirebon;1;;\n"
                             "Kab. Siak;Bupati Siak;dua;14:00;13:00\n"
                             "Kota Atlantis;Wali Kota;3;;\n")
    body = text(bad)
    assert 'data-testid="import-problems"' in body
    assert tr(app, "Row %(row)d: %(message)s", row=3, message=tr(app, "“%(value)s” in %(column)s is not a number.",
                                                                  value="dua", column="protocol_rank")) in unescape(body)
    assert "Kota Atlantis" in unescape(body)
    assert presenter_count() == 1 and fresh().scalars(select(Presenter)).one().person_title == ""

    good = upload(web, event, "organisasi;jabatan;urutan;hadir mulai;hadir sampai;bahasa\n"
                              "Kota Cirebon;Wali Kota Cirebon;1;;;en\n"
                              "Kab. Siak;Bupati Siak;2;13:00;16:00;id\n")
    assert good.status_code == 302
    stored = {p.organization.name: p for p in fresh().scalars(select(Presenter))}
    assert stored["Kota Cirebon"].person_name == "Drs. Nasrudin Azis, SH"  # empty cells keep what it had
    assert stored["Kota Cirebon"].person_title == "Wali Kota Cirebon" and stored["Kota Cirebon"].locale == "en"
    assert (stored["Kab. Siak"].available_from, stored["Kab. Siak"].available_until) == (wib("13:00"), wib("16:00"))
    assert stored["Kab. Siak"].protocol_rank == 2
