"""Uploads, round 3: organizers edit stage videos, the upload widget sets a booth item's dimension and programme,
and the same file uploaded twice to a booth (or the stage) is refused with the name of the item already there."""
# ruff: noqa: F811  (the exhibit and signed_in fixtures are test_exhibition_uploads.py's, imported)
import hashlib
import re

import pytest
from sqlalchemy import select

from eventsys.events.dimensions import Dimension
from eventsys.exhibition.models import MediaItem, MediaState, QuickWin, Upload
from eventsys.extensions import db
from tests.conftest import IsolatedClient
from tests.exhibition_helpers import make_media
from tests.helpers import csrf_token_of, field_errors, fresh, text, tr
from tests.test_exhibition_uploads import count, exhibit, partial_files, png_bytes, signed_in, stored_files  # noqa: F401


def programme_of(booth, title="PSC 119") -> QuickWin:
    programme = QuickWin(booth_id=booth.id, title=title, dimension=Dimension.LIVING, position=1)
    db.session.add(programme)
    db.session.commit()
    return programme


def version_on(response) -> str:
    return re.search(r'name="version"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="version"', text(response)).group(1)


def upload(client, event, data: bytes, *, booth=None, stage=False, title="Poster PSC 119", **extra):
    """Create an upload and send every byte: the last response (201 with the item, or the refusal)."""
    body = {"kind": "video" if stage else "poster", "title": title, "file_name": "poster.png", "size": len(data)}
    body |= ({"stage": True} if stage else {"booth_id": booth.id}) | extra
    created = client.post(f"/exhibit/{event.slug}/uploads", json=body)
    assert created.status_code == 201, text(created)
    return send_all_allowing_refusal(client, created.json["url"], data)


def send_all_allowing_refusal(client, url, data):
    step = 16 * 1024
    response = None
    for offset in range(0, len(data), step):
        response = client.post(f"{url}?offset={offset}", data=data[offset:offset + step], content_type="application/octet-stream")
        if response.status_code not in (200, 201):
            return response
    return response


# 1. Organizers edit a stage video's title and description


def stage_video(exhibit, state="approved", title="Tari Topeng Cirebon"):
    return make_media(None, "video", state, event=exhibit["event"], on_stage=True, title=title, description="Sanggar Mulya Bhakti")


def test_an_organizer_edits_a_stage_videos_title_and_description(app, exhibit, signed_in):
    item = stage_video(exhibit)
    organizer = signed_in(exhibit["organizer"])
    stage = organizer.get("/exhibit/pameran/stage")
    assert f'href="/exhibit/pameran/stage/{item.id}"' in text(stage)
    url = f"/exhibit/pameran/stage/{item.id}"
    page = organizer.get(url)
    assert page.status_code == 200 and 'name="dimension"' not in text(page) and 'name="quick_win"' not in text(page)
    saved = organizer.post(url, data={"title": "Tari Topeng Kelana", "description": "Sanggar Sekar Pandan",
                                      "version": version_on(page)})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/exhibit/pameran/stage")
    item = fresh().get(MediaItem, item.id)
    assert (item.title, item.description, item.state) == ("Tari Topeng Kelana", "Sanggar Sekar Pandan", MediaState.APPROVED)
    assert tr(app, "“%(title)s” is saved.", title="Tari Topeng Kelana") in text(organizer.get("/exhibit/pameran/stage"))


def test_a_stage_edit_with_bad_input_or_after_someone_elses_save_is_refused(app, exhibit, signed_in, make_user):
    item = stage_video(exhibit)
    first, second = signed_in(exhibit["organizer"]), signed_in(make_user(email="panitia2@kominfo.go.id",
                                                                        event=exhibit["event"], role="organizer"))
    url = f"/exhibit/pameran/stage/{item.id}"
    seen_first, seen_second = version_on(first.get(url)), version_on(second.get(url))
    empty = first.post(url, data={"title": "  ", "description": "x", "version": seen_first})
    assert empty.status_code == 400 and field_errors(empty, "title") == [tr(app, "Enter a title.")]
    assert first.post(url, data={"title": "Tari Topeng Kelana", "version": seen_first}).status_code == 302
    late = second.post(url, data={"title": "Tari Sintren", "version": seen_second})
    assert late.status_code == 400 and 'data-testid="edit-conflict"' in text(late)
    assert fresh().get(MediaItem, item.id).title == "Tari Topeng Kelana"


