"""A video file for Chromium's fake camera (--use-file-for-fake-video-capture): a still image as Y4M.

Y4M is a text header and raw YUV 4:2:0 frames; Pillow's YCbCr is the full-range (JPEG) flavour,
which the header announces as C420jpeg. No ffmpeg needed. Chromium loops the file.
"""
import io
from pathlib import Path

from PIL import Image


def ticket_frame(qr_png: bytes, size=(640, 480), qr_side=400) -> Image.Image:
    """The ticket's QR, as a phone held up to the camera shows it: centred on white."""
    qr = Image.open(io.BytesIO(qr_png)).convert("L").resize((qr_side, qr_side), Image.Resampling.NEAREST)
    frame = Image.new("RGB", size, "white")
    frame.paste(qr.convert("RGB"), ((size[0] - qr_side) // 2, (size[1] - qr_side) // 2))
    return frame


def write_y4m(path: Path, image: Image.Image, frames: int = 10, fps: int = 10) -> Path:
    width, height = image.size
    if width % 2 or height % 2:
        raise ValueError("4:2:0 needs an even width and height")
    luma, blue, red = image.convert("YCbCr").split()
    half = (width // 2, height // 2)
    plane = luma.tobytes() + blue.resize(half, Image.Resampling.BOX).tobytes() + red.resize(half, Image.Resampling.BOX).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(plane)
    return path
