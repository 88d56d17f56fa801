"""Synthetic poses built from segment directions, for testing the engine.

Directions are in degrees in the image, counter-clockwise from image-right:
0 = toward the person's front (they face image-right), 90 = up, 180 = behind,
270 = down. The near (left) side is fully visible, the far side a little less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from posecheck.pose import LANDMARK_INDEX, NUM_LANDMARKS, Pose

LENGTH_PX = {
    "torso": 200,
    "neck": 55,
    "thigh": 175,
    "shin": 165,
    "upper_arm": 120,
    "forearm": 110,
    "foot": 45,
    "head": 22,
}
SIZE = (1280, 720)


def _step(origin: np.ndarray, direction_deg: float, length: float) -> np.ndarray:
    a = math.radians(direction_deg)
    return origin + length * np.array([math.cos(a), -math.sin(a)])


@dataclass(frozen=True)
class Limbs:
    """Segment directions of one side."""

    thigh: float = 270
    shin: float = 270
    foot: float = 0
    upper_arm: float = 270
    forearm: float = 270


@dataclass(frozen=True)
class SidePose:
    """A person seen side-on, facing image-right."""

    trunk: float = 90  # hip -> shoulder
    neck: float | None = None  # shoulder -> ear (defaults to the trunk)
    face: float = 0  # ear -> nose
    near: Limbs = Limbs()
    far: Limbs | None = None  # defaults to the near side
    hip: tuple[float, float] = (640, 420)
    far_visibility: float = 0.8

    def build(self) -> Pose:
        xy = np.zeros((NUM_LANDMARKS, 2))
        vis = np.full(NUM_LANDMARKS, 0.98)
        hip = np.array(self.hip, dtype=float)
        shoulder = _step(hip, self.trunk, LENGTH_PX["torso"])
        ear = _step(shoulder, self.trunk if self.neck is None else self.neck, LENGTH_PX["neck"])
        nose = _step(ear, self.face, LENGTH_PX["head"])
        for side, limbs, offset, v in (
            ("left", self.near, np.array([0.0, 0.0]), 0.98),
            ("right", self.far or self.near, np.array([6.0, -6.0]), self.far_visibility),
        ):
            h = hip + offset
            s = shoulder + offset
            knee = _step(h, limbs.thigh, LENGTH_PX["thigh"])
            ankle = _step(knee, limbs.shin, LENGTH_PX["shin"])
            elbow = _step(s, limbs.upper_arm, LENGTH_PX["upper_arm"])
            wrist = _step(elbow, limbs.forearm, LENGTH_PX["forearm"])
            points = {
                "shoulder": s,
                "hip": h,
                "knee": knee,
                "ankle": ankle,
                "heel": _step(ankle, limbs.foot + 180, 12),
                "foot_index": _step(ankle, limbs.foot, LENGTH_PX["foot"]),
                "elbow": elbow,
                "wrist": wrist,
                "pinky": _step(wrist, limbs.forearm, 14),
                "index": _step(wrist, limbs.forearm, 16),
                "thumb": _step(wrist, limbs.forearm + 20, 10),
                "ear": ear + offset,
                "eye": _step(nose, self.face + 150, 8) + offset,
                "eye_inner": _step(nose, self.face + 160, 5) + offset,
                "eye_outer": _step(nose, self.face + 140, 11) + offset,
                "mouth": _step(nose, self.face - 60, 8) + offset,
            }
            for part, p in points.items():
                name = f"{part}_{side}" if part == "mouth" else f"{side}_{part}"
                if part == "mouth":
                    name = f"mouth_{side}"
                xy[LANDMARK_INDEX[name]] = p
                vis[LANDMARK_INDEX[name]] = v
        xy[LANDMARK_INDEX["nose"]] = nose
        return Pose(xy, vis, SIZE)

    def with_near(self, **changes: float) -> SidePose:
        far = self.far or self.near
        return replace(self, near=replace(self.near, **changes), far=far)

    def with_far(self, **changes: float) -> SidePose:
        return replace(self, far=replace(self.far or self.near, **changes))


@dataclass(frozen=True)
class FrontPose:
    """A person facing the camera. Angles are the person's own joint angles."""

    left_arm_abduction: float = 15  # hip-shoulder-elbow
    right_arm_abduction: float = 15
    left_elbow: float = 180  # shoulder-elbow-wrist, forearm turning up
    right_elbow: float = 180
    head_tilt: float = 0  # ear line against the horizontal, positive toward the left
    shoulder_tilt: float = 0
    trunk_lean: float = 0  # away from vertical, toward image-right

    def build(self) -> Pose:
        xy = np.zeros((NUM_LANDMARKS, 2))
        vis = np.full(NUM_LANDMARKS, 0.98)
        hip_mid = np.array([640.0, 340.0])
        shoulder_mid = _step(hip_mid, 90 - self.trunk_lean, 200)
        half_sh, half_hip = 80.0, 55.0
        tilt = math.radians(self.shoulder_tilt)
        # The person's left appears on image-right when facing the camera.
        for side, sign, abduction, elbow_angle in (
            ("left", 1.0, self.left_arm_abduction, self.left_elbow),
            ("right", -1.0, self.right_arm_abduction, self.right_elbow),
        ):
            s = shoulder_mid + sign * half_sh * np.array([math.cos(tilt), -math.sin(tilt)])
            h = hip_mid + np.array([sign * half_hip, 0.0])
            arm_dir = 270 + sign * abduction
            elbow = _step(s, arm_dir, 130)
            forearm_dir = arm_dir + sign * (180 - elbow_angle)
            wrist = _step(elbow, forearm_dir, 115)
            knee = _step(h, 270, 190)
            ankle = _step(knee, 270, 180)
            pts = {
                "shoulder": s,
                "hip": h,
                "elbow": elbow,
                "wrist": wrist,
                "knee": knee,
                "ankle": ankle,
                "heel": ankle + [0, 10],
                "foot_index": ankle + [sign * 10, 25],
                "pinky": _step(wrist, forearm_dir, 14),
                "index": _step(wrist, forearm_dir, 16),
                "thumb": _step(wrist, forearm_dir, 10),
            }
            for part, p in pts.items():
                xy[LANDMARK_INDEX[f"{side}_{part}"]] = p
        head = _step(shoulder_mid, 90 - self.trunk_lean - self.head_tilt, 90)
        ht = math.radians(self.head_tilt)
        ear_vec = 55 * np.array([math.cos(ht), -math.sin(ht)])
        xy[LANDMARK_INDEX["left_ear"]] = head + ear_vec
        xy[LANDMARK_INDEX["right_ear"]] = head - ear_vec
        xy[LANDMARK_INDEX["nose"]] = head + [0, 10]
        for side, sign in (("left", 1), ("right", -1)):
            for part, dx, dy in (("eye", 18, -8), ("eye_inner", 10, -8), ("eye_outer", 26, -8)):
                xy[LANDMARK_INDEX[f"{side}_{part}"]] = head + [sign * dx, dy]
            xy[LANDMARK_INDEX[f"mouth_{side}"]] = head + [sign * 12, 30]
        return Pose(xy, vis, SIZE)


