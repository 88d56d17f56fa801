"""Video/image input and MP4 output on real files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from _footage import _isolated_cache, footage  # noqa: F401

from posecheck.video_io import (
    DecodeGap,
    ImageError,
    Mp4Writer,
    PendingPixels,
    VideoError,
    iter_video_frames,
    iter_webcam_frames,
    pixels,
    probe_video,
    read_image_rgb,
    scaled_size,
)

PORTRAIT = "bird_dog/polybag_bird_dog.mp4"


def _pattern_frames(count: int, width: int = 160, height: int = 96) -> list[np.ndarray]:
    """Frames with a red block top-left and a moving green bar, to check orientation."""
    frames = []
    for i in range(count):
        frame = np.full((height, width, 3), 40, np.uint8)
        frame[: height // 3, : width // 4] = (230, 20, 20)
        frame[:, (i * 4) % width : (i * 4) % width + 4] = (20, 230, 20)
        frames.append(frame)
    return frames


def _write(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    with Mp4Writer(path, fps=fps) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def test_scaled_size() -> None:
    assert scaled_size(1080, 1920, 1280) == (720, 1280)
    assert scaled_size(640, 480, 1280) == (640, 480)
    assert scaled_size(640, 480, None) == (640, 480)


def test_portrait_phone_video_metadata_and_frames() -> None:
    path = footage(PORTRAIT)
    info = probe_video(path)
    assert (info.width_px, info.height_px) == (1080, 1920)
    assert info.fps == pytest.approx(30.0)
    assert info.frame_count == 427
    assert info.duration_s == pytest.approx(427 / 30, abs=0.05)

    timestamps = []
    for rgb, t_s in iter_video_frames(path, max_side_px=320):
        assert rgb.dtype == np.uint8 and rgb.shape == (320, 180, 3)
        timestamps.append(t_s)
    assert len(timestamps) == info.frame_count
    assert np.all(np.diff(timestamps) > 0)
    assert timestamps[0] == pytest.approx(0.0)
    assert timestamps[-1] == pytest.approx(info.duration_s - 1 / info.fps, abs=0.02)


def test_full_size_frames_are_upright() -> None:
    rgb, _ = next(iter(iter_video_frames(footage(PORTRAIT))))
    assert rgb.shape == (1920, 1080, 3)


def test_start_and_end() -> None:
    frames = list(iter_video_frames(footage(PORTRAIT), start_s=5.0, end_s=6.0, max_side_px=160))
    times = [t for _, t in frames]
    assert times[0] == pytest.approx(5.0, abs=1 / 30)
    assert all(5.0 <= t < 6.0 for t in times)
    assert len(frames) == 30


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg command")
@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotation_metadata_matches_ffmpeg(tmp_path: Path, rotate: int) -> None:
    """Frames come out as FFmpeg itself displays them (its autorotate is the reference)."""
    base = _write(tmp_path / "base.mp4", _pattern_frames(10))
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(base),
            "-c",
            "copy",
            "-metadata:s:v:0",
            f"rotate={rotate}",
            str(rotated),
        ],
        check=True,
    )
    reference = tmp_path / "reference.png"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(rotated), "-frames:v", "1", str(reference)],
        check=True,
    )
    expected = cv2.cvtColor(cv2.imread(str(reference)), cv2.COLOR_BGR2RGB)
    info = probe_video(rotated)
    assert info.rotation_deg in (90, 180, 270)
    assert (info.height_px, info.width_px) == expected.shape[:2]
    rgb, _ = next(iter(iter_video_frames(rotated)))
    assert rgb.shape == expected.shape
    assert np.abs(rgb.astype(int) - expected.astype(int)).mean() < 3


def test_lazy_frames_convert_to_the_same_pixels_when_asked(tmp_path: Path) -> None:
    """A rotated, shrunk real frame: converted later (even after the file is closed), it
    is the frame the eager reader gives; it converts once and keeps the result."""
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(footage(PORTRAIT)), "-t", "0.5",
                    "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated)], check=True)
    eager = list(iter_video_frames(rotated, max_side_px=320))
    lazy = list(iter_video_frames(rotated, max_side_px=320, lazy=True))
    assert [t for _, t in lazy] == [t for _, t in eager]
    assert all(isinstance(pending, PendingPixels) for pending, _ in lazy)
    for (pending, _), (rgb, _) in zip(lazy[::3], eager[::3], strict=True):
        first = pixels(pending)
        np.testing.assert_array_equal(first, rgb)
        assert pixels(pending) is first
    assert pixels(eager[0].rgb) is eager[0].rgb


def test_fractional_fps_is_kept(tmp_path: Path) -> None:
    path = _write(tmp_path / "ntsc.mp4", _pattern_frames(30), fps=30000 / 1001)
    info = probe_video(path)
    assert info.fps == pytest.approx(29.97, abs=0.001)
    assert info.frame_count == 30
    times = [t for _, t in iter_video_frames(path)]
    assert times[-1] == pytest.approx(29 * 1001 / 30000, abs=1e-3)


def test_writer_makes_browser_playable_h264(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    written_s = [0.0, 0.04, 0.1, 0.13, 0.5]  # variable frame rate
    frames = _pattern_frames(len(written_s), width=161, height=95)  # odd sizes get padded
    with Mp4Writer(path) as writer:
        for frame, t_s in zip(frames, written_s, strict=True):
            writer.write(frame, t_s)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (162, 96)
    data = path.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat"), "moov must come first (faststart)"
    read = list(iter_video_frames(path))
    assert [t for _, t in read] == pytest.approx(written_s, abs=1e-3)
    assert np.abs(read[0].rgb[:95, :161].astype(int) - frames[0]).mean() < 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_writer_leaves_nothing_on_error(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError), Mp4Writer(path, fps=30) as writer:
        writer.write(_pattern_frames(1)[0])
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_missing_video(tmp_path: Path) -> None:
    path = tmp_path / "nope.mp4"
    with pytest.raises(VideoError, match=r"not found: .*nope\.mp4"):
        probe_video(path)
    with pytest.raises(VideoError, match=r"nope\.mp4"):
        list(iter_video_frames(path))


def test_empty_video(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(VideoError, match=r"empty: .*empty\.mp4"):
        list(iter_video_frames(path))


def test_text_file_renamed_mp4(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are my notes, not a video\n" * 20)
    with pytest.raises(VideoError, match=r"not a readable video.*notes\.mp4"):
        probe_video(path)


def _sample_at_byte(path: Path, byte: int) -> float:
    """Presentation time of the video sample stored over ``byte`` (from the index)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for entry in stream.index_entries:
            if entry.pos <= byte < entry.pos + entry.size:
                return float((entry.timestamp - (stream.start_time or 0)) * stream.time_base)
    raise AssertionError(f"no video sample covers byte {byte}")


