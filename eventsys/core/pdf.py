"""PDF from HTML with WeasyPrint, reading nothing but data: URLs (no network, no files)."""
from __future__ import annotations

import base64
from functools import cache

from PIL import ImageFile


def data_uri(content_type: str, body: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(body).decode('ascii')}"


@cache
def _weasyprint():
    """WeasyPrint, imported on first use (0.7 s) and with Pillow's setting put back.

    Importing it makes Pillow accept truncated images process-wide; uploads must not be
    (eventsys.core.images refuses damaged files), and our PDFs embed only images we drew.
    """
    import weasyprint
    import weasyprint.urls

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def render_pdf(html: str) -> bytes:
    """HTML to PDF with WeasyPrint, reading nothing but data: URLs (no network, no files)."""
    return _weasyprint().HTML(string=html, base_url=None, url_fetcher=data_only_fetcher()).write_pdf()


@cache
def _fetcher_class():
    URLFetcher = _weasyprint().urls.URLFetcher  # noqa: N806

    class DataOnlyFetcher(URLFetcher):
        """Documents embed their images as data: URLs; any other URL is refused, never fetched."""

        def __init__(self):
            super().__init__(timeout=1, allowed_protocols={"data"}, allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                self.refused.append(url)
                raise ValueError("only data: URLs are read when making PDFs")
            return super().fetch(url, headers)

    return DataOnlyFetcher


def data_only_fetcher():
    """A WeasyPrint URL fetcher that reads data: URLs and refuses everything else."""
    return _fetcher_class()()
