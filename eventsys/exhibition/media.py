"""Checking an uploaded exhibition file by what it contains and moving it into the storage.

The browser's file name and content type are never trusted: the first bytes decide. A video must
be MP4 (an `ftyp` box with a video brand) or WebM (EBML with DocType "webm"), or a QuickTime movie
(an iPhone's .mov), which is rewritten as MP4 without re-encoding before it is stored; a poster a JPEG or
PNG picture, or a PDF (kept as a DOCUMENT). Everything else (a program named poster.jpg, an SVG
or HTML page that could carry script, a decompression bomb, an oversized file) is refused with a
message saying what to send instead. Pictures are decoded and drawn again into a fresh image,
which leaves EXIF (GPS position, camera serial) and anything hidden behind; a PDF must open in
pypdfium2 and have a page. Videos are hashed in blocks and moved, never read into memory whole.
The file handed in is always deleted, stored or refused.
"""
from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from eventsys.core.images import human_size, redraw
from eventsys.core.rules import RuleViolation
from eventsys.core.storage import InvalidKey, get_storage
from eventsys.exhibition.models import MediaItem, MediaKind

POSTER_MAX_SIDE = 4096  # a poster is redrawn at most this wide and high
POSTER_MAX_PIXELS = 64_000_000  # a larger canvas is most likely a decompression bomb
PDF_MAX_PAGES = 200
HASH_BLOCK = 1024 * 1024

# ISO base media brands that are MP4 video; HEIF/AVIF pictures and QuickTime share the ftyp box but are not.
MP4_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41", b"mp42",
              b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV", b"f4v ", b"av01", b"hvc1", b"cmfc"}
QUICKTIME_BRAND = b"qt  "  # .mov: most browsers play it only once it is rewritten as MP4
PICTURE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1", b"avif", b"avis", b"crx "}


@dataclass(frozen=True)
class StoredFile:
    file_key: str
    content_type: str
    size: int
    sha256: str
    kind: MediaKind
    width: int | None
    height: int | None


def sniff(head: bytes) -> str | None:
    """What the first bytes say the file is: "mp4", "mov", "webm", "jpeg", "png", "pdf", or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[0:4], "big")
        brands = {head[8:12]}
        end = min(box_size, len(head)) if box_size >= 16 else 16
        brands.update(head[i:i + 4] for i in range(16, end - 3, 4))
        if head[8:12] not in PICTURE_BRANDS and brands & MP4_BRANDS:
            return "mp4"
        return "mov" if head[8:12] == QUICKTIME_BRAND else None
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # The EBML header names the document type; Matroska (.mkv) plays in too few browsers.
        return "webm" if b"\x42\x82" in head[:64] and b"webm" in head[:64] else None
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"%PDF-"):
        return "pdf"
    return None


def clean_filename(name: str) -> str:
    """A name to show (never to open): the last path part, without control characters, at most 200 characters."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 200 - len(ext) - 1] + "." + ext if dot and 0 < len(ext) <= 10 else name[:200]
    return name


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _refuse(message: str):
    raise RuleViolation(message, "file")


def _wrong_kind(kind: MediaKind):
    if kind == MediaKind.VIDEO:
        _refuse(_("This file is not an MP4, MOV or WebM video. Export the video as MP4 (H.264) or WebM and try again."))
    _refuse(_("This file is not a JPEG or PNG picture or a PDF. Save the poster in one of these formats and try again."))


def clean_picture(data: bytes, kind: str, max_side: int = POSTER_MAX_SIDE) -> tuple[bytes, int, int]:
    """Decode a JPEG or PNG and draw it again into a fresh image (no EXIF, no text chunks, nothing appended)."""
    damaged = _("The picture could not be read; it may be damaged. Save it again as JPEG or PNG.")
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG" if kind == "jpeg" else "PNG"]) as source:
            width, height = source.size
            if width * height > POSTER_MAX_PIXELS:
                _refuse(_("The picture is %(width)d × %(height)d pixels, far more than a poster needs. Send one at most %(side)d pixels wide and high.",
                          width=width, height=height, side=max_side))
            if source.format == "JPEG":
                source.draft("RGB", (max_side, max_side))
            source.load()
            picture = ImageOps.exif_transpose(source)
    except RuleViolation:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(_("The picture is far larger than a poster needs. Send a smaller one."))
    except UnidentifiedImageError:
        _refuse(damaged)
    except (OSError, SyntaxError, ValueError, EOFError):
        _refuse(damaged)
    try:  # a big poster: zlib's level 6 rather than optimize's search, seconds faster
        return redraw(picture, kind.upper(), max_side, png_options={"compress_level": 6})
    except (OSError, ValueError):
        _refuse(damaged)


