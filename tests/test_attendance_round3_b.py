"""Fixes from the third QA round of QR attendance (part b): who is inside leaves out the cancelled, as the
other counts do; a walk-in gets the attendee's language, not the staff's; nothing is mailed to a walk-in's
placeholder address nor shown of it; an entry policy stays as it was once people were checked in under
it; and small ones (the check-ins a deletion refusal counts, per-day report columns, names in Excel,
the desk's search form)."""
import csv
import io
import re
import uuid
from html import unescape

from openpyxl import load_workbook
from sqlalchemy import select

from eventsys.attendance import arrivals, checkpoints, reports, scanning
from eventsys.attendance.models import CheckIn, Checkpoint, Direction, EntryPolicy
from eventsys.core.models import OutboxMessage
from eventsys.extensions import db
from eventsys.registration import services as registration_services
from eventsys.registration import tickets
from eventsys.registration.models import Registration, RegistrationState
from tests.conftest import utc
from tests.desk_helpers import category, desk, flashes, registrations, walk_in_form
from tests.helpers import field_errors, fresh, text, tr, trn


def base(event) -> str:
    return f"/manage/{event.slug}/checkin"


def scan(event, checkpoint, registration, at, direction=Direction.IN):
    fresh()  # after the web app's writes: a new snapshot, so this session may write too
    outcome = scanning.scan_code(db.session, event, checkpoint, tickets.token_for(registration.ticket), nonce=uuid.uuid4().hex,
                                 direction=direction, now=at)
    db.session.commit()
    return outcome


def in_english(web):
    assert web.post("/language/en", data={"next": "/"}).status_code == 302
    fresh()
    return web


def outbox() -> list[OutboxMessage]:
    return list(fresh().scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# 1. Who is inside counts only the expected, as "checked in" does.


def test_someone_cancelled_after_entering_is_not_inside_anywhere(app, organizer_web, make_checkpoint, make_registration):
    web, event = organizer_web
    room = make_checkpoint(event, name="Ruang FGD", policy=EntryPolicy.IN_OUT)
    stays, _ = make_registration(event, name="Nashrudin Azis")
    leaves, _ = make_registration(event, name="Ridwan Kamil")
    assert scan(event, room, stays, utc(2017, 11, 15, 2, 0)).result == "ok"
    assert scan(event, room, leaves, utc(2017, 11, 15, 2, 5)).result == "ok"
    registration_services.cancel(db.session, fresh().get(Registration, leaves.id), "pulang")
    db.session.commit()

    session = fresh()
    assert [r.name for r in checkpoints.inside_now(session, session.get(Checkpoint, room.id))] == ["Nashrudin Azis"]
    snapshot = arrivals.snapshot(fresh(), event)
    assert snapshot["totals"]["arrived"] == snapshot["totals"]["inside"] == 1
    assert [(c["checked_in"], c["inside"]) for c in snapshot["by_checkpoint"]] == [(1, 1)]
    assert [[p["name"] for p in group["people"]] for group in snapshot["inside"]] == [["Nashrudin Azis"]]
    overview = text(web.get(base(event)))
    assert re.findall(r'data-testid="inside-now">(\d+)<', overview) == ["1"]
    inside_page = text(web.get(f"{base(event)}/checkpoints/{room.id}/inside"))
    assert "Nashrudin Azis" in inside_page and "Ridwan Kamil" not in inside_page
    rows = list(csv.reader(io.StringIO(web.get(f"{base(event)}/reports/sessions.csv").data.decode("utf-8-sig"))))
    assert rows[1] == ["Ruang FGD", "", "1", "1", "100.0", "1"]


# 2. A walk-in's language is the attendee's: Indonesian unless chosen otherwise.


def test_a_walk_in_gets_indonesian_whatever_the_staffs_language_unless_another_is_chosen(app, staff_web):
    web, event = staff_web
    umum = category(event)
    in_english(web)
    form = text(web.get(f"{desk(event)}/walk-in"))
    assert re.search(r'<option selected value="id">Bahasa Indonesia</option>', form), form
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, email="syamsuar@siakkab.go.id")).status_code == 302
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, name="John Smith", email="john@example.org",
                                                                 locale="en")).status_code == 302
    assert [(r.name, r.locale) for r in registrations(event)] == [("Dr. H. Syamsuar, M.Si.", "id"), ("John Smith", "en")]
    subjects = {m.to_email: m.subject for m in outbox()}
    assert subjects["syamsuar@siakkab.go.id"] == tr(app, "Your registration for %(event)s is confirmed", event=event.name)
    assert subjects["john@example.org"] == tr(app, "Your registration for %(event)s is confirmed", locale="en", event=event.name)
    # A language the form does not offer: refused, nothing stored.
    refused = web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, name="Orang Lain", locale="xx"))
    assert refused.status_code == 200 and field_errors(refused, "locale")
    assert len(registrations(event)) == 2


