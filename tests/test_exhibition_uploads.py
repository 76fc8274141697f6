"""Chunked resumable uploads: cut and resumed, wrong offsets, sizes, refused files, stale uploads swept, other booths untouchable."""
import io
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from eventsys.core.db import utcnow
from eventsys.core.images import human_size
from eventsys.core.storage import get_storage
from eventsys.exhibition import uploads
from eventsys.exhibition.models import Exhibition, MediaItem, MediaKind, MediaState, Upload
from eventsys.extensions import db
from tests.conftest import IsolatedClient
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor
from tests.helpers import fresh, sign_in, text, tr

CHUNK = 4096


# Builders shared with tests/test_exhibition_portal.py


def build_exhibit(app, make_event, make_organization, make_user) -> dict:
    """An exhibition a month away: booths of Kota Cirebon (A) and Kab. Cirebon (B), an exhibitor for each, an organizer."""
    event = make_exhibition(app, make_event, slug="pameran", max_video_mb=500, max_poster_mb=20)
    org_a, org_b = make_organization(name="Kota Cirebon"), make_organization(name="Kab. Cirebon")
    return {
        "event": event, "org_a": org_a, "org_b": org_b,
        "booth_a": make_booth(event, org_a), "booth_b": make_booth(event, org_b, name="Kabupaten Cirebon"),
        "exhibitor_a": make_exhibitor(make_user, event, org_a, email="diskominfo@cirebonkota.go.id"),
        "exhibitor_b": make_exhibitor(make_user, event, org_b, email="diskominfo@cirebonkab.go.id"),
        "organizer": make_user(email="panitia@kominfo.go.id", event=event, role="organizer"),
    }


@pytest.fixture
def exhibit(app, make_event, make_organization, make_user):
    return build_exhibit(app, make_event, make_organization, make_user)


def client_maker(app):
    """signed_in(user) -> a client of its own (own cookies, own session) signed in as `user`."""
    app.test_client_class = IsolatedClient

    def build(user):
        return sign_in(app.test_client(), user)

    return build


@pytest.fixture
def signed_in(app):
    return client_maker(app)


def png_bytes(side=120, seed=7) -> bytes:
    """A noisy PNG (does not compress), some tens of KB: several chunks of CHUNK bytes."""
    import random

    rng = random.Random(seed)
    picture = Image.new("RGB", (side, side))
    picture.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(side * side)])
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def create(client, event, *, booth=None, kind="poster", size, name="poster.png", title="Poster PSC 119", stage=False):
    body = {"kind": kind, "title": title, "file_name": name, "size": size}
    body |= {"stage": True} if stage else {"booth_id": booth.id}
    return client.post(f"/exhibit/{event.slug}/uploads", json=body)


def send(client, url, data: bytes, offset: int):
    return client.post(f"{url}?offset={offset}", data=data, content_type="application/octet-stream")


def send_all(client, url, data: bytes, start=0, stop=None):
    """Send data[start:stop] in CHUNK pieces; the last response."""
    stop = len(data) if stop is None else stop
    response = None
    for offset in range(start, stop, CHUNK):
        response = send(client, url, data[offset:min(offset + CHUNK, stop)], offset)
        assert response.status_code in (200, 201), text(response)
    return response


def partial_files(app) -> list[Path]:
    directory = uploads.partial_dir(app)
    return sorted(directory.iterdir()) if directory.exists() else []


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.iterdir() if p.is_file()) if root.exists() else []


def count(model) -> int:
    return fresh().scalar(select(func.count()).select_from(model))


# The protocol


