"""Exhibition (round 3, c): deleting an item keeps its past views in the analytics, dimension badges follow the
programme's official order everywhere, and the programme list offers no move past either end."""
import csv
import io
import re
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select
from sqlalchemy import text as sql

from eventsys import create_app
from eventsys.exhibition import analytics
from eventsys.exhibition.models import MediaItem, QuickWin, Visit
from eventsys.extensions import db
from tests.conftest import IsolatedClient
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media, make_pavilion
from tests.helpers import fresh, sign_in, text, tr

OPEN = {"opens_in": -timedelta(days=2)}


# 1. The views of a deleted item stay counted


@pytest.fixture
def visited(app, make_event, make_organization, make_user):
    """An open exhibition: Kota Cirebon's booth with a poster and a video, a stage video, all viewed through the hall."""
    app.test_client_class = IsolatedClient
    event = make_exhibition(app, make_event, slug="pameran-hapus", **OPEN)
    cirebon = make_organization(name="Kota Cirebon")
    booth = make_booth(event, cirebon)
    poster = make_media(booth, "poster", "approved", title="Poster PSC 119")
    video = make_media(booth, "video", "approved", title="Video PSC 119")
    stage = make_media(None, "video", "approved", event=event, on_stage=True, title="Tari Topeng")
    base = f"/exhibition/{event.slug}"
    for number in range(3):  # three visitors, each with a cookie of their own
        visitor = app.test_client()
        visitor.get(f"{base}/booths/{booth.id}")
        visitor.get(f"{base}/media/{poster.id}/open")
        if number < 2:
            visitor.post(f"{base}/media/{poster.id}/played")  # a second view of the poster
            visitor.post(f"{base}/media/{stage.id}/played")
        if number == 0:
            visitor.post(f"{base}/media/{video.id}/played")
    return {"event": event, "booth": booth, "poster": poster, "video": video, "stage": stage,
            "exhibitor": sign_in(app.test_client(), make_exhibitor(make_user, event, cirebon, email="a@cirebonkota.go.id")),
            "organizer": sign_in(app.test_client(), make_user(email="panitia@kominfo.go.id", event=event, role="organizer"))}


def figures(event, booth_id=None):
    report = analytics.report(db.session, event, booth_id=booth_id)
    return (report.page_views, report.item_views, report.unique_visitors, sum(views for _day, views, _u in report.days),
            [(b.page_views, b.item_views, b.unique_visitors) for b in report.booths])


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_deleting_an_item_keeps_its_views_in_the_booth_and_event_figures(app, visited):
    event, booth = visited["event"], visited["booth"]
    poster_id, stage_id, video_id = visited["poster"].id, visited["stage"].id, visited["video"].id
    booth_before, event_before = figures(event, booth.id), figures(event)
    assert booth_before == (3, 6, 3, 9, [(3, 6, 3)])  # 5 poster views and 1 video view
    assert event_before[:4] == (3, 8, 3, 11)  # and 2 stage views

    exhibitor, organizer = visited["exhibitor"], visited["organizer"]
    deleted = exhibitor.post(f"/exhibit/{event.slug}/booth/{booth.id}/media/{poster_id}/delete", data={"confirm": "y"})
    assert deleted.status_code == 302 and fresh().get(MediaItem, poster_id) is None
    assert organizer.post(f"/exhibit/{event.slug}/stage/{stage_id}/delete", data={"confirm": "y"}).status_code == 302
    assert fresh().get(MediaItem, stage_id) is None

    db.session.expire_all()
    assert figures(event, booth.id) == booth_before
    assert figures(event) == event_before
    rows = fresh().scalars(select(Visit).where(Visit.item_view.is_(True), Visit.media_id.is_(None))).all()
    assert len(rows) == 7  # kept, their item cleared

    report = analytics.report(db.session, event)
    items = {(i.media_id, i.booth_name): i for i in report.items}
    assert set(items) == {(video_id, "Kota Cirebon"), (None, "Kota Cirebon"), (None, tr(app, "Stage"))}
    gone = items[(None, "Kota Cirebon")]
    assert (gone.title, gone.views, gone.unique_visitors) == (tr(app, "Deleted items"), 5, 3)
    assert items[(None, tr(app, "Stage"))].views == 2
    assert report.items[0].media_id == video_id  # the items still there first

    page = text(exhibitor.get(f"/exhibit/{event.slug}/booth/{booth.id}/analytics"))
    assert re.search(r'data-testid="total-item-views">6<', page)
    assert re.search(r'data-testid="deleted-items-row".*?data-testid="item-views">5<', page, re.S)
    overview = text(organizer.get(f"/manage/{event.slug}/exhibition/analytics"))
    assert re.search(r'data-testid="total-item-views">8<', overview) and overview.count('data-testid="deleted-items-row"') == 2

    booth_csv = csv_rows(organizer.get(f"/manage/{event.slug}/exhibition/analytics/booths.csv"))
    assert booth_csv[1][:7] == ["Kota Cirebon", "Kota Cirebon", "", "3", "6", "3", "0"]
    items_csv = csv_rows(exhibitor.get(f"/exhibit/{event.slug}/booth/{booth.id}/analytics/items.csv"))
    assert ["Kota Cirebon", tr(app, "Deleted items"), "", "", "5", "3"] in [row[:6] for row in items_csv]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_tells_item_views_from_page_views_and_keeps_them_after_a_delete(backend, fresh_database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": fresh_database_url(backend), "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="9ff4b93bbadb")
        with db.engine.begin() as conn:
            conn.execute(sql("INSERT INTO events (id, slug, name, kind, status, description, starts_at, ends_at, timezone, created_at) "
                             "VALUES (1, 'pameran', 'Pameran', 'exhibition', 'published', '', '2030-01-01 01:00:00', "
                             "'2030-01-02 01:00:00', 'Asia/Jakarta', '2030-01-01 00:00:00')"))
            conn.execute(sql("INSERT INTO exhibition_media (id, event_id, on_stage, kind, state, title, description, original_name, "
                             "problem, reject_reason, position, created_at) VALUES "
                             "(7, 1, true, 'video', 'approved', 'Tari Topeng', '', '', '', '', 0, '2030-01-01 00:00:00')"))
            for number, media_id in enumerate([None, 7, 7, None]):
                conn.execute(sql("INSERT INTO exhibition_visits (event_id, media_id, visitor, day, created_at) "
                                 "VALUES (1, :media, :visitor, '2030-01-01', '2030-01-01 00:00:00')"), {"media": media_id, "visitor": f"v{number}"})
        upgrade()
        with db.engine.begin() as conn:
            rows = conn.execute(sql("SELECT media_id, item_view FROM exhibition_visits ORDER BY id")).all()
            assert [(m, bool(i)) for m, i in rows] == [(None, False), (7, True), (7, True), (None, False)]
            conn.execute(sql("DELETE FROM exhibition_media WHERE id = 7"))
            rows = conn.execute(sql("SELECT media_id, item_view FROM exhibition_visits ORDER BY id")).all()
            assert [(m, bool(i)) for m, i in rows] == [(None, False), (None, True), (None, True), (None, False)]
        downgrade(revision="9ff4b93bbadb")  # the older schema cannot tell them from page views: they go
        with db.engine.begin() as conn:
            assert conn.execute(sql("SELECT visitor FROM exhibition_visits ORDER BY id")).scalars().all() == ["v0", "v3"]
        downgrade(revision="base")
        db.engine.dispose()


