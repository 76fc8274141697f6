"""Events: creating and editing them in the event's zone, slugs, drafts, programmes and their gatherings.

Requests go through `web`, a client of its own app instance, so every request gets a fresh app
context as in production (the `client` fixture shares the test's context and so its `g`).
Messages are compared with what Flask-Babel makes of their msgid, so the tests hold once the
Indonesian catalog exists.
"""
from datetime import datetime

import pytest
from babel.dates import format_date
from flask_babel import force_locale
from sqlalchemy import func, select

from eventsys.accounts.models import EventRole, EventRoleName
from eventsys.core.i18n import local_date, local_time
from eventsys.core.rules import RuleViolation
from eventsys.events import services
from eventsys.events.models import Event, EventKind, EventStatus
from eventsys.extensions import db
from tests.conftest import utc
from tests.helpers import field_errors, fresh, sign_in, text, tr


def events_count() -> int:
    return fresh().scalar(select(func.count()).select_from(Event))


def event_named(slug: str) -> Event | None:
    return fresh().scalar(select(Event).where(Event.slug == slug))


def event_form(**fields) -> dict:
    return {
        "name": "Forum Smart City Makassar 2017",
        "slug": "",
        "kind": "forum",
        "status": "published",
        "parent_id": "0",
        "timezone": "Asia/Makassar",
        "starts_at": "2017-11-15T09:00",
        "ends_at": "2017-11-15T17:00",
        "venue_id": "0",
        "description": "Forum para kepala daerah.",
    } | fields


# Dates per locale --------------------------------------------------------------------------------


def test_local_date_is_written_the_way_each_language_writes_it(app):
    morning_in_makassar = utc(2017, 11, 14, 17, 30)  # 15 November, 01:30 WITA
    with app.test_request_context():
        with force_locale("id"):
            assert local_date(morning_in_makassar, "Asia/Makassar") == "15 November 2017"
            assert local_date(morning_in_makassar, "Asia/Jakarta") == "15 November 2017"  # 00:30 WIB
            assert local_date(morning_in_makassar, "UTC") == "14 November 2017"
        with force_locale("en"):
            assert local_date(morning_in_makassar, "Asia/Makassar") == "November 15, 2017"
        assert local_time(morning_in_makassar, "Asia/Makassar") == "01:30 WITA"
        assert local_time(morning_in_makassar, "Asia/Jayapura") == "02:30 WIT"
        assert local_time(morning_in_makassar, "Asia/Jakarta", with_zone=False) == "00:30"


def test_dates_follow_the_chosen_language_on_pages(web, make_event):
    event = make_event(starts_at=utc(2017, 11, 15, 1), ends_at=utc(2017, 11, 15, 9))
    indonesian, english = format_date(datetime(2017, 11, 15), "long", locale="id"), format_date(datetime(2017, 11, 15), "long", locale="en")
    assert indonesian != english
    page = text(web.get(f"/e/{event.slug}"))
    assert indonesian in page and english not in page
    web.post("/language/en")
    page = text(web.get(f"/e/{event.slug}"))
    assert english in page and indonesian not in page
    web.post("/language/id")
    assert indonesian in text(web.get(f"/e/{event.slug}"))


# Creating events ---------------------------------------------------------------------------------


def test_create_event_in_wita_stores_utc(organizer_web):
    web, _ = organizer_web
    response = web.post("/manage/events/new", data=event_form())
    assert response.status_code == 302
    event = event_named("forum-smart-city-makassar-2017")  # made from the name
    assert response.headers["Location"] == f"/manage/{event.slug}/agenda/"
    assert event.starts_at == utc(2017, 11, 15, 1, 0)  # 09:00 WITA is 01:00 UTC
    assert event.ends_at == utc(2017, 11, 15, 9, 0)
    assert event.timezone == "Asia/Makassar" and event.kind == EventKind.FORUM
    assert event.status == EventStatus.PUBLISHED and event.venue_id is None and event.parent_id is None
    public = text(web.get(f"/e/{event.slug}"))
    assert "Forum Smart City Makassar 2017" in public
    assert "09:00–17:00 WITA" in public


def test_creator_becomes_the_events_organizer(web, make_user):
    creator = make_user(email="direktur@kominfo.go.id", is_admin=True)
    sign_in(web, creator)
    assert web.post("/manage/events/new", data=event_form(slug="forum-baru")).status_code == 302
    event = event_named("forum-baru")
    roles = fresh().scalars(select(EventRole).where(EventRole.event_id == event.id)).all()
    assert [(r.user_id, r.role) for r in roles] == [(creator.id, EventRoleName.ORGANIZER)]
    assert web.get("/manage/forum-baru/agenda/").status_code == 200


