"""Serving exhibition files: who may fetch them, headers, ranges and conditional requests; hostile uploads end to end."""
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eventsys.core.storage import get_storage
from eventsys.exhibition.models import MediaItem, MediaState, Upload
from eventsys.extensions import db
from tests.conftest import IsolatedClient
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media
from tests.exhibition_media_helpers import (
    exe_bytes,
    files_in,
    html_page,
    jpeg_with_gps,
    png_bomb,
    s3_app,
    s3_server,
    svg_with_script,
)
from tests.helpers import fresh, recorded_statements, selects, sign_in, text, tr

DATA = os.urandom(10_000)
CSP = "default-src 'none'; sandbox"


@pytest.fixture
def hall(app, make_event, make_organization, make_user):
    """An exhibition open since yesterday: Kab. Cirebon's booth with a stored video, its exhibitor, another booth's exhibitor, an organizer."""
    app.test_client_class = IsolatedClient
    event = make_exhibition(app, make_event, slug="pameran-2021", opens_in=-timedelta(days=1))
    own, other = make_organization(name="Kab. Cirebon"), make_organization(name="Kota Bandung")
    booth = make_booth(event, own)
    make_booth(event, other)
    key = get_storage(app).save(DATA, ".mp4")
    return {
        "event": event, "booth": booth, "key": key,
        "exhibitor": make_exhibitor(make_user, event, own),
        "stranger": make_exhibitor(make_user, event, other),
        "organizer": make_user(email="panitia@kominfo.go.id", event=event, role="organizer"),
    }


def url(hall, item, suffix=""):
    return f"/exhibition/{hall['event'].slug}/media/{item.id}{suffix}"


def video(hall, state="approved", **fields):
    return make_media(hall["booth"], "video", state, file_key=hall["key"], sha256="a" * 64, **fields)


def as_user(app, user):
    return sign_in(app.test_client(), user)


# Who sees what


def test_an_approved_video_is_served_to_anyone_with_safe_headers(app, hall):
    response = app.test_client().get(url(hall, video(hall)))
    assert response.status_code == 200 and response.data == DATA
    headers = response.headers
    assert headers["Content-Type"] == "video/mp4" and headers["Content-Length"] == str(len(DATA))
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Content-Security-Policy"] == CSP
    assert headers["Accept-Ranges"] == "bytes" and headers["Content-Disposition"] == "inline"
    assert headers["ETag"] and headers["Last-Modified"]
    assert headers["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("state", ["pending", "processing", "rejected", "failed"])
def test_an_unapproved_item_is_hidden_from_visitors_but_not_from_its_exhibitor(app, hall, state):
    item = video(hall, state)
    assert app.test_client().get(url(hall, item)).status_code == 404
    assert as_user(app, hall["stranger"]).get(url(hall, item)).status_code == 404
    for user in (hall["exhibitor"], hall["organizer"]):
        response = as_user(app, user).get(url(hall, item))
        assert response.status_code == 200 and response.data == DATA
        assert response.headers["Cache-Control"] == "private, no-store"


def test_nothing_is_served_before_the_opening_or_from_another_event(app, hall, make_event):
    item = video(hall)
    hall["event"].starts_at += timedelta(days=10)
    hall["event"].ends_at += timedelta(days=10)
    db.session.commit()
    assert app.test_client().get(url(hall, item)).status_code == 404
    assert as_user(app, hall["exhibitor"]).get(url(hall, item)).status_code == 200
    other = make_exhibition(app, make_event, slug="lain", opens_in=-timedelta(days=1))
    assert app.test_client().get(f"/exhibition/{other.slug}/media/{item.id}").status_code == 404
    assert app.test_client().get(f"/exhibition/{hall['event'].slug}/media/999999").status_code == 404


def test_a_pdf_is_downloaded_as_an_attachment(app, hall):
    key = get_storage(app).save(b"%PDF-1.4 ...", ".pdf")
    item = make_media(hall["booth"], "document", "approved", file_key=key, original_name="Profil Kab. Cirebon.pdf")
    response = app.test_client().get(url(hall, item))
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"Profil Kab. Cirebon.pdf\"; filename*=UTF-8''Profil%20Kab.%20Cirebon.pdf")
    assert response.headers["Content-Security-Policy"] == CSP


