"""Uploaded pictures, checked by what they contain and redrawn before anything keeps them.

The browser's file name and content type are ignored: Pillow must recognise the bytes as PNG,
JPEG or WebP, so an SVG (which can carry script) or an HTML page named logo.png is refused.
The picture is then decoded and encoded again into a fresh image, which leaves EXIF (GPS
position, camera serial), comments and any trailing bytes behind.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from eventsys.core.rules import RuleViolation

# Pillow name -> (content type, file suffix) of what we store.
ACCEPTED = {
    "PNG": ("image/png", ".png"),
    "JPEG": ("image/jpeg", ".jpg"),
    "WEBP": ("image/webp", ".webp"),
}
# A logo never needs more; a larger canvas is most likely a decompression bomb.
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str
    suffix: str
    width: int
    height: int


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        mb = n / (1024 * 1024)
        return f"{mb:.0f} MB" if mb >= 100 or mb == int(mb) else f"{mb:.1f} MB"  # "21.5 MB", not "21.4768 MB"
    return f"{max(1, n // 1024)} KB"


def _refuse(message: str, field: str | None):
    raise RuleViolation(message, field)


def clean_image(data: bytes, *, max_bytes: int, max_side: int = 512, field: str | None = None) -> CheckedImage:
    """Check `data` is a PNG, JPEG or WebP picture and return it redrawn, at most `max_side` pixels wide and high.

    Raises RuleViolation (for `field`) with a message saying what to send instead.
    """
    if not data:
        _refuse(_("The file is empty. Choose a PNG, JPEG or WebP image."), field)
    if len(data) > max_bytes:
        _refuse(_("The image is larger than %(size)s. Send a smaller PNG, JPEG or WebP file.", size=human_size(max_bytes)), field)
    try:
        # formats= keeps Pillow from trying any other decoder (SVG, EPS, PDF, ICO …).
        with Image.open(io.BytesIO(data), formats=list(ACCEPTED)) as source:
            kind = source.format
            if kind not in ACCEPTED:
                raise UnidentifiedImageError(kind)
            width, height = source.size
            if width * height > MAX_PIXELS:
                _refuse(_("The image is %(width)d × %(height)d pixels, far more than a logo needs. Send a smaller image.", width=width, height=height), field)
            if kind == "JPEG":
                source.draft("RGB", (max_side, max_side))  # decode at reduced size: faster, less memory
            source.load()
            picture = ImageOps.exif_transpose(source)  # phone photos stand upright once EXIF is gone
    except RuleViolation:
        raise
    except Image.DecompressionBombError:
        _refuse(_("The image is far larger than a logo needs. Send a smaller image."), field)
    except UnidentifiedImageError:
        _refuse(_("This file is not a PNG, JPEG or WebP image. Save the logo in one of these formats and try again."), field)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombWarning):
        _refuse(_("The image could not be read; it may be damaged. Save it again as PNG, JPEG or WebP."), field)

    content_type, suffix = ACCEPTED[kind]
    try:
        data, width, height = redraw(picture, kind, max_side)
    except (OSError, ValueError):  # an unusual pixel format Pillow cannot convert
        _refuse(_("The image could not be read; it may be damaged. Save it again as PNG, JPEG or WebP."), field)
    return CheckedImage(data, content_type, suffix, width, height)


def redraw(picture: Image.Image, kind: str, max_side: int, *, png_options: dict | None = None) -> tuple[bytes, int, int]:
    """`picture` at most `max_side` wide and high, drawn into a fresh image and saved as `kind` (JPEG, PNG or WEBP).

    A fresh image carries nothing but pixels: no EXIF (GPS position, camera serial), XMP, ICC profile,
    text chunks or bytes appended after the picture. Raises OSError or ValueError for a pixel format
    Pillow cannot convert; the caller says so in its own words.
    """
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    if kind == "JPEG":
        picture = picture.convert("RGB")
    elif picture.mode not in ("RGB", "RGBA"):
        picture = picture.convert("RGBA")
    clean = Image.new(picture.mode, picture.size)
    clean.paste(picture)
    out = io.BytesIO()
    if kind == "JPEG":
        clean.save(out, "JPEG", quality=88, optimize=True)
    elif kind == "PNG":
        clean.save(out, "PNG", **(png_options or {"optimize": True}))
    else:
        clean.save(out, "WEBP", quality=88)
    return out.getvalue(), clean.width, clean.height