# 2. Dimension badges in the official order


def dimension_codes(html: str) -> list[str]:
    return re.findall(r"exh-dim-(\w+)", html)


def test_dimension_badges_follow_the_official_order_everywhere(app, client, make_event, make_organization, make_user):
    event = make_exhibition(app, make_event, slug="pameran-dimensi", **OPEN)
    booth = make_booth(event, make_organization(name="Kota Cirebon"), make_pavilion(event),
                       dimensions=("environment", "society", "branding", "governance", "living", "economy"))
    official = ["governance", "branding", "economy", "living", "society", "environment"]
    assert [d.value for d in fresh().get(type(booth), booth.id).dimension_values] == official

    assert dimension_codes(text(client.get(f"/exhibition/{event.slug}"))) == official  # the hall card
    assert dimension_codes(text(client.get(f"/exhibition/{event.slug}/booths/{booth.id}"))) == official  # the booth page

    app.test_client_class = IsolatedClient
    organizer = sign_in(app.test_client(), make_user(email="panitia@kominfo.go.id", event=event, role="organizer"))
    listing = text(organizer.get(f"/manage/{event.slug}/exhibition/booths"))
    row = re.search(r'data-testid="booth-row">(.*?)</tr>', listing, re.S).group(1)
    labels = [tr(app, f"Smart {d.capitalize()}") for d in official]
    assert re.findall(r'<span class="badge">(.*?)</span>', row) == labels


# 3. No move past either end of the programme list


def programme_buttons(page: str) -> list[tuple[str, list[str]]]:
    rows = re.findall(r'data-testid="programme" data-programme-id="(\d+)">(.*?)</tr>', page, re.S)
    return [(pid, re.findall(r'data-testid="programme-move-(up|down)"', body)) for pid, body in rows]


def test_the_first_programme_cannot_move_up_nor_the_last_down(app, make_event, make_organization, make_user):
    app.test_client_class = IsolatedClient
    event = make_exhibition(app, make_event, slug="pameran-program")
    cirebon = make_organization(name="Kota Cirebon")
    booth = make_booth(event, cirebon)
    exhibitor = sign_in(app.test_client(), make_exhibitor(make_user, event, cirebon))
    url = f"/exhibit/{event.slug}/booth/{booth.id}/programmes"
    db.session.add(QuickWin(booth_id=booth.id, title="PSC 119", dimension="living", position=1))
    db.session.commit()
    assert programme_buttons(text(exhibitor.get(url)))[0][1] == []  # one programme: nowhere to move

    db.session.add_all([QuickWin(booth_id=booth.id, title=title, dimension="branding", position=n)
                        for n, title in ((2, "Bus Wisata Cirebon Katon"), (3, "e-Retribusi"))])
    db.session.commit()
    page = text(exhibitor.get(url))
    buttons = programme_buttons(page)
    assert [moves for _pid, moves in buttons] == [["down"], ["up", "down"], ["up"]]
    assert page.count(tr(app, "Move up")) == 2 and page.count(tr(app, "Move down")) == 2

    first, last = buttons[0][0], buttons[-1][0]
    assert exhibitor.post(f"{url}/{first}/move", data={"direction": "up"}).status_code == 302  # a stale page: harmless
    assert exhibitor.post(f"{url}/{last}/move", data={"direction": "down"}).status_code == 302
    order = fresh().scalars(select(QuickWin.title).where(QuickWin.booth_id == booth.id).order_by(QuickWin.position)).all()
    assert order == ["PSC 119", "Bus Wisata Cirebon Katon", "e-Retribusi"]
