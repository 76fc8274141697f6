"""The published exposé schedule for delegates: page, .ics feeds, the printable rundown, and who may see what."""
import re

import pypdfium2 as pdfium
import pytest
from flask_babel import force_locale
from icalendar import Calendar

from eventsys.core.i18n import local_datetime
from eventsys.events.models import EventStatus, SessionType
from eventsys.exposes import publishing, services
from eventsys.extensions import db
from tests.expose_helpers import block, place, presenter, wib
from tests.helpers import sign_in, text, tr


@pytest.fixture
def night(organizer, make_session):
    """Opening, an exposé block with its panel and two regions, published as version 1."""
    user, event = organizer
    make_session(event, title="Sambutan Menteri Kominfo", starts_at=wib("09:00"), ends_at=wib("09:30"), session_type=SessionType.KEYNOTE,
                 speakers=(("Rudiantara", "Menteri Kominfo", "Kementerian Kominfo"),))
    ballroom = block(event, title="Ekspos Masterplan Sesi 1", room_name="Ballroom", start="10:00", end="12:00")
    services.save_panel(db.session, event, ballroom.id, "Prof. Suhono Harso Supangkat", "Dr. Ir. Ismail, Kominfo")
    cirebon = presenter(event, "Kota Cirebon", person="Drs. Nasrudin Azis, SH", title="Wali Kota Cirebon")
    makassar = presenter(event, "Kota Makassar", "Sulawesi Selatan")
    place(event, cirebon, ballroom, "10:20")
    place(event, makassar, ballroom, "10:00")
    publishing.publish(db.session, event, user)
    db.session.commit()
    return user, event, ballroom, cirebon, makassar


def calendar_of(response) -> list:
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return [c for c in Calendar.from_ical(response.data).walk("VEVENT")]


def pdf_text(body: bytes) -> str:
    document = pdfium.PdfDocument(body)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_the_public_schedule_shows_the_latest_version_by_day_and_room(app, night, web):
    _user, event, _ballroom, _cirebon, _makassar = night
    page = text(web.get(f"/e/{event.slug}/expose/"))
    line = re.search(r'data-testid="version-line">(.*?)</p>', page, re.S).group(1)
    version = publishing.latest_version(db.session, event)
    with app.test_request_context(), force_locale("id"):
        published = local_datetime(version.published_at, event.timezone)
    assert tr(app, "Version %(number)d, published %(date)s", number=1, date=published) in line
    rows = re.findall(r'<tr data-testid="expose-slot">(.*?)</tr>', page, re.S)
    assert [re.search(r"<strong>(.*?)</strong>", r).group(1) for r in rows] == ["Kota Makassar", "Kota Cirebon"]
    assert "10:00–10:15" in rows[0] and "10:20–10:35" in rows[1] and "Wali Kota Cirebon" in rows[1]
    assert "<h3>Ballroom</h3>" in page


def test_nothing_published_yet(app, organizer, web):
    _user, event = organizer
    page = web.get(f"/e/{event.slug}/expose/")
    assert page.status_code == 200 and 'data-testid="not-published"' in text(page)
    assert calendar_of(web.get(f"/e/{event.slug}/expose/schedule.ics")) == []


def test_a_draft_event_shows_no_schedule_to_the_public(app, night, web):
    _user, event, _ballroom, cirebon, _makassar = night
    event.status = EventStatus.DRAFT
    db.session.commit()
    for path in ("/", "/v/1", "/schedule.ics", f"/presenters/{cirebon.id}.ics", "/rundown.pdf"):
        assert web.get(f"/e/{event.slug}/expose{path}").status_code == 404, path


def test_feeds_keep_their_uids_and_count_versions(app, night, web):
    user, event, ballroom, cirebon, makassar = night
    first = {str(e["uid"]): e for e in calendar_of(web.get(f"/e/{event.slug}/expose/schedule.ics"))}
    assert len(first) == 2 and all(int(e["sequence"]) == 1 for e in first.values())
    entry = next(e for e in first.values() if "Kota Cirebon" in str(e["summary"]))
    assert entry.decoded("dtstart") == wib("10:20") and entry.decoded("dtend") == wib("10:35")
    assert "Ballroom" in str(entry["location"])

    place(event, cirebon, ballroom, "11:00")
    services.unschedule(db.session, event, makassar)
    db.session.commit()
    publishing.publish(db.session, event, user)
    db.session.commit()
    second = {str(e["uid"]): e for e in calendar_of(web.get(f"/e/{event.slug}/expose/schedule.ics"))}
    assert set(second) == set(first)  # same UIDs: calendar apps update the entries
    moved = second[str(entry["uid"])]
    assert int(moved["sequence"]) == 2 and moved.decoded("dtstart") == wib("11:00")
    dropped = next(e for e in second.values() if "Kota Makassar" in str(e["summary"]))
    assert str(dropped["status"]) == "CANCELLED" and int(dropped["sequence"]) == 2

    [own] = calendar_of(web.get(f"/e/{event.slug}/expose/presenters/{cirebon.id}.ics"))
    assert str(own["uid"]) == str(entry["uid"]) and own.decoded("dtstart") == wib("11:00")
    assert web.get(f"/e/{event.slug}/expose/presenters/999999.ics").status_code == 404


def test_the_rundown_pdf_has_the_agenda_with_slots_and_panel(app, night, web):
    _user, event, _ballroom, _cirebon, _makassar = night
    response = web.get(f"/e/{event.slug}/expose/rundown.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    content = " ".join(pdf_text(response.data).split())
    for expected in ("Sambutan Menteri Kominfo", "09:00–09:30", "Ekspos Masterplan Sesi 1", "10:00–12:00",
                     "Kota Makassar", "10:00–10:15", "Kota Cirebon", "10:20–10:35", "Drs. Nasrudin Azis, SH",
                     "Prof. Suhono Harso Supangkat", "Dr. Ir. Ismail, Kominfo", "WIB", event.name):
        assert expected in content, expected
    assert content.index("Sambutan Menteri Kominfo") < content.index("Kota Makassar") < content.index("Kota Cirebon")
    assert tr(app, "Event rundown") in content


# Access -------------------------------------------------------------------------------------------


def test_management_is_for_organizers_only(app, night, web, make_user):
    _user, event, _ballroom, cirebon, _makassar = night
    paths = ("/", "/settings", "/presenters", f"/presenters/{cirebon.id}", "/versions")
    for path in paths:
        response = web.get(f"/manage/{event.slug}/expose{path}")
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    staff = make_user(email="petugas@kominfo.go.id", event=event, role="checkin")
    sign_in(web, staff)
    for path in paths:
        assert web.get(f"/manage/{event.slug}/expose{path}").status_code == 403, path
    for path in ("/publish", "/auto-schedule", "/move", "/swap", "/unschedule", f"/presenters/{cirebon.id}/delete"):
        assert web.post(f"/manage/{event.slug}/expose{path}", data={"presenter_id": cirebon.id}).status_code == 403, path
    assert web.get(f"/e/{event.slug}/expose/").status_code == 200  # the public page stays public
