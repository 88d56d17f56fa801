"""Reading images, videos and webcams, and writing browser-playable MP4s.

No MediaPipe here. Frames are numpy RGB uint8 arrays (height, width, 3),
upright (container rotation metadata and EXIF orientation applied), with
timestamps in seconds taken from the container's presentation timestamps
(PTS), counted from the stream's first timestamp.

Video decoding uses PyAV (FFmpeg) with threaded decoding; scaling and the
RGB conversion happen in FFmpeg's swscale, which is faster than resizing in
numpy. Broken inputs raise :class:`VideoError` / :class:`ImageError` naming
the file. A damaged video is read as far as it can be: packets that do not
decode are skipped and a file cut short is read up to its end, and each
stretch with no picture is reported as a :class:`DecodeGap`. Only a video
with no decodable frame at all is an error.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import av
import cv2
import numpy as np

from posecheck.errors import PosecheckError

logger = logging.getLogger(__name__)

VIDEO_EXTENSIONS: frozenset[str] = frozenset(
    {".mp4", ".m4v", ".mov", ".avi", ".webm", ".mkv", ".mpg", ".mpeg", ".wmv", ".3gp"}
)
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
)
# Larger photos are refused before decoding (a 100 MP photo is 300 MB of pixels).
MAX_IMAGE_PIXELS = 100_000_000
# Analysis size that keeps the pose model fast without losing accuracy.
DEFAULT_ANALYSIS_MAX_SIDE_PX = 1280


class MediaError(PosecheckError):
    """An input image or video cannot be used."""


class VideoError(MediaError):
    """A video file or camera cannot be opened or decoded."""


class ImageError(MediaError):
    """An image file cannot be read."""


@dataclass(frozen=True)
class DecodeGap:
    """A stretch of a video with no picture: damaged packets, or the file ends early.

    ``start_s`` is the time of the first missing frame, ``end_s`` where the
    picture resumes (or where the file should have ended); ``frames`` how
    many frames are missing; ``reason`` is ``"damaged"`` or ``"truncated"``.
    """

    start_s: float
    end_s: float
    frames: int
    reason: str

    def describe(self) -> str:
        """'4.60-4.70 s (3 frames damaged)'."""
        what = "damaged" if self.reason == "damaged" else "missing, the file ends early"
        frames = "1 frame" if self.frames == 1 else f"{self.frames} frames"
        return f"{self.start_s:.2f}-{self.end_s:.2f} s ({frames} {what})"

    def to_dict(self) -> dict[str, float | int | str]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "frames": self.frames, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict) -> DecodeGap:
        return cls(float(data["start_s"]), float(data["end_s"]), int(data["frames"]),
                   str(data["reason"]))


class Frame(NamedTuple):
    """One decoded frame: upright RGB uint8 pixels and its time in seconds.

    With ``iter_video_frames(..., lazy=True)`` ``rgb`` is a :class:`PendingPixels`.
    """

    rgb: Any
    timestamp_s: float


class PendingPixels:
    """A decoded frame whose RGB conversion waits until someone asks for it.

    Converting (and shrinking) a phone video's frame costs more than decoding
    it; a frame the model skips and no video shows is never converted, and the
    conversion runs on the thread that asks (a model thread, the overlay's).
    """

    __slots__ = ("_frame", "_max_side_px", "_rgb")

    def __init__(self, frame: av.VideoFrame, max_side_px: int | None) -> None:
        self._frame: av.VideoFrame | None = frame
        self._max_side_px = max_side_px
        self._rgb: np.ndarray | None = None

    def rgb(self) -> np.ndarray:
        """The upright RGB pixels (converted once, then kept)."""
        if self._rgb is None:
            assert self._frame is not None
            self._rgb = _upright_rgb(self._frame, self._max_side_px)
            self._frame = None
        return self._rgb


def pixels(rgb: Any) -> np.ndarray:
    """The RGB array of a frame's pixels, converting :class:`PendingPixels` now."""
    return rgb.rgb() if isinstance(rgb, PendingPixels) else rgb


@dataclass(frozen=True)
class VideoInfo:
    """What a video file's container says about its video stream.

    ``width_px``/``height_px`` are the upright display size (rotation
    applied); ``coded_*`` are as stored. ``fps`` is the average frame rate as
    a float (29.97 stays 29.97); ``None`` means the container does not say.
    ``rotation_deg`` is the counter-clockwise rotation applied to frames.
    """

    path: Path
    width_px: int
    height_px: int
    coded_width_px: int
    coded_height_px: int
    fps: float | None
    frame_count: int | None
    duration_s: float | None
    rotation_deg: int
    codec: str

    @property
    def size_px(self) -> tuple[int, int]:
        return (self.width_px, self.height_px)

    @property
    def frame_interval_s(self) -> float | None:
        """Seconds from one frame to the next; None when the frame rate is not known."""
        return 1.0 / self.fps if self.fps else None


def scaled_size(width_px: int, height_px: int, max_side_px: int | None) -> tuple[int, int]:
    """(width, height) shrunk so the longer side is at most ``max_side_px``.

    Never enlarges; keeps the aspect ratio; ``None`` keeps the size.
    """
    if max_side_px is None or max(width_px, height_px) <= max_side_px:
        return width_px, height_px
    factor = max_side_px / max(width_px, height_px)
    return max(1, round(width_px * factor)), max(1, round(height_px * factor))


def _resize_rgb(frame: np.ndarray, max_side_px: int | None) -> np.ndarray:
    h, w = frame.shape[:2]
    new_w, new_h = scaled_size(w, h, max_side_px)
    if (new_w, new_h) == (w, h):
        return frame
    return cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_AREA)


