"""Files attached to registration answers: checked by content, stored under a clean name."""
from __future__ import annotations

import io
import re

from flask_babel import gettext as _

from eventsys.core.images import human_size
from eventsys.core.rules import RuleViolation

ANSWER_FILE_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".png": "image/png"}
DEFAULT_ANSWER_FILE_MAX_BYTES = 5 * 1024 * 1024


def check_answer_file(data: bytes, *, max_bytes: int, field: str | None = None) -> str:
    """The file suffix (.pdf, .jpg, .png) of an upload that really is a PDF, JPEG or PNG; RuleViolation otherwise."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise RuleViolation(_("The file is empty. Choose a PDF, JPEG or PNG file."), field)
    if len(data) > max_bytes:
        raise RuleViolation(
            _("The file is larger than %(size)s. Send a smaller PDF, JPEG or PNG file.", size=human_size(max_bytes)), field
        )
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise RuleViolation(_("The PDF file is incomplete or damaged. Save it again and send it."), field)
        return ".pdf"
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        raise RuleViolation(_("This file is not a PDF, JPEG or PNG file. Save it in one of these formats and send it."), field) from None
    return ".png" if kind == "PNG" else ".jpg"


def clean_file_name(name: str) -> str:
    """The browser's file name, kept only for showing: no folders, no control characters, not too long."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-200:] or "file"