def damaged_copy(source: Path, dest: Path, *, at: float = 0.5, length: int = 20_000) -> Path:
    """A copy of ``source`` with ``length`` bytes in the middle overwritten (fixed noise)."""
    data = bytearray(source.read_bytes())
    first = int(len(data) * at)
    noise = np.random.default_rng(7).integers(0, 256, length, dtype=np.uint8).tobytes()
    data[first:first + length] = noise
    dest.write_bytes(bytes(data))
    return dest


def test_damaged_bytes_in_the_middle_are_skipped_and_reported(tmp_path: Path) -> None:
    source = footage(PORTRAIT)
    path = damaged_copy(source, tmp_path / "damaged.mp4")
    hit_s = _sample_at_byte(path, int(path.stat().st_size * 0.5))
    gaps: list[DecodeGap] = []
    times = [t for _, t in iter_video_frames(path, max_side_px=160, gaps=gaps)]
    assert gaps, "the damage went unreported"
    assert all(g.reason == "damaged" for g in gaps)
    # The damaged sample's time lies in a reported gap, and nothing was decoded there.
    frame_s = 1 / 30
    assert any(g.start_s - 1e-6 <= hit_s < g.end_s for g in gaps), (hit_s, gaps)
    for g in gaps:
        assert not any(g.start_s - 1e-6 <= t < g.end_s - 1e-6 for t in times)
    # Everything else decodes, to the end of the file.
    assert len(times) == 427 - sum(g.frames for g in gaps)
    assert times[-1] == pytest.approx(426 / 30, abs=frame_s / 2)
    assert sum(g.frames for g in gaps) < 30