# 3. A walk-in without email: nothing is mailed to the placeholder, and it is shown nowhere.


def test_a_walk_in_without_email_is_cancelled_without_mail_or_placeholder(app, organizer_web):
    web, event = organizer_web
    umum = category(event)
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum)).status_code == 302
    [walk_in] = registrations(event)
    assert walk_in.email.endswith(".invalid")  # the schema wants an address; it is a placeholder
    admin = f"/manage/{event.slug}/registrations"

    detail = text(web.get(f"{admin}/{walk_in.id}"))
    assert ".invalid" not in detail
    assert unescape(tr(app, "The registration has no email address, so nobody is told by mail; the ticket stops working and "
                            "the seat goes to the next on the waiting list.")) in unescape(detail)
    assert ".invalid" not in text(web.get(admin))
    export = web.get(f"{admin}/export.csv").data.decode("utf-8-sig")
    assert "Syamsuar" in export and ".invalid" not in export

    resent = web.post(f"{admin}/{walk_in.id}/resend", follow_redirects=True)
    assert ".invalid" not in text(resent)
    cancelled = web.post(f"{admin}/{walk_in.id}/cancel", data={"reason": "salah input"}, follow_redirects=True)
    assert tr(app, "The registration is cancelled; it has no email address, so nobody was told by mail. "
                   "A freed seat goes to the waiting list.") in flashes(cancelled)
    assert tr(app, "The registration is cancelled and the registrant is told. A freed seat goes to the waiting list.") not in flashes(cancelled)
    assert fresh().get(Registration, walk_in.id).state == RegistrationState.CANCELLED
    assert outbox() == []  # no confirmation, no new ticket, no cancellation to the placeholder


def test_a_walk_in_with_email_is_still_told(app, organizer_web):
    web, event = organizer_web
    umum = category(event)
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, email="syamsuar@siakkab.go.id")).status_code == 302
    [walk_in] = registrations(event)
    cancelled = web.post(f"/manage/{event.slug}/registrations/{walk_in.id}/cancel", data={"reason": "x"}, follow_redirects=True)
    assert tr(app, "The registration is cancelled and the registrant is told. A freed seat goes to the waiting list.") in flashes(cancelled)
    assert [m.kind for m in outbox()] == ["confirmation", "cancellation"]


# 5. The entry policy of a checkpoint with check-ins stays.


def checkpoint_form(checkpoint, **overrides) -> dict:
    return {"name": checkpoint.name, "session_id": "0", "opens_at": "", "closes_at": "", "policy": checkpoint.policy.value} | overrides


