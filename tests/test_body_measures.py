"""Measures that follow the body and the floor, on synthetic poses."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from synthetic import BIRD_DOG, DOUBLE_KNEE, PRESS_UP, STANDING_EXT, Limbs

from posecheck import measures
from posecheck.engine import Status, StretchChecker
from posecheck.pose import LANDMARK_INDEX, Pose
from posecheck.reference import Measure, load_library
from posecheck.verdicts import Verdict

LIBRARY = load_library()


def judge(stretch_id: str, pose: Pose):
    return StretchChecker(LIBRARY[stretch_id], smooth=False).update(pose, 0.0)


def hide(pose: Pose, *names: str) -> Pose:
    vis = pose.visibility.copy()
    for n in names:
        vis[LANDMARK_INDEX[n]] = 0.05
    return Pose(pose.xy_px, vis, pose.image_size, pose.world_m)


def test_the_floor_is_marked_by_the_lowest_visible_part_of_the_foot() -> None:
    # Toes tucked (a plank): the toes touch the floor, the ankle is above them.
    pose = PRESS_UP.with_near(foot=270).build()
    m = Measure("height", ("hip", "wrist", "ankle|heel|foot_index"))
    ctx = measures.SideContext("left")
    chosen = measures.compute(pose, m, ctx, 0.5).landmarks
    assert chosen[-1] == "left_foot_index"
    # With the toes hidden the ankle stands in.
    hidden = hide(pose, "left_foot_index", "left_heel")
    assert measures.compute(hidden, m, ctx, 0.5).landmarks[-1] == "left_ankle"


def test_press_up_range_is_a_tip_but_resting_on_the_forearms_is_not_a_press_up() -> None:
    bent = PRESS_UP.with_near(upper_arm=300, forearm=250).build()  # elbows bent, hands down
    result = judge("prone_press_up", bent)
    assert result.result("arms_straight").verdict == Verdict.TOO_LOW
    assert result.status == Status.GOOD, result.cue  # counts, with a tip to go further
    assert "If it feels fine" in result.cue
    # Straight arms are no sphinx: the forearms are off the floor.
    assert judge("prone_on_elbows", PRESS_UP.build()).status == Status.GET_IN_POSITION


def test_a_deep_backbend_with_the_head_thrown_back_keeps_its_lean_sign() -> None:
    deep = replace(STANDING_EXT, trunk=125, neck=150, face=150,
                   near=Limbs(thigh=280, shin=262, upper_arm=150, forearm=150))
    pose = deep.build()
    assert measures.facing_direction_x(pose, "left") == 1.0
    result = judge("standing_extension", pose)
    assert result.result("lean_back").value > 25
    assert result.status == Status.GOOD, result.cue


def test_three_quarter_view_asks_to_turn_side_on() -> None:
    pose = PRESS_UP.build()
    xy = pose.xy_px.copy()
    for part in ("shoulder", "hip", "elbow", "wrist", "knee", "ankle", "heel", "foot_index"):
        xy[LANDMARK_INDEX[f"right_{part}"], 1] += 100  # far side well apart: seen 3/4 on
    result = judge("prone_press_up", Pose(xy, pose.visibility, pose.image_size))
    assert result.status == Status.WRONG_VIEW
    assert result.cue == "Turn side-on to the camera"


def test_bird_dog_needs_the_reaching_arm_seen() -> None:
    pose = BIRD_DOG.build()
    assert judge("bird_dog", pose).status == Status.GOOD
    # The reaching arm is the far one here: hidden, it is unknown, never good form.
    hidden = hide(pose, "right_elbow", "right_wrist", "right_shoulder")
    result = judge("bird_dog", hidden)
    assert result.status == Status.NOT_VISIBLE
    assert result.result("arm_forward").verdict == Verdict.UNKNOWN
    # Reaching arm down on the floor: a donkey kick, not a bird dog.
    kick = BIRD_DOG.with_far(upper_arm=270, forearm=270).build()
    assert judge("bird_dog", kick).status == Status.GET_IN_POSITION


def test_hugged_knees_hide_each_other_but_one_knee_is_not_both() -> None:
    both = DOUBLE_KNEE.build()
    hidden = hide(both, "right_knee", "right_ankle", "right_hip")
    assert judge("double_knee_to_chest", hidden).status == Status.GOOD
    one = replace(DOUBLE_KNEE, far=Limbs(thigh=180, shin=180, foot=90,
                                          upper_arm=30, forearm=300)).build()
    result = judge("double_knee_to_chest", one)
    assert result.result("both_knees").verdict == Verdict.TOO_HIGH
    # The far knee hidden somewhere other than behind the near one stays unknown.
    apart = hide(one, "right_knee")
    assert judge("double_knee_to_chest", apart).status == Status.NOT_VISIBLE
    assert "other knee" in judge("double_knee_to_chest", apart).cue
    assert np.isfinite(apart.xy_px).all()


def test_happy_baby_is_not_a_knee_hug() -> None:
    # Knees by the armpits, shins vertical, feet up.
    baby = replace(DOUBLE_KNEE, near=Limbs(thigh=60, shin=90, foot=0, upper_arm=60,
                                           forearm=60)).build()
    result = judge("double_knee_to_chest", baby)
    assert result.result("knees_folded").verdict == Verdict.TOO_HIGH
    assert result.status == Status.GET_IN_POSITION



def test_a_leg_folded_to_a_stub_in_the_picture_asks_for_a_better_view() -> None:
    # The thigh points at the camera (or the model folded it): its picture is
    # a fifth of its length, and nothing about the hips can be judged.
    pose = PRESS_UP.build()
    xy = pose.xy_px.copy()
    hip = xy[LANDMARK_INDEX["left_hip"]]
    for part in ("knee", "ankle", "heel", "foot_index"):
        xy[LANDMARK_INDEX[f"left_{part}"]] = hip + (xy[LANDMARK_INDEX[f"left_{part}"]] - hip) * 0.2
    result = judge("prone_press_up", Pose(xy, pose.visibility, pose.image_size))
    assert result.status == Status.WRONG_VIEW
    assert result.cue_check == "thighs_in_view"
    assert "side-on" in result.cue