def test_only_organizers_edit_stage_videos_and_only_stage_videos(exhibit, signed_in):
    item = stage_video(exhibit)
    booth_item = make_media(exhibit["booth_a"], "poster", "pending", title="Poster PSC 119")
    exhibitor = signed_in(exhibit["exhibitor_a"])
    assert exhibitor.post(f"/exhibit/pameran/stage/{item.id}", data={"title": "Diretas"}).status_code == 403
    organizer = signed_in(exhibit["organizer"])
    assert organizer.get(f"/exhibit/pameran/stage/{booth_item.id}").status_code == 404
    assert organizer.post(f"/exhibit/pameran/stage/{booth_item.id}", data={"title": "Diretas"}).status_code == 404
    assert fresh().get(MediaItem, item.id).title == "Tari Topeng Cirebon"
    assert fresh().get(MediaItem, booth_item.id).title == "Poster PSC 119"


def test_a_stage_edit_needs_the_csrf_token(make_app, exhibit):
    item = stage_video(exhibit)
    secure = make_app(WTF_CSRF_ENABLED=True)
    secure.test_client_class = IsolatedClient
    with secure.app_context():
        client = secure.test_client()
        token = csrf_token_of(client.get("/login"))
        client.post("/login", data={"email": exhibit["organizer"].email, "password": "rahasia-yang-panjang", "csrf_token": token})
        url = f"/exhibit/pameran/stage/{item.id}"
        page = client.get(url)
        assert client.post(url, data={"title": "Diretas", "version": version_on(page)}).status_code == 400
        assert fresh().get(MediaItem, item.id).title == "Tari Topeng Cirebon"
        saved = client.post(url, data={"title": "Tari Topeng Kelana", "version": version_on(page), "csrf_token": csrf_token_of(page)})
        assert saved.status_code == 302 and fresh().get(MediaItem, item.id).title == "Tari Topeng Kelana"


# 2. The upload widget sets a booth item's dimension and programme


def test_the_widget_offers_the_booths_dimensions_and_programmes(exhibit, signed_in):
    programme_of(exhibit["booth_a"], "Bus Wisata Cirebon Katon")
    programme_of(exhibit["booth_b"], "Program Kabupaten")
    page = text(signed_in(exhibit["exhibitor_a"]).get(f"/exhibit/pameran/booth/{exhibit['booth_a'].id}/media"))
    widget = page[page.index('data-testid="upload-form"'):]
    assert 'data-testid="upload-dimension"' in widget and '<option value="living">' in widget
    assert "Bus Wisata Cirebon Katon" in widget and "Program Kabupaten" not in widget
    stage = text(signed_in(exhibit["organizer"]).get("/exhibit/pameran/stage"))
    assert 'data-testid="upload-dimension"' not in stage and 'data-testid="upload-programme"' not in stage


def test_an_upload_gets_the_dimension_and_programme_chosen_in_the_widget(app, exhibit, signed_in):
    programme = programme_of(exhibit["booth_a"])
    client = signed_in(exhibit["exhibitor_a"])
    done = upload(client, exhibit["event"], png_bytes(), booth=exhibit["booth_a"], dimension="living",
                  quick_win_id=str(programme.id))
    assert done.status_code == 201, text(done)
    item = fresh().get(MediaItem, done.json["media_id"])
    assert (item.dimension, item.quick_win_id) == (Dimension.LIVING, programme.id)


@pytest.mark.parametrize("extra, message", [
    ({"dimension": "teleportation"}, "Choose one of the Smart City dimensions, or none."),
    ({"quick_win_id": "foreign"}, "Choose one of this booth's programmes, or none."),
    ({"quick_win_id": 2**40}, "Choose one of this booth's programmes, or none."),
    ({"quick_win_id": [1]}, "Choose one of this booth's programmes, or none."),
])
def test_a_wrong_dimension_or_another_booths_programme_is_a_400_and_creates_nothing(app, exhibit, signed_in, extra, message):
    foreign = programme_of(exhibit["booth_b"], "Program Kabupaten")
    if extra.get("quick_win_id") == "foreign":
        extra = {"quick_win_id": foreign.id}
    client = signed_in(exhibit["exhibitor_a"])
    refused = client.post("/exhibit/pameran/uploads", json={"booth_id": exhibit["booth_a"].id, "kind": "poster", "title": "Poster",
                                                            "file_name": "poster.png", "size": 1000} | extra)
    assert refused.status_code == 400 and refused.json["error"] == tr(app, message)
    assert count(Upload) == 0 and partial_files(app) == []