def test_the_entry_policy_cannot_change_once_people_were_checked_in(app, organizer_web, make_checkpoint, make_registration):
    web, event = organizer_web
    door = make_checkpoint(event, name="Pintu masuk", policy=EntryPolicy.ONCE)
    unused = make_checkpoint(event, name="Ruang B", policy=EntryPolicy.ONCE)
    azis, _ = make_registration(event)
    assert scan(event, door, azis, utc(2017, 11, 15, 2, 0)).result == "ok"
    message = tr(app, "People have already been checked in here, so the entry policy cannot change: entries made under the old policy "
                      "would not count under the new one, and the same person could enter twice. To use another policy, add a new checkpoint.")

    page = text(web.get(f"{base(event)}/checkpoints/{door.id}"))
    assert 'data-testid="policy-locked"' in page and 'type="radio"' not in page
    assert unescape(message) in unescape(page)
    refused = web.post(f"{base(event)}/checkpoints/{door.id}", data=checkpoint_form(door, policy="once_per_day", name="Pintu utama"))
    assert refused.status_code == 200 and field_errors(refused, "policy") == [message]
    assert (fresh().get(Checkpoint, door.id).name, fresh().get(Checkpoint, door.id).policy) == ("Pintu masuk", EntryPolicy.ONCE)
    # So the same person is still let in once only.
    assert scan(event, door, azis, utc(2017, 11, 15, 8, 0)).result == "already_checked_in"
    # Other changes are saved; a checkpoint nobody passed yet may change its policy.
    assert web.post(f"{base(event)}/checkpoints/{door.id}", data=checkpoint_form(door, name="Pintu utama")).status_code == 302
    assert fresh().get(Checkpoint, door.id).name == "Pintu utama"
    assert 'type="radio"' in text(web.get(f"{base(event)}/checkpoints/{unused.id}"))
    assert web.post(f"{base(event)}/checkpoints/{unused.id}", data=checkpoint_form(unused, policy="in_out")).status_code == 302
    assert fresh().get(Checkpoint, unused.id).policy == EntryPolicy.IN_OUT


def test_an_undone_check_in_also_keeps_the_policy(app, organizer_web, make_checkpoint, make_registration):
    """Restoring it would bring back an entry made under the old policy."""
    web, event = organizer_web
    door = make_checkpoint(event, name="Pintu masuk", policy=EntryPolicy.ONCE)
    azis, _ = make_registration(event)
    checkin = scan(event, door, azis, utc(2017, 11, 15, 2, 0)).checkin
    scanning.undo_checkin(db.session, db.session.get(CheckIn, checkin.id), reason="salah pintu")
    db.session.commit()
    refused = web.post(f"{base(event)}/checkpoints/{door.id}", data=checkpoint_form(door, policy="unlimited"))
    assert refused.status_code == 200 and field_errors(refused, "policy")
    assert fresh().get(Checkpoint, door.id).policy == EntryPolicy.ONCE


# 6. Small ones.


def test_the_deletion_refusal_counts_only_live_check_ins(app, organizer_web, make_checkpoint, make_registration):
    web, event = organizer_web
    door = make_checkpoint(event, name="Pintu masuk", policy=EntryPolicy.ONCE)
    azis, _ = make_registration(event, name="Nashrudin Azis")
    kamil, _ = make_registration(event, name="Ridwan Kamil")
    scan(event, door, azis, utc(2017, 11, 15, 2, 0))
    undone = scan(event, door, kamil, utc(2017, 11, 15, 2, 1)).checkin
    scanning.undo_checkin(db.session, db.session.get(CheckIn, undone.id), reason="salah orang")
    db.session.commit()
    message = trn(app, "“%(name)s” has %(num)d check-in and cannot be deleted: it is the attendance record. "
                       "To stop admitting people here, set its closing time instead.",
                  "“%(name)s” has %(num)d check-ins and cannot be deleted: they are the attendance record. "
                  "To stop admitting people here, set its closing time instead.", 1, name="Pintu masuk")
    assert "1 check-in and" in trn(app, "“%(name)s” has %(num)d check-in and cannot be deleted: it is the attendance record. "
                                        "To stop admitting people here, set its closing time instead.",
                                   "“%(name)s” has %(num)d check-ins and cannot be deleted: they are the attendance record. "
                                   "To stop admitting people here, set its closing time instead.", 1, locale="en", name="Pintu masuk")
    assert message in flashes(web.post(f"{base(event)}/checkpoints/{door.id}/delete", data={"confirm": "y"}, follow_redirects=True))
    assert unescape(message) in unescape(text(web.get(f"{base(event)}/checkpoints/{door.id}/delete")))
    # Only undone ones: still not deleted (they are in the scan log), and the message does not say "0 check-ins".
    only_undone = make_checkpoint(event, name="Ruang B", policy=EntryPolicy.ONCE)
    checkin = scan(event, only_undone, azis, utc(2017, 11, 15, 2, 2)).checkin
    scanning.undo_checkin(db.session, db.session.get(CheckIn, checkin.id), reason="salah pintu")
    db.session.commit()
    refused = web.post(f"{base(event)}/checkpoints/{only_undone.id}/delete", data={"confirm": "y"}, follow_redirects=True)
    assert tr(app, "“%(name)s” has only undone check-ins, but they are in the scan log and cannot be deleted with it. "
                   "To stop admitting people here, set its closing time instead.", name="Ruang B") in flashes(refused)
    assert fresh().get(Checkpoint, only_undone.id) is not None


