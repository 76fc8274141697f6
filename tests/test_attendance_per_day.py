"""Two-day forums: the arrivals page counts the chosen day's check-ins only (its JSON too), and the per-person
report gives a once-per-day checkpoint one column per day, so a delegate who came twice shows both days."""
import csv
import io
import re
import uuid
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook

from eventsys.attendance import scanning
from eventsys.attendance.models import EntryPolicy
from eventsys.core.db import utcnow
from eventsys.core.timezones import local_to_utc, to_local
from eventsys.extensions import db
from eventsys.registration import tickets
from tests.conftest import utc
from tests.helpers import sign_in, text, tr


def admit(event, checkpoint, registration, at):
    outcome = scanning.scan_code(db.session, event, checkpoint, tickets.token_for(registration.ticket), nonce=uuid.uuid4().hex, now=at)
    assert outcome.result == "ok", outcome.message
    db.session.commit()


@pytest.fixture
def forum(organizer, make_app, make_checkpoint, make_registration):
    """A forum on 15 and 16 November 2017 (WIB) with a once-per-day entrance, a once-only seminar and three delegates."""
    user, event = organizer
    event.starts_at, event.ends_at = utc(2017, 11, 15, 1, 0), utc(2017, 11, 16, 10, 0)
    db.session.commit()
    entrance = make_checkpoint(event, name="Pintu masuk", policy=EntryPolicy.ONCE_PER_DAY)
    seminar = make_checkpoint(event, name="Seminar")
    seminar.position = 1
    db.session.commit()
    people = {name: make_registration(event, name=name)[0] for name in ("Nashrudin Azis", "Ridwan Kamil", "Iing Daiman")}
    admit(event, entrance, people["Nashrudin Azis"], utc(2017, 11, 15, 1, 10))  # 08:10 WIB, day 1
    admit(event, seminar, people["Nashrudin Azis"], utc(2017, 11, 15, 3, 0))
    admit(event, entrance, people["Nashrudin Azis"], utc(2017, 11, 16, 0, 55))  # 07:55 WIB, day 2
    admit(event, entrance, people["Ridwan Kamil"], utc(2017, 11, 15, 2, 0))  # day 1 only
    return sign_in(make_app().test_client(), user), event, entrance, seminar


def arrivals_json(web, event, query=""):
    response = web.get(f"/manage/{event.slug}/checkin/arrivals.json{query}")
    assert response.status_code == 200
    return response.get_json()


def test_a_delegate_who_came_on_day_one_only_has_not_arrived_on_day_two(forum):
    web, event, entrance, seminar = forum
    day2 = arrivals_json(web, event, "?day=2017-11-16")
    assert day2["day"] == "2017-11-16"
    assert (day2["totals"]["arrived"], day2["totals"]["not_arrived"]) == (1, 2)
    assert [p["name"] for p in day2["not_arrived"]["people"]] == ["Iing Daiman", "Ridwan Kamil"]
    assert {r["name"]: r["checked_in"] for r in day2["by_checkpoint"]} == {"Pintu masuk": 1, "Seminar": 0}
    assert [(b["date"], b["label"], b["count"]) for b in day2["buckets"]] == [("2017-11-16", "07:45", 1)]
    assert sum(r["arrived"] for r in day2["by_category"]) == sum(r["arrived"] for r in day2["by_region"]) == 1

    day1 = arrivals_json(web, event, "?day=2017-11-15")
    assert (day1["totals"]["arrived"], [p["name"] for p in day1["not_arrived"]["people"]]) == (2, ["Iing Daiman"])
    assert {r["name"]: r["checked_in"] for r in day1["by_checkpoint"]} == {"Pintu masuk": 2, "Seminar": 1}

    every = arrivals_json(web, event, "?day=all")
    assert (every["day"], every["totals"]["arrived"], every["not_arrived"]["count"]) == (None, 2, 1)


@pytest.mark.parametrize("value", ["kemarin", "2017-11-17", "2017-02-30", ""])
def test_a_day_that_is_not_one_of_the_events_counts_every_day(forum, value):
    web, event, _entrance, _seminar = forum
    data = arrivals_json(web, event, f"?day={value}")
    assert (data["day"], data["totals"]["arrived"]) == (None, 2)


