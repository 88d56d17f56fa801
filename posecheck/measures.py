"""Turn a :class:`~posecheck.pose.Pose` and a check's measure into a number.

A measure is unknown (``None``) when any landmark it needs is not visible
enough or lies outside the image: an unseen knee is "can't see your knee",
never "knee angle 0".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posecheck import geometry
from posecheck.pose import LANDMARK_INDEX, Pose
from posecheck.reference import Measure, alternatives

# Landmarks used to tell which side faces the camera, and which way the person faces.
_BODY_PARTS = ("shoulder", "hip", "knee", "ankle", "elbow", "wrist")
EDGE_MARGIN = 0.06


@dataclass(frozen=True)
class SideContext:
    """Per-frame choices that resolve unsided point names."""

    facing: str  # "left" or "right": the side nearer the camera
    active: str | None = None  # the working side, where the stretch has one
    facing_x: float = 1.0  # +1 the person faces image-right, -1 image-left


@dataclass(frozen=True)
class MeasureValue:
    value: float | None
    landmarks: tuple[str, ...]  # the (sided) landmark names used, for drawing
    missing: tuple[str, ...] = ()  # landmarks not visible enough


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def resolve_side(side: str, ctx: SideContext) -> str | None:
    """"left", "right", or "mid" for a check's side setting; None if unknowable."""
    if side in ("left", "right", "mid"):
        return side
    if side == "facing":
        return ctx.facing
    if side == "far":
        return _other(ctx.facing)
    if ctx.active is None:
        return None
    return ctx.active if side == "active" else _other(ctx.active)


def names_for(point: str, side: str) -> tuple[str, ...]:
    """Landmark names behind a point: one name, or a left/right pair for 'mid'."""
    if point in LANDMARK_INDEX:
        return (point,)
    if side == "mid":
        return (f"left_{point}", f"right_{point}")
    return (f"{side}_{point}",)


def point_landmarks(pose: Pose, point: str, side: str, min_visibility: float) -> tuple[str, ...]:
    """Landmark names for ``point``; for alternatives, the lowest one that can be seen.

    Alternatives name the parts that may touch the floor: a foot rests on the
    floor at the ankle when lying face down, at the toes in a plank, at the
    heel on the back. The one lowest in the picture is the one touching it
    (the camera is upright). When none can be seen, the first is named.
    """
    options = [names_for(p, side) for p in alternatives(point)]
    seen = [names for names in options
            if all(is_visible(pose, n, min_visibility) for n in names)]
    if not seen:
        return options[0]
    return max(seen, key=lambda names: float(np.mean([pose.point(n)[1] for n in names])))


def is_visible(pose: Pose, name: str, min_visibility: float) -> bool:
    i = LANDMARK_INDEX[name]
    x, y = pose.xy_px[i]
    w, h = pose.image_size
    # A landmark a little past the edge (a foot at the bottom of a photo) is
    # still usable when the model is confident enough about it.
    m = EDGE_MARGIN
    inside = -m * w <= x <= (1 + m) * w and -m * h <= y <= (1 + m) * h
    return bool(inside and pose.visibility[i] >= min_visibility)


# How close (in torso lengths) a hidden far joint must lie to its near twin.
BEHIND_NEAR_MAX = 0.15


def _behind_near_twin(pose: Pose, name: str, min_visibility: float) -> bool:
    """A hidden joint that lies where its visible left/right twin is: behind it."""
    if not name.startswith(("left_", "right_")):
        return False
    side, part = name.split("_", 1)
    twin = f"{_other(side)}_{part}"
    if not is_visible(pose, twin, min_visibility):
        return False
    gap = geometry.distance_px(pose.point(name), pose.point(twin))
    return gap <= BEHIND_NEAR_MAX * torso_length_px(pose)


def torso_length_px(pose: Pose) -> float:
    """Shoulder-midpoint to hip-midpoint distance, the body's own length scale."""
    sh = (pose.point("left_shoulder") + pose.point("right_shoulder")) / 2
    hp = (pose.point("left_hip") + pose.point("right_hip")) / 2
    return max(geometry.distance_px(sh, hp), 1e-6)


