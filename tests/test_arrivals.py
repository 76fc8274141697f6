"""Live arrivals: quarter-hour buckets on the event's clock, counts by category, region and checkpoint,
who is inside, who has not arrived (undone check-ins do not count), the JSON the page polls, and who may look."""
import re
import uuid

import pytest
from sqlalchemy import func, select

from eventsys.attendance import arrivals, scanning
from eventsys.attendance.models import CheckIn, Direction, EntryPolicy
from eventsys.extensions import db
from eventsys.registration import tickets
from eventsys.registration.models import DelegateCategory, RegistrationState
from tests.conftest import utc
from tests.helpers import fresh, recorded_statements, sign_in, text


def url(event, path="arrivals") -> str:
    return f"/manage/{event.slug}/checkin/{path}"


def admit(event, checkpoint, registration, at, direction=Direction.IN) -> CheckIn:
    """A scan of the registration's QR at `checkpoint`, as the scanner would make it, at `at`."""
    outcome = scanning.scan_code(
        db.session, event, checkpoint, tickets.token_for(registration.ticket), nonce=uuid.uuid4().hex, direction=direction, now=at
    )
    assert outcome.result == "ok", outcome.message
    db.session.commit()
    return outcome.checkin


def category(event, name):
    item = DelegateCategory(event_id=event.id, name=name, color="#0f766e", position=5)
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def gathering(organizer, make_checkpoint, make_registration, make_organization):
    """An event in WIB with an entrance, a hall tracked in and out, and four delegates in two regions."""
    _user, event = organizer
    entrance = make_checkpoint(event, name="Pintu masuk")
    hall = make_checkpoint(event, name="Ruang ekspos", policy=EntryPolicy.IN_OUT)
    bandung = make_organization(name="Kota Bandung", province="Jawa Barat")
    ambon = make_organization(name="Kota Ambon", province="Maluku", timezone="Asia/Jayapura")
    azis, _ = make_registration(event, name="Nashrudin Azis")
    ridwan, _ = make_registration(event, name="Ridwan Kamil", organization=bandung)
    richard, _ = make_registration(event, name="Richard Louhenapessy", organization=ambon)
    kadis = category(event, "Kadis Kominfo")
    staff, _ = make_registration(event, name="Iing Daiman", position="Kadis Kominfo", category=kadis)
    return event, entrance, hall, {"azis": azis, "ridwan": ridwan, "richard": richard, "kadis": staff}


def test_first_arrivals_are_counted_per_quarter_hour_on_the_events_clock(gathering):
    event, entrance, hall, people = gathering
    admit(event, entrance, people["azis"], utc(2017, 11, 15, 1, 10))  # 08:10 WIB
    admit(event, entrance, people["ridwan"], utc(2017, 11, 15, 1, 14, 59))
    admit(event, entrance, people["richard"], utc(2017, 11, 15, 1, 15))
    admit(event, hall, people["azis"], utc(2017, 11, 15, 2, 40))  # a later entry: not a second arrival
    admit(event, hall, people["kadis"], utc(2017, 11, 15, 1, 50))  # first seen at the hall door

    buckets = arrivals.arrival_buckets(db.session, event)
    assert [(b["label"], b["count"], b["cumulative"]) for b in buckets] == [
        ("08:00", 2, 2), ("08:15", 1, 3), ("08:30", 0, 3), ("08:45", 1, 4),
    ]
    assert buckets[0]["date"] == "2017-11-15"
    assert buckets[0]["start"] == "2017-11-15T01:00:00+00:00"


@pytest.mark.parametrize(
    ("zone", "label"),
    [("Asia/Jakarta", "08:00"), ("Asia/Makassar", "09:00"), ("Asia/Jayapura", "10:00"), ("Asia/Kathmandu", "06:45")],
)
def test_buckets_follow_the_events_zone(organizer, make_checkpoint, make_registration, zone, label):
    _user, event = organizer
    event.timezone = zone
    db.session.commit()
    entrance = make_checkpoint(event)
    registration, _ = make_registration(event)
    admit(event, entrance, registration, utc(2017, 11, 15, 1, 10))  # 08:10 WIB, 09:10 WITA, 10:10 WIT, 06:55 in Nepal (+05:45)
    assert [(b["label"], b["count"]) for b in arrivals.arrival_buckets(db.session, event)] == [(label, 1)]


