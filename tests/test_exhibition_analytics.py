"""Analytics: views and unique visitors per booth and item, confirmed votes only, top booths, CSV, who sees what, constant queries."""
import csv
import io

import pytest

from eventsys.events.models import Organization, OrganizationKind
from eventsys.exhibition import analytics
from eventsys.exhibition.models import Booth, MediaItem, MediaKind, MediaState, Visit, Vote
from eventsys.extensions import db
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media, make_pavilion, make_visit, make_vote
from tests.helpers import fresh, recorded_statements, sign_in, text, tr


@pytest.fixture
def fair(app, make_event, make_user, make_organization):
    """Two booths with visits, items and votes (some unconfirmed), exhibitors of each, an organizer."""
    event = make_exhibition(app, make_event, slug="pameran-analitik", timezone="Asia/Jayapura")
    pavilion = make_pavilion(event, "Kabupaten/Kota")
    cirebon, makassar = make_organization(name="Kota Cirebon"), make_organization(name="Kota Makassar")
    a, b = make_booth(event, cirebon, pavilion), make_booth(event, makassar)
    video = make_media(a, "video", "approved", title="Video PSC 119")
    poster = make_media(a, "poster", "approved", title="=HYPERLINK(\"http://evil\")")
    stage = make_media(None, "video", "approved", event=event, on_stage=True, title="Tari Topeng")
    for visitor in ("v1", "v2", "v1"):  # booth A's page: 3 views, 2 visitors
        make_visit(a, visitor)
    make_visit(a, "v1", media=video)
    make_visit(a, "v3", media=video)
    make_visit(a, "v3", media=poster)  # A: 3 unique over page and items (v1, v2, v3)
    make_visit(b, "v9")
    db.session.add(Visit(event_id=event.id, booth_id=None, media_id=stage.id, visitor="v5", day="2030-12-15"))
    db.session.commit()
    make_vote(b), make_vote(b), make_vote(a), make_vote(a, confirmed=False), make_vote(a, confirmed=False)
    return {
        "event": event, "a": a, "b": b, "video": video, "poster": poster, "stage": stage,
        "exhibitor_a": make_exhibitor(make_user, event, cirebon, email="a@cirebonkota.go.id"),
        "exhibitor_b": make_exhibitor(make_user, event, makassar, email="b@makassarkota.go.id"),
        "organizer": make_user(email="panitia@kominfo.go.id", event=event, role="organizer"),
    }


def by_booth(report):
    return {b.booth_id: b for b in report.booths}


def test_views_unique_visitors_and_only_confirmed_votes_per_booth(app, fair):
    report = analytics.report(db.session, fair["event"])
    a, b = by_booth(report)[fair["a"].id], by_booth(report)[fair["b"].id]
    assert (a.page_views, a.item_views, a.unique_visitors, a.votes, a.pavilion) == (3, 3, 3, 1, "Kabupaten/Kota")
    assert (b.page_views, b.item_views, b.unique_visitors, b.votes, b.pavilion) == (1, 0, 1, 2, "")
    assert (report.page_views, report.item_views, report.unique_visitors, report.votes) == (4, 4, 5, 3)
    assert [t.booth_id for t in report.top] == [fair["b"].id, fair["a"].id]  # votes first


def test_views_per_item_including_the_stage(app, fair):
    items = {i.media_id: i for i in analytics.report(db.session, fair["event"]).items}
    assert (items[fair["video"].id].views, items[fair["video"].id].unique_visitors) == (2, 2)
    assert (items[fair["poster"].id].views, items[fair["stage"].id].views) == (1, 1)
    assert items[fair["stage"].id].booth_name == tr(app, "Stage")


def test_a_booths_own_report_holds_only_that_booth(app, fair):
    report = analytics.report(db.session, fair["event"], booth_id=fair["a"].id)
    assert [b.booth_id for b in report.booths] == [fair["a"].id]
    assert {i.media_id for i in report.items} == {fair["video"].id, fair["poster"].id}
    assert (report.page_views, report.item_views, report.unique_visitors, report.votes) == (3, 3, 3, 1)


