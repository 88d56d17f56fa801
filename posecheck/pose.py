"""The project's own pose type: 33 BlazePose landmarks in pixel coordinates.

Everything downstream of the estimator (measures, checks, progress, reports)
works on :class:`Pose`, never on MediaPipe objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
LANDMARK_INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}
NUM_LANDMARKS = len(LANDMARK_NAMES)

# Body parts that come in left/right pairs, named without their side.
PAIRED_PARTS: tuple[str, ...] = tuple(
    sorted({n.removeprefix("left_") for n in LANDMARK_NAMES if n.startswith("left_")})
)

# The index each landmark takes when the image is mirrored left-right.
MIRROR_INDEX: np.ndarray = np.array(
    [
        LANDMARK_INDEX[
            n.replace("left_", "@").replace("right_", "left_").replace("@", "right_")
        ]
        for n in LANDMARK_NAMES
    ]
)

# Bones drawn for the skeleton overlay (pairs of landmark names).
SKELETON: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("left_ear", "left_shoulder"),
    ("right_ear", "right_shoulder"),
)


@dataclass(frozen=True)
class Pose:
    """One person's landmarks in one frame.

    ``xy_px`` is (33, 2) in image pixels (x right, y down); ``visibility`` is
    (33,) in [0, 1], MediaPipe's estimate that the landmark is visible and in
    frame; ``image_size`` is (width, height) in pixels. ``world_m`` holds the
    model's metric world landmarks (33, 3) when the estimator provides them.
    """

    xy_px: np.ndarray
    visibility: np.ndarray
    image_size: tuple[int, int]
    world_m: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        xy = np.asarray(self.xy_px, dtype=np.float64)
        vis = np.asarray(self.visibility, dtype=np.float64)
        if xy.shape != (NUM_LANDMARKS, 2):
            raise ValueError(f"xy_px must have shape (33, 2), got {xy.shape}")
        if vis.shape != (NUM_LANDMARKS,):
            raise ValueError(f"visibility must have shape (33,), got {vis.shape}")
        object.__setattr__(self, "xy_px", xy)
        object.__setattr__(self, "visibility", vis)
        if self.world_m is not None:
            world = np.asarray(self.world_m, dtype=np.float64)
            if world.shape != (NUM_LANDMARKS, 3):
                raise ValueError(f"world_m must have shape (33, 3), got {world.shape}")
            object.__setattr__(self, "world_m", world)
        w, h = self.image_size
        object.__setattr__(self, "image_size", (int(w), int(h)))

    def point(self, name: str) -> np.ndarray:
        return self.xy_px[LANDMARK_INDEX[name]]

    def vis(self, name: str) -> float:
        return float(self.visibility[LANDMARK_INDEX[name]])

    def scaled_to(self, image_size: tuple[int, int]) -> Pose:
        """The pose in a resized copy of its image (pixel centres stay on integers)."""
        if self.image_size == tuple(image_size):
            return self
        scale = np.array(image_size, dtype=np.float64) / np.array(self.image_size,
                                                                  dtype=np.float64)
        return Pose((self.xy_px + 0.5) * scale - 0.5, self.visibility, image_size, self.world_m)

    def mirrored(self) -> Pose:
        """The pose as seen in the left-right mirrored image.

        Coordinates flip and the left/right labels swap, exactly as a pose
        estimator run on the mirrored picture would report them.
        """
        w, _ = self.image_size
        xy = self.xy_px[MIRROR_INDEX].copy()
        xy[:, 0] = (w - 1) - xy[:, 0]
        world = None
        if self.world_m is not None:
            world = self.world_m[MIRROR_INDEX].copy()
            world[:, 0] = -world[:, 0]
        return Pose(xy, self.visibility[MIRROR_INDEX].copy(), self.image_size, world)

    def scaled(self, factor: float) -> Pose:
        """The pose in an image resized by ``factor``."""
        w, h = self.image_size
        return Pose(
            self.xy_px * factor,
            self.visibility.copy(),
            (round(w * factor), round(h * factor)),
            self.world_m,
        )
