"""The checking engine on synthetic poses: verdicts, cues, invariance, unknowns."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from synthetic import CORRECT, FAULTS, SidePose

from posecheck.engine import Status, StretchChecker
from posecheck.pose import LANDMARK_INDEX, Pose
from posecheck.recognize import recognize
from posecheck.reference import load_library
from posecheck.verdicts import Verdict, judge

LIBRARY = load_library()


def verdicts(stretch_id: str, pose: Pose | None) -> dict[str, Verdict]:
    result = StretchChecker(LIBRARY[stretch_id], smooth=False).update(pose, 0.0)
    return {r.check.id: r.verdict for r in result.checks}


def test_every_stretch_has_synthetic_poses() -> None:
    assert set(CORRECT) == set(LIBRARY)
    assert {f[0] for f in FAULTS} == set(LIBRARY)


@pytest.mark.parametrize("stretch_id", sorted(CORRECT))
def test_correct_pose_meets_every_required_check(stretch_id: str) -> None:
    result = StretchChecker(LIBRARY[stretch_id], smooth=False).update(CORRECT[stretch_id], 0.0)
    for r in result.checks:
        if r.check.required and not r.check.relative:
            assert r.verdict == Verdict.OK, (r.check.id, r.value)
    assert result.status == Status.GOOD


@pytest.mark.parametrize(("stretch_id", "what", "pose", "check_id", "expected"), FAULTS,
                         ids=[f"{f[0]}-{f[1]}" for f in FAULTS])
def test_typical_fault_is_caught(stretch_id: str, what: str, pose: Pose, check_id: str,
                                 expected: str) -> None:
    result = StretchChecker(LIBRARY[stretch_id], smooth=False).update(pose, 0.0)
    check = result.result(check_id)
    assert check.verdict.value == expected, (what, check.value)
    assert result.status != Status.GOOD
    assert result.cue  # there is always something to say


def test_press_up_hips_lifted_gives_the_hips_cue() -> None:
    pose = next(f[2] for f in FAULTS if f[0] == "prone_press_up")
    result = StretchChecker(LIBRARY["prone_press_up"], smooth=False).update(pose, 0.0)
    assert result.cue_check == "hips_down"
    assert result.cue == "Keep your hips on the floor and let your back sag"


def test_standing_extension_knees_bent_fails_the_knee_check() -> None:
    pose = next(f[2] for f in FAULTS if f[1] == "knees bent")
    result = StretchChecker(LIBRARY["standing_extension"], smooth=False).update(pose, 0.0)
    assert result.result("knees_straight").verdict == Verdict.TOO_LOW
    assert result.cue_check == "knees_straight"


ALL_CASES = [(s, p) for s, p in CORRECT.items()] + [(f[0], f[2]) for f in FAULTS]


@pytest.mark.parametrize(("stretch_id", "pose"), ALL_CASES)
def test_mirroring_does_not_change_verdicts(stretch_id: str, pose: Pose) -> None:
    assert verdicts(stretch_id, pose) == verdicts(stretch_id, pose.mirrored())


@pytest.mark.parametrize("factor", [0.37, 2.5])
@pytest.mark.parametrize(("stretch_id", "pose"), ALL_CASES)
def test_scaling_does_not_change_verdicts(stretch_id: str, pose: Pose, factor: float) -> None:
    assert verdicts(stretch_id, pose) == verdicts(stretch_id, pose.scaled(factor))


def test_measured_values_are_mirror_and_scale_invariant() -> None:
    pose = CORRECT["standing_extension"]
    base = StretchChecker(LIBRARY["standing_extension"], smooth=False).update(pose, 0.0)
    for other in (pose.mirrored(), pose.scaled(3.0)):
        r = StretchChecker(LIBRARY["standing_extension"], smooth=False).update(other, 0.0)
        for a, b in zip(base.checks, r.checks, strict=True):
            assert a.value == pytest.approx(b.value, abs=1e-6)


# ---------------------------------------------------------------- unknown


def hide(pose: Pose, *names: str) -> Pose:
    vis = pose.visibility.copy()
    for n in names:
        vis[LANDMARK_INDEX[n]] = 0.1
    return dataclasses.replace(pose, visibility=vis)


def test_hidden_joint_is_unknown_not_a_fault() -> None:
    pose = next(f[2] for f in FAULTS if f[1] == "knees bent")
    hidden = hide(pose, "left_knee", "right_knee")
    result = StretchChecker(LIBRARY["standing_extension"], smooth=False).update(hidden, 0.0)
    knee = result.result("knees_straight")
    assert knee.verdict == Verdict.UNKNOWN
    assert knee.value is None
    assert "left_knee" in knee.missing
    assert result.status == Status.NOT_VISIBLE
    assert "knee" in result.cue
    assert not result.progress.hold_s


def test_landmark_outside_the_image_is_unknown() -> None:
    pose = CORRECT["standing_extension"]
    xy = pose.xy_px.copy()
    xy[LANDMARK_INDEX["left_ankle"]] = (640, 900)  # below the bottom edge
    result = StretchChecker(LIBRARY["standing_extension"], smooth=False).update(
        dataclasses.replace(pose, xy_px=xy), 0.0)
    assert result.result("knees_straight").verdict == Verdict.UNKNOWN
    assert result.status == Status.NOT_VISIBLE


def test_nobody_in_frame() -> None:
    result = StretchChecker(LIBRARY["bridge"]).update(None, 0.0)
    assert result.status == Status.NO_PERSON
    assert result.checks == ()
    assert result.cue == "Step into the picture"


def test_front_view_person_doing_a_side_view_stretch_is_told_to_turn() -> None:
    from synthetic import FrontPose

    pose = FrontPose(left_arm_abduction=15, right_arm_abduction=15).build()
    result = StretchChecker(LIBRARY["standing_extension"], smooth=False).update(pose, 0.0)
    assert result.status == Status.WRONG_VIEW
    assert "side-on" in result.cue


# ---------------------------------------------------------------- hysteresis


def test_noisy_value_at_an_edge_does_not_flicker() -> None:
    check = LIBRARY["standing_extension"].check("knees_straight")  # min 160
    rng = np.random.default_rng(1)
    values = check.min + rng.uniform(-2.5, 2.5, 300)  # inside the 3-degree band
    verdict = None
    changes = 0
    for v in values:
        new = judge(check, float(v), verdict)
        changes += verdict is not None and new != verdict
        verdict = new
    assert changes == 0
    # A clear move past the band does change it.
    assert judge(check, check.min - 4, Verdict.OK) == Verdict.TOO_LOW
    assert judge(check, check.min + 4, Verdict.TOO_LOW) == Verdict.OK


def test_engine_verdict_steady_on_jittery_landmarks() -> None:
    stretch = LIBRARY["standing_extension"]
    base = SidePose(trunk=99.0, neck=105, hip=(640, 320))  # lean back right at the 10-degree edge
    checker = StretchChecker(stretch)
    rng = np.random.default_rng(7)
    seen = []
    for i in range(150):
        pose = base.build()
        noisy = dataclasses.replace(pose, xy_px=pose.xy_px + rng.normal(0, 1.5, pose.xy_px.shape))
        seen.append(checker.update(noisy, i / 30).result("lean_back").verdict)
    flips = sum(a != b for a, b in itertools.pairwise(seen))
    assert flips <= 1


# ---------------------------------------------------------------- recognition


@pytest.mark.parametrize("stretch_id", sorted(CORRECT))
def test_recognizes_every_stretch(stretch_id: str) -> None:
    pose = CORRECT[stretch_id]
    poses = [pose, None, pose.mirrored(), pose, pose.scaled(0.5)]
    result = recognize(poses, [0.0, 0.1, 0.2, 0.3, 0.4], LIBRARY)
    assert result.stretch_id == stretch_id, result.scores


def test_recognizes_nothing_for_a_pose_outside_the_library() -> None:
    standing = SidePose(hip=(640, 320)).build()  # just standing with arms down
    result = recognize([standing] * 5, [0.0, 0.1, 0.2, 0.3, 0.4], LIBRARY)
    assert result.stretch_id is None
    assert recognize([None, None], [0.0, 0.1], LIBRARY).stretch_id is None
