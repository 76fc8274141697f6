"""The organizer's checkpoints: made and changed through the form, validated, shown with their counts,
deleted only while nobody has been checked in there, and closed to everyone but the event's organizers."""
import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from eventsys.attendance import scanning
from eventsys.attendance.models import CheckIn, CheckInSource, Checkpoint, Direction, EntryPolicy
from eventsys.core.db import utcnow
from eventsys.extensions import db
from eventsys.registration.models import DelegateCategory
from tests.conftest import utc
from tests.helpers import field_errors, fresh, sign_in, text, tr, trn


def base(event) -> str:
    return f"/manage/{event.slug}/checkin"


def flashes(response) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash flash-\w+" role="(?:status|alert)"[^>]*>(.*?)</p>', text(response), re.S)]


def category(event, name="Kepala Daerah", needs_approval=False):
    item = DelegateCategory(event_id=event.id, name=name, color="#b91c1c", needs_approval=needs_approval)
    db.session.add(item)
    db.session.commit()
    return item


def checkpoints_of(event) -> list[Checkpoint]:
    return list(fresh().scalars(select(Checkpoint).where(Checkpoint.event_id == event.id).order_by(Checkpoint.position)))


def admit(event, checkpoint, registration, direction=Direction.IN):
    fresh()  # after the web app's writes: a new snapshot, so this session may write too
    outcome = scanning.check_in_registration(
        db.session, event, checkpoint, registration, nonce=uuid.uuid4().hex, source=CheckInSource.SEARCH, direction=direction
    )
    db.session.commit()
    return outcome


# Making and changing checkpoints


def test_a_checkpoint_is_made_with_categories_window_in_the_events_zone_and_policy(app, organizer_web):
    web, event = organizer_web
    heads, media = category(event), category(event, "Media")
    response = web.post(f"{base(event)}/checkpoints/new", data={
        "name": "  Ruang   FGD hari 1 ", "session_id": "0", "category_ids": [str(heads.id), str(media.id)],
        "opens_at": "2017-11-15T08:00", "closes_at": "2017-11-15T12:30", "policy": "in_out",
    })
    assert response.status_code == 302, text(response)
    [checkpoint] = checkpoints_of(event)
    assert checkpoint.name == "Ruang FGD hari 1"
    assert {c.name for c in checkpoint.categories} == {"Kepala Daerah", "Media"}
    assert checkpoint.opens_at == utc(2017, 11, 15, 1, 0)  # 08:00 WIB
    assert checkpoint.closes_at == utc(2017, 11, 15, 5, 30)
    assert checkpoint.policy == EntryPolicy.IN_OUT
    overview = text(web.get(base(event)))
    assert "Ruang FGD hari 1" in overview and "Kepala Daerah, Media" in overview
    form = text(web.get(f"{base(event)}/checkpoints/{checkpoint.id}"))
    assert 'value="2017-11-15T08:00"' in form and 'value="2017-11-15T12:30"' in form

    changed = web.post(f"{base(event)}/checkpoints/{checkpoint.id}", data={"name": "Ruang FGD", "session_id": "0", "policy": "once"})
    assert changed.status_code == 302
    [checkpoint] = checkpoints_of(event)
    assert checkpoint.name == "Ruang FGD" and checkpoint.categories == [] and checkpoint.opens_at is None
    assert checkpoint.policy == EntryPolicy.ONCE