@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_truncated_real_video_is_read_to_where_it_ends(tmp_path: Path, keep: float) -> None:
    data = footage(PORTRAIT).read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: int(len(data) * keep)])
    info = probe_video(path)  # the index survives: the header still describes the whole video
    assert info.frame_count == 427
    gaps: list[DecodeGap] = []
    times = [t for _, t in iter_video_frames(path, max_side_px=160, gaps=gaps)]
    assert 0 < len(times) < 427 * keep + 30
    assert times == sorted(times) and times[0] == 0.0
    assert [g.reason for g in gaps] == ["truncated"]
    tail = gaps[0]
    assert tail.start_s == pytest.approx(times[-1] + 1 / 30, abs=1e-3)
    assert tail.end_s == pytest.approx(info.duration_s, abs=1e-3)
    assert tail.frames == 427 - len(times)
    assert "ends early" in tail.describe()


def test_truncated_range_within_what_is_left_has_no_gap(tmp_path: Path) -> None:
    data = footage(PORTRAIT).read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    gaps: list[DecodeGap] = []
    times = [t for _, t in iter_video_frames(path, start_s=1.0, end_s=2.0, max_side_px=160,
                                             gaps=gaps)]
    assert len(times) == 30 and not gaps


def test_video_that_cannot_be_read_at_all_keeps_a_clear_error(tmp_path: Path) -> None:
    data = footage(PORTRAIT).read_bytes()
    header_cut = tmp_path / "header_cut.mp4"  # the index itself is cut
    header_cut.write_bytes(data[:4000])
    with pytest.raises(VideoError, match=r"no decodable frames in .*header_cut\.mp4"):
        probe_video(header_cut)
    not_even_a_header = tmp_path / "stub.mp4"
    not_even_a_header.write_bytes(data[:20])
    with pytest.raises(VideoError, match=r"not a readable video.*stub\.mp4"):
        probe_video(not_even_a_header)
    no_frames = tmp_path / "no_frames.mp4"  # the index survives, no picture data does
    first_sample = 0
    with av.open(str(footage(PORTRAIT))) as container:
        first_sample = container.streams.video[0].index_entries[0].pos
    no_frames.write_bytes(data[: first_sample + 100])
    with pytest.raises(VideoError, match=r"no decodable frames in .*no_frames\.mp4"):
        list(iter_video_frames(no_frames, max_side_px=160))


def test_read_image_honours_exif_orientation(tmp_path: Path) -> None:
    pil_image = pytest.importorskip("PIL.Image")
    pixels = _pattern_frames(1, width=120, height=60)[0]
    image = pil_image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "phone.jpg"
    image.save(path, exif=exif.tobytes(), quality=95)
    rgb = read_image_rgb(path)
    assert rgb.shape == (120, 60, 3)
    # The red block (stored top-left) is displayed top-right after a clockwise turn.
    assert rgb[:20, -15:, 0].mean() > 180 and rgb[:20, :15, 0].mean() < 100


def test_read_real_image_and_downscale() -> None:
    rgb = read_image_rgb(footage("mediapipe_samples/test_image.jpg"))
    assert rgb.shape == (640, 960, 3) and rgb.dtype == np.uint8
    small = read_image_rgb(footage("mediapipe_samples/test_image.jpg"), max_side_px=480)
    assert small.shape == (320, 480, 3)


def test_image_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"missing\.jpg"):
        read_image_rgb(tmp_path / "missing.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_text("not a jpeg")
    with pytest.raises(ImageError, match=r"bad\.jpg"):
        read_image_rgb(bad)
    empty = tmp_path / "empty.png"
    empty.touch()
    with pytest.raises(ImageError, match="empty"):
        read_image_rgb(empty)


def test_missing_webcam_is_a_clear_error() -> None:
    with pytest.raises(VideoError, match="webcam 97"):
        next(iter_webcam_frames(97))
