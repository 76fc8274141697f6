"""Capacity and quotas hold when many delegates register at the same moment (no overselling).

Each thread posts the real form through its own client, so each request has its own app context,
database session and connection, as under several gunicorn workers.
"""

import pytest
from sqlalchemy import func, select

from eventsys.extensions import db
from eventsys.registration import services
from eventsys.registration.models import DelegateCategory, Registration, RegistrationState, SessionChoice, SessionOption, Ticket
from tests.helpers import fresh, post_at_once

THREADS = 40


def parallel_posts(application, url: str, forms: list[dict]) -> list[int]:
    """POST every form at once (a barrier releases all threads together); the status codes."""
    return [response.status_code for response in post_at_once(application, url, [{"data": form} for form in forms])]


@pytest.fixture
def crowd_app(make_app):
    # Enough connections for every thread at once: the lock, not the pool, must be what serializes them.
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 5, "max_overflow": 0, "pool_timeout": 60})


def delegate(category, i: int, **extra) -> dict:
    return {
        "name": f"Delegasi {i}",
        "position": "Staf OPD",
        "organization_id": "0",
        "proposed_organization": f"Dinas Kominfo Kab. Nomor {i}",
        "category_id": str(category.id),
        "email": f"delegasi{i}@contoh.go.id",
        "phone": "0812 3456 7890",
        "consent": "y",
        **extra,
    }


def open_event(event, **settings_values):
    settings = services.settings_for(db.session, event)
    settings.enabled = True
    for key, value in settings_values.items():
        setattr(settings, key, value)
    db.session.commit()


def by_state(event) -> dict[RegistrationState, int]:
    rows = fresh().execute(
        select(Registration.state, func.count(Registration.id)).where(Registration.event_id == event.id).group_by(Registration.state)
    ).all()
    return {RegistrationState(state): n for state, n in rows}


def test_parallel_registrations_never_oversell_a_category(crowd_app, organizer, make_session):
    _user, event = organizer
    open_event(event)
    category = DelegateCategory(event_id=event.id, name="OPD", capacity=10)
    db.session.add(category)
    db.session.commit()
    seminar = SessionOption(event_id=event.id, session_id=make_session(event, title="Seminar").id, capacity=4)
    db.session.add(seminar)
    db.session.commit()

    statuses = parallel_posts(crowd_app, f"/r/{event.slug}", [delegate(category, i, option_ids=str(seminar.id)) for i in range(THREADS)])

    assert statuses == [302] * THREADS  # every delegate got an answer, none an error
    assert by_state(event) == {RegistrationState.CONFIRMED: 10, RegistrationState.WAITLISTED: THREADS - 10}
    tickets = fresh().scalar(select(func.count(Ticket.id)).where(Ticket.event_id == event.id))
    assert tickets == 10
    seats = fresh().scalar(
        select(func.count(SessionChoice.id)).where(SessionChoice.option_id == seminar.id, SessionChoice.waitlisted.is_(False))
    )
    assert seats == 4
    # The first ten to get the lock hold the seats: nobody later in line was seated before them.
    rows = fresh().execute(select(Registration.created_at, Registration.state).where(Registration.event_id == event.id)).all()
    latest_seated = max(t for t, s in rows if s == RegistrationState.CONFIRMED)
    assert all(t >= latest_seated for t, s in rows if s == RegistrationState.WAITLISTED)


def test_parallel_registrations_never_exceed_an_event_capacity_across_categories(crowd_app, organizer):
    _user, event = organizer
    open_event(event, capacity=7)
    categories = [DelegateCategory(event_id=event.id, name=name) for name in ("Media", "Umum", "OPD")]
    db.session.add_all(categories)
    db.session.commit()

    statuses = parallel_posts(crowd_app, f"/r/{event.slug}", [delegate(categories[i % 3], i) for i in range(THREADS)])

    assert statuses == [302] * THREADS
    assert by_state(event) == {RegistrationState.CONFIRMED: 7, RegistrationState.WAITLISTED: THREADS - 7}


def test_parallel_registrations_never_exceed_an_organization_quota(crowd_app, organizer, make_organization):
    _user, event = organizer
    open_event(event, organization_quota=3)
    category = DelegateCategory(event_id=event.id, name="OPD")
    db.session.add(category)
    db.session.commit()
    siak = make_organization("Kab. Siak")
    forms = [delegate(category, i, organization_id=str(siak.id), proposed_organization="") for i in range(20)]

    statuses = parallel_posts(crowd_app, f"/r/{event.slug}", forms)

    assert statuses.count(302) == 3  # registered
    assert statuses.count(200) == 17  # the form again, with the quota message
    held = fresh().scalar(select(func.count(Registration.id)).where(Registration.organization_id == siak.id))
    assert held == 3


def test_parallel_duplicate_emails_make_one_registration(crowd_app, organizer):
    _user, event = organizer
    open_event(event)
    category = DelegateCategory(event_id=event.id, name="Umum")
    db.session.add(category)
    db.session.commit()

    statuses = parallel_posts(crowd_app, f"/r/{event.slug}", [delegate(category, 1, name=f"Percobaan {i}") for i in range(10)])

    assert sorted(statuses) == [200] * 9 + [302]
    assert fresh().scalar(select(func.count(Registration.id))) == 1