def test_the_people_report_has_day_columns_only_for_days_the_checkpoint_is_open(app, make_user, make_event, make_checkpoint,
                                                                                 make_registration):
    event = make_event(starts_at=utc(2017, 11, 15, 1, 0), ends_at=utc(2017, 11, 17, 10, 0))  # 15, 16 and 17 November (WIB)
    day_one = make_checkpoint(event, name="FGD", policy=EntryPolicy.ONCE_PER_DAY,
                              opens_at=utc(2017, 11, 15, 1, 0), closes_at=utc(2017, 11, 16, 10, 0))  # 15 and 16 November
    always = make_checkpoint(event, name="Pintu masuk", policy=EntryPolicy.ONCE_PER_DAY)
    always.position = 1
    db.session.commit()
    azis, _ = make_registration(event)
    scan(event, day_one, azis, utc(2017, 11, 15, 2, 0))
    headers = reports.people_report(fresh(), event).headers
    with app.test_request_context():
        day = lambda name, d: tr(app, "%(checkpoint)s (%(day)s)", checkpoint=name, day=d)  # noqa: E731
    assert headers[7:] == [day("FGD", "2017-11-15"), day("FGD", "2017-11-16"),
                           day("Pintu masuk", "2017-11-15"), day("Pintu masuk", "2017-11-16"), day("Pintu masuk", "2017-11-17")]
    assert reports.open_on(fresh().get(Checkpoint, day_one.id), utc(2017, 11, 17).date(), "Asia/Jakarta") is False


def test_a_name_starting_with_equals_is_itself_in_excel_and_guarded_in_csv(app, organizer_web, make_checkpoint, make_registration):
    web, event = organizer_web
    door = make_checkpoint(event, name="=Pintu")
    odd, _ = make_registration(event, name="=Budi+1")
    scan(event, door, odd, utc(2017, 11, 15, 2, 0))
    sheet = load_workbook(io.BytesIO(web.get(f"{base(event)}/reports/people.xlsx").data)).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][-1] == "=Pintu" and rows[1][0] == "=Budi+1"  # as typed: no apostrophe, and not a formula
    assert sheet.cell(row=2, column=1).data_type == "s"
    sessions = load_workbook(io.BytesIO(web.get(f"{base(event)}/reports/sessions.xlsx").data)).worksheets[0]
    assert sessions.cell(row=2, column=1).value == "=Pintu" and sessions.cell(row=2, column=1).data_type == "s"
    people = list(csv.reader(io.StringIO(web.get(f"{base(event)}/reports/people.csv").data.decode("utf-8-sig"))))
    assert people[1][0] == "'=Budi+1"  # a spreadsheet opening the CSV must not run it


def test_the_search_forms_keep_their_label_above_the_field(app, staff_web, organizer_web):
    """Not a role=search form (Pico draws it as one pill, squeezing the label a word a line on a phone)."""
    staff, event = staff_web
    desk_page = text(staff.get(f"{desk(event)}?q=" + "x" * 300))
    form = re.search(r'<search><form method="get" class="search-form" data-testid="desk-search">(.*?)</form></search>', desk_page, re.S)
    assert form, desk_page
    assert re.search(r'<label for="q">[^<]+</label>\s*<div role="group">\s*<input[^>]*name="q"[^>]*>\s*<button type="submit">', form.group(1))
    assert 'class="field-error"' in form.group(1)  # the too-long search still says so
    web, _event = organizer_web
    assert re.search(r'<search><form method="get" class="search-form" data-testid="person-search">\s*<label for="q">[^<]+</label>\s*'
                     r'<div role="group">', text(web.get(base(event))))
    assert 'role="search"' not in desk_page
