"""Hold timer, grace period, sets and rest, repetitions and sides, with explicit time."""

from __future__ import annotations

import numpy as np
from synthetic import CORRECT, FAULTS

from posecheck.engine import Status, StretchChecker
from posecheck.progress import FormState, ProgressTracker
from posecheck.reference import Dosage, load_library

G, F, OUT, U = FormState.GOOD, FormState.FAULT, FormState.OUT, FormState.UNKNOWN
LIBRARY = load_library()


def run(tracker: ProgressTracker, plan: list[tuple[float, FormState]], fps: float = 10.0,
        t0: float = 0.0) -> float:
    """Feed (duration_s, state) segments at ``fps``; returns the end time."""
    t = t0
    for duration, state in plan:
        for _ in range(round(duration * fps)):
            tracker.update(t, state)
            t += 1 / fps
    return t


def test_hold_runs_only_while_form_is_right() -> None:
    tracker = ProgressTracker(Dosage("hold", sets=3, hold_s=30, rest_s=10))
    run(tracker, [(5, G), (4, F), (5, G)])
    snap = tracker.snapshot(14.0)
    assert 9.5 <= snap.hold_s <= 10.1  # the 4 s of fault did not count


def test_grace_period_bridges_dropped_frames_only() -> None:
    tracker = ProgressTracker(Dosage("hold", sets=1, hold_s=30), grace_s=1.0)
    run(tracker, [(5, G), (0.5, U), (5, G)])
    assert 10.3 <= tracker.snapshot(10.5).hold_s <= 10.6  # a short dropout counts
    tracker2 = ProgressTracker(Dosage("hold", sets=1, hold_s=30), grace_s=1.0)
    run(tracker2, [(5, G), (3, U), (5, G)])
    assert 10.7 <= tracker2.snapshot(13).hold_s <= 11.1  # only the first second of it


def test_long_break_resets_a_partial_hold() -> None:
    tracker = ProgressTracker(Dosage("hold", sets=1, hold_s=30), reset_after_s=3.0)
    run(tracker, [(10, G), (4, OUT)])
    assert tracker.snapshot(14).hold_s == 0.0


def test_sets_with_rest_between() -> None:
    tracker = ProgressTracker(Dosage("hold", sets=2, hold_s=5, rest_s=10))
    t = run(tracker, [(5.2, G)])
    snap = tracker.snapshot(t)
    assert snap.sets_done[""] == 1 and snap.rest_left_s > 9
    t = run(tracker, [(5, G)], t0=t)  # holding during rest does not count
    assert tracker.snapshot(t).hold_s == 0.0
    t = run(tracker, [(5.5, G), (5.5, G)], t0=t)
    snap = tracker.snapshot(t)
    assert snap.complete and len(snap.holds) == 2
    assert all(abs(d - 5.0) < 0.2 for _, _, d in snap.holds)


def test_reps_with_jitter_count_once() -> None:
    tracker = ProgressTracker(Dosage("reps", sets=1, reps=10))
    t = 0.0
    rng = np.random.default_rng(3)
    # Three real reps; between them, wobble inside the dead band (phase None).
    for _ in range(3):
        for phase in ["start"] * 5 + [None] * 8 + ["stretch"] * 5 + [None] * 8:
            # Inside the dead band the engine reports no phase; the form may flicker.
            form = G if phase is not None or rng.random() < 0.7 else FormState.FAULT
            tracker.update(t, form, rep_phase=phase)
            t += 0.1
    tracker.update(t, G, rep_phase="start")
    assert tracker.snapshot(t).reps == 3


def test_rep_with_bad_form_is_not_counted_as_good() -> None:
    tracker = ProgressTracker(Dosage("reps", sets=1, reps=10))
    for i, (phase, form) in enumerate([("start", G), ("stretch", F), ("stretch", F), ("start", G),
                                       ("stretch", G), ("start", G)]):
        tracker.update(i * 0.5, form, rep_phase=phase)
    snap = tracker.snapshot(3.0)
    assert snap.reps == 1 and snap.reps_with_fault == 1 and snap.reps_total == 2


def test_sides_alternate_for_bird_dog() -> None:
    tracker = ProgressTracker(Dosage("hold", sets=2, hold_s=5, rest_s=1, per_side=True,
                                     alternate=True), sides=("left", "right"))
    t = 0.0
    sides_done = []
    for side in ("right", "left", "right", "left"):
        for _ in range(80):
            tracker.update(t, G, side=side)
            sides_done.extend(e for e in tracker.events if e.startswith("set_done"))
            t += 0.1
    assert sides_done == ["set_done:right", "set_done:left", "set_done:right", "set_done:left"]
    assert tracker.snapshot(t).complete


def test_engine_runs_the_hold_timer_on_a_stream() -> None:
    """End to end: correct pose for 12 s, a fault for 3 s, correct again."""
    stretch = LIBRARY["kneeling_lumbar_flexion"]
    good = CORRECT["kneeling_lumbar_flexion"]
    bad = next(f[2] for f in FAULTS if f[0] == "kneeling_lumbar_flexion")
    checker = StretchChecker(stretch)
    t, statuses = 0.0, []
    for pose, seconds in ((good, 12), (bad, 3), (good, 20)):
        for _ in range(seconds * 15):
            result = checker.update(pose, t)
            statuses.append(result.status)
            t += 1 / 15
    holds = result.progress.holds
    assert len(holds) == 1 and abs(holds[0][2] - 30) < 0.2
    assert Status.GET_IN_POSITION in statuses and Status.REST in statuses
