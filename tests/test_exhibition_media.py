"""Checking uploads by content (media.store_upload), processing them (thumbnails, video length, FAILED) and the S3 storage."""
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from eventsys.core.images import human_size
from eventsys.core.rules import RuleViolation
from eventsys.core.storage import S3Storage
from eventsys.exhibition import media, processing
from eventsys.exhibition.models import MediaItem, MediaKind, MediaState
from eventsys.extensions import db
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor
from tests.exhibition_media_helpers import (
    TRUNCATED,
    exe_bytes,
    files_in,
    html_page,
    jpeg_with_gps,
    mov,
    mp4,
    pdf_bytes,
    png_bomb,
    png_bytes,
    s3_app,
    s3_server,
    svg_with_script,
    truncated_mp4,
    webm,
    write,
)
from tests.helpers import fresh, sign_in, text, tr

MB = 1024 * 1024

NOT_VIDEO = "This file is not an MP4, MOV or WebM video. Export the video as MP4 (H.264) or WebM and try again."
NOT_POSTER = "This file is not a JPEG or PNG picture or a PDF. Save the poster in one of these formats and try again."


@pytest.fixture
def upload_dir(app) -> Path:
    return Path(app.config["UPLOAD_DIR"])


@pytest.fixture
def incoming(tmp_path) -> Path:
    """Where finished uploads wait before they are checked (outside UPLOAD_DIR's top level)."""
    return tmp_path / "incoming"


def store(app, path, kind, max_bytes=20 * MB):
    with app.test_request_context():
        return media.store_upload(path, kind, max_bytes=max_bytes, original_name=path.name)


def refused(app, path, kind, max_bytes=20 * MB) -> str:
    with pytest.raises(RuleViolation) as caught:
        store(app, path, kind, max_bytes)
    assert caught.value.field == "file"
    return caught.value.message


# Accepted files


def test_an_mp4_is_moved_into_the_storage_unchanged(app, incoming, upload_dir):
    path = mp4(incoming)
    data = path.read_bytes()
    stored = store(app, path, MediaKind.VIDEO)
    assert not path.exists()
    assert (stored.kind, stored.content_type, stored.size) == (MediaKind.VIDEO, "video/mp4", len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.file_key.endswith(".mp4") and files_in(upload_dir) == [stored.file_key]
    assert (upload_dir / stored.file_key).read_bytes() == data


def test_a_webm_video_is_accepted_whatever_its_name(app, incoming):
    stored = store(app, webm(incoming, "rekaman.MOV"), MediaKind.VIDEO)
    assert (stored.content_type, stored.file_key[-5:]) == ("video/webm", ".webm")


def test_an_iphone_movie_is_stored_as_the_mp4_it_is_rewritten_into_and_plays(app, booth, incoming, upload_dir):
    path = mov(incoming)
    with open(path, "rb") as f:
        assert f.read(12)[8:12] == b"qt  " and media.sniff(path.read_bytes()[:256]) == "mov"
    stored = store(app, path, MediaKind.VIDEO)
    assert not path.exists() and files_in(upload_dir) == [stored.file_key]  # the movie and its rewrite are gone
    kept = (upload_dir / stored.file_key).read_bytes()
    assert (stored.kind, stored.content_type, stored.file_key[-4:]) == (MediaKind.VIDEO, "video/mp4", ".mp4")
    assert media.sniff(kept[:256]) == "mp4" and stored.sha256 == hashlib.sha256(kept).hexdigest() and stored.size == len(kept)
    assert kept.index(b"moov") < kept.index(b"mdat")  # the index first: a browser plays before the end arrives
    item = new_item(app, booth, write(incoming, "again.mp4", kept), MediaKind.VIDEO)
    with app.test_request_context():
        processing.process(item.id)
    item = fresh().get(MediaItem, item.id)
    assert item.state == MediaState.PENDING and item.duration_seconds == pytest.approx(1, abs=0.2) and item.thumb_key


HEVC_NOTE = ("This video is HEVC (H.265): Firefox, and Chrome on computers without an HEVC decoder, cannot play it. "
             "For every visitor, export it as MP4 (H.264); on an iPhone choose Settings › Camera › Formats › Most Compatible.")


def test_an_hevc_movie_plays_but_its_exhibitor_is_told_which_browsers_cannot(app, booth, incoming, make_app, make_user):
    item = new_item(app, booth, mov(incoming, hevc=True), MediaKind.VIDEO)
    assert item.content_type == "video/mp4"
    with app.test_request_context():
        processing.process(item.id)
    item = fresh().get(MediaItem, item.id)
    assert item.state == MediaState.PENDING and item.thumb_key and item.problem == tr(app, HEVC_NOTE)
    exhibitor = sign_in(make_app().test_client(), make_exhibitor(make_user, booth.event, booth.organization))
    assert tr(app, HEVC_NOTE) in text(exhibitor.get(f"/exhibit/{booth.event.slug}"))
    h264 = new_item(app, booth, mov(incoming, "h264.mov"), MediaKind.VIDEO)  # an H.264 file: no note
    with app.test_request_context():
        processing.process(h264.id)
    assert fresh().get(MediaItem, h264.id).problem == ""


def test_a_damaged_movie_is_refused_with_what_to_send_instead(app, incoming, upload_dir):
    data = mov(incoming).read_bytes()
    damaged = write(incoming, "rusak.mov", data[:64] + bytes(len(data) - 64))  # the ftyp box, then nothing readable
    message = refused(app, damaged, MediaKind.VIDEO)
    assert message == tr(app, "This QuickTime (.mov) video could not be turned into MP4. Export it as MP4 (H.264) and try again.")
    assert files_in(upload_dir) == [] and list(incoming.iterdir()) == [incoming / "IMG_0042.MOV"]


def test_a_photo_loses_its_gps_position_and_camera(app, incoming, upload_dir):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825)  # the test photo does carry a position
    stored = store(app, write(incoming, "foto.jpg", original), MediaKind.POSTER)
    kept = (upload_dir / stored.file_key).read_bytes()
    with Image.open(io.BytesIO(kept)) as after:
        assert after.format == "JPEG" and not after.getexif() and "exif" not in after.info
    assert b"SM-A525F" not in kept and b"Samsung" not in kept
    assert (stored.kind, stored.content_type, stored.width, stored.height) == (MediaKind.POSTER, "image/jpeg", 200, 200)


