"""Plane geometry on pixel coordinates (x right, y down). Degrees throughout.

Angles use ``arctan2(|cross|, dot)``, which stays accurate near 0 and 180
degrees where ``arccos`` of a dot product does not.
"""

from __future__ import annotations

import math

import numpy as np


def joint_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle ABC at vertex ``b``, 0..180."""
    u = a - b
    v = c - b
    cross = u[0] * v[1] - u[1] * v[0]
    dot = u[0] * v[0] + u[1] * v[1]
    return math.degrees(math.atan2(abs(cross), dot))


def inclination_deg(a: np.ndarray, b: np.ndarray, reference: str = "horizontal") -> float:
    """Unsigned angle of the line AB against the horizontal or vertical, 0..90."""
    dx = abs(float(b[0] - a[0]))
    dy = abs(float(b[1] - a[1]))
    if reference == "horizontal":
        return math.degrees(math.atan2(dy, dx))
    return math.degrees(math.atan2(dx, dy))


def elevation_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Angle of B above A against the horizontal, -90..90 (positive: B higher)."""
    return math.degrees(math.atan2(float(a[1] - b[1]), abs(float(b[0] - a[0]))))


def lean_deg(base: np.ndarray, top: np.ndarray, facing_x: float) -> float:
    """Signed angle of the segment base->top from vertical, positive toward the back.

    ``facing_x`` is +1 when the person faces image-right, -1 when image-left.
    The sign follows the person, so mirroring the image keeps the value.
    """
    dx = float(top[0] - base[0])
    up = float(base[1] - top[1])
    return math.degrees(math.atan2(-dx * facing_x, up))


def height_above_line_pct(p: np.ndarray, a: np.ndarray, b: np.ndarray, scale_px: float) -> float:
    """Height of P above the line through A and B, in percent of ``scale_px``.

    "Above" is toward the top of the image (the camera is assumed upright).
    The distance is measured along the vertical, from P to the line.
    """
    dx = float(b[0] - a[0])
    if abs(dx) < 1e-9:
        # A vertical line has no "above"; the perpendicular distance stands in.
        return 100.0 * abs(float(p[0] - a[0])) / scale_px
    t = (float(p[0]) - float(a[0])) / dx
    line_y = float(a[1]) + t * float(b[1] - a[1])
    return 100.0 * (line_y - float(p[1])) / scale_px


def distance_px(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(*(np.asarray(b, dtype=float) - np.asarray(a, dtype=float))))
