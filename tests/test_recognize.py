"""Recognition and segmentation on synthetic pose sequences: pure logic, no model."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from synthetic import (
    BRIDGE,
    CHILDS_POSE,
    CORRECT,
    HOOKLYING,
    HOOKLYING_ROLLED,
    PRESS_UP,
    Limbs,
    SidePose,
)

from posecheck import posture
from posecheck.pose import LANDMARK_INDEX, Pose
from posecheck.recognize import SINGLE_FRAME_CONFIDENCE, recognize
from posecheck.reference import load_library
from posecheck.segmentation import Segment, segment

LIBRARY = load_library()
FPS = 5.0
STANDING_STILL = SidePose(hip=(640, 320))  # standing, arms down: not a library stretch
SITTING_LEGS_FORWARD = SidePose(
    trunk=88, neck=90, face=-10, hip=(640, 500),
    near=Limbs(thigh=0, shin=0, foot=90, upper_arm=270, forearm=270))


def timeline(*blocks: tuple[SidePose | Pose | None, float]) -> tuple[list[float], list]:
    """Poses held for the given seconds one after another, at 10 frames a second."""
    times: list[float] = []
    poses: list = []
    for pose, seconds in blocks:
        built = pose.build() if isinstance(pose, SidePose) else pose
        for _ in range(round(seconds * FPS)):
            times.append(len(times) / FPS)
            poses.append(built)
    return times, poses


def wobble(pose: SidePose, n: int, thigh_deg: float) -> list[Pose]:
    """``pose`` with the thigh swinging by ``thigh_deg`` back and forth (a small tilt)."""
    out = []
    for i in range(n):
        delta = thigh_deg * np.sin(2 * np.pi * i / 20)
        out.append(pose.with_near(thigh=pose.near.thigh + delta).build())
    return out


def reps(rest: SidePose, moved: SidePose, count: int, rest_s: float = 1.5,
         moved_s: float = 1.5) -> tuple[list[float], list]:
    return timeline(*[b for _ in range(count) for b in ((rest, rest_s), (moved, moved_s))])


# ---------------------------------------------------------------- posture


def test_posture_follows_the_body() -> None:
    assert {"lying_back", "lying_front", "kneeling"} <= posture.ruled_out(STANDING_STILL.build())
    assert "standing" not in posture.ruled_out(STANDING_STILL.build())
    hooklying = posture.ruled_out(HOOKLYING.build())
    assert {"standing", "sitting"} <= hooklying and "lying_back" not in hooklying
    assert "kneeling" not in posture.ruled_out(CHILDS_POSE.build())
    assert "lying_front" not in posture.ruled_out(PRESS_UP.build())


def test_sitting_with_the_legs_forward_is_not_face_down() -> None:
    # Trunk up, legs along the floor, like a press-up; but the face points along the legs.
    sitting = SITTING_LEGS_FORWARD.build()
    assert "lying_front" in posture.ruled_out(sitting)
    assert "sitting" not in posture.ruled_out(sitting)
    assert recognize([sitting], [0.0], LIBRARY).stretch_id != "prone_press_up"


def test_unseen_legs_rule_nothing_out_and_heights_stay_unknown() -> None:
    pose = STANDING_STILL.build()
    vis = pose.visibility.copy()
    for side in ("left", "right"):
        for part in ("hip", "knee", "ankle", "heel", "foot_index"):
            vis[LANDMARK_INDEX[f"{side}_{part}"]] = 0.0
    hidden = dataclasses.replace(pose, visibility=vis)
    assert not {"standing", "kneeling", "lying_front"} & posture.ruled_out(hidden)
    assert posture.part_heights(hidden) == {"hips": None, "knees": None}


def test_part_heights_in_torso_lengths() -> None:
    down, up = posture.part_heights(HOOKLYING.build()), posture.part_heights(BRIDGE.build())
    assert down["hips"] is not None and up["hips"] is not None
    assert abs(down["hips"]) < 0.15 and up["hips"] > 0.35
    rolled = posture.part_heights(HOOKLYING_ROLLED.build())
    assert down["knees"] - rolled["knees"] > 0.2


# ---------------------------------------------------------------- look-alikes over time


def test_bridge_repetitions_are_a_bridge_not_a_pelvic_tilt() -> None:
    # Half the time the hips rest on the floor, like a pelvic tilt; lifting them is the bridge.
    times, poses = reps(HOOKLYING, BRIDGE, 3)
    result = recognize(poses, times, LIBRARY)
    assert result.stretch_id == "bridge", result.reason
    assert result.scores["pelvic_tilt"] == 0.0  # the hips moved: a tilt keeps them down
    assert result.confidence > 0.5


def test_a_small_tilt_is_a_pelvic_tilt() -> None:
    poses = wobble(HOOKLYING, 80, 4.0)
    times = [i / FPS for i in range(len(poses))]
    result = recognize(poses, times, LIBRARY)
    assert result.stretch_id == "pelvic_tilt", result.reason
    assert result.scores["bridge"] == 0.0


def test_knees_rolling_to_the_side_are_the_hooklying_rotation() -> None:
    times, poses = reps(HOOKLYING, HOOKLYING_ROLLED, 3)
    result = recognize(poses, times, LIBRARY)
    assert result.stretch_id == "hooklying_rotation", result.reason
    assert result.scores["pelvic_tilt"] == 0.0  # the knees moved
    assert result.scores["trunk_rotation_leg_over"] < result.scores["hooklying_rotation"]


def test_the_two_rotations_are_told_apart() -> None:
    leg_over = CORRECT["trunk_rotation_leg_over"]
    times, poses = timeline((leg_over, 5.0))
    assert recognize(poses, times, LIBRARY).stretch_id == "trunk_rotation_leg_over"
    times, poses = timeline((HOOKLYING_ROLLED, 5.0))
    assert recognize(poses, times, LIBRARY).stretch_id == "hooklying_rotation"


def test_a_position_crossed_on_the_way_is_not_held() -> None:
    # A bridge flashed for a fifth of a second inside standing still is not a bridge.
    times, poses = timeline((STANDING_STILL, 3.0), (BRIDGE, 0.2), (STANDING_STILL, 3.0))
    result = recognize(poses, times, LIBRARY)
    assert result.stretch_id is None
    assert "never held" in result.reason or "well enough" in result.reason


def test_a_photo_leaves_movement_unknown_and_is_less_sure() -> None:
    # One frame of a hooklying: a pelvic tilt cannot be ruled out by movement it cannot show.
    result = recognize([HOOKLYING.build()], [0.0], LIBRARY)
    assert result.stretch_id == "pelvic_tilt"
    assert 0.0 < result.confidence <= SINGLE_FRAME_CONFIDENCE
    times, poses = timeline((HOOKLYING, 4.0))
    assert recognize(poses, times, LIBRARY).confidence > result.confidence


def test_none_for_a_pose_outside_the_library_and_for_nobody() -> None:
    times, poses = timeline((STANDING_STILL, 3.0))
    result = recognize(poses, times, LIBRARY)
    assert result.stretch_id is None and result.confidence == 0.0
    assert recognize([None, None], [0.0, 0.1], LIBRARY).stretch_id is None


# ---------------------------------------------------------------- segmentation


def test_a_routine_is_split_into_its_stretches() -> None:
    bridge_t, bridge_p = reps(HOOKLYING, BRIDGE, 3)  # 9 s
    times, poses = timeline((STANDING_STILL, 5.0), (CHILDS_POSE, 8.0), (None, 1.0))
    child_p = poses
    times = [*bridge_t, *[t + bridge_t[-1] + 0.1 for t in times]]
    poses = [*bridge_p, *child_p]
    segments = segment(times, poses, LIBRARY)
    named = [s for s in segments if s.stretch_id is not None]
    assert [s.stretch_id for s in named] == ["bridge", "kneeling_lumbar_flexion"], segments
    assert named[0].start_s == pytest.approx(0.0)
    assert named[0].end_s == pytest.approx(9.0, abs=2.0)
    assert named[1].start_s == pytest.approx(14.0, abs=2.0)
    assert named[1].end_s == pytest.approx(22.0, abs=1.5)
    assert all(0.0 < s.confidence <= 1.0 for s in named)
    # Standing still between them is no stretch; the segments cover the recording end to end.
    assert any(s.stretch_id is None and s.start_s < 11.5 < s.end_s for s in segments)
    assert segments[0].start_s == times[0] and segments[-1].end_s == times[-1]
    assert all(a.end_s == pytest.approx(b.start_s) for a, b in itertools.pairwise(segments))


def test_a_moment_of_doubt_does_not_split_a_stretch() -> None:
    times, poses = timeline((CHILDS_POSE, 6.0), (STANDING_STILL, 0.5), (CHILDS_POSE, 6.0))
    segments = segment(times, poses, LIBRARY)
    assert [s.stretch_id for s in segments] == ["kneeling_lumbar_flexion"], segments


def test_segment_edge_cases() -> None:
    assert segment([], [], LIBRARY) == []
    assert segment([0.0, 1.0], [None, None], LIBRARY) == [Segment(None, 0.0, 1.0, 0.0)]
    photo = segment([0.0], [CORRECT["prone_on_elbows"]], LIBRARY)
    assert [s.stretch_id for s in photo] == ["prone_on_elbows"]
    with pytest.raises(ValueError, match="timestamps"):
        segment([0.0, 1.0], [None], LIBRARY)