def _image_too_large(path: Path) -> str | None:
    """'20000x20000 pixels' when the header says the image is over the limit, else None.

    Reads only the header (Pillow opens lazily), so nothing huge is decoded.
    """
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError:  # far over Pillow's own limit, which is above ours
        return "more pixels than can be decoded safely"
    except (OSError, ValueError):
        return None  # not an image Pillow knows: OpenCV decides below
    return f"{width}x{height} pixels" if width * height > MAX_IMAGE_PIXELS else None


def read_image_rgb(path: Path | str, *, max_side_px: int | None = None) -> np.ndarray:
    """Read an image file as upright RGB uint8 (EXIF orientation applied).

    OpenCV's ``imread`` applies the EXIF orientation tag for ``IMREAD_COLOR``.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"image file not found: {path}")
    if path.stat().st_size == 0:
        raise ImageError(f"image file is empty: {path}")
    too_large = _image_too_large(path)
    if too_large:
        raise ImageError(
            f"image too large: {too_large} (at most {MAX_IMAGE_PIXELS // 1_000_000} "
            f"megapixels; shrink it first): {path}"
        )
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ImageError(f"not a readable image (unknown format or corrupt): {path}")
    return _resize_rgb(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), max_side_px)


def _rotation_of(frame: av.VideoFrame) -> int:
    """The frame's display rotation, counter-clockwise degrees in {0, 90, 180, 270}."""
    rotation = frame.rotation
    return round(rotation / 90.0) % 4 * 90 if rotation else 0


