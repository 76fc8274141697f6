"""After an upload is stored: thumbnails, video length and poster frames, made outside the request.

`schedule(media_id)` is called after the commit that created the item (state PROCESSING):
- in-process (default): a small thread pool per worker process (EXHIBITION_MEDIA_WORKERS, default 1);
- RQ (REDIS_URL set): `eventsys.exhibition.processing.process_job` on the EXHIBITION_MEDIA_QUEUE queue
  (default "eventsys-media"), run by `rq worker --url "$EVENTSYS_REDIS_URL" eventsys-media`;
- under app.testing the work runs inline, so tests see the result when the request returns.

`process(media_id)` makes a JPEG thumbnail (poster: the picture; PDF: page 1; video: a frame from
ffmpeg), records width/height/duration and moves the item to PENDING (the organizers' review), or
to FAILED with a message for the exhibitor. It touches only items still PROCESSING, so running it
twice (a retried job, a second worker) changes nothing; no database transaction is held open
while ffmpeg runs, and the result is written in a transaction that takes the write lock before it
reads (on SQLite a job's read-then-write transaction would otherwise fail whenever another
connection committed meanwhile). What it tells the exhibitor is stored as a code (models.MEDIA_PROBLEMS)
and translated where it is shown. A thumbnail whose row could not be written is deleted again.
`flask exhibition-media` processes items left PROCESSING (a restart mid-job, a failed write).
"""
from __future__ import annotations

import io
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from PIL import Image
from sqlalchemy import select

from eventsys.core.db import immediate_transaction, utcnow
from eventsys.core.storage import get_storage
from eventsys.exhibition import video
from eventsys.exhibition.models import MediaItem, MediaKind, MediaState
from eventsys.extensions import db

log = logging.getLogger(__name__)

EXTENSION = "eventsys_media_jobs"
DEFAULT_QUEUE = "eventsys-media"
THUMB_SIDE = 640