def test_counts_by_category_region_and_checkpoint_and_who_is_inside(gathering):
    event, entrance, hall, people = gathering
    admit(event, entrance, people["azis"], utc(2017, 11, 15, 1, 10))
    admit(event, entrance, people["ridwan"], utc(2017, 11, 15, 1, 12))
    admit(event, hall, people["azis"], utc(2017, 11, 15, 2, 0))
    admit(event, hall, people["ridwan"], utc(2017, 11, 15, 2, 1))
    admit(event, hall, people["ridwan"], utc(2017, 11, 15, 2, 30), direction=Direction.OUT)

    data = arrivals.snapshot(db.session, event, now=utc(2017, 11, 15, 3, 0))
    assert data["totals"] == {"expected": 4, "arrived": 2, "not_arrived": 2, "percent": 50, "inside": 1}
    assert data["updated"] == "10:00:00" and data["event"]["zone"] == "WIB"
    assert [(c["name"], c["expected"], c["arrived"]) for c in data["by_category"]] == [("Kepala Daerah", 3, 2), ("Kadis Kominfo", 1, 0)]
    assert [(r["name"], r["province"], r["expected"], r["arrived"], r["missing"]) for r in data["by_region"]] == [
        ("Kota Bandung", "Jawa Barat", 1, 1, 0),
        ("Kota Cirebon", "Jawa Barat", 2, 1, 1),
        ("Kota Ambon", "Maluku", 1, 0, 1),
    ]
    assert [(c["name"], c["checked_in"], c["inside"]) for c in data["by_checkpoint"]] == [("Pintu masuk", 2, None), ("Ruang ekspos", 2, 1)]
    assert [(g["checkpoint"], g["count"], [p["name"] for p in g["people"]]) for g in data["inside"]] == [("Ruang ekspos", 1, ["Nashrudin Azis"])]


def test_not_arrived_leaves_out_who_came_and_counts_undone_check_ins_as_not_arrived(gathering):
    event, entrance, hall, people = gathering
    admit(event, entrance, people["azis"], utc(2017, 11, 15, 1, 10))
    mistaken = admit(event, entrance, people["ridwan"], utc(2017, 11, 15, 1, 11))
    scanning.undo_checkin(db.session, mistaken, reason="wrong person")
    db.session.commit()

    missing = arrivals.not_arrived(db.session, event)
    assert missing["count"] == 3 and not missing["truncated"]
    # By province, then organization, then name; no email or phone for check-in staff.
    assert [(p["name"], p["organization"], p["province"], p["category"]) for p in missing["people"]] == [
        ("Ridwan Kamil", "Kota Bandung", "Jawa Barat", "Kepala Daerah"),
        ("Iing Daiman", "Kota Cirebon", "Jawa Barat", "Kadis Kominfo"),
        ("Richard Louhenapessy", "Kota Ambon", "Maluku", "Kepala Daerah"),
    ]
    assert not {"email", "phone"} & set(missing["people"][0])
    heads = people["azis"].category
    assert [p["name"] for p in arrivals.not_arrived(db.session, event, category_id=heads.id)["people"]] == ["Ridwan Kamil", "Richard Louhenapessy"]
    assert arrivals.totals(db.session, event)["arrived"] == 1
    assert arrivals.arrival_buckets(db.session, event)[-1]["cumulative"] == 1


def test_only_confirmed_registrations_are_expected(gathering, make_registration):
    event, entrance, hall, people = gathering
    make_registration(event, name="Menunggu Persetujuan", state=RegistrationState.PENDING)
    make_registration(event, name="Sudah Batal", state=RegistrationState.CANCELLED)
    assert arrivals.totals(db.session, event)["expected"] == 4
    assert "Sudah Batal" not in [p["name"] for p in arrivals.not_arrived(db.session, event)["people"]]


def test_the_not_arrived_list_is_cut_at_its_limit_with_the_full_count(gathering):
    event, entrance, hall, people = gathering
    missing = arrivals.not_arrived(db.session, event, limit=2)
    assert missing["count"] == 4 and len(missing["people"]) == 2 and missing["truncated"]


def _count_queries(work) -> int:
    with recorded_statements() as statements:
        work()
    return len(statements)


def test_the_snapshot_takes_the_same_number_of_queries_for_5_or_60_delegates(organizer, make_checkpoint, make_registration, make_organization):
    _user, event = organizer
    entrance = make_checkpoint(event)
    hall = make_checkpoint(event, name="Ruang ekspos", policy=EntryPolicy.IN_OUT)

    def add(n, start):
        for i in range(start, start + n):
            registration, _ = make_registration(event, name=f"Delegasi {i:03}", organization=make_organization(name=f"Kab. Contoh {i}"))
            if i % 2:
                admit(event, entrance, registration, utc(2017, 11, 15, 1, i % 50))
                admit(event, hall, registration, utc(2017, 11, 15, 2, i % 50))

    add(5, 0)
    few = _count_queries(lambda: arrivals.snapshot(db.session, event))
    add(55, 5)
    db.session.expire_all()
    many = _count_queries(lambda: arrivals.snapshot(db.session, event))
    assert many == few


