"""LiveSession and LiveStream with a fake estimator and explicit timestamps."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest
from synthetic import CORRECT, FAULTS

from posecheck.engine import Status
from posecheck.live import LiveSession, LiveSettings, LiveStream, StreamClock
from posecheck.pose import Pose
from posecheck.reference import load_stretch

STRETCH_ID = "kneeling_lumbar_flexion"
GOOD = CORRECT[STRETCH_ID]
BAD = next(f[2] for f in FAULTS if f[0] == STRETCH_ID)
BAD_CHECK = next(f[3] for f in FAULTS if f[0] == STRETCH_ID)
FPS = 10
STEP_S = 1 / FPS


class FakeEstimator:
    """Hands out prepared poses in order (the last one repeats); records timestamps."""

    def __init__(self, poses: list[Pose | None]) -> None:
        self.poses = list(poses)
        self.timestamps_ms: list[int] = []
        self.sizes: list[tuple[int, int]] = []

    def estimate(self, frame_rgb: np.ndarray, timestamp_ms: int) -> Pose | None:
        self.timestamps_ms.append(timestamp_ms)
        self.sizes.append((frame_rgb.shape[1], frame_rgb.shape[0]))
        return self.poses.pop(0) if len(self.poses) > 1 else self.poses[0]


def _frame(pose: Pose = GOOD) -> np.ndarray:
    w, h = pose.image_size
    return np.full((h, w, 3), 100, np.uint8)


def _feed(session: LiveSession, poses_s: list[tuple[Pose | None, float]], t0_s: float = 0.0
          ) -> float:
    """Feed each pose for the given seconds at FPS; returns the next timestamp."""
    est: FakeEstimator = session.estimator  # type: ignore[assignment]
    t = t0_s
    for pose, seconds in poses_s:
        for _ in range(round(seconds * FPS)):
            est.poses = [pose]
            session.process(_frame(), t)
            t += STEP_S
    return t


def _session(**kwargs) -> LiveSession:
    return LiveSession(load_stretch(STRETCH_ID), FakeEstimator([None]), **kwargs)


def test_hold_runs_while_correct_and_pauses_on_a_fault() -> None:
    s = _session()
    t = _feed(s, [(GOOD, 5.0)])
    snap = s.snapshot()
    assert snap.status == Status.GOOD and snap.person_seen
    held = s.latest.progress.hold_s
    assert 4.0 < held <= 5.0
    t = _feed(s, [(BAD, 2.0)], t)
    assert s.snapshot().status != Status.GOOD
    assert s.latest.progress.hold_s <= held + STEP_S  # paused, not running
    _feed(s, [(GOOD, 2.0)], t)
    assert s.latest.progress.hold_s > held + 1.0  # runs again


def test_a_full_hold_is_counted_and_summarised() -> None:
    stretch = load_stretch(STRETCH_ID)
    hold_s = stretch.dosages[0].hold_s
    s = _session()
    t = _feed(s, [(None, 1.0), (GOOD, 3.0), (BAD, 3.0)])
    _feed(s, [(GOOD, hold_s + 2.0)], t)
    summary = s.summary()
    assert summary.holds_done == 1
    assert summary.holds_target == stretch.dosages[0].sets
    assert summary.good_s > hold_s
    assert summary.duration_s == pytest.approx(1.0 + 3.0 + 3.0 + hold_s + 2.0 - STEP_S, abs=0.2)
    assert summary.top_faults and summary.top_faults[0].check_id == BAD_CHECK
    assert summary.top_faults[0].times == 1
    assert summary.top_faults[0].seconds == pytest.approx(3.0, abs=0.3)
    text = "\n".join(summary.lines())
    assert "Holds completed: 1 of 3" in text
    assert summary.top_faults[0].cue in text


def test_snapshot_before_any_frame_and_check_lines() -> None:
    s = _session()
    first = s.snapshot()
    assert first.status is None and first.frames == 0 and not first.person_seen
    _feed(s, [(GOOD, 1.0)])
    snap = s.snapshot()
    assert snap.frames == FPS
    assert snap.timer.endswith("/ 30 s") and snap.set_label == "Set 1 of 3"
    assert any(line.value.endswith("°") for line in snap.checks)
    assert snap.fps == pytest.approx(FPS, rel=0.05)


def test_unknown_is_not_tallied_as_a_fault() -> None:
    s = _session()
    _feed(s, [(None, 2.0)])
    summary = s.summary()
    assert summary.top_faults == ()
    assert summary.good_s == 0.0
    assert "No corrections were needed." in summary.lines()


def test_timestamps_to_the_model_strictly_increase() -> None:
    s = _session()
    for t in (0.0, 0.0004, 0.1, 0.1, 0.05):
        s.process(_frame(), t)
    ms = s.estimator.timestamps_ms  # type: ignore[attr-defined]
    assert all(b > a for a, b in itertools.pairwise(ms))


def test_large_frames_are_shrunk_for_the_model_and_the_pose_mapped_back() -> None:
    small_pose = GOOD.scaled(0.3)
    est = FakeEstimator([small_pose])
    s = LiveSession(load_stretch(STRETCH_ID), est, max_side_px=384)
    s.process(_frame(), 0.0)
    assert max(est.sizes[0]) == 384
    assert s.latest.pose is not None
    assert s.latest.pose.image_size == GOOD.image_size


def test_stream_clock_restarts_and_missing_times() -> None:
    clock = StreamClock()
    times = [clock.to_session_s(t, fallback_s=0.0) for t in (0.0, 0.1, 0.2)]
    restarted = clock.to_session_s(0.0, fallback_s=0.0)  # the stream started again
    later = clock.to_session_s(0.1, fallback_s=0.0)
    none = clock.to_session_s(None, fallback_s=5.0)
    seq = [*times, restarted, later, none]
    assert all(b > a for a, b in itertools.pairwise(seq))
    assert later - restarted == pytest.approx(0.1)


def test_thread_safety_smoke() -> None:
    """A callback thread processing frames while the page thread reads state."""
    s = _session()
    errors: list[BaseException] = []
    stop = threading.Event()

    def worker() -> None:
        try:
            t = 0.0
            for i in range(300):
                s.estimator.poses = [GOOD if (i // 20) % 2 == 0 else BAD]  # type: ignore[attr-defined]
                s.process(_frame(), t)
                t += STEP_S
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()

    def reader() -> None:
        try:
            while not stop.is_set():
                snap = s.snapshot()
                assert snap.frames >= 0
                s.summary()
                time.sleep(0.001)  # a page polls; it does not spin
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker), threading.Thread(target=reader)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert not errors, errors
    assert s.snapshot().frames == 300
    assert s.summary().top_faults


def test_live_stream_reuses_one_estimator_and_swaps_sessions() -> None:
    made: list[str] = []

    def factory(model: str) -> FakeEstimator:
        made.append(model)
        return FakeEstimator([GOOD])

    stream = LiveStream(factory)
    stretch = load_stretch(STRETCH_ID)
    assert stream.configure(LiveSettings(stretch))
    stream.handle(_frame(), 0.0, 0.0)
    first = stream.session
    assert first is not None and first.snapshot().frames == 1
    assert not stream.configure(LiveSettings(stretch))  # same choice: same session
    stream.handle(_frame(), 0.1, 0.0)
    assert stream.session is first
    assert stream.configure(LiveSettings(load_stretch("bridge")))
    stream.handle(_frame(), 0.0, 0.0)  # a new stream starting at 0 s again
    assert stream.session is not first and stream.session.stretch.id == "bridge"
    stream.restart()
    stream.handle(_frame(), 0.1, 0.0)
    assert stream.session.snapshot().frames == 1
    assert made == ["full"]  # one landmarker for the whole browser session
    ms = stream.estimator("full").timestamps_ms
    assert all(b > a for a, b in itertools.pairwise(ms))


def test_live_stream_survives_a_failing_estimator() -> None:
    def broken(model: str):
        raise RuntimeError("no model here")

    stream = LiveStream(broken)
    stream.configure(LiveSettings(load_stretch(STRETCH_ID)))
    frame = _frame()
    assert stream.handle(frame, 0.0, 0.0) is frame
    assert "no model here" in (stream.error or "")


def test_a_frame_arriving_as_the_server_exits_is_not_an_error(caplog) -> None:
    class Stopping(FakeEstimator):
        def estimate(self, frame_rgb: np.ndarray, timestamp_ms: int) -> Pose | None:
            raise RuntimeError("cannot schedule new futures after shutdown")

    stream = LiveStream(lambda model: Stopping([GOOD]))
    stream.configure(LiveSettings(load_stretch(STRETCH_ID)))
    frame = _frame()
    with caplog.at_level("INFO", logger="posecheck.live"):
        assert stream.handle(frame, 0.0, 0.0) is frame
    assert stream.session is not None and stream.session.snapshot().error is None
    assert [r.getMessage() for r in caplog.records] == ["frame not checked: the server is stopping"]
    assert all(r.exc_info is None for r in caplog.records)


def test_a_tip_reads_as_a_tip_while_the_form_counts() -> None:
    from synthetic import PRESS_UP

    # Elbows bent: the press-up counts, with a tip to straighten the arms if it feels fine.
    bent = PRESS_UP.with_near(upper_arm=300, forearm=250).build()
    session = LiveSession(load_stretch("prone_press_up"), FakeEstimator([bent]))
    _feed(session, [(bent, 2.0)])
    snap = session.snapshot()
    assert snap.status == Status.GOOD
    assert snap.cue.startswith("Good form. Tip: ")
    tips = [c for c in snap.checks if c.is_tip]
    assert [c.label for c in tips] == ["Arms straight"]
    assert not [c for c in snap.checks if c.verdict.is_fault and not c.is_tip]
    assert snap.good_s > 1.0
    # The summary keeps the tip, apart from the corrections.
    summary = session.summary()
    assert summary.top_faults == ()
    assert [t.label for t in summary.top_tips] == ["Arms straight"]
    assert summary.top_tips[0].seconds == pytest.approx(2.0, abs=0.3)
    lines = summary.lines()
    assert "No corrections were needed." in lines
    tips_at = lines.index("Tips shown (advice only; the form still counted):")
    assert lines[tips_at + 1].startswith(f"  {summary.top_tips[0].cue} (")


def test_rest_and_tips_are_not_listed_as_corrections() -> None:
    s = _session()
    # A whole 30 s hold, then a faulty pose during the rest that follows.
    t = _feed(s, [(GOOD, 31.0)])
    _feed(s, [(BAD, 3.0)], t)
    assert s.latest is not None and s.latest.status == Status.REST
    cues = [f.cue for f in s.summary().top_faults]
    assert not [c for c in cues if c.startswith("Rest for")], cues


def test_the_speed_footer_gives_advice_only_when_the_check_is_slow() -> None:
    from posecheck.ui.live_view import speed_words

    assert speed_words(14.2) == "14 frames/s checked."
    slow = speed_words(6.0)
    assert slow.startswith("6 frames/s checked: this computer is slow")
    assert "faster model" in slow and "lower camera resolution" in slow
    assert "ms" not in slow


def test_camera_checks_get_a_line_of_their_own_apart_from_the_form() -> None:
    from posecheck.live import CheckLine
    from posecheck.ui.live_view import camera_words
    from posecheck.verdicts import Verdict

    seen = CheckLine("Thighs seen at full length", "98%", Verdict.OK, "view",
                     aim="Thighs look at least about as long as your trunk")
    short = CheckLine("Shins seen at full length", "40%", Verdict.TOO_LOW, "view",
                      aim="Shins look at least about as long as your trunk")
    unknown = CheckLine("Shins seen at full length", "?", Verdict.UNKNOWN, "view")
    assert camera_words([]) == ""
    assert camera_words([seen]) == "Camera: the whole body is seen well enough to judge."
    assert camera_words([seen, short]) == (
        "Camera: Shins seen at full length: needs Shins look at least about as long as "
        "your trunk")
    # Unknown is never "good".
    assert camera_words([seen, unknown]) == "Camera: Shins seen at full length not seen yet."


def test_each_stream_worker_checks_at_a_lower_priority():
    """Every worker thread that runs the frame callback is lowered on its first frame,
    a later worker too (so a restarted stream does not check at full priority)."""
    import os

    import av

    from posecheck.ui.live_view import CHECKING_NICE, make_video_callback

    class EchoStream:
        def handle(self, image, frame_time, now_s):
            return image

    callback = make_video_callback(EchoStream())
    frame = av.VideoFrame.from_ndarray(np.zeros((8, 8, 3), np.uint8), format="rgb24")
    seen: list[tuple[int, int]] = []

    def worker():
        before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        callback(frame)
        callback(frame)
        seen.append((before, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))

    # One stream after the other, each with a fresh worker; the system reuses the
    # ids of ended threads (here the third often gets the first one's).
    for _ in range(3):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert len(seen) == 3
    for before, after in seen:
        assert after == min(19, max(before, CHECKING_NICE))
