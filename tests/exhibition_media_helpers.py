"""Real (small) files for the media tests: videos made by ffmpeg, pictures with GPS in EXIF, and hostile files."""
from __future__ import annotations

import io
import socket
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from eventsys.core.storage import get_storage
from eventsys.exhibition.video import make_test_video

# What processing tells the exhibitor about a cut-off video (models.MEDIA_PROBLEMS["video_truncated"]).
TRUNCATED = ("The video file is incomplete: it was cut off while being saved or copied. "
             "Export it again as MP4 (H.264) or WebM and upload the new file.")

__all__ = ["TRUNCATED", "make_test_video", "mp4", "webm", "truncated_mp4", "jpeg_with_gps", "png_bytes", "png_bomb", "svg_with_script",
           "html_page", "exe_bytes", "pdf_bytes", "write", "files_in", "s3_server", "s3_app"]


def write(directory: Path, name: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    return path


def mp4(directory: Path, name: str = "video.mp4", seconds: float = 1) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return make_test_video(directory / name, seconds=seconds)


def mov(directory: Path, name: str = "IMG_0042.MOV", hevc: bool = False) -> Path:
    """A QuickTime movie (major brand "qt  ", H.264, or HEVC as an iPhone's "High Efficiency" records it)."""
    directory.mkdir(parents=True, exist_ok=True)
    return make_test_video(directory / name, fmt="mov", hevc=hevc)


def webm(directory: Path, name: str = "video.webm") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return make_test_video(directory / name, fmt="webm")


def truncated_mp4(directory: Path, name: str = "cut.mp4") -> Path:
    """A real MP4 cut off in the middle of its data, as an interrupted copy leaves it."""
    whole = mp4(directory, "whole-" + name, seconds=2)
    data = whole.read_bytes()
    whole.unlink()
    return write(directory, name, data[: len(data) * 2 // 3])


def jpeg_with_gps(side: int = 200) -> bytes:
    """A JPEG photo whose EXIF says where it was taken (Balai Kota Cirebon) and with which camera."""
    picture = Image.new("RGB", (side, side), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Samsung"  # Make
    exif[0x0110] = "SM-A525F"  # Model
    gps = {1: "S", 2: (6.0, 42.0, 30.0), 3: "E", 4: (108.0, 33.0, 10.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_bytes(side: int = 64, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), color).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(side: int = 30_000) -> bytes:
    """A PNG of a few KB that claims side × side pixels (900 megapixels: gigabytes once decoded)."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(200)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def svg_with_script() -> bytes:
    return (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
            b'<script>alert(document.cookie)</script><rect width="100" height="100"/></svg>')


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><body><script>fetch('/admin').then(r=>r.text()).then(alert)</script></body></html>"


def exe_bytes() -> bytes:
    """The start of a Windows program (MZ header, PE signature), as sent named poster.jpg."""
    header = bytearray(b"MZ" + b"\x90\x00" + b"\x00" * 56)
    header[0x3C:0x40] = struct.pack("<I", 64)
    return bytes(header) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 400


def pdf_bytes(pages: int = 1) -> bytes:
    """A real PDF (drawn by Pillow) with `pages` pages."""
    images = [Image.new("RGB", (300, 400), (255, 255 - 40 * i % 255, 200)) for i in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def files_in(directory: Path) -> list[str]:
    """Stored files (not the partial-upload folder) under the upload directory."""
    if not directory.exists():
        return []
    return sorted(p.name for p in directory.iterdir() if p.is_file())


# An S3-compatible server for the S3 storage tests: moto's, in a thread, on a free loopback port


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s3_server():
    """Yields the endpoint of a moto S3 server (wrap it in a module-scoped fixture)."""
    server_module = pytest.importorskip("moto.server")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_settings(endpoint: str, bucket: str) -> dict:
    return {"STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint, "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing"}


def s3_app(make_app, endpoint, bucket):
    app = make_app(**s3_settings(endpoint, bucket))
    storage = get_storage(app)
    storage.client.create_bucket(Bucket=bucket)
    return app, storage