def test_a_big_poster_is_redrawn_at_most_4096_pixels(app, incoming):
    out = io.BytesIO()
    Image.new("RGB", (6000, 3000), "white").save(out, "PNG")
    stored = store(app, write(incoming, "poster.png", out.getvalue()), MediaKind.POSTER)
    assert (stored.content_type, stored.width, stored.height) == ("image/png", 4096, 2048)


def test_a_pdf_poster_is_kept_as_a_document(app, incoming):
    stored = store(app, write(incoming, "leaflet.pdf", pdf_bytes(2)), MediaKind.POSTER)
    assert (stored.kind, stored.content_type) == (MediaKind.DOCUMENT, "application/pdf")


# Refused files: a clear message, the incoming file deleted, nothing stored


HOSTILE = {
    "exe named poster.jpg": ("poster.jpg", exe_bytes, MediaKind.POSTER, NOT_POSTER),
    "svg with script": ("poster.svg", svg_with_script, MediaKind.POSTER, NOT_POSTER),
    "html page": ("poster.png", html_page, MediaKind.POSTER, NOT_POSTER),
    "html as a video": ("video.mp4", html_page, MediaKind.VIDEO, NOT_VIDEO),
    "picture as a video": ("video.mp4", png_bytes, MediaKind.VIDEO, NOT_VIDEO),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_and_deleted(app, incoming, upload_dir, case):
    name, make, kind, message = HOSTILE[case]
    path = write(incoming, name, make())
    assert refused(app, path, kind) == tr(app, message)
    assert not path.exists() and files_in(upload_dir) == []


def test_a_video_sent_as_a_poster_is_refused(app, incoming, upload_dir):
    path = mp4(incoming, "poster.jpg")
    assert refused(app, path, MediaKind.POSTER) == tr(app, NOT_POSTER)
    assert not path.exists() and files_in(upload_dir) == []


@pytest.mark.parametrize(("side", "message"), [
    (30_000, "The picture is far larger than a poster needs. Send a smaller one."),
    (9_000, "The picture is %(width)d × %(height)d pixels, far more than a poster needs. Send one at most %(side)d pixels wide and high."),
])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(app, incoming, upload_dir, side, message):
    path = write(incoming, "poster.png", png_bomb(side))
    assert path.stat().st_size < 100_000
    assert refused(app, path, MediaKind.POSTER) == tr(app, message, width=side, height=side, side=4096)
    assert not path.exists() and files_in(upload_dir) == []


def test_an_oversized_file_is_refused(app, incoming, upload_dir):
    path = mp4(incoming)
    size = path.stat().st_size
    message = refused(app, path, MediaKind.VIDEO, max_bytes=size - 1)
    assert message == tr(app, "The file is %(size)s; at most %(max)s is allowed. Send a smaller file.",
                         size=human_size(size), max=human_size(size - 1))
    assert not path.exists() and files_in(upload_dir) == []


def test_an_empty_file_and_a_broken_pdf_are_refused(app, incoming, upload_dir):
    assert refused(app, write(incoming, "a.mp4", b""), MediaKind.VIDEO) == tr(app, "The file is empty. Choose the file again.")
    broken = write(incoming, "b.pdf", b"%PDF-1.7\n" + b"garbage " * 100)
    assert refused(app, broken, MediaKind.POSTER) == tr(
        app, "The PDF could not be opened; it may be damaged or locked with a password. Save it again without a password.")
    assert files_in(upload_dir) == [] and files_in(incoming) == []


@pytest.mark.parametrize(("given", "shown"), [
    ("C:\\Users\\Dinas\\Video PSC 119.mp4", "Video PSC 119.mp4"),
    ("../../etc/passwd", "passwd"),
    ("poster\x00\x1b[31m.jpg\u202e", "poster[31m.jpg"),
    ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ("", ""),
])
def test_clean_filename_keeps_a_name_to_show_only(given, shown):
    assert media.clean_filename(given) == shown


# Processing


def new_item(app, booth, path, kind) -> MediaItem:
    stored = store(app, path, kind, max_bytes=500 * MB)
    item = MediaItem(event_id=booth.event_id, booth_id=booth.id, kind=stored.kind, state=MediaState.PROCESSING, title="Item",
                     file_key=stored.file_key, content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                     width=stored.width, height=stored.height)
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def booth(app, make_event, make_organization):
    event = make_exhibition(app, make_event)
    return make_booth(event, make_organization(name="Kab. Cirebon"))


def test_a_video_gets_its_length_size_and_a_poster_frame(app, booth, incoming, upload_dir):
    item = new_item(app, booth, mp4(incoming, seconds=2), MediaKind.VIDEO)
    with app.test_request_context():
        processing.schedule(item.id)  # inline under app.testing
    item = fresh().get(MediaItem, item.id)
    assert item.state == MediaState.PENDING and item.problem == ""
    assert (item.width, item.height) == (160, 90) and item.duration_seconds == pytest.approx(2, abs=0.2)
    with Image.open(upload_dir / item.thumb_key) as frame:
        assert frame.format == "JPEG" and frame.size == (160, 90)

    # Processing again changes nothing.
    thumb = item.thumb_key
    with app.test_request_context():
        processing.process(item.id)
    assert fresh().get(MediaItem, item.id).thumb_key == thumb
    assert sorted(files_in(upload_dir)) == sorted([item.file_key, thumb])


def test_outside_tests_processing_runs_in_a_background_thread(app, booth, incoming):
    app.config["EXHIBITION_MEDIA_BACKGROUND"] = True  # what a server does (no app.testing)
    item = new_item(app, booth, mp4(incoming), MediaKind.VIDEO)
    with app.test_request_context():
        processing.schedule(item.id)
    processing.wait(app)
    item = fresh().get(MediaItem, item.id)
    assert item.state == MediaState.PENDING and item.thumb_key and item.duration_seconds == pytest.approx(1, abs=0.2)


def test_items_left_processing_are_picked_up_by_the_command(app, booth, incoming):
    item = new_item(app, booth, write(incoming, "p.png", png_bytes(300)), MediaKind.POSTER)  # never scheduled: a restart
    result = app.test_cli_runner().invoke(processing.process_stuck_command, ["--minutes", "0"])
    assert result.exit_code == 0 and "Processed 1 media items" in result.output, result.output
    assert fresh().get(MediaItem, item.id).state == MediaState.PENDING


def test_a_truncated_mp4_fails_with_a_clear_message(app, booth, incoming, upload_dir):
    item = new_item(app, booth, truncated_mp4(incoming), MediaKind.VIDEO)  # the first bytes are a real MP4
    with app.test_request_context():
        processing.process(item.id)
    item = fresh().get(MediaItem, item.id)
    assert item.state == MediaState.FAILED and item.problem == tr(app, TRUNCATED)
    assert item.thumb_key is None and files_in(upload_dir) == [item.file_key]


def test_a_webm_is_processed_and_a_cut_webm_fails(app, booth, incoming):
    good = new_item(app, booth, webm(incoming), MediaKind.VIDEO)
    data = webm(incoming, "whole.webm").read_bytes()
    cut = new_item(app, booth, write(incoming, "cut.webm", data[: len(data) // 2]), MediaKind.VIDEO)
    with app.test_request_context():
        processing.process(good.id)
        processing.process(cut.id)
    good, cut = fresh().get(MediaItem, good.id), fresh().get(MediaItem, cut.id)
    assert good.state == MediaState.PENDING and (good.width, good.height) == (160, 90) and good.thumb_key
    assert cut.state == MediaState.FAILED and cut.problem == tr(app, TRUNCATED)


def test_posters_and_pdfs_get_a_thumbnail(app, booth, incoming, upload_dir):
    out = io.BytesIO()
    Image.new("RGBA", (1600, 900), (0, 0, 255, 128)).save(out, "PNG")
    poster = new_item(app, booth, write(incoming, "p.png", out.getvalue()), MediaKind.POSTER)
    document = new_item(app, booth, write(incoming, "d.pdf", pdf_bytes()), MediaKind.POSTER)
    with app.test_request_context():
        processing.process(poster.id)
        processing.process(document.id)
    poster, document = fresh().get(MediaItem, poster.id), fresh().get(MediaItem, document.id)
    assert poster.state == document.state == MediaState.PENDING
    with Image.open(upload_dir / poster.thumb_key) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (640, 360)
    with Image.open(upload_dir / document.thumb_key) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 640
    assert document.kind == MediaKind.DOCUMENT and (document.width, document.height) == (300, 400)


def test_deleting_files_removes_the_file_and_its_thumbnail(app, booth, incoming, upload_dir):
    item = new_item(app, booth, mp4(incoming), MediaKind.VIDEO)
    with app.test_request_context():
        processing.process(item.id)
        media.delete_files(fresh().get(MediaItem, item.id))
    assert files_in(upload_dir) == []


# The S3 storage, against moto's S3 server on a loopback port


@pytest.fixture(scope="module")
def s3_endpoint():
    yield from s3_server()


def test_s3_storage_streams_files_in_and_reads_ranges(make_app, s3_endpoint, tmp_path):
    app, storage = s3_app(make_app, s3_endpoint, "media-a")
    assert isinstance(storage, S3Storage)
    data = bytes(range(256)) * 4096  # 1 MB
    path = write(tmp_path, "v.bin", data)
    key = storage.save_file(path, ".mp4")
    assert not path.exists() and storage.exists(key) and storage.size(key) == len(data)
    with storage.open(key) as reader:
        reader.seek(1000)
        assert reader.read(10) == data[1000:1010]
        assert reader.read(5) == data[1010:1015]  # goes on in the same response
        reader.seek(-100, io.SEEK_END)
        assert reader.read() == data[-100:]
        assert reader.read_range(5, 3) == data[5:8]
    with storage.local_copy(key) as copy:
        assert copy.read_bytes() == data
    assert not copy.exists()
    storage.delete(key)
    assert not storage.exists(key)


def test_s3_uploads_are_checked_and_processed_the_same_way(make_app, s3_endpoint, tmp_path, make_event, make_organization):
    app, storage = s3_app(make_app, s3_endpoint, "media-b")
    with app.app_context():
        event = make_exhibition(app, make_event)
        booth = make_booth(event, make_organization(name="Kota Bandung"))
        item = new_item(app, booth, mp4(tmp_path / "in"), MediaKind.VIDEO)
        poster = new_item(app, booth, write(tmp_path / "in", "p.jpg", jpeg_with_gps(900)), MediaKind.POSTER)
        with app.test_request_context():
            processing.process(item.id)
            processing.process(poster.id)
        item, poster = fresh().get(MediaItem, item.id), fresh().get(MediaItem, poster.id)
        assert item.state == MediaState.PENDING and storage.exists(item.thumb_key)
        assert poster.state == MediaState.PENDING and storage.exists(poster.thumb_key)
        assert refused(app, write(tmp_path / "in", "x.jpg", exe_bytes()), MediaKind.POSTER) == tr(app, NOT_POSTER)
        with app.test_request_context():
            media.delete_files(item)
        assert not storage.exists(item.file_key) and not storage.exists(item.thumb_key)
        db.session.remove()


# The demo


def test_the_demo_exhibition_has_booths_media_visits_and_votes(app, upload_dir):
    from sqlalchemy import func, select

    from eventsys import demo
    from eventsys.exhibition.demo import load_exhibition_demo
    from eventsys.exhibition.models import Booth, Pavilion, QuickWin, Visit, Vote

    organizations = demo._organizations()
    events = demo._events(demo._venues())
    demo._accounts(events, organizations)
    load_exhibition_demo(events, organizations)
    db.session.commit()

    event = events["exhibition2021"]
    session = fresh()
    assert [p.name for p in session.scalars(select(Pavilion).where(Pavilion.event_id == event.id).order_by(Pavilion.position))] == [
        "Kabupaten/Kota", "Direktorat LAIP", "Startup"]
    cirebon = session.scalar(select(Booth).where(Booth.event_id == event.id, Booth.organization_id == organizations["Kab. Cirebon"].id))
    assert [q.title for q in session.scalars(select(QuickWin).where(QuickWin.booth_id == cirebon.id).order_by(QuickWin.position))][:2] == [
        "PSC 119", "Bus Wisata Cirebon Katon"]
    items = list(session.scalars(select(MediaItem).where(MediaItem.event_id == event.id)))
    states = [i.state for i in items]
    assert states.count(MediaState.PENDING) == 1 and states.count(MediaState.REJECTED) == 1
    assert all(i.reject_reason for i in items if i.state == MediaState.REJECTED)
    assert {i.kind for i in items} == {MediaKind.VIDEO, MediaKind.POSTER, MediaKind.DOCUMENT}
    assert any(i.on_stage and i.kind == MediaKind.VIDEO and i.state == MediaState.APPROVED for i in items)
    for item in items:
        assert (upload_dir / item.file_key).is_file() and (upload_dir / item.thumb_key).is_file()
        if item.kind == MediaKind.VIDEO:
            assert (item.width, item.height) == (320, 180) and item.duration_seconds == pytest.approx(3, abs=0.2)
    assert len(files_in(upload_dir)) == 2 * len(items)
    assert session.scalar(select(func.count()).select_from(Visit).where(Visit.event_id == event.id)) > 50
    assert session.scalar(select(func.count()).select_from(Vote).where(Vote.event_id == event.id, Vote.confirmed_at.is_not(None))) > 10

    client = app.test_client()  # the 2021 exhibition is an archive now: open to anyone, approved items only
    pending = next(i for i in items if i.state == MediaState.PENDING)
    approved = next(i for i in items if i.state == MediaState.APPROVED and i.kind == MediaKind.VIDEO)
    assert client.get(f"/exhibition/{event.slug}/media/{pending.id}").status_code == 404
    assert client.get(f"/exhibition/{event.slug}/media/{approved.id}", headers={"Range": "bytes=0-7"}).status_code == 206


def test_sizes_read_as_people_write_them():
    assert [human_size(n) for n in (2048, 20 * MB, 22_519_808, 500 * MB)] == ["2 KB", "20 MB", "21.5 MB", "500 MB"]  # not "21.4768 MB"