def test_an_upload_cut_half_way_resumes_from_another_session(app, exhibit, signed_in):
    event, booth = exhibit["event"], exhibit["booth_a"]
    data = png_bytes()
    assert len(data) > 6 * CHUNK
    first = signed_in(exhibit["exhibitor_a"])
    created = create(first, event, booth=booth, size=len(data))
    assert created.status_code == 201, text(created)
    url, token = created.json["url"], created.json["token"]
    assert created.json["received"] == 0 and created.json["chunk_size"] == uploads.CHUNK_SIZE
    half = (len(data) // 2) // CHUNK * CHUNK
    send_all(first, url, data, 0, half)

    # The connection dropped; a new browser session asks how far it got and goes on from there.
    second = signed_in(exhibit["exhibitor_a"])
    status = second.get(url)
    assert status.status_code == 200 and status.json["received"] == half and status.json["total"] == len(data)
    assert (uploads.partial_dir(app) / f"{token}.part").stat().st_size == half
    done = send_all(second, url, data, half)
    assert done.status_code == 201 and done.json["done"] is True, text(done)

    item = fresh().get(MediaItem, done.json["media_id"])
    assert item.booth_id == booth.id and item.kind == MediaKind.POSTER and item.title == "Poster PSC 119"
    assert item.state in (MediaState.PROCESSING, MediaState.PENDING)
    assert item.uploaded_by_id == exhibit["exhibitor_a"].id and item.content_type == "image/png"
    assert get_storage(app).exists(item.file_key)
    assert count(Upload) == 0 and partial_files(app) == []
    assert second.get(url).status_code == 404  # finished: the upload is gone


def test_an_abandoned_upload_is_swept_with_its_part_file(app, exhibit, signed_in):
    event, booth = exhibit["event"], exhibit["booth_a"]
    client = signed_in(exhibit["exhibitor_a"])
    data = png_bytes()
    url = create(client, event, booth=booth, size=len(data)).json["url"]
    send_all(client, url, data, 0, 2 * CHUNK)
    assert count(Upload) == 1 and len(partial_files(app)) == 1

    assert uploads.sweep_stale(fresh(), timedelta(hours=24), directory=uploads.partial_dir(app)) == 0  # still fresh
    removed = uploads.sweep_stale(fresh(), timedelta(hours=24), directory=uploads.partial_dir(app), now=utcnow() + timedelta(hours=25))
    db.session.commit()
    assert removed == 1 and count(Upload) == 0 and partial_files(app) == []
    assert client.get(url).status_code == 404
    assert count(MediaItem) == 0


def test_creating_an_upload_sweeps_stale_ones(app, exhibit, signed_in):
    event, booth = exhibit["event"], exhibit["booth_a"]
    client = signed_in(exhibit["exhibitor_a"])
    old = create(client, event, booth=booth, size=1000).json
    send(client, old["url"], b"x" * 100, 0)
    upload = fresh().scalar(select(Upload).where(Upload.token == old["token"]))
    upload.updated_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    new = create(client, event, booth=booth, size=1000)
    assert new.status_code == 201
    assert [u.token for u in fresh().scalars(select(Upload))] == [new.json["token"]]
    assert [p.name for p in partial_files(app)] == [f"{new.json['token']}.part"]


def test_the_cron_command_sweeps_abandoned_uploads_when_nobody_uploads_again(app, exhibit, signed_in):
    from eventsys.exhibition import processing

    event, booth = exhibit["event"], exhibit["booth_a"]
    client = signed_in(exhibit["exhibitor_a"])
    abandoned = create(client, event, booth=booth, size=1000).json
    send(client, abandoned["url"], b"x" * 100, 0)
    fresh_one = create(client, event, booth=booth, size=1000).json
    send(client, fresh_one["url"], b"y" * 100, 0)
    upload = fresh().scalar(select(Upload).where(Upload.token == abandoned["token"]))
    upload.updated_at = utcnow() - uploads.STALE_AFTER - timedelta(hours=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(processing.process_stuck_command, ["--minutes", "15"])
    assert result.exit_code == 0 and "removed 1 abandoned uploads" in result.output, result.output
    assert [u.token for u in fresh().scalars(select(Upload))] == [fresh_one["token"]]
    assert [p.name for p in partial_files(app)] == [f"{fresh_one['token']}.part"]


def test_a_chunk_at_the_wrong_offset_gets_409_with_the_current_offset(exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    url = create(client, exhibit["event"], booth=exhibit["booth_a"], size=3 * CHUNK).json["url"]
    assert send(client, url, b"a" * CHUNK, 0).json["received"] == CHUNK
    again = send(client, url, b"a" * CHUNK, 0)  # the same chunk twice (its answer was lost)
    assert again.status_code == 409 and again.json["received"] == CHUNK
    ahead = send(client, url, b"c" * CHUNK, 2 * CHUNK)
    assert ahead.status_code == 409 and ahead.json["received"] == CHUNK
    assert client.get(url).json["received"] == CHUNK
    missing = client.post(url, data=b"x", content_type="application/octet-stream")
    assert missing.status_code == 400
    ranged = client.post(url, data=b"b" * 10, headers={"Content-Range": f"bytes {CHUNK}-{CHUNK + 9}/{3 * CHUNK}"})
    assert ranged.status_code == 200 and ranged.json["received"] == CHUNK + 10


def test_an_oversized_file_is_refused_at_create(app, exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    event, booth = exhibit["event"], exhibit["booth_a"]
    too_big = create(client, event, booth=booth, size=20 * 1024 * 1024 + 1)
    assert too_big.status_code == 413
    assert too_big.json["error"] == tr(app, "The poster is %(size)s; posters may be at most %(max)s. Save it smaller and try again.",
                                       size=human_size(20 * 1024 * 1024 + 1), max="20 MB")
    fresh().get(Exhibition, event.id).max_video_mb = 2
    db.session.commit()
    video = create(client, event, booth=booth, kind="video", name="profil.mp4", size=3 * 1024 * 1024)
    assert video.status_code == 413 and "2 MB" in video.json["error"]
    assert create(client, event, booth=booth, kind="video", name="profil.mp4", size=2 * 1024 * 1024).status_code == 201
    assert create(client, event, booth=booth, kind="exe", size=10).status_code == 422
    assert create(client, event, booth=booth, size=0).status_code == 422
    assert count(Upload) == 1


def test_the_app_config_can_lower_the_video_limit(make_app, exhibit):
    from eventsys.exhibition.models import Exhibition as E

    small = make_app(EXHIBITION_MAX_VIDEO_MB=1)
    assert uploads.max_bytes(E(max_video_mb=500), MediaKind.VIDEO, small.config) == 1024 * 1024
    assert uploads.max_bytes(E(max_video_mb=500, max_poster_mb=20), MediaKind.POSTER, small.config) == 20 * 1024 * 1024


def test_chunks_beyond_the_declared_size_cancel_the_upload(app, exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    url = create(client, exhibit["event"], booth=exhibit["booth_a"], size=100).json["url"]
    assert send(client, url, b"a" * 60, 0).status_code == 200
    over = send(client, url, b"b" * 60, 60)
    assert over.status_code == 413 and over.json["error"]
    assert count(Upload) == 0 and partial_files(app) == []


def test_a_refused_file_leaves_nothing_behind(app, exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    fake = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 3000  # a Windows program named poster.jpg
    url = create(client, exhibit["event"], booth=exhibit["booth_a"], size=len(fake), name="poster.jpg").json["url"]
    refused = send_all_last(client, url, fake)
    assert refused.status_code == 422 and refused.json["refused"] is True and refused.json["error"]
    assert count(Upload) == 0 and count(MediaItem) == 0
    assert partial_files(app) == [] and stored_files(app) == []


def send_all_last(client, url, data):
    """Send every chunk but expect the last answer to be a refusal."""
    for offset in range(0, len(data) - CHUNK, CHUNK):
        assert send(client, url, data[offset:offset + CHUNK], offset).status_code == 200
    last = (len(data) - 1) // CHUNK * CHUNK
    return send(client, url, data[last:], last)


def test_a_path_traversal_name_is_only_a_cleaned_display_name(app, exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    data = png_bytes(40)
    created = create(client, exhibit["event"], booth=exhibit["booth_a"], size=len(data), name="../../etc/passwd.mp4", title="")
    assert created.status_code == 201
    assert "/" not in created.json["file_name"] and ".." not in created.json["file_name"]
    done = send_all(client, created.json["url"], data)
    item = fresh().get(MediaItem, done.json["media_id"])
    assert "/" not in item.original_name and "\\" not in item.original_name and not item.original_name.startswith(".")
    assert item.title  # taken from the cleaned name
    assert item.file_key in [p.name for p in stored_files(app)]
    assert all(p.parent == Path(app.config["UPLOAD_DIR"]) for p in stored_files(app))
    assert not any("passwd" in p.name for p in Path(app.config["UPLOAD_DIR"]).rglob("*"))


def test_cancel_deletes_the_row_and_the_part_file(app, exhibit, signed_in):
    client = signed_in(exhibit["exhibitor_a"])
    url = create(client, exhibit["event"], booth=exhibit["booth_a"], size=1000).json["url"]
    send(client, url, b"x" * 500, 0)
    assert client.delete(url).status_code == 204
    assert count(Upload) == 0 and partial_files(app) == []
    assert client.delete(url).status_code == 404


def test_an_exhibitor_cannot_touch_another_booths_upload(app, exhibit, signed_in):
    event = exhibit["event"]
    owner, other = signed_in(exhibit["exhibitor_a"]), signed_in(exhibit["exhibitor_b"])
    url = create(owner, event, booth=exhibit["booth_a"], size=1000).json["url"]
    send(owner, url, b"x" * 100, 0)
    refused = create(other, event, booth=exhibit["booth_a"], size=1000)
    assert refused.status_code == 404 and refused.json["error"] == tr(app, "This booth does not exist or is not yours to edit.")
    assert create(other, event, size=1000, stage=True, kind="video").status_code == 404
    for odd in (99999999999999999999, "99999999999999999999", True, None, "abc"):  # no 500, no HTML page from the JSON API
        body = {"booth_id": odd, "kind": "poster", "title": "x", "file_name": "p.png", "size": 1000}
        answer = other.post(f"/exhibit/{event.slug}/uploads", json=body)
        assert answer.status_code == 404 and answer.is_json, odd
    assert other.get(url).status_code == 404
    assert send(other, url, b"y" * 100, 100).status_code == 404
    assert other.delete(url).status_code == 404
    assert owner.get(url).json["received"] == 100 and count(Upload) == 1
    assert (uploads.partial_dir(app) / f"{url.rsplit('/', 1)[1]}.part").read_bytes() == b"x" * 100


def test_organizers_upload_stage_videos_through_the_same_api(app, exhibit, signed_in, make_user):
    organizer = signed_in(exhibit["organizer"])
    created = create(organizer, exhibit["event"], kind="video", size=1000, stage=True, name="tari-topeng.mp4")
    assert created.status_code == 201
    upload = fresh().scalar(select(Upload))
    assert upload.on_stage is True and upload.booth_id is None
    # An organizer may also work on any booth.
    assert create(organizer, exhibit["event"], booth=exhibit["booth_b"], size=1000).status_code == 201
    outsider = signed_in(make_user(email="tamu@example.com"))
    assert create(outsider, exhibit["event"], booth=exhibit["booth_a"], size=1000).status_code == 403


def test_exhibitors_cannot_upload_to_an_archive(app, exhibit, signed_in):
    event = exhibit["event"]
    exhibition = fresh().get(Exhibition, event.id)
    exhibition.opens_at, exhibition.closes_at = utcnow() - timedelta(days=20), utcnow() - timedelta(days=1)
    db.session.commit()
    refused = create(signed_in(exhibit["exhibitor_a"]), event, booth=exhibit["booth_a"], size=1000)
    assert refused.status_code == 422
    assert refused.json["error"] == tr(app, "The exhibition has closed and is now a read-only archive; booths can no longer be changed.")


def test_chunks_need_the_csrf_header_when_csrf_is_on(make_app, exhibit):
    secure = make_app(WTF_CSRF_ENABLED=True)
    secure.test_client_class = IsolatedClient
    with secure.app_context():
        client = secure.test_client()
        login = client.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(login)).group(1)
        client.post("/login", data={"email": exhibit["exhibitor_a"].email, "password": "rahasia-yang-panjang", "csrf_token": token})
        page = client.get(f"/exhibit/pameran/booth/{exhibit['booth_a'].id}/media")
        assert page.status_code == 200
        csrf = re.search(r'data-csrf="([^"]+)"', text(page)).group(1)
        body = {"booth_id": exhibit["booth_a"].id, "kind": "poster", "title": "x", "file_name": "x.png", "size": 10}
        assert client.post("/exhibit/pameran/uploads", json=body).status_code == 400
        created = client.post("/exhibit/pameran/uploads", json=body, headers={"X-CSRFToken": csrf})
        assert created.status_code == 201
        url = created.json["url"]
        assert client.post(f"{url}?offset=0", data=b"1234", content_type="application/octet-stream").status_code == 400
        ok = client.post(f"{url}?offset=0", data=b"1234", content_type="application/octet-stream", headers={"X-CSRFToken": csrf})
        assert ok.status_code == 200 and ok.json["received"] == 4


def small_mp4(tmp_path) -> bytes | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    out = tmp_path / "clip.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
                    "-t", "2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-movflags", "+faststart", str(out)], check=True)
    return out.read_bytes()


def test_a_small_mp4_video_arrives_in_chunks(app, exhibit, signed_in, tmp_path):
    data = small_mp4(tmp_path)
    if data is None:
        pytest.skip("imageio-ffmpeg is not installed")
    client = signed_in(exhibit["exhibitor_a"])
    created = create(client, exhibit["event"], booth=exhibit["booth_a"], kind="video", size=len(data), name="PSC 119.mp4", title="")
    done = send_all(client, created.json["url"], data)
    item = fresh().get(MediaItem, done.json["media_id"])
    assert item.kind == MediaKind.VIDEO and item.content_type == "video/mp4" and item.size == len(data)
    assert item.title == "PSC 119"
    assert count(Upload) == 0 and partial_files(app) == []
    shutil.rmtree(uploads.partial_dir(app), ignore_errors=True)