def facing_side(pose: Pose, previous: str | None = None, margin: float = 0.1) -> str:
    """The side the camera sees best, kept unless the other side is clearly better.

    Visibility decides (it is what the checks need); the world landmarks'
    depth (smaller z is nearer the camera) breaks near-ties.
    """
    left = [LANDMARK_INDEX[f"left_{p}"] for p in _BODY_PARTS]
    right = [LANDMARK_INDEX[f"right_{p}"] for p in _BODY_PARTS]
    score = float(np.mean(pose.visibility[left]) - np.mean(pose.visibility[right]))
    if abs(score) < margin and pose.world_m is not None:
        depth = float(np.mean(pose.world_m[right, 2]) - np.mean(pose.world_m[left, 2]))
        score = margin * float(np.tanh(depth / 0.1))
    # score > 0 means the left side is better seen.
    if previous is not None and abs(score) < margin:
        return previous
    return "left" if score >= 0 else "right"


def facing_direction_x(pose: Pose, side: str) -> float:
    """+1 if the person faces image-right, -1 if image-left (side view).

    Three body cues vote, each weighted by how clear it is:

    * a bent knee points forward (the knee flexes only one way), the
      strongest cue, and one the head cannot spoil;
    * with the shin upright (standing, sitting) the toes point forward;
    * the nose sits ahead of the ears, unless the head is thrown far back,
      as it is in a deep backbend, which is why it counts least.
    """
    torso = torso_length_px(pose)
    votes = 0.0
    hip, knee, ankle = (pose.point(f"{side}_{p}") for p in ("hip", "knee", "ankle"))
    thigh, leg = knee - hip, ankle - hip
    bend = 180.0 - geometry.joint_angle_deg(hip, knee, ankle)
    if bend > 10.0:
        # cross < 0: the knee lies on the image-right side of the hip-ankle line.
        cross = float(leg[0] * thigh[1] - leg[1] * thigh[0])
        votes += 2.0 * min(1.0, (bend - 10.0) / 20.0) * (1.0 if cross < 0 else -1.0)
    shin = ankle - knee
    if abs(float(shin[0])) < 0.6 * abs(float(shin[1])):  # shin within ~30° of vertical
        foot = float(pose.point(f"{side}_foot_index")[0] - pose.point(f"{side}_heel")[0])
        votes += 1.5 * float(np.clip(foot / (0.1 * torso), -1.0, 1.0))
    ear = (pose.point("left_ear") + pose.point("right_ear")) / 2
    nose = float(pose.point("nose")[0] - ear[0])
    votes += float(np.clip(nose / (0.1 * torso), -1.0, 1.0))
    return 1.0 if votes >= 0 else -1.0


def compute(pose: Pose, measure: Measure, ctx: SideContext, min_visibility: float) -> MeasureValue:
    """The measure's value on this pose, or unknown with the landmarks that were missing."""
    side = resolve_side(measure.side, ctx)
    if side is None:
        return MeasureValue(None, ())
    groups = [point_landmarks(pose, p, side, min_visibility) for p in measure.points]
    names = tuple(n for g in groups for n in g)
    missing = tuple(n for n in names if not is_visible(pose, n, min_visibility))
    if missing and measure.hidden_behind_near:
        missing = tuple(n for n in missing if not _behind_near_twin(pose, n, min_visibility))
    if missing:
        return MeasureValue(None, names, missing)
    pts = [np.mean([pose.point(n) for n in g], axis=0) for g in groups]
    if measure.kind == "angle":
        value = geometry.joint_angle_deg(*pts)
    elif measure.kind == "inclination":
        value = geometry.inclination_deg(pts[0], pts[1], measure.reference)
    elif measure.kind == "elevation":
        value = geometry.elevation_deg(pts[0], pts[1])
    elif measure.kind == "lean":
        sign = 1.0 if measure.toward == "back" else -1.0
        value = sign * geometry.lean_deg(pts[0], pts[1], ctx.facing_x)
    elif measure.kind == "length":
        value = 100.0 * geometry.distance_px(pts[0], pts[1]) / torso_length_px(pose)
    elif measure.kind == "height":
        value = geometry.height_above_line_pct(pts[0], pts[1], pts[2], torso_length_px(pose))
    else:  # pragma: no cover - the loader refuses other kinds
        raise ValueError(f"unknown measure kind {measure.kind}")
    return MeasureValue(value, names)
