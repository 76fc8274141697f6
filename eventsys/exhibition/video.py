"""Reading uploaded videos with the ffmpeg binary of the imageio-ffmpeg wheel: length, picture size, a poster frame.

ffmpeg runs as a separate process with a time limit, on a path (never through a shell), with the
demuxer the content check found and local files only, so a hostile file can at worst make it
fail or time out. Before ffmpeg looks at a file, the container's
own bookkeeping is checked: an MP4 whose boxes, or a WebM whose segment, run past the end of the
file was cut off (an interrupted copy or export) and is refused with a message saying so.
"""
from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROBE_TIMEOUT = 60
FRAME_TIMEOUT = 120
THUMB_SIDE = 640

DURATION = re.compile(rb"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
VIDEO_STREAM = re.compile(rb"Stream #\d+:\d+[^\n]*?: Video: ([A-Za-z0-9_]+)[^\n]*?[ ,](\d{2,5})x(\d{2,5})[ ,\]]")


class VideoError(Exception):
    """Why a video cannot be used; `reason` is one of the REASONS keys (the caller words it for people)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class VideoInfo:
    duration: float | None
    width: int
    height: int
    codec: str


@functools.cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _read_box_header(f) -> tuple[int, bytes, int] | None:
    header = f.read(8)
    if len(header) < 8:
        return None
    size, box_type = int.from_bytes(header[:4], "big"), header[4:8]
    header_len = 8
    if size == 1:
        large = f.read(8)
        if len(large) < 8:
            return (-1, box_type, 16)
        size, header_len = int.from_bytes(large, "big"), 16
    return size, box_type, header_len


def mp4_is_truncated(path: Path) -> bool:
    """True when the top-level MP4 boxes run past the end of the file, or the movie header (moov) is missing."""
    total = path.stat().st_size
    seen_moov = False
    with open(path, "rb") as f:
        position = 0
        while position < total:
            f.seek(position)
            box = _read_box_header(f)
            if box is None:
                return True  # a few stray bytes where a box header should be
            size, box_type, header_len = box
            if box_type == b"moov":
                seen_moov = True
            if size == 0:  # "to the end of the file"
                break
            if size < header_len or position + size > total:
                return True
            position += size
    return not seen_moov


def _ebml_vint(f, keep_marker: bool) -> tuple[int, int] | None:
    first = f.read(1)
    if not first:
        return None
    byte = first[0]
    length = 1
    mask = 0x80
    while length <= 8 and not byte & mask:
        mask >>= 1
        length += 1
    if length > 8:
        return None
    rest = f.read(length - 1)
    if len(rest) < length - 1:
        return None
    value = byte if keep_marker else byte & (mask - 1)
    for b in rest:
        value = (value << 8) | b
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return (-1 if unknown else value), length


def webm_is_truncated(path: Path) -> bool:
    """True when the WebM segment announces more bytes than the file has (an unknown size is accepted)."""
    total = path.stat().st_size
    with open(path, "rb") as f:
        position = 0
        while position < total:
            f.seek(position)
            element = _ebml_vint(f, keep_marker=True)
            size = _ebml_vint(f, keep_marker=False)
            if element is None or size is None:
                return True
            data_start = position + element[1] + size[1]
            if element[0] == 0x18538067:  # Segment
                return size[0] != -1 and data_start + size[0] > total
            if size[0] == -1:
                return False
            position = data_start + size[0]
    return True  # no segment at all


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", *args], capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise VideoError("timeout", str(error)) from None


def _input(content_type: str) -> list[str]:
    """The demuxer the content check chose (never ffmpeg's own guess: no playlists or concat lists), local files only."""
    demuxer = "mov" if content_type == "video/mp4" else "matroska"
    return ["-protocol_whitelist", "file", "-f", demuxer, "-i"]


def probe(path: Path, content_type: str, timeout: float = PROBE_TIMEOUT) -> VideoInfo:
    """Length and picture size of the video at `path`; raises VideoError when it is cut off or unreadable."""
    truncated = mp4_is_truncated(path) if content_type == "video/mp4" else webm_is_truncated(path)
    if truncated:
        raise VideoError("truncated")
    result = _run([*_input(content_type), str(path)], timeout)  # no output file: ffmpeg prints what it found and exits 1
    err = result.stderr
    if b"Invalid data found" in err or b"moov atom not found" in err or b"Duration:" not in err:
        raise VideoError("unreadable", err[-500:].decode("utf-8", "replace"))
    stream = VIDEO_STREAM.search(err)
    if stream is None:
        raise VideoError("no_video", err[-500:].decode("utf-8", "replace"))
    duration = None
    found = DURATION.search(err)
    if found:
        hours, minutes, seconds = found.groups()
        duration = round(int(hours) * 3600 + int(minutes) * 60 + float(seconds), 3)
    return VideoInfo(duration, int(stream.group(2)), int(stream.group(3)), stream.group(1).decode())


def poster_frame(path: Path, at: float, content_type: str = "video/mp4", timeout: float = FRAME_TIMEOUT,
                 side: int = THUMB_SIDE) -> bytes:
    """One frame at `at` seconds as a JPEG at most `side` pixels wide and high; raises VideoError."""
    scale = f"scale=w='min(iw,{side})':h='min(ih,{side})':force_original_aspect_ratio=decrease:force_divisible_by=2"
    args = ["-v", "error", "-ss", f"{max(at, 0):.3f}", *_input(content_type), str(path), "-map", "0:v:0", "-frames:v", "1",
            "-vf", scale, "-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "4", "pipe:1"]
    result = _run(args, timeout)
    if result.returncode != 0 or not result.stdout.startswith(b"\xff\xd8"):
        if at > 0:  # a seek past a short or damaged video: try the first frame
            return poster_frame(path, 0, content_type, timeout, side)
        raise VideoError("no_frame", result.stderr[-500:].decode("utf-8", "replace"))
    return result.stdout


REMUX_TIMEOUT = 120  # a 500 MB movie is copied twice (remux, then the index moved to the front): seconds, not minutes


def remux_to_mp4(source: Path, target: Path, timeout: float = REMUX_TIMEOUT) -> Path:
    """A QuickTime movie (what an iPhone records, .mov) rewritten as MP4 at `target`, without re-encoding.

    The first video and audio streams are copied as they are (H.264 or HEVC, AAC); the index goes to the
    front so a browser can start playing before the end arrives. Anything else in the movie (timecode,
    location and other data tracks) is left out. Raises VideoError when ffmpeg cannot read or write it.
    """
    args = ["-v", "error", "-y", "-protocol_whitelist", "file", "-f", "mov", "-i", str(source), "-map", "0:v:0", "-map", "0:a:0?",
            "-c", "copy", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", str(target)]
    result = _run(args, timeout)
    if result.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        target.unlink(missing_ok=True)
        raise VideoError("unreadable", result.stderr[-500:].decode("utf-8", "replace"))
    return target


def make_test_video(path: Path, *, seconds: float = 1, size: str = "160x90", fmt: str = "mp4", rate: int = 10,
                    source: str = "testsrc", timeout: float = 60, hevc: bool = False) -> Path:
    """A small real video (an ffmpeg test pattern: testsrc, testsrc2, smptebars, rgbtestsrc …) for tests, the demo and the benchmark."""
    encoder = ["-c:v", "libx265", "-tag:v", "hvc1", "-x265-params", "log-level=error"] if hevc else ["-c:v", "libx264"]
    codec = [*encoder, "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-movflags", "+faststart"] if fmt in ("mp4", "mov") \
        else ["-c:v", "libvpx", "-b:v", "200k", "-deadline", "realtime", "-cpu-used", "8"]
    args = ["-v", "error", "-y", "-f", "lavfi", "-i", f"{source}=duration={seconds}:size={size}:rate={rate}", *codec, "-f", fmt, str(path)]
    result = _run(args, timeout)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.decode("utf-8", "replace"))
    return path