def _open_container(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise VideoError(f"video file not found: {path}")
    if not path.is_file():
        raise VideoError(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise VideoError(f"video file is empty: {path}")
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)  # without the path again
        raise VideoError(
            f"not a readable video (unknown format or corrupt): {path}: {reason}"
        ) from exc
    if not container.streams.video:
        container.close()
        raise VideoError(f"no video stream in {path}")
    if container.format.name.endswith("_pipe") or container.format.name == "image2":
        container.close()  # FFmpeg reads a photo as a one-frame "video"
        raise VideoError(f"this is a still image, not a video: {path}")
    return container


def _index_past_end(path: Path, stream: av.video.stream.VideoStream) -> bool:
    """Whether the container's sample index points past the end of the file (cut short)."""
    try:
        entries = stream.index_entries
        end_byte = max((entry.pos + entry.size for entry in entries), default=None)
    except (AttributeError, av.error.FFmpegError):
        return False
    return end_byte is not None and end_byte > path.stat().st_size


def _stream_info(path: Path, stream: av.video.stream.VideoStream) -> VideoInfo:
    ctx = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else None
    duration_s: float | None = None
    if stream.duration is not None and stream.time_base is not None:
        duration_s = float(stream.duration * stream.time_base)
    elif stream.container.duration is not None:
        duration_s = stream.container.duration / av.time_base
    frame_count = int(stream.frames) if stream.frames else None
    return VideoInfo(
        path=path,
        width_px=ctx.width,
        height_px=ctx.height,
        coded_width_px=ctx.width,
        coded_height_px=ctx.height,
        fps=fps,
        frame_count=frame_count,
        duration_s=duration_s,
        rotation_deg=0,
        codec=ctx.name,
    )


def probe_video(path: Path | str) -> VideoInfo:
    """Read a video's metadata (size, fps, frame count, duration, rotation).

    Decodes the first frame to learn the display rotation, which FFmpeg
    attaches to frames rather than to the stream.
    """
    path = Path(path)
    container = _open_container(path)
    try:
        stream = container.streams.video[0]
        info = _stream_info(path, stream)
        rotation: int | None = None
        for frame in _decode_skipping_damage(container, stream, path):
            rotation = _rotation_of(frame)
            break
        if rotation is None:
            raise VideoError(f"no decodable frames in {path}")
    finally:
        container.close()
    if rotation in (90, 270):
        return _with_rotation(info, rotation, swap=True)
    return _with_rotation(info, rotation, swap=False)


def _with_rotation(info: VideoInfo, rotation: int, *, swap: bool) -> VideoInfo:
    width, height = info.coded_width_px, info.coded_height_px
    if swap:
        width, height = height, width
    return VideoInfo(
        path=info.path,
        width_px=width,
        height_px=height,
        coded_width_px=info.coded_width_px,
        coded_height_px=info.coded_height_px,
        fps=info.fps,
        frame_count=info.frame_count,
        duration_s=info.duration_s,
        rotation_deg=rotation,
        codec=info.codec,
    )


def _upright_rgb(frame: av.VideoFrame, max_side_px: int | None) -> np.ndarray:
    """Convert (and shrink) in swscale, then rotate to upright in numpy."""
    rotation = _rotation_of(frame)
    coded_w, coded_h = frame.width, frame.height
    if rotation in (90, 270):
        disp_w, disp_h = scaled_size(coded_h, coded_w, max_side_px)
        out_w, out_h = disp_h, disp_w
    else:
        out_w, out_h = scaled_size(coded_w, coded_h, max_side_px)
    if (out_w, out_h) != (coded_w, coded_h):
        rgb = frame.to_ndarray(format="rgb24", width=out_w, height=out_h, interpolation="AREA")
    else:
        rgb = frame.to_ndarray(format="rgb24")
    if rotation:
        rgb = np.ascontiguousarray(np.rot90(rgb, k=rotation // 90))
    return rgb


def _decode_skipping_damage(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    packet_pts: list[int] | None = None,
) -> Iterator[av.VideoFrame]:
    """Decode ``stream`` packet by packet; a packet that fails to decode is skipped.

    Frames the decoder flags as corrupt are passed on; the caller drops them.

    ``packet_pts`` collects the timestamp of every packet read, so that the
    caller can tell which frames never came out of the decoder.
    """
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except (av.error.FFmpegError, EOFError) as exc:  # the container itself breaks off
            logger.warning("%s: reading stopped early: %s", path, exc)
            return
        if packet_pts is not None and packet.pts is not None and packet.size:
            packet_pts.append(packet.pts)
        try:
            decoded = packet.decode()
        except av.error.FFmpegError as exc:
            logger.debug("%s: damaged packet at pts %s skipped: %s", path, packet.pts, exc)
            continue
        yield from decoded


def _runs_of_missing(times_s: list[float], frame_s: float) -> list[tuple[float, float, int]]:
    """Group missing frame times into (first, end, count) runs."""
    runs: list[tuple[float, float, int]] = []
    for t_s in sorted(times_s):
        if runs and t_s - runs[-1][1] < 0.5 * frame_s:
            first, _end, count = runs[-1]
            runs[-1] = (first, t_s + frame_s, count + 1)
        else:
            runs.append((t_s, t_s + frame_s, 1))
    return runs


def iter_video_frames(
    path: Path | str,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    max_side_px: int | None = None,
    gaps: list[DecodeGap] | None = None,
    lazy: bool = False,
) -> Iterator[Frame]:
    """Yield upright RGB frames of a video file with PTS-based timestamps.

    ``start_s``/``end_s`` (seconds from the stream start, end exclusive)
    select a range; the reader seeks to the keyframe before ``start_s`` and
    drops earlier frames. ``max_side_px`` shrinks frames (never enlarges).
    Damaged packets are skipped and a file cut short is read to where it
    ends; when the frames run out, every stretch without picture is appended
    to ``gaps`` (when given) and logged. Raises :class:`VideoError` for
    missing, empty or unreadable files, and when no frame decodes at all.
    ``lazy`` yields :class:`PendingPixels` in place of the array, converted
    when asked for (see :func:`pixels`).
    """
    path = Path(path)
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise ValueError(f"end_s ({end_s}) must be after start_s ({start_s})")
    container = _open_container(path)
    try:
        stream = container.streams.video[0]
        cut_short = _index_past_end(path, stream)
        info = _stream_info(path, stream)
        stream.thread_type = "AUTO"
        time_base = stream.time_base
        start_pts = stream.start_time or 0
        if start_s is not None and start_s > 0:
            target = start_pts + int(start_s / time_base)
            container.seek(target, stream=stream, backward=True, any_frame=False)
        last_t: float | None = None
        packet_pts: list[int] = []
        decoded_pts: set[int] = set()
        stopped_at_end = False
        for frame in _decode_skipping_damage(container, stream, path, packet_pts):
            if frame.pts is None:
                logger.warning("%s: frame without a timestamp skipped", path)
                continue
            if frame.is_corrupt:  # decoded from damaged data: a smear, not a picture
                logger.debug("%s: corrupt frame at pts %s skipped", path, frame.pts)
                continue
            decoded_pts.add(frame.pts)
            t_s = float((frame.pts - start_pts) * time_base)
            if start_s is not None and t_s < start_s:
                continue
            if end_s is not None and t_s >= end_s:
                stopped_at_end = True
                break
            if last_t is not None and t_s <= last_t:
                logger.debug("%s: non-increasing timestamp %.4f s dropped", path, t_s)
                continue
            last_t = t_s
            yield Frame(PendingPixels(frame, max_side_px) if lazy
                        else _upright_rgb(frame, max_side_px), t_s)
        if last_t is None:
            _raise_no_frames(path, info, start_s)
        found = _find_gaps(info, packet_pts, decoded_pts, start_pts, time_base, last_t,
                           start_s, end_s, cut_short=cut_short and not stopped_at_end,
                           reached_end=not stopped_at_end)
        for gap in found:
            logger.info("%s: no picture %s", path, gap.describe())
        if gaps is not None:
            gaps.extend(found)
    finally:
        container.close()


def _raise_no_frames(path: Path, info: VideoInfo, start_s: float | None) -> None:
    if start_s is not None and info.duration_s is not None and start_s >= info.duration_s:
        raise VideoError(f"start {start_s} s is past the end of {path} ({info.duration_s} s)")
    raise VideoError(f"no decodable frames in {path} (damaged or not a video)")


def _find_gaps(
    info: VideoInfo,
    packet_pts: list[int],
    decoded_pts: set[int],
    start_pts: int,
    time_base: Fraction,
    last_t: float,
    start_s: float | None,
    end_s: float | None,
    *,
    cut_short: bool,
    reached_end: bool,
) -> list[DecodeGap]:
    """Damaged stretches (packets read but no frame out) and a missing tail."""
    frame_s = info.frame_interval_s or 1.0 / 30.0
    first_s = start_s or 0.0
    limit_s = last_t if not reached_end else float("inf")
    if end_s is not None:
        limit_s = min(limit_s, end_s)
    missing = []
    for pts in set(packet_pts) - decoded_pts:
        t_s = float((pts - start_pts) * time_base)
        if first_s <= t_s < limit_s:
            missing.append(t_s)
    out = [DecodeGap(a, b, n, "damaged") for a, b, n in _runs_of_missing(missing, frame_s)]
    if reached_end and info.duration_s is not None:
        # The file ends before where its header says the frames run.
        declared_end_s = info.duration_s if end_s is None else min(info.duration_s, end_s)
        tail_start_s = max([last_t, *(g.end_s - frame_s for g in out)]) + frame_s
        if cut_short or tail_start_s < declared_end_s - 3.0 * frame_s:
            if out and out[-1].end_s >= tail_start_s - 0.5 * frame_s:
                tail_start_s = out.pop().start_s  # the last packet, cut in half
            if tail_start_s < declared_end_s - 0.5 * frame_s:
                n = max(1, round((declared_end_s - tail_start_s) / frame_s))
                out.append(DecodeGap(tail_start_s, declared_end_s, n, "truncated"))
    return out


class VideoReader:
    """A video file as a context-managed, re-iterable source of :class:`Frame`."""

    def __init__(
        self,
        path: Path | str,
        *,
        start_s: float | None = None,
        end_s: float | None = None,
        max_side_px: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.info = probe_video(self.path)
        self.start_s = start_s
        self.end_s = end_s
        self.max_side_px = max_side_px
        self.gaps: list[DecodeGap] = []  # filled by the last full pass

    @property
    def frame_size_px(self) -> tuple[int, int]:
        """(width, height) of the frames this reader yields."""
        return scaled_size(self.info.width_px, self.info.height_px, self.max_side_px)

    def __iter__(self) -> Iterator[Frame]:
        self.gaps = []
        return iter_video_frames(
            self.path, start_s=self.start_s, end_s=self.end_s, max_side_px=self.max_side_px,
            gaps=self.gaps,
        )

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def iter_webcam_frames(
    index: int = 0,
    *,
    max_side_px: int | None = None,
    max_frames: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Frame]:
    """Yield RGB frames from a webcam (``cv2.VideoCapture(index)``).

    Timestamps are seconds since the first frame by ``clock`` (cameras give
    no reliable PTS through OpenCV). Frames are not mirrored. Raises
    :class:`VideoError` when the camera cannot be opened or stops delivering.
    """
    capture = cv2.VideoCapture(int(index))
    if not capture.isOpened():
        capture.release()
        raise VideoError(f"cannot open webcam {index} (is a camera connected and free?)")
    t0: float | None = None
    count = 0
    try:
        while max_frames is None or count < max_frames:
            ok, bgr = capture.read()
            if not ok or bgr is None:
                raise VideoError(f"webcam {index} stopped delivering frames")
            now = clock()
            if t0 is None:
                t0 = now
            count += 1
            yield Frame(_resize_rgb(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), max_side_px), now - t0)
    finally:
        capture.release()


def is_video_path(path: Path | str) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def is_image_path(path: Path | str) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


class Mp4Writer:
    """Write RGB frames to a browser-playable H.264 MP4 (libx264, yuv420p, faststart).

    Give either ``fps`` (frames are spaced evenly) or per-frame timestamps to
    :meth:`write` (variable frame rate, timestamps kept to the millisecond).
    Frame sizes must stay constant; odd sizes are padded by one pixel,
    because yuv420p needs even dimensions. The file is written to a temp
    name and renamed on :meth:`close`, so a crash leaves no half-written MP4.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        fps: float | None = None,
        crf: int = 23,
        preset: str = "veryfast",
    ) -> None:
        self.path = Path(path)
        self.fps = fps
        self._crf = crf
        self._preset = preset
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp_path = self.path.with_name(f".{self.path.stem}.part{self.path.suffix}")
        self._container: av.container.OutputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._size: tuple[int, int] | None = None
        self._last_pts: int | None = None
        self.frames_written = 0

    def _open(self, width_px: int, height_px: int) -> None:
        container = av.open(
            str(self._tmp_path), mode="w", format="mp4", options={"movflags": "+faststart"}
        )
        rate = Fraction(self.fps).limit_denominator(1001) if self.fps else Fraction(30)
        stream = container.add_stream("libx264", rate=rate)
        stream.width = width_px + width_px % 2
        stream.height = height_px + height_px % 2
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000) if self.fps is None else 1 / rate
        stream.options = {"crf": str(self._crf), "preset": self._preset}
        self._container, self._stream = container, stream
        self._size = (width_px, height_px)

    def write(self, frame_rgb: np.ndarray, timestamp_s: float | None = None) -> None:
        """Append one RGB uint8 frame; ``timestamp_s`` is required without ``fps``."""
        if frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3 or frame_rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 frame (H, W, 3), got {frame_rgb.shape}")
        height_px, width_px = frame_rgb.shape[:2]
        if self._container is None:
            self._open(width_px, height_px)
        if (width_px, height_px) != self._size:
            raise ValueError(f"frame size {(width_px, height_px)} differs from {self._size}")
        assert self._stream is not None and self._container is not None
        if width_px % 2 or height_px % 2:
            frame_rgb = np.pad(
                frame_rgb, ((0, height_px % 2), (0, width_px % 2), (0, 0)), mode="edge"
            )
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame_rgb), format="rgb24")
        if self.fps is None:
            if timestamp_s is None:
                raise ValueError("timestamp_s is required when the writer has no fixed fps")
            pts = round(timestamp_s * 1000)
            frame.time_base = Fraction(1, 1000)
        else:
            pts = self.frames_written
            frame.time_base = self._stream.codec_context.time_base
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
        frame.pts = pts
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and move the finished file into place."""
        if self._container is None:
            return
        assert self._stream is not None
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()
            self._container = None
        os.replace(self._tmp_path, self.path)

    def abort(self) -> None:
        """Stop without producing a file."""
        if self._container is not None:
            self._container.close()
            self._container = None
        self._tmp_path.unlink(missing_ok=True)

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
