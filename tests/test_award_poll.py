"""The satisfaction poll: one answer per ticket (a second, or a simultaneous one, refused), cancelled tickets refused,
the window, percentages that add up to 100, the chart and the CSV."""
import csv
import io
import re
import threading
from datetime import timedelta
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from eventsys.awards import poll
from eventsys.awards.models import PollAnswer, PollRating
from eventsys.core.db import utcnow
from eventsys.core.i18n import local_datetime
from eventsys.core.rules import RuleViolation
from eventsys.extensions import db
from eventsys.registration.models import RegistrationState
from tests.helpers import fresh, sign_in, text, tr


@pytest.fixture
def recent_event(make_event, make_user):
    """A published event that ended yesterday, so its poll is open, and its organizer."""
    now = utcnow().replace(microsecond=0)
    event = make_event(name="Malam Penganugerahan Smart City", slug="malam-poll", starts_at=now - timedelta(days=1, hours=4),
                       ends_at=now - timedelta(days=1))
    organizer = make_user(email="panitia.poll@kominfo.go.id", event=event, role="organizer")
    return event, organizer


def answers(event) -> int:
    return fresh().scalar(select(func.count()).select_from(PollAnswer).where(PollAnswer.event_id == event.id))


def test_one_answer_per_ticket_through_the_personal_link(recent_event, make_registration, client, app):
    event, _organizer = recent_event
    _registration, secret = make_registration(event)
    page = client.get(f"/poll/{event.slug}/{secret}")
    assert page.status_code == 200 and 'data-testid="poll-submit"' in text(page)
    first = client.post(f"/poll/{event.slug}/{secret}", data={"rating": "sangat_puas", "comment": "Acara tertib dan tepat waktu."})
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/poll/{event.slug}/thanks")
    second = client.post(f"/poll/{event.slug}/{secret}", data={"rating": "tidak_puas"})
    assert second.status_code == 200
    stored = fresh().scalar(select(PollAnswer))
    with app.test_request_context(), force_locale("id"):
        when = local_datetime(stored.created_at, event.timezone)
    assert tr(app, "You already answered this poll on %(when)s. Thank you!", when=when) in unescape(text(second))
    assert answers(event) == 1 and stored.rating == PollRating.SANGAT_PUAS


def test_the_service_refuses_a_second_answer_with_the_date_of_the_first(recent_event, make_registration, app):
    event, _organizer = recent_event
    registration, _secret = make_registration(event)
    with app.test_request_context():
        poll.submit(db.session, event, registration, "puas", "")
        db.session.commit()
        with pytest.raises(RuleViolation) as refused:
            poll.submit(db.session, event, registration, "tidak_puas", "")
        db.session.rollback()
    assert "20" in refused.value.message  # names the day of the first answer
    assert answers(event) == 1


def test_answering_with_the_desk_code_and_email(recent_event, make_registration, client, app):
    event, _organizer = recent_event
    registration, _secret = make_registration(event)
    code, email = registration.ticket.code, registration.email
    form = client.get(f"/poll/{event.slug}")
    assert form.status_code == 200 and 'name="code"' in text(form) and 'data-testid="poll-window"' in text(form)
    wrong = client.post(f"/poll/{event.slug}", data={"code": code, "email": "someone@else.id", "rating": "puas"})
    assert wrong.status_code == 200
    assert tr(app, "No ticket of this event has that code and email. Check both against your ticket.") in unescape(text(wrong))
    right = client.post(f"/poll/{event.slug}", data={"code": code.lower().replace("-", " "), "email": email.upper(), "rating": "puas"})
    assert right.status_code == 302
    again = client.post(f"/poll/{event.slug}", data={"code": code, "email": email, "rating": "puas"})
    assert 'class="flash flash-error"' in text(again) and answers(event) == 1


def test_cancelled_tickets_long_comments_and_a_closed_window_are_refused(recent_event, make_registration, make_event, client, app):
    event, _organizer = recent_event
    _cancelled, secret = make_registration(event, state=RegistrationState.CANCELLED)
    refused = client.post(f"/poll/{event.slug}/{secret}", data={"rating": "puas"})
    assert tr(app, "This registration was cancelled, so it cannot answer the poll.") in unescape(text(refused))
    _ok, secret = make_registration(event, name="Fifi Erneti")
    long = client.post(f"/poll/{event.slug}/{secret}", data={"rating": "puas", "comment": "x" * 2001})
    assert long.status_code == 200 and answers(event) == 0
    old = make_event(slug="ekspos-2017-poll")  # ended in 2017: closed
    _reg, old_secret = make_registration(old)
    closed = client.get(f"/poll/{old.slug}/{old_secret}")
    assert 'data-testid="poll-closed"' in text(closed)
    assert client.post(f"/poll/{old.slug}/{old_secret}", data={"rating": "puas"}).status_code == 200 and answers(old) == 0
    assert client.get(f"/poll/{event.slug}/not-a-secret").status_code == 404


def test_a_double_submit_at_the_same_moment_stores_one_answer_without_an_error(recent_event, make_registration, make_app):
    event, _organizer = recent_event
    _registration, secret = make_registration(event)
    clients = [make_app().test_client() for _ in range(2)]
    url = f"/poll/{event.slug}/{secret}"
    db.session.commit()
    barrier = threading.Barrier(2)
    statuses = []

    def send(web):
        barrier.wait()
        statuses.append(web.post(url, data={"rating": "puas"}).status_code)

    threads = [threading.Thread(target=send, args=(web,)) for web in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 302]
    assert all(status < 500 for status in statuses) and answers(event) == 1


def test_percentages_add_up_to_100_by_largest_remainder():
    assert poll.largest_remainder([1, 1, 1, 0]) == [34, 33, 33, 0]
    assert poll.largest_remainder([2, 1, 0, 4]) == [29, 14, 0, 57]
    assert poll.largest_remainder([0, 0, 0, 0]) == [0, 0, 0, 0]
    for counts in ([7, 3, 3, 1], [13, 5, 1, 1], [40, 29, 17, 9]):
        assert sum(poll.largest_remainder(counts)) == 100


def test_the_organizer_sees_percentages_chart_comments_and_csv(recent_event, make_registration, make_organization, make_app, client, app):
    event, organizer = recent_event
    ratings = ["sangat_puas"] * 3 + ["puas"] * 2 + ["cukup_puas"] + ["tidak_puas"]
    for n, rating in enumerate(ratings):
        registration, _secret = make_registration(event, name="=HYPERLINK(\"x\")" if n == 0 else f"Delegasi {n}")
        with app.test_request_context():
            poll.submit(db.session, event, registration, rating, "=1+1 bagus" if n == 0 else ("Sound kurang jelas" if n == 6 else ""))
        db.session.commit()
    assert client.get(f"/manage/{event.slug}/poll").status_code == 302  # signed out: to the login
    web = sign_in(make_app().test_client(), organizer)
    page = text(web.get(f"/manage/{event.slug}/poll"))
    percents = [int(p) for p in re.findall(r'data-testid="percent">(\d+)%', page)]
    assert percents == [43, 29, 14, 14] and sum(percents) == 100
    assert "<svg" in page and page.count("<rect") == 4 and "Sound kurang jelas" in page
    response = web.get(f"/manage/{event.slug}/poll.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 1 + len(ratings)
    assert rows[1][1] == "'=HYPERLINK(\"x\")" and rows[1][4] == "'=1+1 bagus"