def test_edit_form_shows_times_in_the_events_zone(organizer_web):
    web, _ = organizer_web
    web.post("/manage/events/new", data=event_form(slug="forum-wita"))
    page = text(web.get("/manage/forum-wita/edit"))
    assert 'value="2017-11-15T09:00"' in page and 'value="2017-11-15T17:00"' in page


def test_only_organizers_and_admins_create_events(web, make_user):
    delegate = make_user(email="delegasi@cirebonkota.go.id")
    sign_in(web, delegate)
    assert web.get("/manage/events/new").status_code == 403
    assert web.post("/manage/events/new", data=event_form()).status_code == 403
    assert events_count() == 0


def test_taken_slug_is_refused_next_to_the_field(app, organizer_web):
    web, event = organizer_web
    response = web.post("/manage/events/new", data=event_form(slug=event.slug))
    assert response.status_code == 200
    assert field_errors(response, "slug") == [
        tr(app, "The address “%(slug)s” is already used by another event. Choose another.", slug=event.slug)
    ]
    assert events_count() == 1


def test_slug_made_from_a_taken_name_gets_a_number(organizer_web):
    web, _ = organizer_web
    assert web.post("/manage/events/new", data=event_form()).status_code == 302
    assert web.post("/manage/events/new", data=event_form()).status_code == 302
    assert event_named("forum-smart-city-makassar-2017") and event_named("forum-smart-city-makassar-2017-2")


def test_slug_is_made_from_any_name(app):
    assert services.make_slug("Ekspos Masterplan Smart City — Kab. Cirebon 2017") == "ekspos-masterplan-smart-city-kab-cirebon-2017"
    assert services.make_slug("!!!") == "acara"
    assert len(services.make_slug("Forum " * 100)) <= 80


def test_end_before_start_is_refused(app, organizer_web):
    web, _ = organizer_web
    for end in ("2017-11-15T08:59", "2017-11-15T09:00"):
        response = web.post("/manage/events/new", data=event_form(ends_at=end))
        assert response.status_code == 200
        assert field_errors(response, "ends_at") == [tr(app, "The end must be after the start.")]
    assert events_count() == 1  # the organizer's own


def test_unknown_time_zone_is_refused(app, organizer_web):
    web, _ = organizer_web
    for zone in ("Mars/Olympus_Mons", "", "WITA", "../../etc/passwd"):
        response = web.post("/manage/events/new", data=event_form(timezone=zone))
        assert response.status_code == 200
        assert field_errors(response, "timezone") == [tr(app, "Not a valid choice.")]
    assert events_count() == 1


def test_save_event_refuses_unknown_time_zone(app):
    data = services.EventData(
        name="Forum", slug="forum", kind=EventKind.FORUM, description="", starts_at=utc(2017, 11, 15, 1),
        ends_at=utc(2017, 11, 15, 9), timezone="Mars/Olympus_Mons",
    )
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        services.save_event(db.session, data)
    assert refused.value.field == "timezone"
    db.session.rollback()
    assert events_count() == 0


# Drafts ----------------------------------------------------------------------------------------


def test_draft_is_404_to_the_public_and_visible_to_its_team(web, make_user, make_event):
    draft = make_event(name="Malam Penghargaan (draf)", status=EventStatus.DRAFT)
    organizer = make_user(email="panitia@kominfo.go.id", event=draft, role="organizer")
    checkin = make_user(email="petugas@kominfo.go.id", event=draft, role="checkin")
    stranger = make_user(email="orang@lain.id")
    for path in (f"/e/{draft.slug}", f"/e/{draft.slug}/agenda.ics"):
        assert web.get(path).status_code == 404
    assert "Malam Penghargaan (draf)" not in text(web.get("/"))
    sign_in(web, stranger)
    assert web.get(f"/e/{draft.slug}").status_code == 404
    web.post("/logout")
    for member in (organizer, checkin):
        sign_in(web, member)
        page = web.get(f"/e/{draft.slug}")
        assert page.status_code == 200 and "Malam Penghargaan (draf)" in text(page)
        web.post("/logout")


def test_published_event_is_listed_on_the_home_page(web, make_event):
    make_event(name="Ekspos Kota Makassar", timezone="Asia/Makassar")
    assert "Ekspos Kota Makassar" in text(web.get("/"))


def test_unknown_event_is_404(web):
    assert web.get("/e/tidak-ada").status_code == 404
    assert web.get("/e/" + "x" * 3000).status_code == 404


# Programmes ------------------------------------------------------------------------------------