def test_thumbnails_and_logos_follow_the_same_rules(app, hall):
    thumb = get_storage(app).save(b"\xff\xd8\xff thumb", ".jpg")
    approved, pending = video(hall, thumb_key=thumb), video(hall, "pending", thumb_key=thumb)
    anonymous = app.test_client()
    response = anonymous.get(url(hall, approved, "/thumb"))
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
    assert anonymous.get(url(hall, pending, "/thumb")).status_code == 404
    assert as_user(app, hall["exhibitor"]).get(url(hall, pending, "/thumb")).status_code == 200
    assert anonymous.get(url(hall, video(hall), "/thumb")).status_code == 404  # no thumbnail yet

    booth = hall["booth"]
    logo_url = f"/exhibition/{hall['event'].slug}/booths/{booth.id}/logo"
    assert anonymous.get(logo_url).status_code == 404
    booth.logo_key, booth.logo_content_type = get_storage(app).save(b"\x89PNG logo", ".png"), "image/png"
    db.session.commit()
    response = anonymous.get(logo_url)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_range_of_an_approved_item_takes_one_query(app, hall):
    """Event, exhibition and item come in one SELECT (every range of a video pays for it); the booth is not loaded."""
    target = url(hall, video(hall))
    with recorded_statements() as statements:
        response = app.test_client().get(target, headers={"Range": "bytes=0-0"})
    assert response.status_code == 206 and response.data == DATA[:1]
    assert selects(statements) == 1, statements


# Ranges and conditional requests


def test_ranges_and_conditional_requests(app, hall):
    client, target = app.test_client(), url(hall, video(hall))

    def get(**headers):
        return client.get(target, headers=headers)

    first = get(Range="bytes=0-99")
    assert first.status_code == 206 and first.data == DATA[:100]
    assert first.headers["Content-Range"] == "bytes 0-99/10000" and first.headers["Content-Length"] == "100"
    middle = get(Range="bytes=5000-5999")
    assert middle.status_code == 206 and middle.data == DATA[5000:6000]
    suffix = get(Range="bytes=-500")
    assert suffix.status_code == 206 and suffix.data == DATA[-500:] and suffix.headers["Content-Range"] == "bytes 9500-9999/10000"
    open_ended = get(Range="bytes=9000-")
    assert open_ended.status_code == 206 and open_ended.data == DATA[9000:]
    past_end = get(Range="bytes=9000-20000")
    assert past_end.status_code == 206 and past_end.data == DATA[9000:]

    for bad in ("bytes=20000-30000", "bytes=abc", "bytes=500-100", "lines=1-2", "bytes=0-10,20-30"):
        refused = get(Range=bad)
        assert refused.status_code == 416, bad
        assert refused.headers["Content-Range"] == "bytes */10000" and refused.data == b""

    whole = get()
    etag, modified = whole.headers["ETag"], whole.headers["Last-Modified"]
    assert get(**{"If-None-Match": etag}).status_code == 304
    assert get(**{"If-Modified-Since": modified}).status_code == 304
    assert get(**{"If-None-Match": '"something-else"'}).status_code == 200
    same = get(Range="bytes=100-199", **{"If-Range": etag})
    assert same.status_code == 206 and same.data == DATA[100:200]
    changed = get(Range="bytes=100-199", **{"If-Range": '"an-old-version"'})
    assert changed.status_code == 200 and changed.data == DATA


def test_a_missing_stored_file_is_a_404_not_an_error(app, hall):
    item = make_media(hall["booth"], "video", "approved", file_key="nothing-stored-under-this-key.mp4")
    assert app.test_client().get(url(hall, item)).status_code == 404


# Hostile files through the upload API: refused or FAILED, no orphan file or row


def upload(client, hall, data: bytes, name: str, kind: str):
    created = client.post(f"/exhibit/{hall['event'].slug}/uploads",
                          json={"booth_id": hall["booth"].id, "kind": kind, "title": "Materi", "file_name": name, "size": len(data)})
    assert created.status_code == 201, text(created)
    return client.post(f"{created.json['url']}?offset=0", data=data, content_type="application/octet-stream")


NOT_POSTER = "This file is not a JPEG or PNG picture or a PDF. Save the poster in one of these formats and try again."
HOSTILE = {
    "exe named poster.jpg": (exe_bytes, "poster.jpg", "poster", NOT_POSTER),
    "svg with script": (svg_with_script, "poster.svg", "poster", NOT_POSTER),
    "html file": (html_page, "poster.html", "poster", NOT_POSTER),
    "decompression bomb": (lambda: png_bomb(30_000), "poster.png", "poster",
                           "The picture is far larger than a poster needs. Send a smaller one."),
    "html named video.mp4": (html_page, "video.mp4", "video",
                             "This file is not an MP4, MOV or WebM video. Export the video as MP4 (H.264) or WebM and try again."),
}