# ---------------------------------------------------------------- library poses
# Each stretch: a correct pose, and (name, pose, check id) faults it must catch.

PRONE = SidePose(
    trunk=15, neck=35, near=Limbs(thigh=180, shin=180, foot=190, upper_arm=270, forearm=0)
)
# Straight arms reaching down and a little forward, so the hands and the hips
# both rest on the floor (a body with its arms 1.15 torso lengths long).
PRESS_UP = SidePose(
    trunk=65, neck=80, near=Limbs(thigh=180, shin=180, foot=190, upper_arm=308, forearm=308)
)
# Upward-dog shape: hands and feet down, hips and thighs lifted off the floor.
PRESS_UP_HIPS_LIFTED = replace(PRESS_UP, trunk=50, neck=65).with_near(thigh=235)
STANDING = dict(hip=(640, 320))
STANDING_EXT = SidePose(trunk=110, neck=115, near=Limbs(upper_arm=240, forearm=330), **STANDING)
KNEEL_HINGE = SidePose(
    trunk=55, neck=50, near=Limbs(thigh=300, shin=180, foot=180, upper_arm=300, forearm=60)
)
CHILDS_POSE = SidePose(
    trunk=-10, neck=-20, near=Limbs(thigh=325, shin=180, foot=180, upper_arm=-5, forearm=-5)
)
BIRD_DOG = SidePose(
    trunk=0,
    neck=5,
    near=Limbs(thigh=180, shin=180, foot=180, upper_arm=270, forearm=270),
    far=Limbs(thigh=270, shin=180, foot=180, upper_arm=0, forearm=0),
)
SUPINE = dict(trunk=0, neck=0, face=90)
BRIDGE = SidePose(
    trunk=-20,
    neck=-20,
    face=90,
    near=Limbs(thigh=160, shin=280, foot=180, upper_arm=180, forearm=180),
)
HOOKLYING = SidePose(
    **SUPINE, near=Limbs(thigh=130, shin=250, foot=180, upper_arm=180, forearm=180)
)
HOOKLYING_ROLLED = SidePose(
    **SUPINE, near=Limbs(thigh=163, shin=235, foot=180, upper_arm=180, forearm=180)
)
LEG_OVER = SidePose(
    **SUPINE,
    near=Limbs(thigh=175, shin=180, foot=90, upper_arm=180, forearm=180),
    far=Limbs(thigh=160, shin=220, foot=180, upper_arm=180, forearm=180),
)
KNEE_TO_CHEST = SidePose(
    **SUPINE,
    near=Limbs(thigh=180, shin=180, foot=90, upper_arm=180, forearm=180),
    far=Limbs(thigh=40, shin=200, foot=180, upper_arm=30, forearm=300),
)
DOUBLE_KNEE = SidePose(
    **SUPINE, near=Limbs(thigh=40, shin=200, foot=180, upper_arm=30, forearm=300)
)
THORACIC_EXT = SidePose(
    trunk=107, neck=115, near=Limbs(thigh=5, shin=270, foot=0, upper_arm=135, forearm=0)
)
PILLOW = SidePose(
    trunk=10,
    neck=-15,
    face=90,
    near=Limbs(thigh=180, shin=180, foot=90, upper_arm=150, forearm=170),
)
RHOMBOID = SidePose(
    trunk=80, neck=60, near=Limbs(thigh=0, shin=270, foot=0, upper_arm=5, forearm=5)
)
DOORWAY = FrontPose(left_arm_abduction=90, right_arm_abduction=90, left_elbow=90, right_elbow=90)
HEAD_TILT = FrontPose(head_tilt=30)