def test_the_polled_json_answers_afresh_when_the_day_changes(forum):
    web, event, _entrance, _seminar = forum
    for _attempt in range(2):  # the tag holds the minute: asked again across a minute's turn, it is rightly new
        etag = web.get(f"/manage/{event.slug}/checkin/arrivals.json?day=2017-11-15").headers["ETag"]
        again = web.get(f"/manage/{event.slug}/checkin/arrivals.json?day=2017-11-15", headers={"If-None-Match": etag})
        if again.status_code == 304:
            break
    assert again.status_code == 304
    other = web.get(f"/manage/{event.slug}/checkin/arrivals.json?day=2017-11-16", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.get_json()["totals"]["arrived"] == 1


def test_the_page_offers_the_events_days_and_counts_the_chosen_one(app, forum):
    web, event, _entrance, _seminar = forum
    page = text(web.get(f"/manage/{event.slug}/checkin/arrivals?day=2017-11-16"))
    selector = re.search(r'<select id="day".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', selector) == ["all", "2017-11-15", "2017-11-16"]
    assert re.search(r'value="2017-11-16" selected', selector)
    assert tr(app, "All days") in selector
    assert re.search(r'data-testid="total-arrived">1<', page)
    assert 'name="day" value="2017-11-16"' in page  # the category filter keeps the day
    # Today is not a day of the 2017 forum: unasked, every day counts.
    page = text(web.get(f"/manage/{event.slug}/checkin/arrivals"))
    assert re.search(r'<option value="all" selected', page) and re.search(r'data-testid="total-arrived">2<', page)


def test_unasked_the_page_counts_today_while_the_event_runs(organizer, make_app, make_checkpoint, make_registration):
    user, event = organizer
    today = to_local(utcnow(), event.timezone).date()
    event.starts_at = local_to_utc(datetime.combine(today - timedelta(days=1), time(7)), event.timezone)
    event.ends_at = local_to_utc(datetime.combine(today + timedelta(days=1), time(17)), event.timezone)
    db.session.commit()
    entrance = make_checkpoint(event, policy=EntryPolicy.ONCE_PER_DAY)
    registration, _ = make_registration(event)
    admit(event, entrance, registration, local_to_utc(datetime.combine(today - timedelta(days=1), time(8)), event.timezone))
    web = sign_in(make_app().test_client(), user)
    page = text(web.get(f"/manage/{event.slug}/checkin/arrivals"))
    assert re.search(rf'<option value="{today.isoformat()}" selected', page)
    assert re.search(r'data-testid="total-arrived">0<', page) and re.search(r'data-testid="total-not-arrived">1<', page)
    assert arrivals_json(web, event)["totals"]["arrived"] == 0
    assert arrivals_json(web, event, "?day=all")["totals"]["arrived"] == 1


def test_a_one_day_event_has_no_day_selector(organizer, make_app):
    user, event = organizer
    web = sign_in(make_app().test_client(), user)
    assert 'id="day"' not in text(web.get(f"/manage/{event.slug}/checkin/arrivals"))


def day_header(app, day):
    return tr(app, "%(checkpoint)s (%(day)s)", checkpoint="Pintu masuk", day=day)


def test_the_person_report_shows_each_day_a_delegate_came_through_a_once_per_day_checkpoint(app, forum):
    web, event, _entrance, _seminar = forum
    response = web.get(f"/manage/{event.slug}/checkin/reports/people.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][6:] == [tr(app, "First arrival (%(zone)s)", zone="WIB"), day_header(app, "2017-11-15"), day_header(app, "2017-11-16"), "Seminar"]
    by_name = {r[0]: r[6:] for r in rows[1:]}
    assert by_name == {
        "Iing Daiman": ["", "", "", ""],
        "Nashrudin Azis": ["2017-11-15 08:10", "2017-11-15 08:10", "2017-11-16 07:55", "2017-11-15 10:00"],
        "Ridwan Kamil": ["2017-11-15 09:00", "2017-11-15 09:00", "", ""],
    }


def test_the_excel_person_report_has_a_date_cell_per_day(app, forum):
    web, event, _entrance, _seminar = forum
    response = web.get(f"/manage/{event.slug}/checkin/reports/people.xlsx")
    rows = [list(r) for r in load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows(values_only=True)]
    assert rows[0][7:9] == [day_header(app, "2017-11-15"), day_header(app, "2017-11-16")]
    azis = next(r for r in rows if r[0] == "Nashrudin Azis")
    assert azis[7:9] == [datetime(2017, 11, 15, 8, 10), datetime(2017, 11, 16, 7, 55)]


def test_an_entry_on_a_day_outside_the_event_gets_its_own_column(app, forum, make_registration):
    web, event, entrance, _seminar = forum
    early, _ = make_registration(event, name="Datang Lebih Awal")
    admit(event, entrance, early, utc(2017, 11, 14, 9, 0))  # the eve of the forum: still on the record
    rows = list(csv.reader(io.StringIO(web.get(f"/manage/{event.slug}/checkin/reports/people.csv").data.decode("utf-8-sig"))))
    assert rows[0][7:10] == [day_header(app, "2017-11-14"), day_header(app, "2017-11-15"), day_header(app, "2017-11-16")]
    assert next(r for r in rows if r[0] == "Datang Lebih Awal")[7:10] == ["2017-11-14 16:00", "", ""]
