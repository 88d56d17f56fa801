"""Dating an analysed recording: the time given, the camera's, or now."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from posecheck.recording_time import (
    BadRecordingTimeError,
    container_creation_time,
    parse_recording_time,
    recording_time,
)

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _clip(path: Path, *metadata: str) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed; apt-get install ffmpeg")
    tags = [a for m in metadata for a in ("-metadata", m)]
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=duration=0.3:size=64x64:rate=10", *tags, "-pix_fmt", "yuv420p",
                    str(path)], check=True, timeout=60)
    return path


def test_the_camera_time_in_the_file_is_used(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "a.mp4", "creation_time=2026-11-20T08:30:00.000000Z")
    when = container_creation_time(clip)
    assert when is not None and when.tzinfo is not None
    assert when.astimezone(UTC) == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert recording_time(clip, NOW) == when
    given = parse_recording_time("2026-11-21T18:15")
    assert recording_time(clip, NOW, given) == given


def test_no_camera_time_means_now(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "b.mp4")
    assert container_creation_time(clip) is None
    assert recording_time(clip, NOW) == NOW
    assert container_creation_time(tmp_path / "missing.mp4") is None
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    assert recording_time(junk, NOW) == NOW


def test_recording_times_in_words() -> None:
    assert parse_recording_time("2026-11-30").date().isoformat() == "2026-11-30"
    assert parse_recording_time("2026-11-30T18:15").tzinfo is not None
    with pytest.raises(BadRecordingTimeError, match="use YYYY-MM-DD or YYYY-MM-DDTHH:MM"):
        parse_recording_time("last tuesday")