CORRECT: dict[str, Pose] = {
    "prone_on_elbows": PRONE.build(),
    "prone_press_up": PRESS_UP.build(),
    "standing_extension": STANDING_EXT.build(),
    "kneeling_hip_hinge": KNEEL_HINGE.build(),
    "kneeling_lumbar_flexion": CHILDS_POSE.build(),
    "bird_dog": BIRD_DOG.build(),
    "bridge": BRIDGE.build(),
    "pelvic_tilt": HOOKLYING.build(),
    "hooklying_rotation": HOOKLYING_ROLLED.build(),
    "trunk_rotation_leg_over": LEG_OVER.build(),
    "knee_to_chest": KNEE_TO_CHEST.build(),
    "double_knee_to_chest": DOUBLE_KNEE.build(),
    "supported_thoracic_extension": THORACIC_EXT.build(),
    "back_over_pillow": PILLOW.build(),
    "doorway_stretch": DOORWAY.build(),
    "head_rolls": HEAD_TILT.build(),
    "seated_rhomboid_stretch": RHOMBOID.build(),
}

# (stretch, description, faulty pose, check that must fail, expected verdict)
FAULTS: list[tuple[str, str, Pose, str, str]] = [
    ("prone_on_elbows", "hips lifted", PRONE.with_near(thigh=220).build(), "hips_down", "too_high"),
    (
        "prone_press_up",
        "hips lifted",
        PRESS_UP_HIPS_LIFTED.build(),
        "hips_down",
        "too_high",
    ),
    (
        "standing_extension",
        "knees bent",
        SidePose(
            trunk=110,
            neck=115,
            near=Limbs(thigh=295, shin=245, upper_arm=240, forearm=330),
            **STANDING,
        ).build(),
        "knees_straight",
        "too_low",
    ),
    (
        "standing_extension",
        "not leaning back",
        SidePose(trunk=93, near=Limbs(upper_arm=240, forearm=330), **STANDING).build(),
        "lean_back",
        "too_low",
    ),
    (
        "kneeling_hip_hinge",
        "back rounded",
        SidePose(trunk=55, neck=-20, near=Limbs(thigh=300, shin=180, foot=180)).build(),
        "back_straight",
        "too_low",
    ),
    (
        "kneeling_lumbar_flexion",
        "not sitting back",
        SidePose(
            trunk=-10, neck=-20, near=Limbs(thigh=270, shin=180, foot=180, upper_arm=-5, forearm=-5)
        ).build(),
        "sit_back",
        "too_high",
    ),
    (
        "bird_dog",
        "back sagging",
        SidePose(trunk=30, neck=30, near=BIRD_DOG.near, far=BIRD_DOG.far).build(),
        "back_flat",
        "too_high",
    ),
    (
        "bird_dog",
        "leg too high",
        BIRD_DOG.with_near(thigh=150, shin=150).build(),
        "leg_level",
        "too_high",
    ),
    (
        "bridge",
        "arching",
        SidePose(
            trunk=-35,
            neck=-20,
            face=90,
            near=Limbs(thigh=165, shin=280, foot=180, upper_arm=180, forearm=180),
        ).build(),
        "no_arch",
        "too_high",
    ),
    ("pelvic_tilt", "lifting into a bridge", BRIDGE.build(), "hips_down", "too_high"),
    (
        "hooklying_rotation",
        "knees forced to the floor",
        SidePose(
            **SUPINE, near=Limbs(thigh=178, shin=190, foot=180, upper_arm=180, forearm=180)
        ).build(),
        "knees_not_forced",
        "too_low",
    ),
    (
        "trunk_rotation_leg_over",
        "shoulders lifted (forcing)",
        SidePose(trunk=30, neck=30, face=90, near=LEG_OVER.near, far=LEG_OVER.far).build(),
        "shoulders_down",
        "too_high",
    ),
    (
        "knee_to_chest",
        "other leg lifted",
        KNEE_TO_CHEST.with_near(thigh=135, shin=135).build(),
        "other_leg_down",
        "too_high",
    ),
    (
        "double_knee_to_chest",
        "knees not pulled in",
        DOUBLE_KNEE.with_near(thigh=85).build(),
        "knees_pulled",
        "too_high",
    ),
    (
        "supported_thoracic_extension",
        "leaning too far",
        SidePose(trunk=140, neck=150, near=THORACIC_EXT.near).build(),
        "too_far",
        "too_high",
    ),
    (
        "back_over_pillow",
        "hips lifted",
        SidePose(
            trunk=-20,
            neck=-15,
            face=90,
            near=Limbs(thigh=200, shin=180, foot=90, upper_arm=150, forearm=170),
        ).build(),
        "hips_down",
        "too_high",
    ),
    (
        "doorway_stretch",
        "elbows dropped",
        FrontPose(
            left_arm_abduction=40, right_arm_abduction=40, left_elbow=90, right_elbow=90
        ).build(),
        "left_elbow_height",
        "too_low",
    ),
    (
        "head_rolls",
        "shoulders hunched to one side",
        FrontPose(head_tilt=30, shoulder_tilt=18).build(),
        "shoulders_level",
        "too_high",
    ),
    (
        "seated_rhomboid_stretch",
        "arms dropped",
        SidePose(
            trunk=80, neck=60, near=Limbs(thigh=0, shin=270, foot=0, upper_arm=300, forearm=300)
        ).build(),
        "arms_forward",
        "too_low",
    ),
]