def stored_now(app) -> list[str]:
    root = Path(app.config["UPLOAD_DIR"])
    partial = root / "partial"
    return files_in(root) + files_in(partial)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_upload_is_refused_without_a_trace(app, hall, case):
    make, name, kind, message = HOSTILE[case]
    before = stored_now(app)
    response = upload(as_user(app, hall["exhibitor"]), hall, make(), name, kind)
    assert response.status_code == 422 and response.json["error"] == tr(app, message)
    assert stored_now(app) == before
    session = fresh()
    assert session.scalar(select(func.count()).select_from(MediaItem)) == 0
    assert session.scalar(select(func.count()).select_from(Upload)) == 0


def test_an_oversized_upload_is_refused_before_any_byte(app, hall):
    limit = app.config.get("EXHIBITION_MAX_POSTER_MB") or 20
    client = as_user(app, hall["exhibitor"])
    created = client.post(f"/exhibit/{hall['event'].slug}/uploads", json={
        "booth_id": hall["booth"].id, "kind": "poster", "title": "Besar", "file_name": "besar.png", "size": limit * 1024 * 1024 + 1})
    assert created.status_code == 413 and created.json["error"]
    assert fresh().scalar(select(func.count()).select_from(Upload)) == 0


def test_a_truncated_mp4_upload_fails_with_a_message_its_exhibitor_sees(app, hall, tmp_path):
    from tests.exhibition_media_helpers import truncated_mp4

    data = truncated_mp4(tmp_path).read_bytes()
    client = as_user(app, hall["exhibitor"])
    response = upload(client, hall, data, "PSC 119.mp4", "video")
    assert response.status_code == 201, text(response)
    item = fresh().get(MediaItem, response.json["media_id"])
    assert item.state == MediaState.FAILED and item.problem == tr(
        app, "The video file is incomplete: it was cut off while being saved or copied. "
             "Export it again as MP4 (H.264) or WebM and upload the new file.")
    assert stored_now(app) == sorted([hall["key"], item.file_key])  # no thumbnail, no part file
    assert app.test_client().get(url(hall, item)).status_code == 404
    assert client.get(url(hall, item)).status_code == 200


def test_an_uploaded_photo_is_served_without_its_gps_position(app, hall):
    client = as_user(app, hall["exhibitor"])
    response = upload(client, hall, jpeg_with_gps(), "foto lokasi.jpg", "poster")
    assert response.status_code == 201, text(response)
    item = fresh().get(MediaItem, response.json["media_id"])
    assert item.state == MediaState.PENDING and item.thumb_key
    served = client.get(url(hall, item))
    assert served.headers["Content-Type"] == "image/jpeg"
    assert b"Exif" not in served.data and b"SM-A525F" not in served.data


# Serving from the S3 storage (moto's S3 server on a loopback port): the same headers, ranges read with GetObject Range


@pytest.fixture(scope="module")
def s3_endpoint():
    yield from s3_server()


def test_files_in_s3_are_served_with_ranges(make_app, s3_endpoint, make_event, make_organization):
    app, storage = s3_app(make_app, s3_endpoint, "media-serve")
    app.test_client_class = IsolatedClient
    with app.app_context():
        event = make_exhibition(app, make_event, opens_in=-timedelta(days=1))
        booth = make_booth(event, make_organization(name="Kota Cirebon"))
        key = storage.save(DATA, ".mp4")
        approved = make_media(booth, "video", "approved", file_key=key, sha256="b" * 64)
        pending = make_media(booth, "video", "pending", file_key=key)
        client = app.test_client()
        target = f"/exhibition/{event.slug}/media/{approved.id}"
        whole = client.get(target)
        assert whole.status_code == 200 and whole.data == DATA and whole.headers["Content-Security-Policy"] == CSP
        middle = client.get(target, headers={"Range": "bytes=5000-5999"})
        assert middle.status_code == 206 and middle.data == DATA[5000:6000]
        assert middle.headers["Content-Range"] == "bytes 5000-5999/10000"
        suffix = client.get(target, headers={"Range": "bytes=-500"})
        assert suffix.status_code == 206 and suffix.data == DATA[-500:]
        refused = client.get(target, headers={"Range": "bytes=20000-"})
        assert refused.status_code == 416 and refused.headers["Content-Range"] == "bytes */10000"
        assert client.get(target, headers={"If-None-Match": whole.headers["ETag"]}).status_code == 304
        assert client.get(f"/exhibition/{event.slug}/media/{pending.id}").status_code == 404
        db.session.remove()
