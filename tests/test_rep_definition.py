"""A repetition counts only when the movement that defines it happened.

Synthetic pose streams through the real engine and analysis: the pelvic
tilt's reps need the tilt (and the tilt at rest is not a fault), a press-up
lifted on the forearms is no press-up, one knee is no double knee-to-chest.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic import DOUBLE_KNEE, HOOKLYING, PRESS_UP, PRONE, SUPINE, Limbs, SidePose
from test_analysis import Seq

from posecheck import summarize
from posecheck.engine import StretchChecker
from posecheck.errors import ReferenceFileError
from posecheck.pose import Pose
from posecheck.reference import load_library, parse_stretch
from posecheck.summary import Summary
from posecheck.verdicts import CheckResult, Verdict

LIBRARY = load_library()
FPS = 15.0


def _stream(plan: list[tuple[Pose, float]]) -> Seq:
    t, poses = [], []
    now = 0.0
    for pose, seconds in plan:
        for _ in range(round(seconds * FPS)):
            t.append(now)
            poses.append(pose)
            now += 1 / FPS
    return Seq(np.array(t), poses)


def _reps_dosage(stretch_id: str) -> int:
    return next(i for i, d in enumerate(LIBRARY[stretch_id].dosages) if d.kind == "reps")


def _run(stretch_id: str, plan: list[tuple[Pose, float]]) -> Summary:
    stretch = LIBRARY[stretch_id]
    return summarize.analyze_sequence(_stream(plan), stretch,
                                     dosage_index=_reps_dosage(stretch_id)).summary


# The hip angle (shoulder-hip-knee) opens by 4° when the pelvis tilts back.
REST = HOOKLYING.build()
TILTED = HOOKLYING.with_near(thigh=134).build()


def test_pelvic_tilts_count_and_the_untilted_rest_is_no_fault() -> None:
    s = _run("pelvic_tilt", [(REST, 3.0)] + [(TILTED, 1.0), (REST, 1.5)] * 3)
    assert (s.reps_good, s.reps_with_fault) == (3, 0)
    # Between tilts the pelvis is untilted: the start of the next one, not a form break.
    assert not [f for f in s.faults if f.check_id == "tilt"]


def test_lying_still_counts_no_pelvic_tilt() -> None:
    rng = np.random.default_rng(7)
    still = [(replace(REST, xy_px=REST.xy_px + rng.normal(0, 0.8, REST.xy_px.shape)), 1 / FPS)
             for _ in range(int(20 * FPS))]
    s = _run("pelvic_tilt", still)
    assert s.reps_total == 0


SPHINX = replace(PRONE, trunk=25, neck=40).build()  # chest up on the forearms
FLAT = replace(PRONE, trunk=3, neck=10).build()


def test_a_chest_lift_on_the_forearms_is_no_press_up() -> None:
    s = _run("prone_press_up", [(FLAT, 1.0)] + [(SPHINX, 1.0), (FLAT, 1.0)] * 3)
    assert s.reps_total == 0  # before, each counted as a press-up "with a fault"


def test_press_ups_on_the_hands_count() -> None:
    s = _run("prone_press_up", [(FLAT, 1.0)] + [(PRESS_UP.build(), 1.0), (FLAT, 1.0)] * 3)
    assert s.reps_good == 3


ONE_KNEE = SidePose(**SUPINE, near=DOUBLE_KNEE.near,
                    far=Limbs(thigh=180, shin=180, foot=90, upper_arm=180, forearm=180)).build()


def test_one_knee_is_no_double_knee_to_chest() -> None:
    s = _run("double_knee_to_chest", [(REST, 1.0)] + [(ONE_KNEE, 1.0), (REST, 1.5)] * 3)
    assert s.reps_total == 0


def test_both_knees_count_as_double_knee_to_chest() -> None:
    s = _run("double_knee_to_chest",
             [(REST, 1.0)] + [(DOUBLE_KNEE.build(), 1.0), (REST, 1.5)] * 3)
    assert s.reps_good == 3


REP_STRETCHES = sorted(s.id for s in LIBRARY.values() if s.reps is not None)


@pytest.mark.parametrize("stretch_id", REP_STRETCHES)
def test_every_defining_check_is_needed_for_a_repetition(stretch_id: str) -> None:
    """For every stretch with repetitions: all defining checks met, the rep is under way;
    any one of them short or unseen, it is not."""
    stretch = LIBRARY[stretch_id]
    assert stretch.reps is not None

    def phase(failing: str | None, verdict: Verdict) -> str | None:
        checker = StretchChecker(stretch, dosage_index=_reps_dosage(stretch_id)
                                 if any(d.kind == "reps" for d in stretch.dosages) else 0)
        results = []
        for c in stretch.checks:
            v = verdict if c.id == failing else Verdict.OK
            value = None if v == Verdict.UNKNOWN else (c.min if c.min is not None else c.max)
            results.append(CheckResult(c, value, v, (), ()))
        return checker._update_rep_phase(tuple(results))

    assert phase(None, Verdict.OK) == "stretch"
    for check_id in stretch.reps.defining:
        assert phase(check_id, Verdict.TOO_LOW) != "stretch", check_id
        assert phase(check_id, Verdict.UNKNOWN) != "stretch", check_id


def test_every_rep_check_defines_its_repetition() -> None:
    for stretch_id in REP_STRETCHES:
        reps = LIBRARY[stretch_id].reps
        assert reps is not None and reps.defining[0] == reps.check


def test_an_unknown_defining_check_is_refused_with_its_field() -> None:
    data = dict(_minimal(), reps={"check": "lean", "return_at": 5, "defined_by": ["kne"]})
    with pytest.raises(ReferenceFileError) as exc:
        parse_stretch(data, "x.toml")
    assert "reps.defined_by[0]" in str(exc.value) and "did you mean 'knee'" in str(exc.value)


def _minimal() -> dict:
    return {
        "id": "x", "name": "X", "summary": "s", "view": "side", "setup": "s",
        "visible": ["hip"], "instructions": ["i"], "safety": ["s"],
        "dosage": [{"kind": "reps", "reps": 5}],
        "phases": {"start": "a", "stretch": "b"},
        "checks": [
            {"id": "lean", "label": "Lean", "role": "position", "measure": "lean",
             "points": ["hip", "shoulder"], "min": 10, "cue_low": "Lean", "priority": 1},
            {"id": "knee", "label": "Knee", "measure": "angle",
             "points": ["hip", "knee", "ankle"], "min": 150, "cue_low": "Straighten",
             "priority": 2},
        ],
    }
