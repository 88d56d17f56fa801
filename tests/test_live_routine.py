"""Routine mode's live logic with a fake estimator and explicit timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from synthetic import CORRECT

from posecheck.live import LiveSettings, LiveStream
from posecheck.live_routine import RoutineSession, RoutineSummary
from posecheck.pose import Pose
from posecheck.reference import Dosage, load_library
from posecheck.routine_runner import RoutinePhase, Switch
from posecheck.routines import Routine, RoutineStep
from posecheck.session_record import SessionRecord

LIBRARY = load_library()
FPS = 10
SHORT = Dosage("hold", sets=1, hold_s=2.0, rest_s=0.0)
CHILD = "kneeling_lumbar_flexion"
BRIDGE = "bridge"


class FakeEstimator:
    def __init__(self) -> None:
        self.pose: Pose | None = None

    def estimate(self, frame_rgb: np.ndarray, timestamp_ms: int) -> Pose | None:
        return self.pose


def _routine(rest_s: float = 1.0) -> Routine:
    return Routine("test", "Test routine", "", (
        RoutineStep(CHILD, SHORT, None, rest_s),
        RoutineStep(BRIDGE, SHORT, None, rest_s),
        RoutineStep("prone_on_elbows", SHORT, None, rest_s),
    ))


def _feed(session: RoutineSession, pose: Pose | None, seconds: float, t0: float) -> float:
    est: FakeEstimator = session.estimator  # type: ignore[assignment]
    est.pose = pose
    frame = np.full((720, 1280, 3), 90, np.uint8)
    t = t0
    for _ in range(round(seconds * FPS)):
        out = session.process(frame, t)
        assert out.shape == frame.shape
        t += 1 / FPS
    return t


def _texts(session: RoutineSession) -> list[str]:
    return [u.text for u in session.snapshot().utterances]


def test_a_routine_moves_on_when_the_dosage_is_done_and_says_what_comes_next() -> None:
    session = RoutineSession(_routine(), LIBRARY, FakeEstimator())
    snap = session.snapshot()
    assert (snap.phase, snap.step_number, snap.steps_total) == (RoutinePhase.STRETCH, 1, 3)
    assert snap.next_name == LIBRARY[BRIDGE].name
    t = _feed(session, CORRECT[CHILD], 2.5, 0.0)
    snap = session.snapshot()
    assert snap.phase == RoutinePhase.REST and snap.step_number == 2
    assert snap.stretch_name == LIBRARY[BRIDGE].name and snap.step is None
    assert [s.state for s in snap.steps] == ["done", "rest_before", "later"]
    t = _feed(session, CORRECT[CHILD], 1.0, t)  # the rest (1 s) runs out
    snap = session.snapshot()
    assert snap.phase == RoutinePhase.STRETCH and snap.step_number == 2
    assert snap.step is not None and snap.step.stretch_name == LIBRARY[BRIDGE].name
    t = _feed(session, CORRECT[BRIDGE], 15.0, t)
    texts = _texts(session)
    child = LIBRARY[CHILD].name
    bridge = LIBRARY[BRIDGE].name
    assert texts[0] == f"First: {child}, 1 hold of 2 seconds."
    rest = (f"Stretch done. Rest for 1 second. Next: {bridge}. "
            "Camera at floor level, side-on, about 2.5 m away.")
    assert rest in texts
    assert f"Now: {bridge}, 1 hold of 2 seconds." in texts
    assert texts.index(rest) < texts.index(f"Now: {bridge}, 1 hold of 2 seconds.")
    seqs = [u.seq for u in session.snapshot().utterances]
    assert seqs == sorted(set(seqs))  # each said once, in order


def test_recognition_notices_the_person_is_still_in_the_previous_stretch() -> None:
    session = RoutineSession(_routine(rest_s=0.0), LIBRARY, FakeEstimator())
    t = _feed(session, CORRECT[CHILD], 3.0, 0.0)  # done, straight on to the bridge
    assert session.snapshot().step_number == 2
    t = _feed(session, CORRECT[CHILD], 12.0, t)  # still in child's pose
    snap = session.snapshot()
    assert snap.switch == Switch.STILL_PREVIOUS
    assert f"Time to change position: {LIBRARY[BRIDGE].name}." in _texts(session)
    _feed(session, CORRECT[BRIDGE], 2.0, t)
    assert session.snapshot().switch == Switch.CONFIRMED


def test_skip_from_the_page_moves_on_at_the_next_frame() -> None:
    session = RoutineSession(_routine(rest_s=20.0), LIBRARY, FakeEstimator())
    t = _feed(session, None, 1.0, 0.0)
    session.skip()
    t = _feed(session, None, 6.0, t)
    snap = session.snapshot()
    assert snap.phase == RoutinePhase.REST and snap.step_number == 2
    assert any(x.startswith("Skipped. Rest for 20 seconds.") for x in _texts(session))
    session.skip()  # skip the rest as well
    t = _feed(session, None, 0.5, t)
    snap = session.snapshot()
    assert snap.phase == RoutinePhase.STRETCH and snap.step_number == 2
    session.skip()
    t = _feed(session, None, 0.2, t)
    session.skip()
    t = _feed(session, None, 0.2, t)
    session.skip()
    _feed(session, None, 10.0, t)
    snap = session.snapshot()
    assert snap.phase == RoutinePhase.DONE
    assert [s.state for s in snap.steps] == ["skipped"] * 3
    assert "Routine done. Well done!" in _texts(session)
    summary = session.summary()
    assert isinstance(summary, RoutineSummary)
    assert summary.lines()[0] == "Test routine: 0 of 3 stretches done"


def test_the_stream_builds_a_routine_session_from_the_settings() -> None:
    stream = LiveStream(lambda model: FakeEstimator())
    stream.configure(LiveSettings(LIBRARY[CHILD], routine=_routine(),
                                  routine_stretches=LIBRARY))
    frame = np.zeros((720, 1280, 3), np.uint8)
    stream.handle(frame, 0.0, 0.0)
    assert isinstance(stream.session, RoutineSession)
    assert stream.session.snapshot().frames == 1


def test_each_step_of_a_live_routine_goes_into_the_history() -> None:
    """One record per step reached, under the routine's id, finished when the step ends."""
    saved: list[SessionRecord] = []
    stream = LiveStream(lambda model: FakeEstimator(), saver=saved.append,
                        wall_clock=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    stream.configure(LiveSettings(LIBRARY[CHILD], routine=_routine(), profile="jane",
                                  routine_stretches=LIBRARY))
    est = stream.estimator("full")
    frame = np.zeros((720, 1280, 3), np.uint8)
    t = 0.0

    def feed(pose: Pose | None, seconds: float) -> None:
        nonlocal t
        est.pose = pose
        for _ in range(round(seconds * FPS)):
            stream.handle(frame, t, 0.0)
            t += 1 / FPS

    feed(CORRECT[CHILD], 3.5)  # the hold of 2 s is done; the rest of 1 s starts
    child = [r for r in saved if r.stretch_id == CHILD]
    assert child and child[-1].finished and child[-1].complete  # kept as soon as it ended
    feed(CORRECT[BRIDGE], 4.0)  # the bridge is done too, and the third step begins
    feed(None, 1.0)
    finished = stream.finish_session()  # STOP during the third step, nobody in view
    assert [r.stretch_id for r in finished] == [CHILD, BRIDGE]
    assert all(r.finished and r.complete for r in finished)
    assert {r.routine for r in saved} == {"test"} and {r.profile for r in saved} == {"jane"}
    assert len({r.session_id for r in finished}) == 2
    assert saved[-1] is finished[-1]  # nothing saved after a step's finished record
    for r in finished:
        assert sum(x.session_id == r.session_id and x.finished for x in saved) == 1
    assert stream.finish_session() == finished  # STOP again saves nothing more


def test_the_routine_summary_labels_each_correction_under_its_stretch() -> None:
    from posecheck.live import FaultTally, SessionSummary

    step = SessionSummary(
        stretch_name="Prone on elbows", dosage="3 x 30 s hold", kind="hold", duration_s=40,
        good_s=12, holds_done=0, holds_target=3, hold_target_s=30, reps_done=0,
        reps_with_fault=0, reps_target=0, complete=False, frames=300,
        top_faults=(FaultTally("hips", "Hips down", "Let your hips rest on the floor", 2, 9),))
    summary = RoutineSummary("Extension", (("Prone on elbows", "stopped", step),
                                           ("Prone press-up", "not reached", None)))
    assert summary.lines() == [
        "Extension: 0 of 2 stretches done",
        "Prone on elbows: stopped - Holds completed: 0 of 3 (30 s each); 12 s in correct form",
        "  Correction: Let your hips rest on the floor (2x, 9 s in total)",
        "Prone press-up: not reached",
    ]
