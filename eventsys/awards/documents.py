"""Supporting documents of nominations: PDF, JPEG or PNG, checked by what the bytes are, never by name.

Pictures are redrawn by core.images (no EXIF, no trailing bytes); a PDF must open in PDFium with at
least one page. Everything is checked before anything is stored, so a refused upload leaves nothing.
Documents are served only as downloads with nosniff and a sandboxing CSP.
"""
from __future__ import annotations

import io
import threading
from dataclasses import dataclass

import pypdfium2 as pdfium
from flask import current_app, send_file
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from eventsys.awards.models import Nomination, NominationDocument
from eventsys.core.images import clean_image, human_size
from eventsys.core.rules import RuleViolation
from eventsys.core.storage import get_storage

MB = 1024 * 1024
MAX_DOCUMENT_BYTES = 10 * MB
MAX_DOCUMENTS = 10  # per nomination
PICTURE_MAX_SIDE = 2400  # a scanned page stays readable
PDF = "application/pdf"
SUFFIXES = {PDF: ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
_PDFIUM = threading.Lock()  # PDFium is not thread-safe


@dataclass(frozen=True)
class CheckedDocument:
    name: str
    data: bytes
    content_type: str


def _refuse(message: str):
    raise RuleViolation(message, "documents")


def _safe_name(name: str, content_type: str) -> str:
    base = "".join(ch for ch in (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1] if ch.isprintable() and ch not in '"<>')
    base = base.strip()[:150] or "dokumen"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem + SUFFIXES[content_type]


def check_document(data: bytes, name: str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> CheckedDocument:
    """The document as it will be stored; RuleViolation (field "documents") saying what to send instead."""
    if not data:
        _refuse(_("The file “%(name)s” is empty. Choose a PDF, JPEG or PNG file.", name=name))
    if len(data) > max_bytes:
        _refuse(_("The file “%(name)s” is larger than %(size)s. Send a smaller PDF, JPEG or PNG file.", name=name, size=human_size(max_bytes)))
    if data[:1024].lstrip().startswith(b"%PDF-"):
        with _PDFIUM:
            try:
                document = pdfium.PdfDocument(data)
            except pdfium.PdfiumError:
                document = None
            pages = len(document) if document is not None else 0
            if document is not None:
                document.close()
        if pages == 0:
            _refuse(_("The PDF “%(name)s” cannot be opened: it is damaged or protected by a password. Save it again without a password.", name=name))
        return CheckedDocument(_safe_name(name, PDF), data, PDF)
    if data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] == b"\xff\xd8\xff":
        picture = clean_image(data, max_bytes=max_bytes, max_side=PICTURE_MAX_SIDE, field="documents")
        if picture.content_type in SUFFIXES:
            return CheckedDocument(_safe_name(name, picture.content_type), picture.data, picture.content_type)
    _refuse(_("The file “%(name)s” is not a PDF, JPEG or PNG file. Save it in one of these formats and send it again.", name=name))


def read_uploads(files) -> list[CheckedDocument]:
    """Check every uploaded file (werkzeug FileStorage) before any is stored; empty file inputs are skipped."""
    checked = []
    for upload in files:
        if upload is None or not getattr(upload, "filename", ""):
            continue
        checked.append(check_document(upload.read(MAX_DOCUMENT_BYTES + 1), upload.filename))
    return checked


def attach(session: Session, nomination: Nomination, documents: list[CheckedDocument], saved_keys: list[str]) -> None:
    """Store checked documents and add their rows; keys written are appended to `saved_keys` (delete them on rollback)."""
    if len(nomination.documents) + len(documents) > MAX_DOCUMENTS:
        _refuse(_("A nomination may have at most %(count)d documents.", count=MAX_DOCUMENTS))
    storage = get_storage(current_app)
    for document in documents:
        key = storage.save(document.data, SUFFIXES[document.content_type])
        saved_keys.append(key)
        nomination.documents.append(
            NominationDocument(file_key=key, content_type=document.content_type, name=document.name, size=len(document.data))
        )
    session.flush()


def discard(keys: list[str]) -> None:
    """Remove files written for a change that was then rolled back."""
    storage = get_storage(current_app)
    for key in keys:
        try:
            storage.delete(key)
        except (OSError, ValueError):
            pass


def download_response(document: NominationDocument):
    """The document as a download that no browser renders as a page."""
    if document.content_type not in SUFFIXES:
        return None
    try:
        body = get_storage(current_app).read(document.file_key)
    except (OSError, ValueError):
        return None
    response = send_file(io.BytesIO(body), mimetype=document.content_type, as_attachment=True, download_name=document.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
