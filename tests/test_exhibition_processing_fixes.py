"""Fixes in processing and the portal: the job's write beside other writers, problems in the reader's language, edits after approval."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from eventsys.core.db import utcnow
from eventsys.core.models import OutboxMessage
from eventsys.exhibition import media, processing
from eventsys.exhibition.models import MediaItem, MediaKind, MediaState
from eventsys.extensions import db
from tests.exhibition_helpers import make_booth, make_exhibition, make_exhibitor, make_media
from tests.exhibition_media_helpers import TRUNCATED, files_in, png_bytes, truncated_mp4, write
from tests.helpers import fresh, sign_in, text, tr

MB = 1024 * 1024
HEVC_NOTE = ("This video is HEVC (H.265): Firefox, and Chrome on computers without an HEVC decoder, cannot play it. "
             "For every visitor, export it as MP4 (H.264); on an iPhone choose Settings › Camera › Formats › Most Compatible.")


@pytest.fixture
def upload_dir(app) -> Path:
    return Path(app.config["UPLOAD_DIR"])


@pytest.fixture
def booth(app, make_event, make_organization):
    event = make_exhibition(app, make_event, opens_in=-timedelta(days=1))  # open: visitors see approved items
    return make_booth(event, make_organization(name="Kota Cirebon"))


def new_item(app, booth, path, kind) -> MediaItem:
    """A stored upload waiting for processing, as the upload API leaves it."""
    with app.test_request_context():
        stored = media.store_upload(path, kind, max_bytes=500 * MB, original_name=path.name)
    item = MediaItem(event_id=booth.event_id, booth_id=booth.id, kind=stored.kind, state=MediaState.PROCESSING,
                     title="Profil Kota Cirebon", file_key=stored.file_key, content_type=stored.content_type,
                     size=stored.size, sha256=stored.sha256, width=stored.width, height=stored.height)
    db.session.add(item)
    db.session.commit()
    return item


# The job's write while other connections write


@contextmanager
def another_writer_before(prefix: str, write_statement):
    """Just before a statement starting with `prefix` runs, another connection runs `write_statement` and commits.

    The other writer is a thread with a connection of its own; the statement goes on once that writer
    committed, or after a second if it waits for a lock held by the statement's transaction (it then
    commits afterwards). Yields what happened to the other writer.
    """
    engine = db.engine
    outcome: dict = {}

    def other_writer():
        try:
            with engine.begin() as connection:
                connection.execute(write_statement)
            outcome["committed"] = True
        except Exception as error:  # reported by the test, not lost in the thread
            outcome["error"] = error

    writer = threading.Thread(target=other_writer, name="other-writer")

    def before(_conn, _cursor, statement, *_args):
        if (statement.lstrip().upper().startswith(prefix.upper()) and "started" not in outcome
                and threading.current_thread() is not writer):
            outcome["started"] = True
            writer.start()
            writer.join(1)

    sa_event.listen(engine, "before_cursor_execute", before)
    try:
        yield outcome
    finally:
        sa_event.remove(engine, "before_cursor_execute", before)
        if outcome.get("started"):
            writer.join(30)


def test_the_background_job_ends_processed_when_another_connection_commits_between_its_read_and_write(
        app, booth, tmp_path, upload_dir):
    app.config["EXHIBITION_MEDIA_BACKGROUND"] = True  # a real worker thread, as on a server
    item = new_item(app, booth, write(tmp_path, "poster.png", png_bytes(300)), MediaKind.POSTER)
    # The exhibitor renames the item while the job holds what it read and is about to write.
    rename = update(MediaItem).where(MediaItem.id == item.id).values(title="Profil Kota Cirebon 2017")
    with another_writer_before("UPDATE exhibition_media", rename) as other:
        with app.test_request_context():
            processing.schedule(item.id)
        processing.wait(app)
    assert other == {"started": True, "committed": True}
    item = fresh().get(MediaItem, item.id)
    assert (item.state, item.title) == (MediaState.PENDING, "Profil Kota Cirebon 2017")
    assert item.thumb_key and sorted(files_in(upload_dir)) == sorted([item.file_key, item.thumb_key])


@contextmanager
def failing_statement(prefix: str):
    """The database refuses the first statement starting with `prefix` (as a lost connection or a full disk would)."""
    failed = []

    def before(_conn, _cursor, statement, parameters, *_args):
        if statement.lstrip().upper().startswith(prefix.upper()) and not failed:
            failed.append(statement)
            raise OperationalError(statement, parameters, Exception("disk I/O error"))

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield failed
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)


def test_a_failed_write_leaves_no_thumbnail_behind_and_the_item_is_processed_later(app, booth, tmp_path, upload_dir):
    item = new_item(app, booth, write(tmp_path, "poster.png", png_bytes(300)), MediaKind.POSTER)
    with failing_statement("UPDATE exhibition_media") as failed, app.test_request_context():
        with pytest.raises(OperationalError):
            processing.process(item.id)
    assert failed
    item = fresh().get(MediaItem, item.id)
    assert item.state == MediaState.PROCESSING and item.thumb_key is None
    assert files_in(upload_dir) == [item.file_key]  # the thumbnail made for it is gone

    result = app.test_cli_runner().invoke(processing.process_stuck_command, ["--minutes", "0"])  # cron, later
    assert result.exit_code == 0, result.output
    item = fresh().get(MediaItem, item.id)
    assert item.state == MediaState.PENDING and sorted(files_in(upload_dir)) == sorted([item.file_key, item.thumb_key])


# What processing says, in each reader's language


def test_a_processing_problem_is_shown_in_each_readers_language(app, booth, tmp_path, make_user, make_app):
    event = booth.event
    item = new_item(app, booth, truncated_mp4(tmp_path), MediaKind.VIDEO)
    with app.test_request_context(), force_locale("id"):  # the job ran in an Indonesian exhibitor's request
        processing.process(item.id)
    assert fresh().get(MediaItem, item.id).state == MediaState.FAILED
    make_media(booth, "video", "pending", title="Video HEVC", problem="video_hevc")  # what the job stores for an HEVC video
    make_media(booth, "poster", "failed", title="Poster lama", problem="Gambar rusak, unggah ulang.")  # stored before codes
    english = make_exhibitor(make_user, event, booth.organization, email="rina@cirebonkota.go.id")
    indonesian = make_exhibitor(make_user, event, booth.organization, email="agus@cirebonkota.go.id")
    organizer = make_user(email="panitia@kominfo.go.id", event=event, role="organizer")
    english.locale, indonesian.locale, organizer.locale = "en", "id", "en"
    db.session.commit()
    assert tr(app, TRUNCATED, "id") != tr(app, TRUNCATED, "en")

    def page(user, path):
        response = sign_in(make_app().test_client(), user).get(path)
        assert response.status_code == 200, path
        return unescape(text(response))

    for user, locale in ((english, "en"), (indonesian, "id")):
        portal = page(user, f"/exhibit/{event.slug}/booth/{booth.id}/media")
        assert tr(app, TRUNCATED, locale) in portal and tr(app, HEVC_NOTE, locale) in portal, locale
        assert "Gambar rusak, unggah ulang." in portal  # an item from before keeps its words
    moderation = page(organizer, f"/manage/{event.slug}/exhibition/moderation")
    assert TRUNCATED in moderation and HEVC_NOTE in moderation and tr(app, TRUNCATED, "id") not in moderation
    assert "Gambar rusak, unggah ulang." in moderation


# Editing an approved item


REVIEW_NOTICE = ("Visitors see this item. If you change its title or description, it goes back to the organizers for review "
                 "and is hidden from visitors until they approve it again.")


def media_form(item, **values) -> dict:
    return {"title": item.title, "description": item.description, "dimension": "", "quick_win": "0"} | values


def test_an_approved_items_changed_text_goes_back_to_review_before_visitors_see_it(app, booth, make_user, make_app):
    event = booth.event
    item = make_media(booth, "poster", "approved", title="Poster PSC 119", description="Layanan darurat 24 jam",
                      reviewed_at=utcnow() - timedelta(days=1))
    exhibitor = sign_in(make_app().test_client(), make_exhibitor(make_user, event, booth.organization))
    visitor = make_app().test_client()
    url = f"/exhibit/{event.slug}/booth/{booth.id}/media/{item.id}"
    assert "Poster PSC 119" in text(visitor.get(f"/exhibition/{event.slug}/booths/{booth.id}"))

    form = unescape(text(exhibitor.get(url)))
    assert tr(app, REVIEW_NOTICE) in form  # said before saving

    saved = exhibitor.post(url, data=media_form(item, dimension="living"))  # not text visitors read: stays approved
    assert saved.status_code == 302 and fresh().get(MediaItem, item.id).state == MediaState.APPROVED

    saved = exhibitor.post(url, data=media_form(item, title="Poster PSC 119 — versi baru"))
    assert saved.status_code == 302, text(saved)
    back = "“%(title)s” is saved and back with the organizers for review; visitors see it again once it is approved."
    assert tr(app, back, title="Poster PSC 119 — versi baru") in unescape(text(exhibitor.get(saved.location)))
    item = fresh().get(MediaItem, item.id)
    assert (item.state, item.title) == (MediaState.PENDING, "Poster PSC 119 — versi baru")
    assert "versi baru" not in unescape(text(make_app().test_client().get(f"/exhibition/{event.slug}/booths/{booth.id}")))
    assert tr(app, REVIEW_NOTICE) not in unescape(text(exhibitor.get(url)))  # pending: nothing more to warn about

    fresh()  # the page views were counted meanwhile: write after them, not from an older snapshot
    organizer = make_user(email="panitia@kominfo.go.id", event=event, role="organizer")
    desk = sign_in(make_app().test_client(), organizer)
    queue = unescape(text(desk.get(f"/manage/{event.slug}/exhibition/moderation"))).split('data-testid="decided"')[0]
    assert "Poster PSC 119 — versi baru" in queue and 'data-testid="moderation-changed"' in queue


def test_a_changed_description_also_goes_back_to_review_but_an_organizers_edit_does_not(app, booth, make_user, make_app):
    event = booth.event
    item = make_media(booth, "poster", "approved", title="Poster PSC 119", description="Layanan darurat")
    exhibitor = sign_in(make_app().test_client(), make_exhibitor(make_user, event, booth.organization))
    url = f"/exhibit/{event.slug}/booth/{booth.id}/media/{item.id}"
    assert exhibitor.post(url, data=media_form(item, description="Hubungi 119")).status_code == 302
    assert fresh().get(MediaItem, item.id).state == MediaState.PENDING

    fresh()
    approved = make_media(booth, "poster", "approved", title="Bus Wisata")
    organizer = sign_in(make_app().test_client(), make_user(email="panitia@kominfo.go.id", event=event, role="organizer"))
    url = f"/exhibit/{event.slug}/booth/{booth.id}/media/{approved.id}"
    assert tr(app, REVIEW_NOTICE) not in unescape(text(organizer.get(url)))
    assert organizer.post(url, data=media_form(approved, title="Bus Wisata Cirebon Katon")).status_code == 302
    approved = fresh().get(MediaItem, approved.id)
    assert (approved.state, approved.title) == (MediaState.APPROVED, "Bus Wisata Cirebon Katon")


def test_the_decision_mail_tells_each_exhibitor_the_note_in_their_own_language(app, booth, make_user, make_app):
    event = booth.event
    item = make_media(booth, "video", "pending", title="Profil Kota", problem="video_hevc")
    english = make_exhibitor(make_user, event, booth.organization, email="rina@cirebonkota.go.id")
    indonesian = make_exhibitor(make_user, event, booth.organization, email="agus@cirebonkota.go.id")
    english.locale, indonesian.locale = "en", "id"
    db.session.commit()
    organizer = sign_in(make_app().test_client(), make_user(email="panitia@kominfo.go.id", event=event, role="organizer"))
    assert organizer.post(f"/manage/{event.slug}/exhibition/moderation/{item.id}/approve").status_code == 302
    sent = {m.to_email: m for m in fresh().scalars(select(OutboxMessage).where(OutboxMessage.kind == "exhibition_approved"))}
    for address, locale in (("rina@cirebonkota.go.id", "en"), ("agus@cirebonkota.go.id", "id")):
        note = tr(app, HEVC_NOTE, locale)
        assert note in " ".join(sent[address].body_text.split()) and note in unescape(sent[address].body_html), locale