def test_programme_page_lists_its_public_gatherings(web, make_event):
    programme = make_event(
        name="Gerakan Menuju 100 Smart City 2017", slug="gm100sc-2017", kind=EventKind.PROGRAMME,
        starts_at=utc(2017, 11, 14, 1), ends_at=utc(2017, 11, 16, 15),
    )
    forum = make_event(name="Forum Delegasi", slug="forum-delegasi", kind=EventKind.FORUM, parent=programme)
    awards = make_event(
        name="Malam Penghargaan", slug="malam-penghargaan", kind=EventKind.AWARD_NIGHT, parent=programme,
        starts_at=utc(2017, 11, 16, 12), ends_at=utc(2017, 11, 16, 15),
    )
    make_event(name="FGD Tertutup", slug="fgd-tertutup", kind=EventKind.FGD, parent=programme, status=EventStatus.DRAFT)
    page = text(web.get("/e/gm100sc-2017"))
    assert f'href="/e/{forum.slug}"' in page and f'href="/e/{awards.slug}"' in page
    assert page.index("Forum Delegasi") < page.index("Malam Penghargaan")  # in date order
    assert "FGD Tertutup" not in page
    gathering = text(web.get("/e/forum-delegasi"))
    assert 'href="/e/gm100sc-2017"' in gathering  # “part of” the programme
    home = text(web.get("/"))
    assert "Forum Delegasi" in home and "FGD Tertutup" not in home


def test_gathering_is_created_inside_a_programme(organizer_web, make_event):
    web, _ = organizer_web
    programme = make_event(name="Program 2017", slug="program-2017", kind=EventKind.PROGRAMME)
    response = web.post("/manage/events/new", data=event_form(slug="ekspos-hari-1", kind="expose", parent_id=str(programme.id)))
    assert response.status_code == 302
    assert event_named("ekspos-hari-1").parent_id == programme.id


def test_parent_must_be_a_programme(app, organizer_web, make_event):
    web, event = organizer_web  # an exposé, not a programme
    response = web.post("/manage/events/new", data=event_form(parent_id=str(event.id)))
    assert response.status_code == 200
    assert field_errors(response, "parent_id") == [tr(app, "Not a valid choice.")]  # not even offered
    assert events_count() == 1


def test_programme_cannot_sit_inside_another_programme(app, make_event):
    outer = make_event(kind=EventKind.PROGRAMME, slug="luar")
    data = services.EventData(
        name="Dalam", slug="dalam", kind=EventKind.PROGRAMME, description="", starts_at=outer.starts_at,
        ends_at=outer.ends_at, timezone="Asia/Jakarta", parent_id=outer.id,
    )
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        services.save_event(db.session, data)
    assert refused.value.field == "parent_id"


def test_programme_with_gatherings_keeps_its_kind(app, organizer_web, make_event, make_user):
    web, _ = organizer_web
    programme = make_event(kind=EventKind.PROGRAMME, slug="program")
    make_event(parent=programme, slug="bagian")
    data = services.EventData(
        name="Program", slug="program", kind=EventKind.FORUM, description="", starts_at=programme.starts_at,
        ends_at=programme.ends_at, timezone="Asia/Jakarta",
    )
    with app.test_request_context(), pytest.raises(RuleViolation) as refused:
        services.save_event(db.session, data, programme)
    assert refused.value.field == "kind"
    db.session.rollback()
    assert event_named("program").kind == EventKind.PROGRAMME


# Editing ---------------------------------------------------------------------------------------


def edit_form(event, **fields) -> dict:
    return event_form(
        name=event.name, slug=event.slug, kind=event.kind.value, status=event.status.value, timezone=event.timezone,
        starts_at="2017-11-15T08:00", ends_at="2017-11-15T22:00", venue_id=str(event.venue_id or 0),
    ) | fields


def test_edit_event(organizer_web):
    web, event = organizer_web
    response = web.post(f"/manage/{event.slug}/edit", data=edit_form(event, name="Ekspos Masterplan (diubah)"))
    assert response.status_code == 302
    stored = fresh().get(Event, event.id)
    assert stored.name == "Ekspos Masterplan (diubah)"
    assert stored.starts_at == utc(2017, 11, 15, 1) and stored.ends_at == utc(2017, 11, 15, 15)  # WIB


