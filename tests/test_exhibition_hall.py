"""The visitor side of the exhibition: who sees the hall when, filters and search, only approved items,
visits counted per keyed cookie, and pages whose query count does not grow with the number of booths."""
import re
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from eventsys.events.models import EventKind, EventStatus, Organization, OrganizationKind
from eventsys.exhibition import visits
from eventsys.exhibition.models import Booth, BoothDimension, MediaItem, MediaKind, MediaState, QuickWin, Visit
from eventsys.extensions import db
from tests.conftest import IsolatedClient, utc
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media, make_pavilion, make_vote
from tests.helpers import fresh, recorded_statements, sign_in, text, tr

OPEN = {"opens_in": -timedelta(days=2)}
ARCHIVED = {"opens_in": -timedelta(days=30), "length": timedelta(days=14)}


def hall_url(event, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/exhibition/{event.slug}" + (f"?{query}" if query else "")


def booth_url(booth):
    return f"/exhibition/{booth.event.slug}/booths/{booth.id}"


def names_on(response) -> list[str]:
    return re.findall(r'data-testid="booth-name">(.*?)</strong>', text(response))


@pytest.fixture
def open_hall(app, make_event, make_organization):
    """An open exhibition with three booths in two pavilions and two provinces."""
    event = make_exhibition(app, make_event, **OPEN)
    regions = make_pavilion(event, "Kabupaten/Kota", position=0)
    startups = make_pavilion(event, "Startup", position=1)
    cirebon = make_booth(event, make_organization(name="Kota Cirebon", province="Jawa Barat"), regions, dimensions=("branding", "living"),
                         description="Cirebon Katon: kota yang bersinar.")
    ambon = make_booth(event, make_organization(name="Kota Ambon", province="Maluku", timezone="Asia/Jayapura"), regions,
                       dimensions=("society",), description="Kota musik dunia.")
    qlue = make_booth(event, make_organization(name="Qlue", kind=OrganizationKind.STARTUP, province="DKI Jakarta"), startups, dimensions=("governance",))
    db.session.add(QuickWin(booth_id=ambon.id, title="Ambon Music Office", dimension="branding", responsible_opd="Dinas Pariwisata"))
    db.session.commit()
    return event, {"cirebon": cirebon, "ambon": ambon, "qlue": qlue, "regions": regions, "startups": startups}


# Who sees the hall when


def test_before_the_opening_visitors_are_told_when_it_opens(app, client, make_event, make_organization):
    event = make_exhibition(app, make_event, opens_in=timedelta(days=5))
    booth = make_booth(event, make_organization(name="Kab. Cirebon"))
    for url in (hall_url(event), booth_url(booth), f"/exhibition/{event.slug}/stage"):
        response = client.get(url)
        assert response.status_code == 200
        assert 'data-testid="not-open"' in text(response)
        assert "Kab. Cirebon" not in text(response)


def test_before_the_opening_exhibitors_and_organizers_preview_it(app, make_app, make_event, make_organization, make_user):
    event = make_exhibition(app, make_event, opens_in=timedelta(days=5))
    org = make_organization(name="Kab. Cirebon")
    booth = make_booth(event, org)
    exhibitor = make_exhibitor(make_user, event, org)
    organizer = make_user(event=event, role="organizer")
    for user in (exhibitor, organizer):
        web = sign_in(make_app().test_client(), user)
        page = web.get(hall_url(event))
        assert 'data-testid="phase-before"' in text(page) and names_on(page) == ["Kab. Cirebon"]
        assert "Kab. Cirebon" in text(web.get(booth_url(booth)))


def test_after_the_closing_the_hall_is_an_archive(app, client, make_event, make_organization):
    event = make_exhibition(app, make_event, **ARCHIVED)
    booth = make_booth(event, make_organization())
    assert 'data-testid="phase-archive"' in text(client.get(hall_url(event)))
    page = client.get(booth_url(booth))
    assert tr(app, "The exhibition has closed; this is its archive. Voting has ended.") in text(page)
    assert 'data-testid="vote-submit"' not in text(page) and 'data-testid="message-form"' not in text(page)


def test_drafts_and_events_without_an_exhibition_are_not_found(app, client, make_event):
    seminar = make_event(kind=EventKind.SEMINAR)
    assert client.get(hall_url(seminar)).status_code == 404
    draft = make_exhibition(app, make_event, **OPEN)
    draft.status = EventStatus.DRAFT
    db.session.commit()
    assert client.get(hall_url(draft)).status_code == 404
    assert client.get("/exhibition/no-such-event").status_code == 404


def test_an_exhibition_event_without_settings_yet_opens_with_the_defaults(app, client, make_event):
    event = make_event(kind=EventKind.EXHIBITION, starts_at=utc(2020, 1, 1), ends_at=utc(2020, 1, 2))
    assert 'data-testid="phase-archive"' in text(client.get(hall_url(event)))


# Filters and search


def test_filters_by_pavilion_dimension_province_and_search(open_hall, client, app):
    event, b = open_hall
    assert names_on(client.get(hall_url(event))) == ["Kota Ambon", "Kota Cirebon", "Qlue"]
    assert names_on(client.get(hall_url(event, pavilion=b["startups"].id))) == ["Qlue"]
    assert names_on(client.get(hall_url(event, dimension="living"))) == ["Kota Cirebon"]
    assert names_on(client.get(hall_url(event, province="maluku"))) == ["Kota Ambon"]
    assert names_on(client.get(hall_url(event, q="bersinar"))) == ["Kota Cirebon"]  # the description
    assert names_on(client.get(hall_url(event, q="music+office"))) == ["Kota Ambon"]  # a quick-win title
    assert names_on(client.get(hall_url(event, q="qlue"))) == ["Qlue"]
    assert names_on(client.get(hall_url(event, q="100%25"))) == []  # a wildcard is searched as itself
    empty = client.get(hall_url(event, dimension="environment"))
    assert tr(app, "No booth matches these filters.") in text(empty)


def test_search_finds_the_agency_a_programmes_text_and_public_media_titles_only(open_hall, client):
    event, b = open_hall
    db.session.add(QuickWin(booth_id=b["cirebon"].id, title="Sehat Bersama", dimension="living", responsible_opd="Dinas Kesehatan",
                            description="Layanan ambulans gratis 24 jam."))
    make_media(b["qlue"], "video", "approved", title="Laporan warga lewat aplikasi")
    make_media(b["ambon"], "video", "pending", title="Rahasia festival musik", description="belum ditinjau")
    assert names_on(client.get(hall_url(event, q="dinas+kesehatan"))) == ["Kota Cirebon"]  # the agency in charge
    assert names_on(client.get(hall_url(event, q="ambulans"))) == ["Kota Cirebon"]  # a programme's description
    assert names_on(client.get(hall_url(event, q="aplikasi"))) == ["Qlue"]  # an approved video's title
    assert names_on(client.get(hall_url(event, q="rahasia"))) == []  # a pending item's title finds nothing
    assert names_on(client.get(hall_url(event, q="ditinjau"))) == []


@pytest.mark.parametrize("args", [
    {"pavilion": "abc"}, {"dimension": "smart"}, {"page": "-1"}, {"page": "99999999999"}, {"q": "x" * 500},
    {"province": "%00"}, {"pavilion": "99999999999999"},
])
def test_odd_filter_values_never_fail(open_hall, client, args):
    event, _b = open_hall
    response = client.get(hall_url(event, **args))
    assert response.status_code == 200


def test_the_grid_is_paginated(app, client, make_event):
    event = make_exhibition(app, make_event, **OPEN)
    _bulk_booths(event, 50)
    first, second = client.get(hall_url(event)), client.get(hall_url(event, page=2))
    assert len(names_on(first)) == 48 and len(names_on(second)) == 2
    assert set(names_on(first)).isdisjoint(names_on(second))


def test_top_booths_and_the_stage_link(open_hall, client, app):
    event, b = open_hall
    for _ in range(3):
        make_vote(b["ambon"])
    make_vote(b["cirebon"])
    make_vote(b["qlue"], confirmed=False)
    make_media(None, "video", "approved", event=event, on_stage=True, title="Tari Topeng")
    page = text(client.get(hall_url(event)))
    top = re.search(r'data-testid="top-booths">(.*?)</section>', page, re.S).group(1)
    assert top.index("Kota Ambon") < top.index("Kota Cirebon") and "Qlue" not in top
    assert tr(app, "People's choice so far") in top  # voting still open
    assert 'data-testid="stage-link"' in page


def test_after_the_closing_the_top_booths_are_the_final_result(app, client, make_event, make_organization):
    event = make_exhibition(app, make_event, **ARCHIVED)
    make_vote(make_booth(event, make_organization(name="Kota Ambon")))
    top = re.search(r'data-testid="top-booths">(.*?)</section>', text(client.get(hall_url(event))), re.S).group(1)
    assert tr(app, "People's choice: final result") in top and "Kota Ambon" in top
    assert tr(app, "People's choice so far") not in top


# The booth page


def test_a_signed_in_visitor_finds_name_and_address_filled_in(open_hall, app, make_user):
    event, b = open_hall
    app.test_client_class = IsolatedClient  # each request its own app context, as in production
    visitor = make_user(email="dewi@bappeda.go.id", name="Dewi Lestari")
    signed = sign_in(app.test_client(), visitor)
    page = text(signed.get(booth_url(b["ambon"])))
    assert page.count('value="dewi@bappeda.go.id"') == 2  # the vote and the guestbook form
    assert 'value="Dewi Lestari"' in page
    assert 'value="dewi@bappeda.go.id"' not in text(app.test_client().get(booth_url(b["ambon"])))  # not for anyone else


def test_the_booth_page_shows_programmes_contacts_and_only_approved_items(open_hall, client, app):
    event, b = open_hall
    booth = b["ambon"]
    booth.contact_email = "diskominfo@ambon.go.id"
    db.session.commit()
    shown = [make_media(booth, kind, "approved", title=f"OK {kind}") for kind in ("video", "poster", "document", "link")]
    hidden = [make_media(booth, kind, state, title=f"HIDDEN {kind} {state}") for kind in ("video", "poster", "document", "link")
              for state in ("pending", "rejected", "processing", "failed")]
    page = text(client.get(booth_url(booth)))
    assert all(f"OK {i.kind.value}" in page for i in shown)
    assert "HIDDEN" not in page
    assert "Ambon Music Office" in page and "Dinas Pariwisata" in page and "diskominfo@ambon.go.id" in page
    video = shown[0]
    with app.test_request_context():
        src = url_for("exhibition_file_views.media", slug=event.slug, media_id=video.id)
    assert re.search(rf'<video controls preload="metadata"[^>]*\ssrc="{re.escape(src)}"', page)
    assert "<iframe" not in page
    assert tr(app, "opens %(site)s in a new tab", site="YouTube") in page
    for item in hidden:
        assert client.get(f"/exhibition/{event.slug}/media/{item.id}/open").status_code == 404
        assert client.post(f"/exhibition/{event.slug}/media/{item.id}/played").status_code == 404


def test_a_booth_of_another_event_is_not_found(open_hall, client, app, make_event, make_organization):
    event, b = open_hall
    other = make_exhibition(app, make_event, **OPEN)
    assert client.get(f"/exhibition/{other.slug}/booths/{b['ambon'].id}").status_code == 404
    assert client.get(f"/exhibition/{event.slug}/booths/999999").status_code == 404


def test_the_stage_shows_approved_performances_only(open_hall, client):
    event, _b = open_hall
    make_media(None, "video", "approved", event=event, on_stage=True, title="Tari Topeng Cirebon")
    make_media(None, "video", "pending", event=event, on_stage=True, title="Belum disetujui")
    page = text(client.get(f"/exhibition/{event.slug}/stage"))
    assert "Tari Topeng Cirebon" in page and "Belum disetujui" not in page


# Visits


def test_a_booth_view_is_recorded_under_a_keyed_hash_of_a_first_party_cookie(open_hall, client, app):
    _event, b = open_hall
    first = client.get(booth_url(b["ambon"]))
    [header] = visitor_cookies(first)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header  # plain http here
    cookie = header.split(";", 1)[0].split("=", 1)[1]
    second = client.get(booth_url(b["ambon"]))
    assert visitor_cookies(second) == []  # the browser sent it back
    rows = fresh().scalars(select(Visit).where(Visit.booth_id == b["ambon"].id)).all()
    assert len(rows) == 2 and {r.visitor for r in rows} == {visits.visitor_key(app.config["SECRET_KEY"], cookie)}
    assert cookie not in rows[0].visitor and rows[0].media_id is None


def visitor_cookies(response) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{visits.COOKIE}=")]


def test_over_https_the_cookie_is_secure(open_hall, client):
    _event, b = open_hall
    [header] = visitor_cookies(client.get(booth_url(b["ambon"]), base_url="https://localhost"))
    assert "Secure" in header


def test_crawlers_are_not_counted(open_hall, client):
    _event, b = open_hall
    client.get(booth_url(b["ambon"]), headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"})
    assert fresh().scalar(select(func.count()).select_from(Visit)) == 0


def test_the_booths_own_exhibitors_and_the_organizers_are_not_counted(open_hall, app, make_user):
    event, b = open_hall
    app.test_client_class = IsolatedClient
    video = make_media(b["ambon"], "video", "approved")
    exhibitor = sign_in(app.test_client(), make_exhibitor(make_user, event, b["ambon"].organization))
    organizer = sign_in(app.test_client(), make_user(email="panitia@kominfo.go.id", event=event, role="organizer"))
    for web in (exhibitor, organizer):  # "view as a visitor" while checking the booth
        web.get(booth_url(b["ambon"]))
        web.post(f"/exhibition/{event.slug}/media/{video.id}/played")
    assert fresh().scalar(select(func.count()).select_from(Visit)) == 0
    other = sign_in(app.test_client(), make_exhibitor(make_user, event, b["cirebon"].organization))
    other.get(booth_url(b["ambon"]))  # another region's exhibitor visiting Ambon is a visitor
    app.test_client().get(booth_url(b["ambon"]))
    assert fresh().scalar(select(func.count()).select_from(Visit)) == 2


def test_playing_or_opening_an_item_counts_a_view_of_it(open_hall, client):
    event, b = open_hall
    video = make_media(b["ambon"], "video", "approved")
    link = make_media(b["ambon"], "link", "approved")
    assert client.post(f"/exhibition/{event.slug}/media/{video.id}/played").status_code == 204
    out = client.get(f"/exhibition/{event.slug}/media/{link.id}/open")
    assert out.status_code == 303 and out.headers["Location"].startswith("https://www.youtube.com/")
    rows = fresh().scalars(select(Visit).order_by(Visit.id)).all()
    assert [r.media_id for r in rows] == [video.id, link.id] and len({r.visitor for r in rows}) == 1


def test_the_day_of_a_visit_is_the_events_date(open_hall):
    event, b = open_hall
    visits.record_view(db.session, event.id, "Asia/Jakarta", "v", booth_id=b["ambon"].id, now=utc(2017, 12, 14, 17, 30))  # 00:30 WIB
    visits.record_view(db.session, event.id, "Asia/Jayapura", "v", booth_id=b["ambon"].id, now=utc(2017, 12, 14, 14, 59))  # 23:59 WIT
    db.session.commit()
    assert fresh().scalars(select(Visit.day).order_by(Visit.id)).all() == ["2017-12-15", "2017-12-14"]


# Query counts: the same with 10 and with 500 booths


def _bulk_booths(event, n, start=0, media_per_booth=0):
    organizations = [Organization(name=f"Kab. Contoh {i}", name_key=f"kab. contoh {i}", kind=OrganizationKind.KABUPATEN,
                                  province=f"Provinsi {i % 34}") for i in range(start, start + n)]
    db.session.add_all(organizations)
    db.session.flush()
    booths = [Booth(event_id=event.id, organization_id=o.id, name=o.name, description="Program unggulan daerah") for o in organizations]
    db.session.add_all(booths)
    db.session.flush()
    dims = ["governance", "branding", "economy", "living", "society", "environment"]
    for i, booth in enumerate(booths):
        db.session.add(BoothDimension(booth_id=booth.id, dimension=dims[i % 6]))
        db.session.add(BoothDimension(booth_id=booth.id, dimension=dims[(i + 1) % 6]))
        db.session.add(QuickWin(booth_id=booth.id, title=f"Quick win {i}", dimension=dims[i % 6], responsible_opd="Diskominfo"))
        for j in range(media_per_booth):
            db.session.add(MediaItem(event_id=event.id, booth_id=booth.id, kind=MediaKind.POSTER, state=MediaState.APPROVED,
                                     title=f"Poster {i}-{j}", file_key=f"k{i}-{j}", content_type="image/png"))
    db.session.commit()
    return booths


def _count_queries(work) -> int:
    with recorded_statements() as statements:
        work()
    return len(statements)


def test_the_hall_and_booth_pages_take_the_same_number_of_queries_with_10_or_500_booths(app, client, make_event, make_organization):
    app.config["EXHIBITION_HALL_CACHE_SECONDS"] = 0  # every page rendered (a cache miss); cached pages: test_exhibition_hall_cache.py
    event = make_exhibition(app, make_event, **OPEN)
    pavilion = make_pavilion(event, "Kabupaten/Kota")
    booth = make_booth(event, make_organization(name="Kota Cirebon", province="Jawa Barat"), pavilion, dimensions=("living",))
    for kind in ("video", "poster", "document", "link"):
        make_media(booth, kind, "approved")
    make_vote(booth)
    _bulk_booths(event, 9, media_per_booth=2)
    client.get(booth_url(booth))  # the visitor cookie is set once; both counts below send it

    def pages():
        assert client.get(hall_url(event)).status_code == 200
        assert client.get(hall_url(event, q="contoh", dimension="living")).status_code == 200
        assert client.get(booth_url(booth)).status_code == 200

    few = _count_queries(pages)
    _bulk_booths(event, 490, start=100, media_per_booth=2)
    db.session.expire_all()
    many = _count_queries(pages)
    assert db.session.scalar(select(func.count()).select_from(Booth).where(Booth.event_id == event.id)) == 500
    assert many == few
