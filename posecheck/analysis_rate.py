"""Running the model on fewer frames than the video has, and filling the frames between.

Stretches are slow: a pose changes little in a fifteenth of a second. With an
analysis rate below the video's frame rate, :class:`SparsePoses` picks which
frames the model sees (the first, then each one at least ``1 / rate_hz``
after the last picked, with a quarter-frame allowance for timestamp jitter)
and gives every frame between two model frames a pose interpolated linearly
between them. A frame next to a model frame that found nobody stays unknown:
nothing is invented across a gap. Frames after the last model frame take
its pose, at most ``1 / rate_hz`` seconds old.

Pure: frames go in as opaque items with their timestamps, poses come from
the ``estimate`` callable given. The same two steps are there on their own
for a pipeline that runs the model elsewhere: :class:`ModelFramePicker`
groups the frames around each model frame, :class:`Interpolator` fills in a
group once its model frame's pose is known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from posecheck.pose import Pose

# What ``posecheck analyze`` and the Analyze page use unless told otherwise. On
# the shared phone videos and a 720p clip (30 fps), the real model at 15 per
# second gave the same holds, repetitions, fault episodes and time in correct
# form as at every frame, in about 60% of the time
# (benchmarks/bench_analyze.py); replayed on the development set's clips it
# changed none of them either (benchmarks/bench_analysis_rate.py).
DEFAULT_ANALYSIS_FPS = 15.0

# Frames (item, timestamp, pose) released in order.
Released = list[tuple[Any, float, Pose | None]]


def rate_words(rate_hz: float | None) -> str:
    """How often the model ran, for a report."""
    if not rate_hz:
        return "every frame"
    return f"at most {rate_hz:g} frames per second, the frames between interpolated"


def interpolate_pose(a: Pose | None, b: Pose | None, weight: float) -> Pose | None:
    """The pose ``weight`` of the way from ``a`` to ``b`` (0 gives ``a``); None if either is."""
    if a is None or b is None:
        return None
    if weight <= 0:
        return a
    if weight >= 1:
        return b
    world = None
    if a.world_m is not None and b.world_m is not None:
        world = (1 - weight) * a.world_m + weight * b.world_m
    return Pose((1 - weight) * a.xy_px + weight * b.xy_px,
                (1 - weight) * a.visibility + weight * b.visibility, b.image_size, world)


@dataclass
class Group:
    """The frames that wait for one model frame: those before it (``held``), then it.

    ``frame`` is None for the frames after the last model frame.
    """

    held: list[tuple[Any, float]]
    frame: tuple[Any, float] | None


class ModelFramePicker:
    """Feed frames in order with :meth:`add`; a model frame closes a :class:`Group`."""

    def __init__(self, rate_hz: float | None, frame_interval_s: float | None = None) -> None:
        if rate_hz is not None and rate_hz <= 0:
            raise ValueError(f"the analysis rate must be positive, got {rate_hz}")
        self._period_s = 1.0 / rate_hz if rate_hz else 0.0
        self._slack_s = 0.25 * frame_interval_s if frame_interval_s else 0.0
        self._last_t: float | None = None
        self._held: list[tuple[Any, float]] = []
        self.model_frames = 0

    def add(self, item: Any, t_s: float) -> Group | None:
        if self._last_t is not None and t_s - self._last_t < self._period_s - self._slack_s:
            self._held.append((item, t_s))
            return None
        group = Group(self._held, (item, t_s))
        self._held = []
        self._last_t = t_s
        self.model_frames += 1
        return group

    def finish(self) -> Group | None:
        """The frames after the last model frame, if any."""
        group = Group(self._held, None) if self._held else None
        self._held = []
        return group


class Interpolator:
    """Poses for each group's frames, the groups given in order with their model pose."""

    def __init__(self) -> None:
        self._last: tuple[float, Pose | None] | None = None

    def release(self, group: Group, pose: Pose | None = None) -> Released:
        """Every frame of ``group``, in order, with its pose (``pose``: the model frame's)."""
        if group.frame is None:  # after the last model frame: its pose, as it was
            before = self._last[1] if self._last is not None else None
            return [(held, t, before) for held, t in group.held]
        item, t_s = group.frame
        out: Released = []
        if self._last is not None:
            t0, before = self._last
            span = t_s - t0
            out += [(held, t, interpolate_pose(before, pose, (t - t0) / span))
                    for held, t in group.held]
        self._last = (t_s, pose)
        out.append((item, t_s, pose))
        return out


class SparsePoses:
    """Feed frames in order with :meth:`add`; each call releases the frames whose pose is known."""

    def __init__(self, estimate: Callable[[Any, float], Pose | None], rate_hz: float | None,
                 frame_interval_s: float | None = None) -> None:
        self._estimate = estimate
        self._picker = ModelFramePicker(rate_hz, frame_interval_s)
        self._poses = Interpolator()

    @property
    def model_frames(self) -> int:
        return self._picker.model_frames

    def add(self, item: Any, t_s: float) -> Released:
        group = self._picker.add(item, t_s)
        if group is None:
            return []
        return self._poses.release(group, self._estimate(item, t_s))

    def finish(self) -> Released:
        """The frames after the last model frame, with its pose."""
        group = self._picker.finish()
        return self._poses.release(group) if group is not None else []


def model_frame_share(timestamps_s: np.ndarray, rate_hz: float | None) -> float:
    """The share of frames the model runs on at ``rate_hz`` (1.0 without a rate)."""
    if rate_hz is None or len(timestamps_s) == 0:
        return 1.0
    picked = SparsePoses(lambda _item, _t: None, rate_hz,
                         float(np.median(np.diff(timestamps_s))) if len(timestamps_s) > 1
                         else None)
    for t in timestamps_s:
        picked.add(None, float(t))
    return picked.model_frames / len(timestamps_s)
