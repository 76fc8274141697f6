"""The exhibitor portal: the account's booths and their media status, editing a booth, its logo, programmes, media and links."""
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from eventsys.core.db import utcnow
from eventsys.core.storage import get_storage
from eventsys.events.dimensions import Dimension
from eventsys.exhibition.models import Booth, Exhibition, MediaItem, MediaKind, MediaState, QuickWin
from eventsys.extensions import db
from tests.helpers import field_errors, fresh, text, tr
from tests.test_exhibition_uploads import build_exhibit, client_maker, create, send


@pytest.fixture
def exhibit(app, make_event, make_organization, make_user):
    return build_exhibit(app, make_event, make_organization, make_user)


@pytest.fixture
def signed_in(app):
    return client_maker(app)


def picture(kind="PNG", size=(300, 200), exif=False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    if exif:
        data = Image.Exif()
        data[0x010F] = "Kamera Diskominfo"  # Make
        image.save(out, kind, exif=data)
    else:
        image.save(out, kind)
    return out.getvalue()


def add_media(event, booth, *, state=MediaState.PENDING, title="Video PSC 119", kind=MediaKind.POSTER, storage=None, **values):
    file_key = storage.save(picture(), ".png") if storage is not None else None
    item = MediaItem(event_id=event.id, booth_id=booth.id if booth else None, on_stage=booth is None, kind=kind, state=state,
                     title=title, file_key=file_key, content_type="image/png" if file_key else None, **values)
    db.session.add(item)
    db.session.commit()
    return item


def add_programme(booth, title="PSC 119", dimension=Dimension.LIVING, position=1):
    programme = QuickWin(booth_id=booth.id, title=title, dimension=dimension, position=position)
    db.session.add(programme)
    db.session.commit()
    return programme


def booth_url(exhibit, suffix="", booth="booth_a"):
    return f"/exhibit/{exhibit['event'].slug}/booth/{exhibit[booth].id}{suffix}"


# The portal's home


def test_home_shows_only_the_exhibitors_own_booth_and_each_items_status(app, exhibit, signed_in):
    event, booth = exhibit["event"], exhibit["booth_a"]
    add_media(event, booth, state=MediaState.PROCESSING, title="Profil Kota")
    add_media(event, booth, state=MediaState.REJECTED, title="Poster lama", reject_reason="Gambar buram")
    add_media(event, booth, state=MediaState.FAILED, title="Video rusak", problem="The video file is cut short.")
    add_media(event, booth, state=MediaState.APPROVED, title="Cirebon Katon")
    add_media(event, exhibit["booth_b"], title="Rahasia Kabupaten")
    page = signed_in(exhibit["exhibitor_a"]).get(f"/exhibit/{event.slug}")
    assert page.status_code == 200
    body = text(page)
    assert "Kota Cirebon" in body and "Kabupaten Cirebon" not in body and "Rahasia Kabupaten" not in body
    states = re.findall(r'data-state="(\w+)"', body)
    assert sorted(states) == ["approved", "failed", "processing", "rejected"]
    assert tr(app, "Reason: %(reason)s", reason="Gambar buram") in body
    assert "The video file is cut short." in body
    assert re.search(r'data-phase="before"', body)


def test_home_for_an_organizer_lists_every_booth(exhibit, signed_in):
    body = text(signed_in(exhibit["organizer"]).get("/exhibit/pameran"))
    assert "Kota Cirebon" in body and "Kabupaten Cirebon" in body and 'data-testid="stage-link"' in body


def test_people_without_a_role_are_refused(exhibit, signed_in, make_user, client):
    assert signed_in(make_user(email="tamu@example.com")).get("/exhibit/pameran").status_code == 403
    assert client.get("/exhibit/pameran").status_code == 302  # to the sign-in page


# Editing the booth


def booth_form(**values):
    data = {"name": "Kota Cirebon", "tagline": "Cirebon Katon", "description": "Kota Wali", "contact_name": "Iing Daiman",
            "contact_email": "diskominfo@cirebonkota.go.id", "contact_phone": "+62 231 123456",
            "website": "https://www.cirebonkota.go.id", "dimensions": ["governance", "living"]}
    return data | values


def test_an_exhibitor_edits_the_booth_and_its_dimensions(exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    assert client.get(booth_url(exhibit)).status_code == 200
    saved = client.post(booth_url(exhibit), data=booth_form())
    assert saved.status_code == 302
    booth = fresh().get(Booth, exhibit["booth_a"].id)
    assert (booth.tagline, booth.contact_phone, booth.website) == ("Cirebon Katon", "+62 231 123456", "https://www.cirebonkota.go.id")
    assert booth.dimension_values == [Dimension.GOVERNANCE, Dimension.LIVING]
    client.post(booth_url(exhibit), data=booth_form(dimensions=["living", "economy"]))
    assert sorted(fresh().get(Booth, booth.id).dimension_values) == [Dimension.ECONOMY, Dimension.LIVING]
    page = text(client.get(booth_url(exhibit)))
    assert re.search(r'value="economy"[^>]*checked|checked[^>]*value="economy"', page)


@pytest.mark.parametrize("website", ["javascript:alert(1)", "ftp://files.cirebonkota.go.id", "https://", "data:text/html,x"])
def test_a_website_must_be_http_or_https(app, exhibit, signed_in, website):
    client = signed_in(exhibit["exhibitor_a"])
    refused = client.post(booth_url(exhibit), data=booth_form(website=website, tagline="Baru"))
    assert refused.status_code == 400
    assert field_errors(refused, "website") == [
        tr(app, "Enter a web address starting with https:// or http://, e.g. https://www.cirebonkota.go.id.")]
    assert fresh().get(Booth, exhibit["booth_a"].id).tagline == ""  # nothing half-stored


def test_a_bad_contact_email_is_refused(app, exhibit, signed_in):
    refused = signed_in(exhibit["exhibitor_a"]).post(booth_url(exhibit), data=booth_form(contact_email="bukan-email"))
    assert refused.status_code == 400
    assert field_errors(refused, "contact_email") == [tr(app, "Enter a valid email address, e.g. nama@kominfo.go.id.")]


def test_a_logo_is_checked_redrawn_and_replaces_the_old_file(app, exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    storage = get_storage(app)
    first = client.post(booth_url(exhibit), data=booth_form(logo=(io.BytesIO(picture("JPEG", (1200, 800), exif=True)), "logo.jpg")),
                        content_type="multipart/form-data")
    assert first.status_code == 302
    booth = fresh().get(Booth, exhibit["booth_a"].id)
    first_key = booth.logo_key
    assert booth.logo_content_type == "image/jpeg" and storage.exists(first_key)
    with Image.open(io.BytesIO(storage.read(first_key))) as stored:
        assert max(stored.size) <= 512 and not stored.getexif()
    second = client.post(booth_url(exhibit), data=booth_form(logo=(io.BytesIO(picture()), "logo.png")), content_type="multipart/form-data")
    assert second.status_code == 302
    booth = fresh().get(Booth, booth.id)
    assert booth.logo_content_type == "image/png" and booth.logo_key != first_key
    assert storage.exists(booth.logo_key) and not storage.exists(first_key)
    removed = client.post(booth_url(exhibit), data=booth_form(remove_logo="y"))
    assert removed.status_code == 302 and fresh().get(Booth, booth.id).logo_key is None


def test_a_logo_that_is_not_a_picture_is_refused(app, exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = client.post(booth_url(exhibit), data=booth_form(tagline="Baru", logo=(io.BytesIO(svg), "logo.png")),
                          content_type="multipart/form-data")
    assert refused.status_code == 400
    assert field_errors(refused, "logo") == [
        tr(app, "This file is not a PNG, JPEG or WebP image. Save the logo in one of these formats and try again.")]
    booth = fresh().get(Booth, exhibit["booth_a"].id)
    assert booth.logo_key is None and booth.tagline == ""
    assert [p for p in (get_storage(app).root.iterdir() if get_storage(app).root.exists() else []) if p.is_file()] == []


def test_exhibitors_cannot_edit_once_the_exhibition_is_an_archive(app, exhibit, signed_in):
    exhibition = fresh().get(Exhibition, exhibit["event"].id)
    exhibition.opens_at, exhibition.closes_at = utcnow() - timedelta(days=20), utcnow() - timedelta(days=1)
    db.session.commit()
    refused = signed_in(exhibit["exhibitor_a"]).post(booth_url(exhibit), data=booth_form(tagline="Terlambat"))
    assert refused.status_code == 400
    assert tr(app, "The exhibition has closed and is now a read-only archive; booths can no longer be changed.") in text(refused)
    assert fresh().get(Booth, exhibit["booth_a"].id).tagline == ""
    # An organizer can still correct it.
    assert signed_in(exhibit["organizer"]).post(booth_url(exhibit), data=booth_form(tagline="Dikoreksi")).status_code == 302


# Quick-win programmes


def test_programmes_are_added_edited_reordered_and_deleted(app, exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    url = booth_url(exhibit, "/programmes")
    for title, dimension in (("PSC 119", "living"), ("Bus Wisata Cirebon Katon", "branding"), ("e-Retribusi", "economy")):
        added = client.post(url, data={"title": title, "dimension": dimension, "responsible_opd": "Dinas Kesehatan", "description": ""})
        assert added.status_code == 302, text(added)
    rows = list(fresh().scalars(select(QuickWin).where(QuickWin.booth_id == exhibit["booth_a"].id).order_by(QuickWin.position)))
    assert [r.title for r in rows] == ["PSC 119", "Bus Wisata Cirebon Katon", "e-Retribusi"]
    assert rows[0].responsible_opd == "Dinas Kesehatan" and rows[1].dimension == Dimension.BRANDING

    client.post(f"{url}/{rows[2].id}/move", data={"direction": "up"})
    order = [r.title for r in fresh().scalars(select(QuickWin).where(QuickWin.booth_id == exhibit["booth_a"].id).order_by(QuickWin.position))]
    assert order == ["PSC 119", "e-Retribusi", "Bus Wisata Cirebon Katon"]

    edited = client.post(f"{url}/{rows[0].id}", data={"title": "PSC 119 Cirebon", "dimension": "society", "responsible_opd": "Dinkes"})
    assert edited.status_code == 302
    assert fresh().get(QuickWin, rows[0].id).dimension == Dimension.SOCIETY

    bad = client.post(url, data={"title": "", "dimension": "nope"})
    assert bad.status_code == 400
    assert field_errors(bad, "title") == [tr(app, "Enter the programme's title.")]

    gone = rows[1].id
    assert tr(app, "Tick the box to confirm.") in text(client.post(f"{url}/{gone}/delete", follow_redirects=True))
    assert fresh().get(QuickWin, gone) is not None
    assert client.post(f"{url}/{gone}/delete", data={"confirm": "y"}).status_code == 302
    assert fresh().get(QuickWin, gone) is None
    assert "PSC 119 Cirebon" in text(client.get(url))


# Media


def test_an_exhibitor_edits_and_deletes_its_media_with_the_files(app, exhibit, signed_in):
    storage = get_storage(app)
    event, booth = exhibit["event"], exhibit["booth_a"]
    programme = add_programme(booth)
    item = add_media(event, booth, storage=storage)
    client = signed_in(exhibit["exhibitor_a"])
    url = booth_url(exhibit, f"/media/{item.id}")
    assert client.get(url).status_code == 200
    saved = client.post(url, data={"title": "Poster PSC 119", "description": "Layanan darurat", "dimension": "living",
                                   "quick_win": str(programme.id)})
    assert saved.status_code == 302, text(saved)
    item = fresh().get(MediaItem, item.id)
    assert (item.title, item.dimension, item.quick_win_id) == ("Poster PSC 119", Dimension.LIVING, programme.id)

    foreign = add_programme(exhibit["booth_b"], title="Milik Kabupaten")
    refused = client.post(url, data={"title": "x", "quick_win": str(foreign.id)})
    assert refused.status_code == 400 and fresh().get(MediaItem, item.id).quick_win_id == programme.id

    key, item_id = item.file_key, item.id
    assert storage.exists(key)
    unticked = client.post(f"{url}/delete", follow_redirects=True)  # a mistaken click keeps the video
    assert tr(app, "Tick the box to confirm.") in text(unticked) and storage.exists(key) and fresh().get(MediaItem, item_id)
    assert 'data-testid="confirm-box"' in text(client.get(booth_url(exhibit, "/media")))
    assert client.post(f"{url}/delete", data={"confirm": "y"}).status_code == 302
    assert fresh().get(MediaItem, item_id) is None and not storage.exists(key)


def test_a_video_link_is_pending_straight_away(app, exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    url = booth_url(exhibit, "/media/link")
    added = client.post(url, data={"title": "Profil Kota Cirebon", "url": "https://www.youtube.com/watch?v=abc123", "dimension": ""})
    assert added.status_code == 302, text(added)
    item = fresh().scalar(select(MediaItem))
    assert (item.kind, item.state, item.external_url, item.file_key) == (
        MediaKind.LINK, MediaState.PENDING, "https://www.youtube.com/watch?v=abc123", None)
    assert client.post(url, data={"title": "Vimeo", "url": "http://vimeo.com/12345"}).status_code == 302
    for bad in ("javascript:alert(1)", "http://contoh.example/video", "file:///etc/passwd"):
        refused = client.post(url, data={"title": "Jahat", "url": bad})
        assert refused.status_code == 400 and field_errors(refused, "url"), bad
    assert len(list(fresh().scalars(select(MediaItem)))) == 2
    for same in ("https://www.youtube.com/watch?v=abc123", "https://youtu.be/abc123", "https://WWW.YOUTUBE.COM/watch?v=abc123&t=5s",
                 "https://m.youtube.com/watch?feature=share&v=abc123", "https://www.youtube.com/embed/abc123"):
        again = client.post(url, data={"title": "Profil lagi", "url": same})
        assert again.status_code == 400, same
        assert tr(app, "This link is already in your booth as “%(title)s”.", title="Profil Kota Cirebon") in field_errors(again, "url")
    assert client.post(url, data={"title": "Vimeo lagi", "url": "https://player.vimeo.com/video/12345"}).status_code == 400
    assert len(list(fresh().scalars(select(MediaItem)))) == 2
    assert client.post(url, data={"title": "Video lain", "url": "https://youtu.be/abc124"}).status_code == 302  # another video


def test_the_stage_page_is_for_organizers(exhibit, signed_in):
    item = add_media(exhibit["event"], None, kind=MediaKind.VIDEO, title="Tari Topeng")
    organizer = signed_in(exhibit["organizer"])
    assert 'href="/exhibit/pameran/stage" data-testid="stage-tab"' in text(organizer.get("/manage/pameran/exhibition/booths"))
    page = organizer.get("/exhibit/pameran/stage")
    assert page.status_code == 200 and "Tari Topeng" in text(page) and 'data-stage="1"' in text(page)
    exhibitor = signed_in(exhibit["exhibitor_a"])
    assert exhibitor.get("/exhibit/pameran/stage").status_code == 403
    assert exhibitor.post(f"/exhibit/pameran/stage/{item.id}/delete", data={"confirm": "y"}).status_code == 403
    item_id = item.id
    assert organizer.post(f"/exhibit/pameran/stage/{item_id}/delete", data={"confirm": "y"}).status_code == 302
    assert fresh().get(MediaItem, item_id) is None


# Another booth is out of reach on every route


def test_an_exhibitor_can_never_see_or_touch_another_booth(app, exhibit, signed_in):
    event, booth_a = exhibit["event"], exhibit["booth_a"]
    programme = add_programme(booth_a)
    item = add_media(event, booth_a, storage=get_storage(app))
    owner = signed_in(exhibit["exhibitor_a"])
    token = create(owner, event, booth=booth_a, size=100).json["token"]
    send(owner, f"/exhibit/{event.slug}/uploads/{token}", b"x" * 10, 0)
    values = {"slug": event.slug, "booth_id": booth_a.id, "programme_id": programme.id, "media_id": item.id, "token": token}
    other = signed_in(exhibit["exhibitor_b"])
    checked = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("exhibition_portal_views.", "exhibition_upload_views.")):
            continue
        if rule.endpoint in ("exhibition_portal_views.home", "exhibition_upload_views.create_upload"):
            continue  # no booth in the address: tested on their own
        url = rule.build(values, append_unknown=False)[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = other.open(url, method=method, data={"title": "Diretas", "name": "Diretas", "dimension": "living",
                                                            "direction": "up", "url": "https://x.example"})
            expected = (403,) if "stage" in rule.endpoint else (404,)
            assert response.status_code in expected, (rule.endpoint, method, response.status_code)
            checked.add(rule.endpoint)
    assert len(checked) >= 13
    # Nothing changed.
    assert fresh().get(Booth, booth_a.id).name == "Kota Cirebon"
    assert fresh().get(QuickWin, programme.id).title == "PSC 119"
    assert fresh().get(MediaItem, item.id).title == "Video PSC 119" and get_storage(app).exists(item.file_key)
    assert owner.get(f"/exhibit/{event.slug}/uploads/{token}").json["received"] == 10
    # An exhibitor of another event does not reach this one at all.
    assert "Kota Cirebon" not in text(other.get(f"/exhibit/{event.slug}"))