def test_the_json_follows_new_check_ins_and_answers_304_while_nothing_changed(organizer, make_app, make_checkpoint, make_registration):
    user, event = organizer
    web = sign_in(make_app().test_client(), user)
    entrance = make_checkpoint(event)
    registration, _ = make_registration(event)

    first = web.get(url(event, "arrivals.json"))
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    assert first.get_json()["totals"]["arrived"] == 0
    assert re.fullmatch(r"\d\d:\d\d:\d\d", first.headers["X-Arrivals-Updated"])
    etag = first.headers["ETag"]
    same = web.get(url(event, "arrivals.json"), headers={"If-None-Match": etag})
    assert same.status_code in (304, 200)  # 200 only when a minute turned between the two requests
    if same.status_code == 304:
        assert same.data == b"" and same.headers["X-Arrivals-Updated"]

    admit(event, entrance, registration, utc(2017, 11, 15, 1, 10))
    after = web.get(url(event, "arrivals.json"), headers={"If-None-Match": etag})
    assert after.status_code == 200
    body = after.get_json()
    assert body["totals"]["arrived"] == 1 and body["not_arrived"]["count"] == 0
    assert [(b["label"], b["count"]) for b in body["buckets"]] == [("08:00", 1)]
    assert after.headers["ETag"] != etag


def test_the_page_shows_the_figures_and_loads_its_script_without_inline_code(organizer, make_app, gathering):
    user, _event = organizer
    event, entrance, hall, people = gathering
    admit(event, entrance, people["azis"], utc(2017, 11, 15, 1, 10))
    web = sign_in(make_app().test_client(), user)
    response = web.get(url(event) + f"?category={people['azis'].category_id}")
    assert response.status_code == 200
    page = text(response)
    assert 'data-testid="total-arrived">1<' in page
    not_arrived = page.split('data-testid="not-arrived"')[1].split("</table>")[0]
    assert "Ridwan Kamil" in not_arrived and "Richard Louhenapessy" in not_arrived
    assert "Iing Daiman" not in not_arrived and "Nashrudin Azis" not in not_arrived
    assert '<script src="/static/js/arrivals.js"' in page
    # Only data blocks inline (CSP: script-src 'self'); no inline handlers.
    assert all("application/json" in tag for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page))
    assert not re.search(r"\son[a-z]+=", page)
    assert web.get("/static/js/arrivals.js").status_code == 200


def test_checkin_staff_see_arrivals_and_others_do_not(app, organizer, make_app, make_user, make_event):
    _user, event = organizer
    staff = sign_in(make_app().test_client(), make_user(email="petugas@kominfo.go.id", event=event, role="checkin"))
    assert staff.get(url(event)).status_code == 200
    assert staff.get(url(event, "arrivals.json")).status_code == 200
    assert "checkin/reports" not in text(staff.get(url(event)))  # no links to what they may not open
    stranger = sign_in(make_app().test_client(), make_user(email="lain@kominfo.go.id", event=make_event(slug="lain"), role="organizer"))
    assert stranger.get(url(event)).status_code == 403
    assert stranger.get(url(event, "arrivals.json")).status_code == 403
    anonymous = make_app().test_client()
    response = anonymous.get(url(event))
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    assert anonymous.get(url(event, "arrivals.json"), headers={"Accept": "application/json"}).status_code == 401


def test_an_unknown_category_filter_means_all(organizer, make_app, gathering):
    user, _event = organizer
    event = gathering[0]
    web = sign_in(make_app().test_client(), user)
    for value in ("999999", "abc", ""):
        assert web.get(url(event, "arrivals.json") + f"?category={value}").get_json()["not_arrived"]["count"] == 4


def test_check_ins_of_another_event_do_not_count(gathering, make_event, make_checkpoint, make_registration):
    event = gathering[0]
    other = make_event(slug="lain")
    registration, _ = make_registration(other)
    admit(other, make_checkpoint(other), registration, utc(2017, 11, 15, 1, 10))
    assert arrivals.totals(db.session, event)["arrived"] == 0
    assert fresh().scalar(select(func.count(CheckIn.id))) == 1
