"""One Euro filter for landmark streams: steady when still, quick when moving.

Casiez, Roussel and Vogel (CHI 2012). Coordinates are filtered in units of the
image diagonal, so resizing a video does not change how much is smoothed.
"""

from __future__ import annotations

import math

import numpy as np

from posecheck.pose import Pose


def _alpha(cutoff_hz: float, dt_s: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """Filters an array-valued signal sampled at explicit timestamps."""

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 0.3, d_cutoff_hz: float = 1.0):
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self._t_s: float | None = None
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    def reset(self) -> None:
        self._t_s = self._x = self._dx = None

    def __call__(self, x: np.ndarray, t_s: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._t_s is None or self._x is None or t_s <= self._t_s:
            self._t_s, self._x, self._dx = t_s, x.copy(), np.zeros_like(x)
            return x.copy()
        dt_s = t_s - self._t_s
        dx = (x - self._x) / dt_s
        a_d = _alpha(self.d_cutoff_hz, dt_s)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self._dx)
        tau = 1.0 / (2.0 * math.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt_s)
        self._x = a * x + (1 - a) * self._x
        self._t_s = t_s
        return self._x.copy()


class PoseSmoother:
    """Smooths landmark positions over time; restarts after a gap."""

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 5.0, max_gap_s: float = 0.5):
        self._filter = OneEuroFilter(min_cutoff_hz, beta)
        self._max_gap_s = max_gap_s
        self._last_t_s: float | None = None
        self._size: tuple[int, int] | None = None

    def __call__(self, pose: Pose | None, t_s: float) -> Pose | None:
        if pose is None:
            return None
        if (
            self._last_t_s is None
            or t_s - self._last_t_s > self._max_gap_s
            or pose.image_size != self._size
        ):
            self._filter.reset()
        self._last_t_s = t_s
        self._size = pose.image_size
        diag = math.hypot(*pose.image_size)
        xy = self._filter(pose.xy_px / diag, t_s) * diag
        return Pose(xy, pose.visibility, pose.image_size, pose.world_m)