def test_a_session_checkpoint_opens_half_an_hour_before_the_session_until_its_end(organizer_web, make_session):
    web, event = organizer_web
    fgd = make_session(event, title="FGD Hari 1", starts_at=utc(2017, 11, 15, 2, 0), ends_at=utc(2017, 11, 15, 5, 0))
    response = web.post(f"{base(event)}/checkpoints/new", data={"name": "Ruang FGD", "session_id": str(fgd.id), "policy": "once"})
    assert response.status_code == 302, text(response)
    [checkpoint] = checkpoints_of(event)
    assert checkpoint.session_id == fgd.id
    assert (checkpoint.opens_at, checkpoint.closes_at) == (utc(2017, 11, 15, 1, 30), utc(2017, 11, 15, 5, 0))
    # A window typed by the organizer wins over the session's.
    web.post(f"{base(event)}/checkpoints/{checkpoint.id}", data={
        "name": "Ruang FGD", "session_id": str(fgd.id), "policy": "once", "opens_at": "2017-11-15T07:00", "closes_at": "2017-11-15T13:00",
    })
    [checkpoint] = checkpoints_of(event)
    assert (checkpoint.opens_at, checkpoint.closes_at) == (utc(2017, 11, 15, 0, 0), utc(2017, 11, 15, 6, 0))


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"opens_at": "2017-11-15T10:00", "closes_at": "2017-11-15T09:00"}, "closes_at", "The checkpoint must close after it opens."),
        ({"opens_at": "2017-11-15T10:00", "closes_at": "2017-11-15T10:00"}, "closes_at", "The checkpoint must close after it opens."),
        ({"name": "   "}, "name", "Give the checkpoint a name, e.g. Pintu masuk or Ruang FGD."),
        ({"name": "pintu MASUK"}, "name", "This event already has a checkpoint named “%(name)s”."),
        ({"category_ids": ["999999"]}, "category_ids", "Choose categories from the list; leave all unticked to let every category in."),
        ({"category_ids": ["abc"]}, "category_ids", "Choose categories from the list; leave all unticked to let every category in."),
        ({"session_id": "999999"}, "session_id", "Not a valid choice."),
        ({"policy": "sometimes"}, "policy", "Not a valid choice."),
        ({"opens_at": "0001-01-01T00:00"}, "opens_at", "Enter a date between %(first)d and %(last)d."),
    ],
    ids=["closes-before-opens", "closes-when-opens", "no-name", "duplicate-name", "unknown-category", "junk-category",
         "unknown-session", "unknown-policy", "absurd-year"],
)
def test_bad_checkpoints_are_refused_next_to_their_field(app, organizer_web, make_checkpoint, data, field, message):
    web, event = organizer_web
    make_checkpoint(event, name="Pintu masuk")
    response = web.post(f"{base(event)}/checkpoints/new", data={"name": "Ruang Seminar", "session_id": "0", "policy": "once", **data})
    assert response.status_code == 200
    expected = tr(app, message, name=data.get("name", "").strip(), first=2000, last=2100)
    assert expected in field_errors(response, field)
    assert [c.name for c in checkpoints_of(event)] == ["Pintu masuk"]


def test_another_events_category_or_session_cannot_be_attached(app, organizer_web, make_event, make_session):
    web, event = organizer_web
    other = make_event(slug="seminar-lain")
    foreign = category(other, "Tamu lain")
    response = web.post(f"{base(event)}/checkpoints/new", data={"name": "Ruang", "session_id": "0", "policy": "once", "category_ids": [str(foreign.id)]})
    assert field_errors(response, "category_ids") == [tr(app, "Choose categories from the list; leave all unticked to let every category in.")]
    assert checkpoints_of(event) == []


def test_the_entrance_is_added_with_one_button_and_only_once(app, organizer_web):
    web, event = organizer_web
    page = text(web.get(base(event)))
    assert 'data-testid="add-entrance"' in page
    assert checkpoints_of(event) == []  # looking at the page makes nothing
    web.post(f"{base(event)}/entrance")
    web.post(f"{base(event)}/entrance")
    [entrance] = checkpoints_of(event)
    assert entrance.name == tr(app, "Entrance")
    assert entrance.policy == EntryPolicy.ONCE and entrance.categories == [] and entrance.opens_at is None
    assert 'data-testid="add-entrance"' not in text(web.get(base(event)))


# Counts, inside now, deleting


def test_the_overview_counts_people_and_lists_who_is_inside(organizer_web, make_checkpoint, make_registration):
    web, event = organizer_web
    entrance = make_checkpoint(event, name="Pintu masuk")
    hall = make_checkpoint(event, name="Ballroom", policy=EntryPolicy.IN_OUT)
    azis, _ = make_registration(event, name="Nashrudin Azis")
    rina, _ = make_registration(event, name="Rina Kusuma")
    for person in (azis, rina):
        admit(event, entrance, person)
        admit(event, hall, person)
    admit(event, hall, rina, Direction.OUT)
    page = text(web.get(base(event)))
    rows = dict(re.findall(r'data-checkpoint-id="(\d+)">.*?data-testid="checked-in">(\d+)<', page, re.S))
    assert rows == {str(entrance.id): "2", str(hall.id): "2"}
    assert re.search(r'data-testid="inside-now">1<', page)
    inside = text(web.get(f"{base(event)}/checkpoints/{hall.id}/inside"))
    assert "Nashrudin Azis" in inside and "Rina Kusuma" not in inside


