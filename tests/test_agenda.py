"""Agenda: sessions with rooms, times and speakers; room conflicts; the public agenda and its .ics.

Requests go through `web`, a client of its own app instance, so every request gets a fresh app
context as in production (the `client` fixture shares the test's context and so its `g`).
Messages are compared with what Flask-Babel makes of their msgid, so the tests hold once the
Indonesian catalog exists.
"""
import re
from datetime import date, timedelta
from html import unescape

import pytest
from babel.dates import format_date
from icalendar import Calendar
from sqlalchemy import func, select

from eventsys.core.rules import RuleViolation
from eventsys.events import services
from eventsys.events.models import AgendaSession, EventStatus, SessionType, Speaker
from eventsys.extensions import db
from tests.conftest import PASSWORD, utc
from tests.helpers import error_message, field_errors, fresh, sign_in, text, tr


def sessions_of(event) -> list[AgendaSession]:
    return list(fresh().scalars(select(AgendaSession).where(AgendaSession.event_id == event.id).order_by(AgendaSession.starts_at)))


def sessions_count() -> int:
    return fresh().scalar(select(func.count()).select_from(AgendaSession))


def room(event, name):
    return next(r for r in event.venue.rooms if r.name == name)


def session_form(event, **fields) -> dict:
    return {
        "title": "Ekspos Masterplan Kota Cirebon",
        "session_type": "expose_block",
        "room_id": str(room(event, "Ballroom").id),
        "starts_at": "2017-11-15T10:00",
        "ends_at": "2017-11-15T11:00",
        "speakers": "",
        "description": "",
    } | fields


def add(web, event, **fields):
    return web.post(f"/manage/{event.slug}/agenda/", data=session_form(event, **fields))


# Adding sessions --------------------------------------------------------------------------------


