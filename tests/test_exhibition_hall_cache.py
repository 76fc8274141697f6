"""The short cache of the hall's and booth pages' rendered fragments for anonymous visitors (hall_cache.py):
it is really used, a moderation decision or a booth edit shows at once, and signed-in users never get it."""
# ruff: noqa: F811  (open_hall is the fixture of test_exhibition_hall.py, imported for these tests)
import re
from datetime import timedelta

from sqlalchemy import text as sql

from eventsys.exhibition.models import Booth
from eventsys.extensions import db
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media
from tests.helpers import sign_in, text, trn
from tests.test_exhibition_hall import (  # noqa: F401
    OPEN,
    _bulk_booths,
    _count_queries,
    booth_url,
    hall_url,
    names_on,
    open_hall,
)


def rename_behind_the_orms_back(booth, name):
    """A change the change stamp cannot see (updated_at stays): shows whether a page came from the cache."""
    db.session.execute(sql("UPDATE exhibition_booths SET name = :name WHERE id = :id"), {"name": name, "id": booth.id})
    db.session.commit()


def card_of(response, name) -> str:
    cards = re.findall(r'<article class="exh-card".*?</article>', text(response), re.S)
    return next(c for c in cards if f'data-testid="booth-name">{name}<' in c)


def posters(app, n) -> str:
    return trn(app, "%(num)d poster", "%(num)d posters", n)


def test_an_anonymous_hall_comes_from_the_cache_until_a_moderation_decision_or_a_booth_edit(open_hall, app, client, make_user):
    event, b = open_hall
    item = make_media(b["cirebon"], "poster", "pending", title="Poster Cirebon Katon")
    organizer = sign_in(app.test_client(), make_user(event=event, role="organizer"))
    assert posters(app, 1) not in card_of(client.get(hall_url(event)), "Kota Cirebon")

    rename_behind_the_orms_back(b["qlue"], "Qlue Indonesia")
    assert names_on(client.get(hall_url(event))) == ["Kota Ambon", "Kota Cirebon", "Qlue"]  # the cached grid

    assert organizer.post(f"/manage/{event.slug}/exhibition/moderation/{item.id}/approve").status_code == 302
    page = client.get(hall_url(event))
    assert posters(app, 1) in card_of(page, "Kota Cirebon")  # at once, not after the TTL
    assert names_on(page) == ["Kota Ambon", "Kota Cirebon", "Qlue Indonesia"]

    response = organizer.post(f"/manage/{event.slug}/exhibition/moderation/{item.id}/reject", data={f"r{item.id}-reason": "Resolusi terlalu kecil."})
    assert response.status_code == 302
    assert posters(app, 1) not in card_of(client.get(hall_url(event)), "Kota Cirebon")

    # The organizer edits a booth: its updated_at moves, and the search and the grid show it.
    assert names_on(client.get(hall_url(event, q="musik"))) == ["Kota Ambon"]
    response = organizer.post(f"/exhibit/{event.slug}/booth/{b['ambon'].id}",
                              data={"name": "Kota Ambon", "tagline": "", "description": "Kota pusaka.", "dimensions": ["society"]})
    assert response.status_code == 302
    assert names_on(client.get(hall_url(event, q="musik"))) == []
    assert names_on(client.get(hall_url(event, q="pusaka"))) == ["Kota Ambon"]


def test_the_booth_part_of_a_booth_page_is_cached_but_approvals_show_at_once_and_every_view_is_counted(open_hall, app, client, make_user):
    event, b = open_hall
    booth = b["ambon"]
    item = make_media(booth, "poster", "pending", title="Poster Musik")
    organizer = sign_in(app.test_client(), make_user(event=event, role="organizer"))
    assert "Poster Musik" not in text(client.get(booth_url(booth)))
    db.session.execute(sql("UPDATE exhibition_booths SET description = 'Diubah diam-diam.' WHERE id = :id"), {"id": booth.id})
    db.session.commit()
    assert "Diubah diam-diam." not in text(client.get(booth_url(booth)))  # the cached booth part
    assert organizer.post(f"/manage/{event.slug}/exhibition/moderation/{item.id}/approve").status_code == 302
    page = text(client.get(booth_url(booth)))
    assert "Poster Musik" in page and "Diubah diam-diam." in page
    views = db.session.scalar(sql("SELECT count(*) FROM exhibition_visits WHERE booth_id = :id"), {"id": booth.id})
    assert views == 3  # cached or not, each request is a view


def test_signed_in_users_never_get_the_cache(app, client, make_event, make_organization, make_user):
    """An exhibitor's preview before the opening, and an exhibitor in the open hall, always see the database."""
    event = make_exhibition(app, make_event, opens_in=timedelta(days=5))
    org = make_organization(name="Kab. Cirebon")
    booth = make_booth(event, org, description="Sebelum.")
    exhibitor = sign_in(app.test_client(), make_exhibitor(make_user, event, org))
    assert names_on(exhibitor.get(hall_url(event))) == ["Kab. Cirebon"]
    assert "Sebelum." in text(exhibitor.get(booth_url(booth)))
    rename_behind_the_orms_back(booth, "Kabupaten Cirebon")
    db.session.execute(sql("UPDATE exhibition_booths SET description = 'Sesudah.' WHERE id = :id"), {"id": booth.id})
    db.session.commit()
    assert names_on(exhibitor.get(hall_url(event))) == ["Kabupaten Cirebon"]
    assert "Sesudah." in text(exhibitor.get(booth_url(booth)))
    assert 'data-testid="not-open"' in text(client.get(hall_url(event)))  # visitors: not yet, cached or not

    # Once open: anonymous visitors get the cached grid, the signed-in exhibitor still the database.
    event.starts_at = event.starts_at - timedelta(days=10)
    event.ends_at = event.ends_at - timedelta(days=10)
    db.session.commit()
    assert names_on(client.get(hall_url(event))) == ["Kabupaten Cirebon"]
    rename_behind_the_orms_back(booth, "Kab. Cirebon Baru")
    assert names_on(client.get(hall_url(event))) == ["Kabupaten Cirebon"]
    assert names_on(exhibitor.get(hall_url(event))) == ["Kab. Cirebon Baru"]


def test_the_cache_can_be_turned_off(open_hall, app, client):
    event, b = open_hall
    app.config["EXHIBITION_HALL_CACHE_SECONDS"] = 0
    client.get(hall_url(event))
    rename_behind_the_orms_back(b["qlue"], "Qlue Indonesia")
    assert "Qlue Indonesia" in names_on(client.get(hall_url(event)))


def test_cached_pages_take_fewer_queries_and_the_same_number_with_10_or_500_booths(app, client, make_event, make_organization):
    event = make_exhibition(app, make_event, **OPEN)
    booth = make_booth(event, make_organization(name="Kota Cirebon", province="Jawa Barat"), dimensions=("living",))
    _bulk_booths(event, 9, media_per_booth=2)
    client.get(booth_url(booth))  # the visitor cookie

    def pages():
        for url in (hall_url(event), hall_url(event, q="contoh", dimension="living"), booth_url(booth)):
            assert client.get(url).status_code == 200

    cold = _count_queries(pages)
    few = _count_queries(pages)
    _bulk_booths(event, 490, start=100, media_per_booth=2)
    db.session.expire_all()
    pages()
    many = _count_queries(pages)
    assert db.session.query(Booth).filter_by(event_id=event.id).count() == 500
    assert many == few < cold