def test_a_checkpoint_with_checkins_is_not_deleted_but_an_unused_one_is(app, organizer_web, make_checkpoint, make_registration):
    web, event = organizer_web
    used = make_checkpoint(event, name="Pintu masuk")
    unused = make_checkpoint(event, name="Ruang B")
    registration, _ = make_registration(event)
    assert admit(event, used, registration).result == "ok"
    refused = web.post(f"{base(event)}/checkpoints/{used.id}/delete", follow_redirects=True)
    message = trn(
        app,
        "“%(name)s” has %(num)d check-in and cannot be deleted: it is the attendance record. "
        "To stop admitting people here, set its closing time instead.",
        "“%(name)s” has %(num)d check-ins and cannot be deleted: they are the attendance record. "
        "To stop admitting people here, set its closing time instead.",
        1, name="Pintu masuk",
    )
    assert message in flashes(refused)
    web.post(f"{base(event)}/checkpoints/{unused.id}/delete", data={"confirm": "y"})
    assert [c.name for c in checkpoints_of(event)] == ["Pintu masuk"]
    assert fresh().scalar(select(func.count(CheckIn.id))) == 1


def test_closing_the_window_stops_admissions_instead(organizer_web, make_checkpoint, make_registration):
    web, event = organizer_web
    entrance = make_checkpoint(event, name="Pintu masuk")
    registration, _ = make_registration(event)
    local = utcnow() - timedelta(hours=1) + timedelta(hours=7)  # an hour ago, in WIB
    web.post(f"{base(event)}/checkpoints/{entrance.id}", data={
        "name": "Pintu masuk", "session_id": "0", "policy": "once", "closes_at": local.strftime("%Y-%m-%dT%H:%M"),
    })
    assert admit(event, entrance, registration).result == "outside_window"


# Who may manage checkpoints


def test_only_the_events_organizers_manage_checkpoints(app, organizer, make_app, make_user, make_event, make_checkpoint):
    _user, event = organizer
    checkpoint = make_checkpoint(event)
    paths = [base(event), f"{base(event)}/checkpoints/new", f"{base(event)}/checkpoints/{checkpoint.id}",
             f"{base(event)}/checkpoints/{checkpoint.id}/inside"]
    anonymous = make_app().test_client()
    for path in paths:
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    staff = sign_in(make_app().test_client(), make_user(email="petugas@kominfo.go.id", event=event, role="checkin"))
    stranger = sign_in(make_app().test_client(), make_user(email="lain@kominfo.go.id", event=make_event(slug="lain"), role="organizer"))
    for web in (staff, stranger):
        for path in paths:
            assert web.get(path).status_code == 403, path
        assert web.post(f"{base(event)}/checkpoints/new", data={"name": "X", "policy": "once"}).status_code == 403
        assert web.post(f"{base(event)}/checkpoints/{checkpoint.id}/delete").status_code == 403
        assert web.post(f"{base(event)}/entrance").status_code == 403
    assert [c.name for c in checkpoints_of(event)] == ["Pintu masuk"]


def test_another_events_checkpoint_is_not_found(organizer_web, make_event, make_checkpoint):
    web, event = organizer_web
    foreign = make_checkpoint(make_event(slug="lain"), name="Pintu lain")
    assert web.get(f"{base(event)}/checkpoints/{foreign.id}").status_code == 404
    assert web.post(f"{base(event)}/checkpoints/{foreign.id}/delete").status_code == 404
    assert [c.name for c in fresh().scalars(select(Checkpoint))] == ["Pintu lain"]


def test_check_in_is_linked_from_the_organizer_menu(organizer_web):
    web, event = organizer_web
    assert f'href="{base(event)}"' in text(web.get(f"/manage/{event.slug}/agenda/"))