def test_add_session_with_speakers(organizer_web):
    web, event = organizer_web
    response = add(
        web,
        event,
        speakers="Drs. Nashrudin Azis; Wali Kota Cirebon; Pemerintah Kota Cirebon\n\n"
        "Ir. Iing Daiman, M.Si.; Kadis Kominfo\nProf. Suhono Harso Supangkat\n",
        description="Paparan masterplan dan quick win.",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/{event.slug}/agenda/"
    [stored] = sessions_of(event)
    assert stored.title == "Ekspos Masterplan Kota Cirebon" and stored.session_type == SessionType.EXPOSE_BLOCK
    assert stored.starts_at == utc(2017, 11, 15, 3) and stored.ends_at == utc(2017, 11, 15, 4)  # 10:00 WIB
    assert stored.room.name == "Ballroom"
    assert [(s.name, s.position, s.organization) for s in stored.speakers] == [
        ("Drs. Nashrudin Azis", "Wali Kota Cirebon", "Pemerintah Kota Cirebon"),
        ("Ir. Iing Daiman, M.Si.", "Kadis Kominfo", ""),
        ("Prof. Suhono Harso Supangkat", "", ""),
    ]
    manage = text(web.get(f"/manage/{event.slug}/agenda/"))
    assert "Ekspos Masterplan Kota Cirebon" in manage and "10:00–11:00" in manage


@pytest.mark.parametrize(
    "speakers, line",
    [
        ("Budi; Kadis; Kota Cirebon\nA; B; C; D", 2),
        ("; Kadis Kominfo", 1),
        ("Budi\n\n\n ; ;", 4),
    ],
)
def test_bad_speaker_line_is_refused_with_its_number(app, organizer_web, speakers, line):
    web, event = organizer_web
    response = add(web, event, speakers=speakers)
    assert response.status_code == 200
    assert field_errors(response, "speakers") == [
        tr(app, "Line %(number)d: write “Name; position; organization”, one speaker a line.", number=line)
    ]
    assert sessions_count() == 0
    assert fresh().scalar(select(func.count()).select_from(Speaker)) == 0


def test_overlap_in_one_room_is_refused_naming_the_room_and_the_other_session(app, organizer_web, make_session):
    web, event = organizer_web
    ballroom = room(event, "Ballroom")
    make_session(event, title="Ekspos Kab. Cirebon", room=ballroom, starts_at=utc(2017, 11, 15, 3), ends_at=utc(2017, 11, 15, 4))
    response = add(web, event, title="Ekspos Kota Cirebon", starts_at="2017-11-15T10:30", ends_at="2017-11-15T11:30")
    assert response.status_code == 200
    expected = tr(
        app, "%(room)s is already taken by “%(title)s” from %(start)s to %(end)s.",
        room="Ballroom", title="Ekspos Kab. Cirebon", start="10:00 WIB", end="11:00 WIB",
    )
    assert field_errors(response, "room_id") == [expected]
    assert "Ballroom" in expected and "Ekspos Kab. Cirebon" in expected
    assert [s.title for s in sessions_of(event)] == ["Ekspos Kab. Cirebon"]


@pytest.mark.parametrize(
    "start, end",
    [("2017-11-15T09:30", "2017-11-15T10:30"), ("2017-11-15T10:15", "2017-11-15T10:45"), ("2017-11-15T09:00", "2017-11-15T12:00"), ("2017-11-15T10:00", "2017-11-15T11:00")],
)
def test_every_kind_of_overlap_is_refused(organizer_web, make_session, start, end):
    web, event = organizer_web
    make_session(event, title="Ekspos Kab. Cirebon", room=room(event, "Ballroom"), starts_at=utc(2017, 11, 15, 3), ends_at=utc(2017, 11, 15, 4))
    response = add(web, event, starts_at=start, ends_at=end)
    assert response.status_code == 200 and field_errors(response, "room_id")
    assert sessions_count() == 1


def test_touching_sessions_in_one_room_are_fine(organizer_web):
    web, event = organizer_web
    assert add(web, event, title="Sesi 1", starts_at="2017-11-15T10:00", ends_at="2017-11-15T11:00").status_code == 302
    assert add(web, event, title="Sesi 2", starts_at="2017-11-15T11:00", ends_at="2017-11-15T12:00").status_code == 302
    assert add(web, event, title="Sesi 0", starts_at="2017-11-15T09:00", ends_at="2017-11-15T10:00").status_code == 302
    assert [s.title for s in sessions_of(event)] == ["Sesi 0", "Sesi 1", "Sesi 2"]


def test_different_rooms_at_the_same_time_are_fine(organizer_web):
    web, event = organizer_web
    assert add(web, event, title="Ekspos A").status_code == 302
    assert add(web, event, title="Ekspos B", room_id=str(room(event, "Ruang B").id)).status_code == 302
    assert add(web, event, title="Rehat kopi", session_type="break", room_id="0").status_code == 302  # no room, no conflict
    assert add(web, event, title="Rehat kopi 2", session_type="break", room_id="0").status_code == 302
    assert len(sessions_of(event)) == 4


def test_room_taken_by_another_events_session_is_a_clash(organizer_web, make_event, make_session):
    """A room is one physical place: a session of another event in it at that time is a clash too."""
    web, event = organizer_web
    other = make_event(slug="acara-lain", venue=event.venue)
    make_session(other, title="Bimtek", room=room(event, "Ballroom"), starts_at=utc(2017, 11, 15, 3), ends_at=utc(2017, 11, 15, 4))
    response = add(web, event)
    assert response.status_code == 200 and field_errors(response, "room_id")


def test_room_of_another_venue_is_refused(app, organizer_web, make_venue):
    web, event = organizer_web
    elsewhere = make_venue(name="JCC Senayan", rooms=(("Plenary Hall", 3000),)).rooms[0]
    response = add(web, event, room_id=str(elsewhere.id))
    assert response.status_code == 200
    assert field_errors(response, "room_id") == [tr(app, "Not a valid choice.")]  # not even offered
    assert sessions_count() == 0
    data = services.SessionData(
        title="Ekspos", session_type=SessionType.EXPOSE_BLOCK, starts_at=utc(2017, 11, 15, 3), ends_at=utc(2017, 11, 15, 4),
        room_id=elsewhere.id,
    )
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        services.save_session(db.session, event, data)
    assert refused.value.field == "room_id"
    assert refused.value.message == tr(app, "Choose a room of the event's venue.")


@pytest.mark.parametrize(
    "start, end",
    [("2017-11-15T07:30", "2017-11-15T09:00"), ("2017-11-15T21:30", "2017-11-15T22:30"), ("2017-11-16T10:00", "2017-11-16T11:00")],
)
def test_session_outside_the_events_dates_is_refused(app, organizer_web, start, end):
    web, event = organizer_web  # 08:00–22:00 WIB
    response = add(web, event, starts_at=start, ends_at=end)
    assert response.status_code == 200
    assert field_errors(response, "starts_at") == [tr(app, "The session must fall within the event's dates.")]
    assert sessions_count() == 0


def test_session_filling_the_whole_event_is_fine(organizer_web):
    web, event = organizer_web
    assert add(web, event, starts_at="2017-11-15T08:00", ends_at="2017-11-15T22:00").status_code == 302


def test_session_ending_before_it_starts_is_refused(app, organizer_web):
    web, event = organizer_web
    response = add(web, event, starts_at="2017-11-15T11:00", ends_at="2017-11-15T10:00")
    assert response.status_code == 200
    assert field_errors(response, "ends_at") == [tr(app, "The end must be after the start.")]
    assert sessions_count() == 0


# Editing and deleting ---------------------------------------------------------------------------


def test_edit_session(organizer_web, make_session):
    web, event = organizer_web
    item = make_session(
        event, title="Pembukaan", room=room(event, "Ballroom"), starts_at=utc(2017, 11, 15, 2), ends_at=utc(2017, 11, 15, 3),
        speakers=[("Menteri Kominfo", "Menteri", "Kementerian Kominfo")],
    )
    page = text(web.get(f"/manage/{event.slug}/agenda/{item.id}"))
    assert 'value="2017-11-15T09:00"' in page and 'value="2017-11-15T10:00"' in page  # in WIB
    assert "Menteri Kominfo; Menteri; Kementerian Kominfo" in page
    # Saving the session over its own slot is no clash with itself.
    response = web.post(
        f"/manage/{event.slug}/agenda/{item.id}",
        data=session_form(event, title="Pembukaan Resmi", session_type="opening", starts_at="2017-11-15T09:00", ends_at="2017-11-15T10:30", speakers="Dirjen Aptika; Dirjen"),
    )
    assert response.status_code == 302
    [stored] = sessions_of(event)
    assert stored.title == "Pembukaan Resmi" and stored.ends_at == utc(2017, 11, 15, 3, 30)
    assert [(s.name, s.position) for s in stored.speakers] == [("Dirjen Aptika", "Dirjen")]


def test_edit_into_a_taken_slot_is_refused(app, organizer_web, make_session):
    web, event = organizer_web
    ballroom = room(event, "Ballroom")
    make_session(event, title="Ekspos A", room=ballroom, starts_at=utc(2017, 11, 15, 3), ends_at=utc(2017, 11, 15, 4))
    second = make_session(event, title="Ekspos B", room=ballroom, starts_at=utc(2017, 11, 15, 4), ends_at=utc(2017, 11, 15, 5))
    response = web.post(f"/manage/{event.slug}/agenda/{second.id}", data=session_form(event, title="Ekspos B", starts_at="2017-11-15T10:30", ends_at="2017-11-15T11:30"))
    assert response.status_code == 200
    assert field_errors(response, "room_id")
    assert fresh().get(AgendaSession, second.id).starts_at == utc(2017, 11, 15, 4)


def test_delete_session(organizer_web, make_session):
    web, event = organizer_web
    item = make_session(event, title="Rehat", speakers=[("A", "", "")])
    assert web.get(f"/manage/{event.slug}/agenda/{item.id}/delete").status_code == 405
    response = web.post(f"/manage/{event.slug}/agenda/{item.id}/delete")
    assert response.status_code == 302
    assert sessions_of(event) == []
    assert fresh().scalar(select(func.count()).select_from(Speaker)) == 0


def test_another_events_session_in_this_events_url_is_404(web, make_user, make_event, make_session, organizer):
    user, event = organizer
    other = make_event(slug="acara-lain")
    make_user(email="panitia-lain@kominfo.go.id", event=other, role="organizer")
    foreign = make_session(other, title="Sesi acara lain")
    sign_in(web, user)
    assert web.get(f"/manage/{event.slug}/agenda/{foreign.id}").status_code == 404
    assert web.post(f"/manage/{event.slug}/agenda/{foreign.id}", data=session_form(event, title="Dibajak")).status_code == 404
    assert web.post(f"/manage/{event.slug}/agenda/{foreign.id}/delete").status_code == 404
    stored = fresh().get(AgendaSession, foreign.id)
    assert stored is not None and stored.title == "Sesi acara lain"
    assert web.get(f"/manage/{event.slug}/agenda/999999").status_code == 404
    assert web.get(f"/manage/{event.slug}/agenda/abc").status_code == 404
    assert web.post(f"/manage/{event.slug}/agenda/-1/delete").status_code == 404


def test_agenda_screens_are_for_the_events_organizers(web, make_user, make_event, make_session, organizer):
    _, event = organizer
    item = make_session(event)
    assert web.get(f"/manage/{event.slug}/agenda/").headers["Location"].startswith("/login")
    checkin = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    sign_in(web, checkin)
    assert web.get(f"/manage/{event.slug}/agenda/").status_code == 403
    assert add(web, event).status_code == 403
    assert web.post(f"/manage/{event.slug}/agenda/{item.id}/delete").status_code == 403
    assert sessions_count() == 1


# The public agenda ------------------------------------------------------------------------------


@pytest.fixture
def two_day_forum(make_event, make_venue, make_session):
    """A forum in Makassar (WITA) on 15–16 November 2017, with sessions in two rooms over both days."""
    venue = make_venue(name="Hotel Clarion Makassar", rooms=(("Ballroom Phinisi", 600), ("Ruang Losari", 60)))
    phinisi, losari = venue.rooms[0], venue.rooms[1]
    event = make_event(
        name="Forum Smart City Indonesia Timur", slug="forum-timur", timezone="Asia/Makassar", venue=venue,
        starts_at=utc(2017, 11, 15, 0), ends_at=utc(2017, 11, 16, 10),
    )
    make_session(event, title="Pembukaan", room=phinisi, starts_at=utc(2017, 11, 15, 1), ends_at=utc(2017, 11, 15, 2),
                 speakers=[("Rudiantara", "Menteri Komunikasi dan Informatika", "Kementerian Kominfo")])
    make_session(event, title="FGD Quick Win", room=losari, session_type=SessionType.FGD,
                 starts_at=utc(2017, 11, 15, 1), ends_at=utc(2017, 11, 15, 3))
    # 17:30 UTC on the 15th is 01:30 WITA on the 16th: it belongs to the second day.
    make_session(event, title="Sesi Malam", room=losari, session_type=SessionType.SEMINAR,
                 starts_at=utc(2017, 11, 15, 17, 30), ends_at=utc(2017, 11, 15, 18, 30))
    make_session(event, title="Ekspos Kota Makassar", room=phinisi, session_type=SessionType.EXPOSE_BLOCK,
                 starts_at=utc(2017, 11, 16, 1), ends_at=utc(2017, 11, 16, 2))
    return event


def agenda_days(page: str) -> list[tuple[str, list[str]]]:
    """(day heading, [each session's text]) as the public page shows them."""
    days = []
    for section in re.findall(r'data-testid="agenda-day">(.*?)</section>', page, re.S):
        heading, *items = re.split(r'<div class="agenda-item" data-testid="agenda-item">', section)
        heading = unescape(re.search(r"<h3>(.*?)</h3>", heading, re.S).group(1)).strip()
        days.append((heading, [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]))
    return days


def test_public_agenda_by_day_in_the_events_zone_and_language(web, two_day_forum):
    wednesday, thursday = date(2017, 11, 15), date(2017, 11, 16)
    page = text(web.get("/e/forum-timur"))
    days = agenda_days(page)
    assert [heading for heading, _ in days] == [format_date(wednesday, "full", locale="id"), format_date(thursday, "full", locale="id")]
    assert days[0][0] == "Rabu, 15 November 2017"
    first, second = days[0][1], days[1][1]
    assert first[0].startswith("09:00–10:00 · Ballroom Phinisi Pembukaan")
    assert "Rudiantara, Menteri Komunikasi dan Informatika — Kementerian Kominfo" in first[0]
    assert first[1].startswith("09:00–11:00 · Ruang Losari FGD Quick Win")
    assert second[0].startswith("01:30–02:30 · Ruang Losari Sesi Malam")
    assert second[1].startswith("09:00–10:00 · Ballroom Phinisi Ekspos Kota Makassar")
    assert "WITA" in page

    web.post("/language/en")
    days_en = agenda_days(text(web.get("/e/forum-timur")))
    assert [heading for heading, _ in days_en] == [format_date(wednesday, "full", locale="en"), format_date(thursday, "full", locale="en")]
    assert days_en[0][0] == "Wednesday, November 15, 2017"
    assert days_en[0][0] != days[0][0]
    assert [items for _, items in days_en][0][0].startswith("09:00–10:00 · Ballroom Phinisi Pembukaan")


def test_manage_agenda_groups_by_local_day_too(web, make_user, two_day_forum):
    organizer = make_user(email="panitia@kominfo.go.id", event=two_day_forum, role="organizer")
    sign_in(web, organizer)
    page = text(web.get("/manage/forum-timur/agenda/"))
    assert page.count('data-testid="manage-session"') == 4
    assert page.index("Rabu, 15 November 2017") < page.index("FGD Quick Win") < page.index("Kamis, 16 November 2017") < page.index("Sesi Malam")


def test_agenda_ics_holds_the_sessions_in_utc_with_their_rooms(web, two_day_forum):
    response = web.get("/e/forum-timur/agenda.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert 'filename="forum-timur.ics"' in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    entries = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert len(entries) == 4
    opening = entries["Pembukaan — Forum Smart City Indonesia Timur"]
    assert opening.decoded("DTSTART") == utc(2017, 11, 15, 1) and opening.decoded("DTSTART").utcoffset() == timedelta(0)
    assert opening.decoded("DTEND") == utc(2017, 11, 15, 2)
    assert str(opening["LOCATION"]).startswith("Ballroom Phinisi, Hotel Clarion Makassar")
    assert "Rudiantara" in str(opening["DESCRIPTION"])
    night = entries["Sesi Malam — Forum Smart City Indonesia Timur"]
    assert night.decoded("DTSTART") == utc(2017, 11, 15, 17, 30)
    assert str(night["LOCATION"]).startswith("Ruang Losari")
    assert b"DTSTART:20171115T010000Z" in response.data  # written in UTC, not floating local time
    assert len({str(e["UID"]) for e in entries.values()}) == 4


def test_ics_of_an_event_without_agenda_is_one_entry(web, make_event):
    event = make_event(name="Malam Penghargaan", slug="malam")
    calendar = Calendar.from_ical(web.get("/e/malam/agenda.ics").data)
    [entry] = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == "Malam Penghargaan"
    assert entry.decoded("DTSTART") == event.starts_at


def test_ics_of_a_draft_is_404(web, make_event, make_session):
    draft = make_event(slug="draf", status=EventStatus.DRAFT)
    make_session(draft)
    assert web.get("/e/draf/agenda.ics").status_code == 404


# CSRF ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "forged-token", "ImFiYyI.Zz.abc"])
def test_agenda_form_without_a_valid_csrf_token_is_refused(make_app, organizer, token):
    user, event = organizer
    guarded = make_app(WTF_CSRF_ENABLED=True)
    web = guarded.test_client()
    login_page = text(web.get("/login"))
    real = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    assert web.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": real}).status_code == 302
    data = session_form(event)
    if token is not None:
        data["csrf_token"] = token
    response = web.post(f"/manage/{event.slug}/agenda/", data=data)
    assert response.status_code == 400
    assert error_message(response) == tr(
        guarded, "Your form has expired or did not come from this site. Reload the page and send it again."
    )
    assert sessions_count() == 0
    # The page's own token does work, so it was the token that was refused.
    page = text(web.get(f"/manage/{event.slug}/agenda/"))
    data["csrf_token"] = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert web.post(f"/manage/{event.slug}/agenda/", data=data).status_code == 302
    assert sessions_count() == 1


# Junk ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "T" * 100_000}, "title"),
        ({"session_type": "pesta"}, "session_type"),
        ({"room_id": "abc"}, "room_id"),
        ({"room_id": "1.5"}, "room_id"),
        ({"room_id": "99999999999999999999999999"}, "room_id"),
        ({"starts_at": "kemarin"}, "starts_at"),
        ({"starts_at": "2017-11-15"}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00"}, "starts_at"),
        ({"ends_at": "9999-12-31T23:59"}, "ends_at"),
        ({"ends_at": "2017-02-30T10:00"}, "ends_at"),
        ({"speakers": "Budi; Kadis; Kota\n" * 400}, "speakers"),
        ({"description": "d" * 30_000}, "description"),
    ],
)
def test_session_form_junk_is_refused_with_a_message(organizer_web, make_session, fields, field):
    web, event = organizer_web
    response = add(web, event, **fields)
    assert response.status_code == 200
    assert field_errors(response, field), text(response)[:3000]
    assert sessions_count() == 0
    # The edit form answers the same way.
    item = make_session(event, title="Ada")
    response = web.post(f"/manage/{event.slug}/agenda/{item.id}", data=session_form(event, **fields))
    assert response.status_code == 200 and field_errors(response, field)
    assert fresh().get(AgendaSession, item.id).title == "Ada"


def test_session_form_with_nothing_posted_is_refused(organizer_web):
    web, event = organizer_web
    response = web.post(f"/manage/{event.slug}/agenda/", data={})
    assert response.status_code == 200
    for field in ("title", "session_type", "starts_at", "ends_at"):
        assert field_errors(response, field), field
    assert sessions_count() == 0


def test_long_speaker_fields_are_cut_to_fit(organizer_web):
    web, event = organizer_web
    response = add(web, event, speakers=f"{'N' * 300}; {'P' * 300}; {'O' * 300}")
    assert response.status_code == 302
    [speaker] = sessions_of(event)[0].speakers
    assert (len(speaker.name), len(speaker.position), len(speaker.organization)) == (200, 200, 200)


def test_parallel_sessions_are_grouped_side_by_side(app, make_event, make_venue, make_session):
    """Sessions that overlap in different rooms form one slot; the next session starts a new one."""
    from eventsys.events.services import agenda_by_day
    from eventsys.extensions import db
    from tests.conftest import utc

    venue = make_venue()
    ballroom, ruang_b = sorted(venue.rooms, key=lambda r: r.name)
    event = make_event(venue=venue)
    a = make_session(event, "Blok I", utc(2017, 11, 15, 7), utc(2017, 11, 15, 8), room=ballroom)
    b = make_session(event, "Blok II", utc(2017, 11, 15, 7, 30), utc(2017, 11, 15, 8, 30), room=ruang_b)
    c = make_session(event, "Rehat", utc(2017, 11, 15, 8, 30), utc(2017, 11, 15, 9))
    (day,) = agenda_by_day(db.session, event)
    assert [[s.title for s in slot] for slot in day.slots] == [[a.title, b.title], [c.title]]