class Failed(Exception):
    """Processing found the file unusable; `problem` (a MEDIA_PROBLEMS code) tells the exhibitor why."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


@dataclass
class Result:
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    thumb: bytes | None = None
    note: str = ""  # a file that works, but not for every visitor (an HEVC video): a MEDIA_PROBLEMS code


# Scheduling ---------------------------------------------------------------------------------


def schedule(media_id: int) -> None:
    """Have `process(media_id)` run soon (call after the commit); never raises — a stuck item can be processed again."""
    app = current_app._get_current_object()
    try:
        if app.testing and not app.config.get("EXHIBITION_MEDIA_BACKGROUND"):
            process(media_id)
        elif app.config.get("REDIS_URL"):
            _enqueue(app, media_id)
        else:
            _executor(app).submit(_run_in_thread, app, media_id)
    except Exception:
        app.logger.exception("Could not schedule processing of media item %s", media_id)


_lock = threading.Lock()


def _executor(app: Flask) -> ThreadPoolExecutor:
    executor = app.extensions.get(EXTENSION)
    if executor is None:
        with _lock:
            executor = app.extensions.get(EXTENSION)
            if executor is None:
                workers = int(app.config.get("EXHIBITION_MEDIA_WORKERS", 1))
                executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="eventsys-media")
                app.extensions[EXTENSION] = executor
    return executor


def _run_in_thread(app: Flask, media_id: int) -> None:
    with app.app_context():
        try:
            process(media_id)
        except Exception:
            app.logger.exception("Processing media item %s failed", media_id)
        finally:
            db.session.remove()


def wait(app: Flask, timeout: float = 60) -> None:
    """Wait until the in-process pool has finished what it was given (tests, the benchmark)."""
    executor = app.extensions.pop(EXTENSION, None)
    if executor is not None:
        executor.shutdown(wait=True)


def _enqueue(app: Flask, media_id: int) -> None:
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
    queue = Queue(app.config.get("EXHIBITION_MEDIA_QUEUE", DEFAULT_QUEUE), connection=connection)
    queue.enqueue(process_job, media_id, job_id=f"eventsys-media-{media_id}", result_ttl=600, job_timeout=900)


def process_job(media_id: int) -> None:
    """The RQ job: build the app from the environment and process one item."""
    from eventsys import create_app

    app = create_app()
    with app.app_context():
        try:
            process(media_id)
        finally:
            db.session.remove()


# Processing ---------------------------------------------------------------------------------


def process(media_id: int) -> None:
    """Make the thumbnail and read the metadata of a PROCESSING item; PENDING when done, FAILED when unusable."""
    item = db.session.get(MediaItem, media_id)
    if item is None or item.state != MediaState.PROCESSING or not item.file_key:
        db.session.rollback()
        return
    kind, key, content_type, old_thumb = item.kind, item.file_key, item.content_type or "", item.thumb_key
    db.session.commit()  # hold no transaction while the file is read

    storage = get_storage(current_app)
    problem, result = "", None
    try:
        result = preview(storage, kind, key, content_type)
    except Failed as failure:
        problem = failure.problem
    except Exception:
        current_app.logger.exception("Unexpected error processing media item %s", media_id)
        problem = "unprocessable"

    thumb_key = storage.save(result.thumb, ".jpg") if result and result.thumb else None
    try:
        written, thumb_now = _record(media_id, key, problem, result, thumb_key)
    except BaseException:
        if thumb_key:  # no row points at it; the item stays PROCESSING and is processed again later
            storage.delete(thumb_key)
        raise
    if not written:  # deleted or handled meanwhile: drop what was made
        if thumb_key:
            storage.delete(thumb_key)
    elif old_thumb and old_thumb != thumb_now:
        storage.delete(old_thumb)


def _record(media_id: int, key: str, problem: str, result: Result | None, thumb_key: str | None) -> tuple[bool, str | None]:
    """Write the outcome if the item still waits for it: (written, the item's thumbnail key)."""
    with immediate_transaction(db.session):
        item = db.session.get(MediaItem, media_id, populate_existing=True, with_for_update=True)
        if item is None or item.state != MediaState.PROCESSING or item.file_key != key:
            db.session.rollback()
            return False, None
        if problem:
            item.state = MediaState.FAILED
            item.problem_code = problem
        else:
            item.state = MediaState.PENDING
            item.problem_code = result.note
            item.width = result.width if result.width is not None else item.width
            item.height = result.height if result.height is not None else item.height
            item.duration_seconds = result.duration
            item.thumb_key = thumb_key
        thumb_now = item.thumb_key
        db.session.commit()
    return True, thumb_now


def preview(storage, kind: MediaKind, key: str, content_type: str) -> Result:
    """The thumbnail and metadata of a stored file, without touching the database; raises Failed."""
    if kind == MediaKind.POSTER:
        return _poster(storage, key)
    if kind == MediaKind.DOCUMENT:
        return _document(storage, key)
    if kind == MediaKind.VIDEO:
        return _video(storage, key, content_type)
    return Result()


def thumbnail_jpeg(picture: Image.Image, side: int = THUMB_SIDE) -> bytes:
    picture = picture.copy()
    picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    if picture.mode in ("RGBA", "LA", "P"):
        picture = picture.convert("RGBA")
        background = Image.new("RGB", picture.size, (255, 255, 255))
        background.paste(picture, mask=picture.getchannel("A"))
        picture = background
    elif picture.mode != "RGB":
        picture = picture.convert("RGB")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def _poster(storage, key: str) -> Result:
    try:
        with storage.local_copy(key) as path, Image.open(path, formats=["JPEG", "PNG"]) as picture:
            picture.draft("RGB", (THUMB_SIDE * 2, THUMB_SIDE * 2))
            width, height = picture.size
            picture.load()
            return Result(width, height, None, thumbnail_jpeg(picture))
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise Failed("picture_damaged") from error


def _document(storage, key: str) -> Result:
    import pypdfium2 as pdfium

    with storage.local_copy(key) as path:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as error:
            raise Failed("pdf_unreadable") from error
        try:
            if len(pdf) < 1:
                raise Failed("pdf_empty")
            page = pdf[0]
            width, height = page.get_size()
            scale = min(THUMB_SIDE * 1.5 / max(width, height, 1), 4)
            picture = page.render(scale=scale).to_pil()
            page.close()
        except pdfium.PdfiumError as error:
            raise Failed("pdf_page_damaged") from error
        finally:
            pdf.close()
    return Result(round(width), round(height), None, thumbnail_jpeg(picture))


def video_problem(reason: str) -> str:
    """The MEDIA_PROBLEMS code for a VideoError's reason."""
    return {"truncated": "video_truncated", "no_video": "video_no_picture", "timeout": "video_timeout"}.get(reason, "video_damaged")


def _video(storage, key: str, content_type: str) -> Result:
    with storage.local_copy(key) as path:
        try:
            info = video.probe(path, content_type)
            at = min(1.0, info.duration / 3) if info.duration else 0
            frame = video.poster_frame(path, at, content_type)
        except video.VideoError as error:
            log.info("Video %s refused: %s", key, error)
            raise Failed(video_problem(error.reason)) from error
    try:
        with Image.open(io.BytesIO(frame), formats=["JPEG"]) as picture:
            picture.load()
            thumb = thumbnail_jpeg(picture)
    except OSError as error:
        raise Failed(video_problem("no_frame")) from error
    return Result(info.width, info.height, info.duration, thumb, video_note(info.codec))


def video_note(codec: str) -> str:
    """What the exhibitor should know about a video that plays, but not everywhere (a MEDIA_PROBLEMS code, or "")."""
    return "video_hevc" if codec == "hevc" else ""


# Items left PROCESSING (a worker restarted mid-job, Redis was down) -------------------------------


def stuck_items(older_than: timedelta = timedelta(minutes=15)) -> list[int]:
    cutoff = utcnow() - older_than
    return list(db.session.scalars(select(MediaItem.id).where(
        MediaItem.state == MediaState.PROCESSING, MediaItem.created_at < cutoff).order_by(MediaItem.id)))


@click.command("exhibition-media")
@click.option("--minutes", type=int, default=15, show_default=True, help="Process items left PROCESSING for longer than this.")
@with_appcontext
def process_stuck_command(minutes: int) -> None:
    """Process media items left in PROCESSING and remove abandoned uploads (run from cron, and after a restart).

    An upload nobody resumed is otherwise only swept when the next upload starts: at a quiet exhibition
    its part files (up to the video limit each) would stay on disk until then.
    """
    from eventsys.exhibition import uploads  # uploads schedules processing: imported here, not at the top

    ids = stuck_items(timedelta(minutes=minutes))
    for media_id in ids:
        process(media_id)
    swept = uploads.sweep_stale(db.session)
    db.session.commit()
    click.echo(f"Processed {len(ids)} media items; removed {swept} abandoned uploads.")