def check_pdf(path: Path) -> int:
    """The number of pages of a PDF that pypdfium2 can open; refuses a damaged, locked or empty one."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        _refuse(_("The PDF could not be opened; it may be damaged or locked with a password. Save it again without a password."))
    try:
        pages = len(pdf)
    finally:
        pdf.close()
    if pages < 1:
        _refuse(_("The PDF has no pages."))
    if pages > PDF_MAX_PAGES:
        _refuse(_("The PDF has %(count)d pages; a poster or leaflet may have at most %(max)d.", count=pages, max=PDF_MAX_PAGES))
    return pages


def store_upload(path: Path, kind: MediaKind, *, max_bytes: int, original_name: str = "", digest: str | None = None) -> StoredFile:
    """Check the file at `path` by content for `kind` (VIDEO or POSTER) and move it into the storage.

    Raises RuleViolation (field "file") with a translated message when the file is refused.
    `path` is deleted in every case. `original_name` is not used for the decision (only shown elsewhere).
    `digest`: the file's SHA-256 if the caller already has it, so a file stored as it came is not read twice.
    """
    path = Path(path)
    try:
        return _store(path, MediaKind(kind), max_bytes, digest)
    finally:
        path.unlink(missing_ok=True)


def _store(path: Path, kind: MediaKind, max_bytes: int, digest: str | None = None) -> StoredFile:
    size = path.stat().st_size
    if size == 0:
        _refuse(_("The file is empty. Choose the file again."))
    if size > max_bytes:
        _refuse(_("The file is %(size)s; at most %(max)s is allowed. Send a smaller file.",
                  size=human_size(size), max=human_size(max_bytes)))
    with open(path, "rb") as f:
        head = f.read(256)
    found = sniff(head)
    storage = get_storage(current_app)
    if kind == MediaKind.VIDEO:
        if found == "mov":
            return _store_movie(path, max_bytes)
        if found not in ("mp4", "webm"):
            _wrong_kind(kind)
        digest = digest or _hash_file(path)
        content_type, suffix = ("video/mp4", ".mp4") if found == "mp4" else ("video/webm", ".webm")
        key = storage.save_file(path, suffix)
        return StoredFile(key, content_type, size, digest, MediaKind.VIDEO, None, None)
    if kind != MediaKind.POSTER:
        raise ValueError(f"no file upload for {kind!r}")
    if found == "pdf":
        check_pdf(path)
        digest = digest or _hash_file(path)
        key = storage.save_file(path, ".pdf")
        return StoredFile(key, "application/pdf", size, digest, MediaKind.DOCUMENT, None, None)
    if found not in ("jpeg", "png"):
        _wrong_kind(kind)
    data, width, height = clean_picture(path.read_bytes(), found)
    content_type, suffix = ("image/jpeg", ".jpg") if found == "jpeg" else ("image/png", ".png")
    key = storage.save(data, suffix)
    return StoredFile(key, content_type, len(data), hashlib.sha256(data).hexdigest(), MediaKind.POSTER, width, height)


def _store_movie(path: Path, max_bytes: int) -> StoredFile:
    """A QuickTime movie stored as the MP4 it is rewritten into (the same pictures and sound, not re-encoded)."""
    from eventsys.exhibition.video import VideoError, remux_to_mp4  # ffmpeg: only when a movie arrives

    rewritten = path.with_name(path.name + ".remuxed.mp4")
    try:
        try:
            remux_to_mp4(path, rewritten)
        except VideoError:
            _refuse(_("This QuickTime (.mov) video could not be turned into MP4. Export it as MP4 (H.264) and try again."))
        with open(rewritten, "rb") as f:
            if sniff(f.read(256)) != "mp4":
                _refuse(_("This QuickTime (.mov) video could not be turned into MP4. Export it as MP4 (H.264) and try again."))
        return _store(rewritten, MediaKind.VIDEO, max_bytes)
    finally:
        rewritten.unlink(missing_ok=True)


def delete_files(item: MediaItem) -> None:
    """Delete an item's file and thumbnail from the storage (missing ones are fine)."""
    storage = get_storage(current_app)
    for key in (getattr(item, "file_key", None), getattr(item, "thumb_key", None)):
        if not key:
            continue
        try:
            storage.delete(key)
        except InvalidKey:
            continue
        except Exception:  # a missing disk or an S3 hiccup: the row goes anyway, the file is logged
            current_app.logger.warning("Could not delete stored file %s", key, exc_info=True)