def test_a_stage_upload_takes_no_dimension_or_programme(app, exhibit, signed_in):
    programme = programme_of(exhibit["booth_a"])
    organizer = signed_in(exhibit["organizer"])
    for extra in ({"dimension": "living"}, {"quick_win_id": programme.id}):
        refused = organizer.post("/exhibit/pameran/uploads", json={"stage": True, "kind": "video", "title": "Tari",
                                                                   "file_name": "tari.mp4", "size": 1000} | extra)
        assert refused.status_code == 400 and refused.json["error"] == tr(app, "Stage videos have no Smart City dimension or programme.")
    assert count(Upload) == 0


# 3. The same file twice


def test_the_same_file_again_in_a_booth_is_refused_with_the_name_of_the_item_already_there(app, exhibit, signed_in):
    client, data = signed_in(exhibit["exhibitor_a"]), png_bytes()
    first = upload(client, exhibit["event"], data, booth=exhibit["booth_a"], title="Poster PSC 119")
    assert first.status_code == 201
    stored = stored_files(app)
    again = upload(client, exhibit["event"], data, booth=exhibit["booth_a"], title="Poster lagi")
    assert again.status_code == 422 and again.json["refused"] is True
    assert again.json["error"] == tr(app, "This file is the same as “%(title)s” already in your booth, so it was not added again.",
                                     title="Poster PSC 119")
    assert again.json["same_as"] == first.json["media_id"]
    # Nothing of the second upload is left: no item, no upload row, no part file, no stored file.
    assert [i.title for i in fresh().scalars(select(MediaItem))] == ["Poster PSC 119"]
    assert count(Upload) == 0 and partial_files(app) == [] and stored_files(app) == stored
    item = fresh().get(MediaItem, first.json["media_id"])
    assert item.content_sha256 == hashlib.sha256(data).hexdigest()


def test_the_same_file_in_another_booth_or_after_a_rejection_is_accepted(app, exhibit, signed_in):
    data = png_bytes()
    first = upload(signed_in(exhibit["exhibitor_a"]), exhibit["event"], data, booth=exhibit["booth_a"])
    assert upload(signed_in(exhibit["exhibitor_b"]), exhibit["event"], data, booth=exhibit["booth_b"]).status_code == 201
    item = fresh().get(MediaItem, first.json["media_id"])
    item.state = MediaState.REJECTED
    db.session.commit()
    again = upload(signed_in(exhibit["exhibitor_a"]), exhibit["event"], data, booth=exhibit["booth_a"], title="Poster baru")
    assert again.status_code == 201, text(again)
    assert count(MediaItem) == 3


def test_the_same_stage_video_again_is_refused(app, exhibit, signed_in):
    organizer, data = signed_in(exhibit["organizer"]), b"\x1a\x45\xdf\xa3" + b"not checked before the duplicate test" * 100
    existing = make_media(None, "video", "approved", event=exhibit["event"], on_stage=True, title="Tari Topeng Cirebon",
                          sha256=hashlib.sha256(data).hexdigest())  # a row from before content_sha256: its stored digest counts
    refused = upload(organizer, exhibit["event"], data, stage=True, title="Tari lagi")
    assert refused.status_code == 422 and refused.json["same_as"] == existing.id
    assert refused.json["error"] == tr(app, "This file is the same as “%(title)s” already on the stage, so it was not added again.",
                                       title="Tari Topeng Cirebon")
    assert count(MediaItem) == 1 and count(Upload) == 0 and partial_files(app) == []


def test_the_portal_lists_mark_copies_already_there(app, exhibit, signed_in):
    booth = exhibit["booth_a"]
    first = make_media(booth, "video", "approved", title="Profil Kota Cirebon", sha256="a" * 64)
    copy = make_media(booth, "video", "pending", title="Profil Kota Cirebon (2)", sha256="a" * 64)
    make_media(exhibit["booth_b"], "video", "pending", title="Profil Kabupaten", sha256="a" * 64)  # another booth: no note
    client = signed_in(exhibit["exhibitor_a"])
    for page in (client.get(f"/exhibit/pameran/booth/{booth.id}/media"), client.get("/exhibit/pameran")):
        notes = re.findall(r'data-testid="media-same-file" data-same-as="(\d+)">([^<]*)<', text(page))
        assert notes == [(str(first.id), tr(app, "The same file as “%(title)s”.", title="Profil Kota Cirebon"))], copy.id
