"""Links to the award night, the jury and the exhibition from the dashboard and the public event page."""
from datetime import timedelta

from eventsys.accounts import services as accounts
from eventsys.awards import winners
from eventsys.awards.models import JudgingState
from eventsys.core.db import utcnow
from eventsys.events.models import EventKind
from eventsys.extensions import db
from tests.award_helpers import make_award_night, region, set_state
from tests.helpers import sign_in, text


def test_the_dashboard_links_a_juror_to_the_jury_and_an_exhibitor_to_the_portal(app, web, make_event, make_user):
    night = make_award_night(make_event)
    exhibition = make_event(name="Pameran Virtual Smart City 2021", kind=EventKind.EXHIBITION)
    seminar = make_event(name="Seminar Smart City")
    user = make_user(email="juri.pameran@itb.ac.id", event=night, role="juror")
    make_user(email="other@kominfo.go.id", event=seminar, role="juror")
    accounts.grant_role(db.session, user, exhibition, "exhibitor", region("Kab. Cirebon").id)
    accounts.grant_role(db.session, user, seminar, "checkin")
    db.session.commit()
    sign_in(web, user)
    body = text(web.get("/dashboard"))
    assert f'href="/jury/{night.slug}" data-testid="jury-link"' in body
    assert f'href="/exhibit/{exhibition.slug}" data-testid="exhibitor-portal-link"' in body
    assert body.count('data-testid="jury-link"') == 1 and body.count('data-testid="exhibitor-portal-link"') == 1


def test_the_event_page_links_the_results_once_published(app, web, make_event):
    night = make_award_night(make_event)
    assert 'data-testid="award-results-link"' not in text(web.get(f"/e/{night.slug}"))
    set_state(night, JudgingState.CLOSED)
    assert 'data-testid="award-results-link"' not in text(web.get(f"/e/{night.slug}"))
    winners.publish(db.session, night)
    db.session.commit()
    body = text(web.get(f"/e/{night.slug}"))
    assert f'href="/awards/{night.slug}" data-testid="award-results-link"' in body
    assert 'data-testid="poll-link"' not in body  # the 2021 night's poll closed long ago


def test_the_event_page_links_the_hall_and_an_open_poll(app, web, make_event):
    exhibition = make_event(name="Pameran Virtual Smart City", kind=EventKind.EXHIBITION)
    assert f'href="/exhibition/{exhibition.slug}" data-testid="hall-link"' in text(web.get(f"/e/{exhibition.slug}"))
    seminar = make_event(name="Seminar Smart City")
    body = text(web.get(f"/e/{seminar.slug}"))
    assert 'data-testid="hall-link"' not in body and 'data-testid="poll-link"' not in body
    tonight = make_award_night(make_event, name="Malam Penganugerahan", starts_at=utcnow() - timedelta(hours=1))
    assert f'href="/poll/{tonight.slug}" data-testid="poll-link"' in text(web.get(f"/e/{tonight.slug}"))
