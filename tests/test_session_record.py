"""What the history keeps of a session: the same numbers from a recording and live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from synthetic import CORRECT, FAULTS

from posecheck.live import LiveSession, LiveSettings, LiveStream
from posecheck.reference import load_stretch
from posecheck.session_record import (
    MIN_SEEN_S,
    LiveRecorder,
    SessionRecord,
    check_range,
    record_from_analysis,
)
from posecheck.summarize import analyze_sequence

STRETCH_ID = "standing_extension"
GOOD = CORRECT[STRETCH_ID]
KNEES_BENT = next(f[2] for f in FAULTS if f[0] == STRETCH_ID and f[3] == "knees_straight")
FPS = 10
START = datetime(2026, 11, 30, 9, 15, tzinfo=timezone(timedelta(hours=1)))


class FakeEstimator:
    def __init__(self) -> None:
        self.pose = None

    def estimate(self, frame_rgb, timestamp_ms):
        return self.pose


def _script(*parts: tuple[object, float]) -> tuple[np.ndarray, list]:
    poses = []
    for pose, seconds in parts:
        poses.extend([pose] * round(seconds * FPS))
    return np.arange(len(poses)) / FPS, poses


class _Seq:
    def __init__(self, t, poses):
        self.timestamps_s, self.poses = t, poses


def _live(t: np.ndarray, poses: list, recorder: LiveRecorder) -> LiveSession:
    est = FakeEstimator()
    session = LiveSession(recorder.stretch, est, recorder=recorder)
    frame = np.zeros((720, 1280, 3), np.uint8)
    for ts, pose in zip(t, poses, strict=True):
        est.pose = pose
        session.process(frame, float(ts))
    return session


def test_a_live_session_records_what_the_same_recording_records() -> None:
    stretch = load_stretch(STRETCH_ID)
    t, poses = _script((None, 1.0), (GOOD, 4.0), (KNEES_BENT, 2.0), (GOOD, 34.0))
    analysis = analyze_sequence(_Seq(t, poses), stretch)
    from_file = record_from_analysis(analysis, session_id="f", started_at=START,
                                     profile="jane", source_name="clip.mp4")
    recorder = LiveRecorder(stretch, 0, session_id="l", started_at=START, profile="jane")
    session = _live(t, poses, recorder)
    live = session.history_final()
    assert live is not None and live.finished and from_file.finished

    assert (live.source, from_file.source) == ("live", "file")
    assert from_file.source_name == "clip.mp4" and live.source_name is None
    assert live.holds_done == from_file.holds_done == 1
    assert live.holds_target == from_file.holds_target == 3
    assert live.correct_s == pytest.approx(from_file.correct_s, abs=0.3)
    assert live.in_position_s == pytest.approx(from_file.in_position_s, abs=0.3)
    assert live.seen_s == pytest.approx(40.0, abs=0.3)
    # One correction: the bent knees, about 2 s from about 5 s in (after the second of nobody).
    for rec in (live, from_file):
        assert [f.check_id for f in rec.faults] == ["knees_straight"]
        fault = rec.faults[0]
        assert fault.start_s == pytest.approx(5.0, abs=0.4)
        assert fault.duration_s == pytest.approx(2.0, abs=0.4)
        assert fault.worst_value < stretch.check("knees_straight").min
    # The same ranges reached, check by check.
    assert {r.check_id for r in live.ranges} == {r.check_id for r in from_file.ranges}
    for a in live.ranges:
        b = next(r for r in from_file.ranges if r.check_id == a.check_id)
        assert a.reach == pytest.approx(b.reach, abs=0.5)
        assert a.frames == b.frames


def test_range_reached_is_the_far_end_that_the_check_asks_for() -> None:
    stretch = load_stretch(STRETCH_ID)
    lean = stretch.check("lean_back")  # at least 10 degrees: further is higher
    values = [np.nan, 5.0, *np.linspace(10, 30, 100), 80.0]  # one wild frame at 80
    r = check_range(lean, values)
    assert r is not None and r.reach_end == "high"
    assert r.frames == 102  # unknown frames are not values
    assert 28.0 < r.reach < 31.0  # the 95th percentile, not the wild frame
    assert r.reach == r.p95 and r.p5 < r.median < r.p95
    too_far = stretch.check("too_far")  # at most 45: only capped, further is lower
    capped = check_range(too_far, values)
    assert capped is not None and capped.reach_end == "low" and capped.reach == capped.p5
    assert check_range(lean, [np.nan, np.nan]) is None


def test_live_checkpoints_come_every_few_seconds_and_only_once_someone_is_seen() -> None:
    stretch = load_stretch(STRETCH_ID)
    saved: list[SessionRecord] = []
    stream = LiveStream(lambda model: FakeEstimator(), saver=saved.append,
                        wall_clock=lambda: START)
    stream.configure(LiveSettings(stretch, profile="jane"))
    frame = np.zeros((720, 1280, 3), np.uint8)
    est = stream.estimator("full")
    t = 0.0
    for pose, seconds in ((None, 3.0), (GOOD, 13.0)):
        for _ in range(round(seconds * FPS)):
            est.pose = pose
            stream.handle(frame, t, 0.0)
            t += 1 / FPS
    # Nobody for 3 s: nothing saved; then a save as soon as someone was seen for
    # MIN_SEEN_S, and again every 5 s of session time.
    assert len(saved) == 3
    assert all(not r.finished for r in saved)
    assert saved[0].seen_s == pytest.approx(MIN_SEEN_S, abs=0.2)
    assert {r.session_id for r in saved} == {saved[0].session_id}
    assert saved[-1].duration_s > saved[0].duration_s + 9.0
    assert saved[0].started_at == START and saved[0].profile == "jane"

    (final,) = stream.finish_session()
    assert final.finished and saved[-1] is final
    assert stream.finish_session() == (final,) and len(saved) == 4  # saved once
    for _ in range(80):  # frames after STOP are not saved over the finished record
        stream.handle(frame, t, 0.0)
        t += 1 / FPS
    assert saved[-1].finished and len(saved) == 4
    stream.restart()  # a new session gets a new id
    for _ in range(40):
        stream.handle(frame, t, 0.0)
        t += 1 / FPS
    assert saved[-1].session_id != final.session_id


def test_a_session_with_nobody_in_view_is_not_kept() -> None:
    stretch = load_stretch(STRETCH_ID)
    saved: list[SessionRecord] = []
    stream = LiveStream(lambda model: FakeEstimator(), saver=saved.append)
    stream.configure(LiveSettings(stretch))
    frame = np.zeros((720, 1280, 3), np.uint8)
    for i in range(100):
        stream.handle(frame, i / FPS, 0.0)
    assert stream.finish_session() == () and saved == []


def test_a_failing_save_never_stops_the_video() -> None:
    stretch = load_stretch(STRETCH_ID)

    def broken(record: SessionRecord) -> None:
        raise OSError("disk full")

    stream = LiveStream(lambda model: FakeEstimator(), saver=broken)
    stream.configure(LiveSettings(stretch))
    est = stream.estimator("full")
    est.pose = GOOD
    frame = np.zeros((720, 1280, 3), np.uint8)
    for i in range(40):
        out = stream.handle(frame, i / FPS, 0.0)
        assert out.shape == frame.shape
    assert "disk full" in (stream.history_error or "")
    assert stream.session is not None and stream.session.snapshot().frames == 40


def test_records_need_a_time_zone_and_a_known_source() -> None:
    stretch = load_stretch(STRETCH_ID)
    rec = LiveRecorder(stretch, 0, session_id="x", started_at=START, profile=None)
    with pytest.raises(ValueError, match="time zone"):
        LiveRecorder(stretch, 0, session_id="x", started_at=datetime(2026, 1, 1),
                     profile=None)
    from dataclasses import replace

    with pytest.raises(ValueError, match="source"):
        replace(rec.record(finished=False), source="webcam")
    assert rec.record(finished=False).started_at.tzinfo is not None
    assert START.astimezone(UTC).hour == 8
