"""Fixes from the second QA round of the registration desk: Back and Register again asks before a second
registration of the same person; the desk ticket page tells entries from exits; a too long search says
so; the desk remembers the checkpoint it last checked someone in at."""
import re
import uuid
from datetime import timedelta
from html import unescape

from sqlalchemy import func, select

from eventsys.attendance import scanning
from eventsys.attendance.models import CheckIn, Direction, EntryPolicy
from eventsys.core.db import utcnow
from eventsys.extensions import db
from eventsys.registration import tickets
from tests.desk_helpers import category, desk, registrations, walk_in_form
from tests.helpers import csrf_token_of, field_errors, fresh, text, tr


def checkin_count() -> int:
    return fresh().scalar(select(func.count()).select_from(CheckIn))


# 1. Back, then Register again: a new nonce, the same person.


def test_back_and_register_again_asks_before_a_second_registration(app, staff_web, make_checkpoint):
    web, event = staff_web
    entrance = make_checkpoint(event, name="Pintu masuk")
    umum = category(event)
    first = web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, checkpoint_id=str(entrance.id)))
    assert first.status_code == 302, text(first)[:3000]
    [earlier] = registrations(event)
    assert checkin_count() == 1

    # The page shown again after Back: a new nonce, the same fields, spaced and cased differently.
    again = walk_in_form(umum, name="  dr. h.  SYAMSUAR, m.si. ", proposed_organization="dinas kominfo  kab. siak", checkpoint_id=str(entrance.id))
    response = web.post(f"{desk(event)}/walk-in", data=again)
    assert response.status_code == 200
    assert registrations(event) == [earlier] and checkin_count() == 1  # nothing stored
    message = tr(app, "%(name)s (%(organization)s) was registered a few minutes ago. If this is the same person, open that "
                      "registration instead of registering them again.", name=earlier.name, organization="Dinas Kominfo Kab. Siak")
    assert field_errors(response, "name") == [message]
    body = text(response)
    assert f'href="{desk(event)}/registrations/{earlier.id}" data-testid="twin-registration"' in body
    assert 'name="another_person" value="y"' in body and tr(app, "Yes, this is another person with the same name") in unescape(body)
    assert f'value="{again["nonce"]}"' in body  # the same form still: sent twice, it registers once

    # Staff confirm it is another person with the same name: registered and checked in.
    confirmed = web.post(f"{desk(event)}/walk-in", data=again | {"another_person": "y"})
    assert confirmed.status_code == 302, text(confirmed)[:3000]
    assert len(registrations(event)) == 2 and checkin_count() == 2


def test_the_same_name_elsewhere_or_long_ago_is_another_person(app, staff_web, make_organization):
    web, event = staff_web
    umum = category(event)
    siak = make_organization(name="Kab. Siak", province="Riau")
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum)).status_code == 302
    # Another organization: another person.
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum, organization_id=str(siak.id), proposed_organization="")).status_code == 302
    # The same name and organization registered an hour ago: not a Back and Register again.
    for registration in registrations(event):
        registration.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert web.post(f"{desk(event)}/walk-in", data=walk_in_form(umum)).status_code == 302
    assert len(registrations(event)) == 3


# 2. The desk ticket page tells an entry from an exit.


def test_the_desk_ticket_page_tells_entries_from_exits(app, staff_web, make_checkpoint, make_registration):
    web, event = staff_web
    gala = make_checkpoint(event, name="Malam Penghargaan", policy=EntryPolicy.IN_OUT)
    azis, _ = make_registration(event)
    for direction in (Direction.IN, Direction.OUT):
        outcome = scanning.scan_code(db.session, event, gala, tickets.token_for(azis.ticket), nonce=uuid.uuid4().hex, direction=direction)
        assert outcome.result == "ok", outcome.message
        db.session.commit()
    body = text(web.get(f"{desk(event)}/registrations/{azis.id}"))
    rows = [unescape(r) for r in re.findall(r'<li data-direction="\w+">(.*?)</li>', body)]
    assert len(rows) == 2
    assert rows[0].startswith(f"Malam Penghargaan · {tr(app, 'Entry')} · ")
    assert rows[1].startswith(f"Malam Penghargaan · {tr(app, 'Exit')} · ")


# 3. The desk search: too long a text, and the checkpoint kept.


def test_a_too_long_search_says_so(app, staff_web, make_registration):
    web, event = staff_web
    make_registration(event, name="Nashrudin Azis")
    response = web.get(f"{desk(event)}", query_string={"q": "Azis " * 50})
    assert response.status_code == 200
    assert field_errors(response, "q") == [tr(app, "The search text is too long: type at most %(max)d characters of the name or the ticket code.", max=200)]
    assert 'data-testid="nobody-found"' not in text(response)
    assert 'data-testid="desk-result"' in text(web.get(f"{desk(event)}", query_string={"q": "Azis"}))


def selected_checkpoint(response) -> list[str]:
    return re.findall(r'<option value="(\d+)" selected>', text(response))


def test_the_desk_keeps_the_checkpoint_it_last_checked_in_at(app, staff_web, make_checkpoint, make_registration):
    web, event = staff_web
    entrance = make_checkpoint(event, name="Pintu masuk")
    gala = make_checkpoint(event, name="Malam Penghargaan")
    azis, _ = make_registration(event, name="Nashrudin Azis")
    bima, _ = make_registration(event, name="Bima Arya Sugiarto")
    search = web.get(f"{desk(event)}", query_string={"q": "Azis"})
    assert selected_checkpoint(search) == []  # nothing chosen yet: the first one
    token = csrf_token_of(search)
    sent = web.post(f"{desk(event)}/registrations/{azis.id}/checkin",
                    data={"csrf_token": token, "nonce": uuid.uuid4().hex, "checkpoint_id": str(gala.id), "q": "Azis"})
    assert sent.status_code == 302
    assert fresh().scalar(select(CheckIn.checkpoint_id).where(CheckIn.registration_id == azis.id)) == gala.id
    # The next search, and the ticket page, offer the gala door first.
    assert selected_checkpoint(web.get(f"{desk(event)}", query_string={"q": "Bima"})) == [str(gala.id)]
    assert selected_checkpoint(web.get(f"{desk(event)}/registrations/{bima.id}")) == [str(gala.id)]
    walk_in_select = re.search(r'<select[^>]*name="checkpoint_id".*?</select>', text(web.get(f"{desk(event)}/walk-in")), re.S).group(0)
    assert re.search(rf'<option (?:selected value="{gala.id}"|value="{gala.id}" selected)>', walk_in_select)  # a walk-in at the gala door too
    assert str(entrance.id) not in selected_checkpoint(search)