def test_edit_that_leaves_sessions_outside_is_refused(app, organizer_web, make_session):
    web, event = organizer_web
    make_session(event, title="Ekspos Kota Cirebon", starts_at=utc(2017, 11, 15, 13), ends_at=utc(2017, 11, 15, 14))
    response = web.post(f"/manage/{event.slug}/edit", data=edit_form(event, ends_at="2017-11-15T19:00", name="Diubah"))
    assert response.status_code == 200
    assert field_errors(response, "starts_at") == [
        tr(app, "%(count)d agenda sessions fall outside these dates; move them first.", count=1)
    ]
    stored = fresh().get(Event, event.id)
    assert stored.ends_at == utc(2017, 11, 15, 15) and stored.name != "Diubah"
    # Moving the event so the session still fits is fine.
    assert web.post(f"/manage/{event.slug}/edit", data=edit_form(event, ends_at="2017-11-15T21:00")).status_code == 302


def test_edit_that_moves_sessions_out_of_their_venue_is_refused(app, organizer_web, make_session, make_venue):
    web, event = organizer_web
    make_session(event, title="Pembukaan", room=event.venue.rooms[0])
    other = make_venue(name="JCC Senayan", rooms=(("Plenary Hall", 3000),))
    response = web.post(f"/manage/{event.slug}/edit", data=edit_form(event, venue_id=str(other.id)))
    assert response.status_code == 200
    assert field_errors(response, "venue_id") == [
        tr(app, "%(count)d agenda sessions are in rooms of the current venue; change their rooms first.", count=1)
    ]
    assert fresh().get(Event, event.id).venue_id == event.venue_id


def test_edit_to_a_taken_slug_is_refused(app, organizer_web, make_event):
    web, event = organizer_web
    make_event(slug="sudah-dipakai")
    response = web.post(f"/manage/{event.slug}/edit", data=edit_form(event, slug="sudah-dipakai"))
    assert response.status_code == 200
    assert field_errors(response, "slug")
    assert fresh().get(Event, event.id).slug == event.slug


def test_only_the_events_organizers_edit_it(web, make_user, make_event, organizer):
    _, event = organizer
    other = make_event(slug="acara-lain")
    outsider = make_user(email="panitia-lain@kominfo.go.id", event=other, role="organizer")
    sign_in(web, outsider)
    assert web.get(f"/manage/{event.slug}/edit").status_code == 403
    assert web.post(f"/manage/{event.slug}/edit", data=edit_form(event, name="Dibajak")).status_code == 403
    assert fresh().get(Event, event.id).name != "Dibajak"


# Junk ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": ""}, "name"),
        ({"name": "N" * 100_000}, "name"),
        ({"slug": "Bukan Slug!"}, "slug"),
        ({"slug": "a" * 81}, "slug"),
        ({"kind": "pesta"}, "kind"),
        ({"status": "deleted"}, "status"),
        ({"parent_id": "abc"}, "parent_id"),
        ({"parent_id": "99999999999999999999999"}, "parent_id"),
        ({"venue_id": "abc"}, "venue_id"),
        ({"venue_id": "-5"}, "venue_id"),
        ({"starts_at": "besok pagi"}, "starts_at"),
        ({"starts_at": "2017-13-45T25:99"}, "starts_at"),
        ({"starts_at": ""}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00"}, "starts_at"),
        ({"ends_at": "9999-12-31T23:59"}, "ends_at"),
        ({"ends_at": "2017-11-15T17:00" * 1000}, "ends_at"),
        ({"description": "d" * 30_000}, "description"),
        ({"timezone": "x" * 10_000}, "timezone"),
    ],
)
def test_event_form_junk_is_refused_with_a_message(organizer_web, fields, field):
    web, _ = organizer_web
    response = web.post("/manage/events/new", data=event_form(**fields))
    assert response.status_code == 200
    assert field_errors(response, field), text(response)[:3000]
    assert events_count() == 1


def test_event_form_with_missing_fields_is_refused(organizer_web):
    web, _ = organizer_web
    response = web.post("/manage/events/new", data={})
    assert response.status_code == 200
    for field in ("name", "kind", "status", "starts_at", "ends_at", "timezone"):
        assert field_errors(response, field), field
    assert events_count() == 1


def test_event_form_accepts_seconds_from_the_browser(organizer_web):
    web, _ = organizer_web
    response = web.post("/manage/events/new", data=event_form(slug="detik", starts_at="2017-11-15T09:00:00", ends_at="2017-11-15T17:00:00"))
    assert response.status_code == 302
    assert event_named("detik").starts_at == utc(2017, 11, 15, 1)


def test_nul_byte_in_a_name_is_dropped(organizer_web):
    web, _ = organizer_web
    assert web.post("/manage/events/new", data=event_form(name="Forum\x00 Makassar", slug="nul")).status_code == 302
    assert event_named("nul").name == "Forum Makassar"