def test_the_organizer_page_and_csv_show_every_booth_safely(app, client, fair):
    event = fair["event"]
    sign_in(client, fair["organizer"])
    page = client.get(f"/manage/{event.slug}/exhibition/analytics")
    assert page.status_code == 200
    assert "Kota Cirebon" in text(page) and "Kota Makassar" in text(page)
    response = client.get(f"/manage/{event.slug}/exhibition/analytics/booths.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][-1] == tr(app, "Last visit (%(zone)s)", zone="WIT")  # as the pages name it
    cirebon = next(r for r in rows if r[0] == "Kota Cirebon")
    assert cirebon[1:7] == ["Kota Cirebon", "Kabupaten/Kota", "3", "3", "3", "1"] and cirebon[7]
    items = client.get(f"/manage/{event.slug}/exhibition/analytics/items.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in items  # a formula-looking title is not run by a spreadsheet


def test_last_visit_is_written_in_the_events_zone(app, fair):
    from datetime import UTC, datetime

    visit = make_visit(fair["b"], "v10")
    visit.created_at = datetime(2030, 12, 15, 16, 30, tzinfo=UTC)  # 01:30 the next day in Jayapura (UTC+9)
    db.session.commit()
    body = analytics.booths_csv(analytics.report(db.session, fair["event"], booth_id=fair["b"].id), fair["event"]).decode("utf-8-sig")
    assert "2030-12-16 01:30" in body


def test_an_exhibitor_sees_its_own_booth_and_never_another(app, client, fair):
    event, a, b = fair["event"], fair["a"], fair["b"]
    sign_in(client, fair["exhibitor_a"])
    own = client.get(f"/exhibit/{event.slug}/booth/{a.id}/analytics")
    assert own.status_code == 200 and "Video PSC 119" in text(own) and "Kota Makassar" not in text(own)
    assert client.get(f"/exhibit/{event.slug}/booth/{a.id}/analytics/items.csv").status_code == 200
    assert client.get(f"/exhibit/{event.slug}/booth/{b.id}/analytics").status_code == 403
    assert client.get(f"/exhibit/{event.slug}/booth/{b.id}/analytics/booths.csv").status_code == 403
    assert client.get(f"/exhibit/{event.slug}/booth/999999/analytics").status_code == 404
    assert client.get(f"/manage/{event.slug}/exhibition/analytics").status_code == 403
    assert client.get(f"/manage/{event.slug}/exhibition/analytics/booths.csv").status_code == 403


def test_a_booth_of_another_event_is_not_found_even_for_its_exhibitor(app, client, fair, make_event, make_user):
    other = make_exhibition(app, make_event)
    elsewhere = make_booth(other, fresh().get(Organization, fair["a"].organization_id))
    sign_in(client, fair["exhibitor_a"])
    assert client.get(f"/exhibit/{fair['event'].slug}/booth/{elsewhere.id}/analytics").status_code == 404


def test_jurors_and_visitors_are_refused(app, client, fair, make_user):
    event, a = fair["event"], fair["a"]
    assert client.get(f"/exhibit/{event.slug}/booth/{a.id}/analytics").status_code == 302
    sign_in(client, make_user(email="juri@kominfo.go.id", event=event, role="juror"))
    assert client.get(f"/exhibit/{event.slug}/booth/{a.id}/analytics").status_code == 403
    assert client.get(f"/manage/{event.slug}/exhibition/analytics").status_code == 403


def test_the_organizer_may_open_any_booths_report(app, client, fair):
    sign_in(client, fair["organizer"])
    assert client.get(f"/exhibit/{fair['event'].slug}/booth/{fair['b'].id}/analytics").status_code == 200


# Constant query count


def _count_queries(work) -> int:
    with recorded_statements() as statements:
        work()
    return len(statements)


def _add_booths(event, start: int, count: int) -> None:
    """Booths with an item, visits and a confirmed vote each, inserted in bulk."""
    organizations = [Organization(name=f"Kab. Contoh {i}", name_key=f"kab-contoh-{i}", kind=OrganizationKind.KABUPATEN,
                                  province="Jawa Barat", timezone="Asia/Jakarta") for i in range(start, start + count)]
    db.session.add_all(organizations)
    db.session.flush()
    booths = [Booth(event_id=event.id, organization_id=o.id, name=o.name) for o in organizations]
    db.session.add_all(booths)
    db.session.flush()
    items = [MediaItem(event_id=event.id, booth_id=b.id, kind=MediaKind.POSTER, state=MediaState.APPROVED, title=f"Poster {b.id}")
             for b in booths]
    db.session.add_all(items)
    db.session.flush()
    db.session.add_all([Visit(event_id=event.id, booth_id=b.id, media_id=None, visitor=f"v{b.id}", day="2030-12-15") for b in booths])
    db.session.add_all([Visit(event_id=event.id, booth_id=i.booth_id, media_id=i.id, visitor="x", day="2030-12-15") for i in items])
    db.session.add_all([Vote(event_id=event.id, booth_id=b.id, email_hash=f"h{b.id}", confirmed_at=b.created_at) for b in booths])
    db.session.commit()


def test_the_analytics_page_takes_the_same_number_of_queries_for_10_or_200_booths(app, client, make_event, make_user):
    event = make_exhibition(app, make_event, slug="pameran-besar")
    organizer = make_user(email="panitia@kominfo.go.id", event=event, role="organizer")
    sign_in(client, organizer)
    page = f"/manage/{event.slug}/exhibition/analytics"
    _add_booths(event, 0, 10)
    client.get(page)  # warm-up: translations and templates load once per process
    few = _count_queries(lambda: client.get(page))
    _add_booths(event, 10, 190)
    many = _count_queries(lambda: client.get(page))
    assert many == few
    assert "Kab. Contoh 199" in text(client.get(page))
    assert _count_queries(lambda: client.get(f"{page}/booths.csv")) == _count_queries(lambda: client.get(f"{page}/items.csv"))
