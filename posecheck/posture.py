"""How the body is placed: standing, sitting, kneeling, lying on the back or front.

Recognition uses it to rule out stretches the body plainly is not in (a plank
is not a standing backbend; sitting with the legs forward is not a press-up),
and measures the few body heights whose movement tells look-alike stretches
apart (a bridge lifts the hips, a rotation lowers the knees sideways).

Everything follows from the body and the floor, with the camera upright: a
leg under the hip is standing, a shin along the floor is kneeling, a trunk
along the floor is lying. A part the camera cannot see rules nothing out:
unknown is never taken for a contradiction.
"""

from __future__ import annotations

import numpy as np

from posecheck import geometry, measures
from posecheck.pose import Pose
from posecheck.reference import MOVING_PARTS, POSTURES

__all__ = ["MOVING_PARTS", "POSTURES", "part_heights", "ruled_out"]

MIN_VISIBILITY = 0.5
# Standing, the hip-ankle line is within about 30° of vertical (a wide stance
# or a lunge still keeps it steeper than 45°).
STANDING_LEG_MIN_DEG = 45.0
# Kneeling, a shin lies along the floor; one steeper than 45° is off it.
KNEELING_SHIN_MAX_DEG = 45.0
# Lying on the back, the trunk is along the floor; a bridge raises it to
# about 40°; sitting up is steeper.
LYING_BACK_TRUNK_MAX_DEG = 55.0
# Lying on the back, the hip is near the floor, so a knee cannot hang far
# below it: a thigh pointing down steeper than this is kneeling or standing.
LYING_BACK_THIGH_DOWN_MAX_DEG = 50.0
# Lying face down, the thighs lie along the floor: a press-up raises the
# trunk, not the thighs (the shins may rise with bent knees).
LYING_FRONT_THIGH_MAX_DEG = 35.0
# A thigh reaching this far (torso lengths) sideways in the picture lies along the floor.
THIGH_ALONG_MIN = 0.4
# Sitting, the trunk is far from the floor.
SITTING_TRUNK_MIN_DEG = 30.0
# The nose ahead of the ears by this much (torso lengths) says where the face points.
FACE_OFFSET = 0.08


def _seen(pose: Pose, *names: str) -> bool:
    return all(measures.is_visible(pose, n, MIN_VISIBILITY) for n in names)


def _mid(pose: Pose, part: str) -> np.ndarray | None:
    """The midpoint of a left/right pair, or the one side seen, or None."""
    seen = [pose.point(f"{s}_{part}") for s in ("left", "right") if _seen(pose, f"{s}_{part}")]
    if not seen:
        return None
    return np.mean(seen, axis=0)


def _legs(pose: Pose) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(hip, knee, ankle) of each leg the camera sees."""
    return [tuple(pose.point(f"{s}_{p}") for p in ("hip", "knee", "ankle"))  # type: ignore[misc]
            for s in ("left", "right")
            if _seen(pose, f"{s}_hip", f"{s}_knee", f"{s}_ankle")]


def ruled_out(pose: Pose) -> frozenset[str]:
    """The postures this body clearly is not in; what cannot be seen rules out nothing."""
    out: set[str] = set()
    legs = _legs(pose)
    shoulder, hip = _mid(pose, "shoulder"), _mid(pose, "hip")
    trunk_deg = (geometry.inclination_deg(hip, shoulder)
                 if shoulder is not None and hip is not None else None)
    if legs:
        # The ankle well below the hip, on at least one leg, is what standing needs.
        steepest = max(-geometry.elevation_deg(h, a) for h, _, a in legs)
        if steepest < STANDING_LEG_MIN_DEG:
            out.add("standing")
        if all(geometry.inclination_deg(k, a) > KNEELING_SHIN_MAX_DEG for _, k, a in legs):
            out.add("kneeling")
        if all(-geometry.elevation_deg(h, k) > LYING_BACK_THIGH_DOWN_MAX_DEG for h, k, _ in legs):
            out.add("lying_back")
        if all(geometry.inclination_deg(h, k) > LYING_FRONT_THIGH_MAX_DEG for h, k, _ in legs):
            out.add("lying_front")
        else:
            # Sitting with the legs forward looks like a press-up, but the
            # face points along the legs; face down it points away from them.
            face = _face_along_legs(pose, legs)
            if face is not None:
                out.add("lying_front" if face > 0 else "sitting")
    if trunk_deg is not None:
        if trunk_deg > LYING_BACK_TRUNK_MAX_DEG:
            out.add("lying_back")
        if trunk_deg < SITTING_TRUNK_MIN_DEG:
            out.add("sitting")
    return frozenset(out)


def _face_along_legs(pose: Pose, legs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
                     ) -> float | None:
    """+1 the face points the way the thighs do, -1 the other way, None when unclear."""
    if not _seen(pose, "nose"):
        return None
    ears = _mid(pose, "ear")
    if ears is None:
        return None
    torso = measures.torso_length_px(pose)
    face_x = float(pose.point("nose")[0] - ears[0]) / torso
    thigh_x = float(np.mean([k[0] - h[0] for h, k, _ in legs])) / torso
    if abs(face_x) < FACE_OFFSET or abs(thigh_x) < THIGH_ALONG_MIN:
        return None
    return 1.0 if face_x * thigh_x > 0 else -1.0


def part_heights(pose: Pose) -> dict[str, float | None]:
    """Heights, in torso lengths, of the parts whose movement tells stretches apart.

    * ``hips``: the hip above the floor line through the shoulder and the foot
      (resting on the floor about 0-0.15, a bridge 0.35 and more);
    * ``knees``: the knees above the line through the shoulder and the hip
      (bent knees pointing up about 0.6 and more, rolled to the side 0.45 and less).
    """
    torso = measures.torso_length_px(pose)
    shoulder, hip, knee = _mid(pose, "shoulder"), _mid(pose, "hip"), _mid(pose, "knee")
    foot = None
    for part in ("ankle", "heel", "foot_index"):
        foot = _mid(pose, part)
        if foot is not None:
            break
    heights: dict[str, float | None] = {"hips": None, "knees": None}
    if shoulder is not None and hip is not None and foot is not None:
        heights["hips"] = geometry.height_above_line_pct(hip, shoulder, foot, torso) / 100.0
    if shoulder is not None and hip is not None and knee is not None:
        heights["knees"] = geometry.height_above_line_pct(knee, hip, shoulder, torso) / 100.0
    return heights
