"""Draw a frame's feedback into the picture: skeleton, verdict colours, one cue, timer.

Pure OpenCV drawing on an RGB uint8 frame; the input is never modified. The
layout is meant to be read at a glance by someone mid-stretch a few metres
from the screen: one large cue on a banner at the top, the hold timer or
repetition count bottom-left, set and side bottom-right, and a small
"Stop if you feel sharp pain" line that is always there. Sizes scale with the
shorter image side, so the same layout reads at 640x480, 1920x1080 and on
portrait phone video.

Colours follow the verdicts: green in range, red out of range, grey unknown;
an optional check out of range (a tip that does not stop the timer) is amber.
Unknown is never drawn red: an unseen joint is not a fault.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from posecheck.engine import FrameResult, Status
from posecheck.pose import LANDMARK_INDEX, SKELETON, Pose
from posecheck.progress import Progress
from posecheck.reference import Check, Stretch
from posecheck.verdicts import CheckResult, Verdict

# Colours are RGB (the frame is RGB).
GREEN = (40, 200, 90)
RED = (235, 55, 45)
AMBER = (245, 170, 30)  # an optional check out of range: a tip, not a fault
GREY = (150, 150, 150)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
SKELETON_COLOUR = (225, 225, 225)
VERDICT_COLOUR: dict[Verdict, tuple[int, int, int]] = {
    Verdict.OK: GREEN,
    Verdict.TOO_LOW: RED,
    Verdict.TOO_HIGH: RED,
    Verdict.UNKNOWN: GREY,
}
# Banner accent per status: green when right, orange when something to fix,
# blue for guidance (get into view / position), purple for rest.
STATUS_COLOUR: dict[Status, tuple[int, int, int]] = {
    Status.NO_PERSON: (90, 140, 230),
    Status.NOT_VISIBLE: (90, 140, 230),
    Status.WRONG_VIEW: (90, 140, 230),
    Status.GET_IN_POSITION: (90, 140, 230),
    Status.ADJUST: (245, 140, 30),
    Status.GOOD: GREEN,
    Status.REST: (160, 110, 220),
    Status.DONE: GREEN,
}
SAFETY_TEXT = "Stop if you feel sharp pain"
FONT = cv2.FONT_HERSHEY_DUPLEX
# Landmarks below this visibility are not drawn: their position is a guess.
DRAW_MIN_VISIBILITY = 0.5
# At most this many measured values are written next to joints.
MAX_VALUE_LABELS = 3


@dataclass(frozen=True)
class _Layout:
    """Sizes derived from the frame: everything scales with the shorter side."""

    width_px: int
    height_px: int

    @property
    def unit(self) -> float:
        return min(self.width_px, self.height_px) / 480.0

    def px(self, value: float) -> int:
        return max(1, round(value * self.unit))


def layout_scale(frame_size: tuple[int, int]) -> float:
    """The drawing scale for a (width, height) frame: 1.0 at 480 px on the short side."""
    return _Layout(*frame_size).unit


# ---------------------------------------------------------------- small drawing helpers


def _text_size(text: str, scale: float, thickness: int) -> tuple[int, int, int]:
    (w, h), baseline = cv2.getTextSize(text, FONT, scale, thickness)
    return w, h, baseline


def _put_text(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    scale: float,
    colour: tuple[int, int, int] = WHITE,
    thickness: int = 1,
    outline: bool = True,
) -> None:
    """Anti-aliased text with a dark outline so it reads on any background."""
    if outline:
        cv2.putText(img, text, org, FONT, scale, BLACK, thickness + max(2, thickness),
                    cv2.LINE_AA)
    cv2.putText(img, text, org, FONT, scale, colour, thickness, cv2.LINE_AA)


def _shade(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = 0.6,
           grey: int = 20) -> None:
    """Darken a rectangle in place (a semi-transparent panel); only the ROI is touched."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    cv2.convertScaleAbs(roi, dst=roi, alpha=1.0 - alpha, beta=grey * alpha)


def _wrap(text: str, max_width_px: int, scale: float, thickness: int) -> list[str]:
    """Greedy word wrap to ``max_width_px``."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and _text_size(trial, scale, thickness)[0] > max_width_px:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines or [""]


def _fit_lines(text: str, max_width_px: int, scale: float, thickness: int,
               max_lines: int = 2) -> tuple[list[str], float]:
    """Wrap ``text`` into at most ``max_lines`` lines, shrinking the font if needed."""
    for _ in range(6):
        lines = _wrap(text, max_width_px, scale, thickness)
        widest = max(_text_size(line, scale, thickness)[0] for line in lines)
        if len(lines) <= max_lines and widest <= max_width_px:
            return lines, scale
        scale *= 0.85
    return lines[:max_lines], scale


# ---------------------------------------------------------------- pose parts


def _visible_point(pose: Pose, name: str) -> tuple[int, int] | None:
    i = LANDMARK_INDEX[name]
    if pose.visibility[i] < DRAW_MIN_VISIBILITY:
        return None
    x, y = pose.xy_px[i]
    if not (np.isfinite(x) and np.isfinite(y)):
        return None
    return round(float(x)), round(float(y))


def _groups(result: CheckResult) -> list[tuple[str, ...]]:
    """The check's landmarks split per measure point (pairs for a 'mid' point)."""
    n_points = len(result.check.measure.points)
    names = result.landmarks
    if not names or len(names) % n_points:
        return []
    size = len(names) // n_points
    return [tuple(names[i * size:(i + 1) * size]) for i in range(n_points)]


def _group_point(pose: Pose, group: Sequence[str]) -> tuple[int, int] | None:
    points = [_visible_point(pose, n) for n in group]
    if any(p is None for p in points) or not points:
        return None
    xs = [p[0] for p in points if p is not None]
    ys = [p[1] for p in points if p is not None]
    return round(sum(xs) / len(xs)), round(sum(ys) / len(ys))


def _anchor(pose: Pose, result: CheckResult) -> tuple[int, int] | None:
    """Where a check's value is written: the angle's vertex, the measured point, or mid-segment."""
    groups = _groups(result)
    if not groups:
        return None
    kind = result.check.measure.kind
    if kind == "angle":
        return _group_point(pose, groups[1])
    if kind == "height":
        return _group_point(pose, groups[0])
    a, b = _group_point(pose, groups[0]), _group_point(pose, groups[-1])
    if a is None or b is None:
        return a or b
    return (a[0] + b[0]) // 2, (a[1] + b[1]) // 2


def format_value(check: Check, value: float | None) -> str:
    """A check's value for display: "142 deg" style is written with a drawn degree ring."""
    if value is None:
        return "?"
    shown = int(np.rint(value))  # an int: never "-0"
    return f"{shown}%" if check.measure.unit == "%" else f"{shown}"


def _draw_skeleton(img: np.ndarray, pose: Pose, lay: _Layout) -> None:
    thickness = lay.px(2)
    for a, b in SKELETON:
        pa, pb = _visible_point(pose, a), _visible_point(pose, b)
        if pa is None or pb is None:
            continue
        cv2.line(img, pa, pb, SKELETON_COLOUR, thickness, cv2.LINE_AA)


def _check_order(results: Iterable[CheckResult]) -> list[CheckResult]:
    """Unknown first, then OK, then faults: a fault's colour wins on a shared joint."""
    rank = {Verdict.UNKNOWN: 0, Verdict.OK: 1, Verdict.TOO_LOW: 2, Verdict.TOO_HIGH: 2}
    return sorted(results, key=lambda r: (rank[r.verdict], r.check.required))


def check_colour(r: CheckResult) -> tuple[int, int, int]:
    """The colour a check is drawn in: amber for an optional check out of range."""
    if r.verdict.is_fault and not r.check.required:
        return AMBER
    return VERDICT_COLOUR[r.verdict]


def _draw_checks(img: np.ndarray, pose: Pose, results: Sequence[CheckResult],
                 lay: _Layout) -> None:
    """The segments and joints each check uses, coloured by its verdict."""
    line_t = lay.px(4)
    radius = lay.px(6)
    for r in _check_order(results):
        colour = check_colour(r)
        pts = [_group_point(pose, g) for g in _groups(r)]
        for p, q in itertools.pairwise(pts):
            if p is not None and q is not None:
                cv2.line(img, p, q, colour, line_t, cv2.LINE_AA)
        for name in r.landmarks:
            p = _visible_point(pose, name)
            if p is None:
                continue
            cv2.circle(img, p, radius + lay.px(1), BLACK, -1, cv2.LINE_AA)
            cv2.circle(img, p, radius, colour, -1, cv2.LINE_AA)


def _labelled_checks(result: FrameResult) -> list[CheckResult]:
    """The checks whose value is written on the picture: faults and the cue's check first."""
    known = [r for r in result.checks if r.value is not None and _groups(r)]

    def key(r: CheckResult) -> tuple[int, int]:
        first = 0 if r.check.id == result.cue_check else 1 if r.verdict.is_fault else 2
        return first, r.check.priority

    chosen = [r for r in sorted(known, key=key) if r.verdict.is_fault or r.check.required
              or r.check.id == result.cue_check]
    return chosen[:MAX_VALUE_LABELS]


def _draw_value_labels(img: np.ndarray, pose: Pose, result: FrameResult, lay: _Layout,
                       mirror: bool) -> None:
    scale = 0.6 * lay.unit
    thickness = lay.px(1.2)
    pad = lay.px(4)
    placed: list[tuple[int, int, int, int]] = []
    w_img = img.shape[1]
    for r in _labelled_checks(result):
        anchor = _anchor(pose, r)
        if anchor is None:
            continue
        x, y = anchor
        if mirror:
            x = w_img - 1 - x
        text = format_value(r.check, r.value)
        degree = r.check.measure.unit != "%"
        tw, th, base = _text_size(text, scale, thickness)
        ring_r = max(2, round(th * 0.18))
        box_w = tw + 2 * pad + (2 * ring_r + pad if degree else 0)
        box_h = th + base + 2 * pad
        bx, by = x + lay.px(12), y - box_h - lay.px(6)
        # Keep inside the frame and away from labels already placed.
        bx = min(max(0, bx), w_img - box_w - 1)
        by = max(0, by)
        for _ in range(4):
            if not any(bx < px1 and bx + box_w > px0 and by < py1 and by + box_h > py0
                       for px0, py0, px1, py1 in placed):
                break
            by += box_h + lay.px(2)
        placed.append((bx, by, bx + box_w, by + box_h))
        colour = check_colour(r)
        _shade(img, bx, by, bx + box_w, by + box_h, alpha=0.7)
        cv2.rectangle(img, (bx, by), (bx + box_w, by + box_h), colour, lay.px(1.5), cv2.LINE_AA)
        _put_text(img, text, (bx + pad, by + pad + th), scale, colour, thickness, outline=False)
        if degree:
            centre = (bx + pad + tw + ring_r + lay.px(2), by + pad + ring_r)
            cv2.circle(img, centre, ring_r, colour, max(1, thickness - 1), cv2.LINE_AA)


# ---------------------------------------------------------------- text panels


def _draw_banner(img: np.ndarray, result: FrameResult, lay: _Layout) -> int:
    """The one cue, large, on a semi-transparent banner across the top; returns its height."""
    w = lay.width_px
    margin = lay.px(10)
    stripe = lay.px(10)
    scale = 1.0 * lay.unit
    thickness = lay.px(2)
    text = result.cue or _default_cue(result.status)
    lines, scale = _fit_lines(text, w - 2 * margin - stripe - margin, scale, thickness)
    _, th, base = _text_size("Ag", scale, thickness)
    line_h = th + base + lay.px(6)
    height = len(lines) * line_h + 2 * margin
    _shade(img, 0, 0, w, height, alpha=0.62)
    cv2.rectangle(img, (0, 0), (stripe, height), STATUS_COLOUR[result.status], -1)
    y = margin + th
    for line in lines:
        _put_text(img, line, (stripe + margin, y), scale, WHITE, thickness, outline=False)
        y += line_h
    return height


def _default_cue(status: Status) -> str:
    return {
        Status.NO_PERSON: "Step into the picture",
        Status.NOT_VISIBLE: "Move so your whole body is in view",
        Status.WRONG_VIEW: "Turn to the camera as shown in the setup",
        Status.GET_IN_POSITION: "Get into the starting position",
        Status.ADJUST: "Adjust your position",
        Status.GOOD: "Good, hold it there",
        Status.REST: "Rest",
        Status.DONE: "All done. Well done!",
    }[status]


def side_text(progress: Progress, stretch: Stretch) -> str | None:
    """"Left leg", "Right side", "First side" or None when the stretch has no sides."""
    if not progress.side:
        return None
    part = stretch.sides.label if stretch.sides is not None else "side"
    return f"{progress.side.capitalize()} {part}"


def set_text(progress: Progress) -> str:
    """"Set 2 of 3" for the set under way; "3 of 3 sets done" once the dosage is done."""
    if progress.complete:
        return f"{progress.sets_target} of {progress.sets_target} sets done"
    done = progress.sets_done.get(progress.side or "", 0)
    if progress.side is None and progress.sets_done:
        done = max(progress.sets_done.values())
    current = min(done + 1, progress.sets_target)
    return f"Set {current} of {progress.sets_target}"


def timer_text(progress: Progress) -> str:
    """"12 / 30 s" for a hold, "Reps 4 / 10" for repetitions (a done dosage shows full)."""
    if progress.kind == "hold" and progress.complete:
        return f"{progress.hold_target_s:.0f} / {progress.hold_target_s:.0f} s"
    if progress.kind == "hold":
        return f"{progress.hold_s:.0f} / {progress.hold_target_s:.0f} s"
    return f"Reps {progress.reps} / {progress.reps_target}"


def _draw_timer(img: np.ndarray, result: FrameResult, lay: _Layout, bottom_y: int) -> None:
    """Bottom-left: a ring that fills with the hold, or the repetition count."""
    progress = result.progress
    running = result.status == Status.GOOD
    colour = GREEN if running else GREY
    scale = 0.75 * lay.unit
    thickness = lay.px(1.6)
    margin = lay.px(10)
    if progress.kind == "hold":
        radius = lay.px(34)
        ring_t = lay.px(8)
        centre = (margin + radius + ring_t, bottom_y - margin - radius - ring_t)
        label = timer_text(progress)
        state = "" if running or progress.complete else (
            "paused" if progress.hold_s > 0 else "")
        tw, th, _ = _text_size(label, scale, thickness)
        panel_x1 = centre[0] + radius + ring_t + 2 * margin + tw
        _shade(img, 0, centre[1] - radius - ring_t - margin, panel_x1,
               bottom_y, alpha=0.55)
        cv2.circle(img, centre, radius, (80, 80, 80), ring_t, cv2.LINE_AA)
        sweep = 360.0 * progress.hold_fraction
        if sweep > 0:
            cv2.ellipse(img, centre, (radius, radius), -90.0, 0.0, sweep, colour, ring_t,
                        cv2.LINE_AA)
        tx = centre[0] + radius + ring_t + margin
        _put_text(img, label, (tx, centre[1] + th // 2), scale, WHITE, thickness,
                  outline=False)
        if state:
            small = 0.5 * lay.unit
            _put_text(img, state, (tx, centre[1] + th // 2 + lay.px(24)), small, GREY,
                      lay.px(1), outline=False)
    else:
        label = timer_text(progress)
        tw, th, _ = _text_size(label, scale, thickness)
        bar_w = max(tw, lay.px(150))
        bar_h = lay.px(10)
        x0 = margin
        y_text = bottom_y - margin - bar_h - lay.px(8)
        _shade(img, 0, y_text - th - margin, x0 + bar_w + margin, bottom_y, alpha=0.55)
        _put_text(img, label, (x0, y_text), scale, WHITE, thickness, outline=False)
        y_bar = bottom_y - margin - bar_h
        cv2.rectangle(img, (x0, y_bar), (x0 + bar_w, y_bar + bar_h), (80, 80, 80), -1)
        fraction = progress.reps / progress.reps_target if progress.reps_target else 0.0
        fill = round(bar_w * min(1.0, fraction))
        if fill > 0:
            cv2.rectangle(img, (x0, y_bar), (x0 + fill, y_bar + bar_h), GREEN, -1)


def _draw_counters(img: np.ndarray, result: FrameResult, stretch: Stretch, lay: _Layout,
                   bottom_y: int) -> None:
    """Bottom-right: "Set 2 of 3" and "Left leg"."""
    lines = [set_text(result.progress)]
    side = side_text(result.progress, stretch)
    if side:
        lines.append(side)
    scale = 0.75 * lay.unit
    thickness = lay.px(1.6)
    margin = lay.px(10)
    _, th, base = _text_size("Ag", scale, thickness)
    line_h = th + base + lay.px(6)
    widest = max(_text_size(t, scale, thickness)[0] for t in lines)
    x1 = lay.width_px
    x0 = x1 - widest - 2 * margin
    y0 = bottom_y - len(lines) * line_h - 2 * margin
    _shade(img, x0, y0, x1, bottom_y, alpha=0.55)
    y = y0 + margin + th
    for t in lines:
        _put_text(img, t, (x0 + margin, y), scale, WHITE, thickness, outline=False)
        y += line_h


def _draw_safety(img: np.ndarray, lay: _Layout) -> int:
    """The always-visible safety line along the bottom edge; returns its top y."""
    scale = 0.5 * lay.unit
    thickness = lay.px(1)
    tw, th, base = _text_size(SAFETY_TEXT, scale, thickness)
    pad = lay.px(5)
    y0 = lay.height_px - th - base - 2 * pad
    _shade(img, 0, y0, lay.width_px, lay.height_px, alpha=0.65)
    x = (lay.width_px - tw) // 2
    _put_text(img, SAFETY_TEXT, (x, y0 + pad + th), scale, (255, 205, 120), thickness,
              outline=False)
    return y0


# ---------------------------------------------------------------- public


def draw_feedback(
    frame_rgb: np.ndarray,
    result: FrameResult,
    stretch: Stretch,
    *,
    mirror: bool = False,
) -> np.ndarray:
    """A new RGB frame with the feedback for ``result`` drawn on ``frame_rgb``.

    ``mirror`` flips the picture (a webcam then behaves like a mirror) but not
    the text. The pose in ``result`` is in the coordinates of the unflipped
    frame, as detection always runs on the unflipped frame.
    """
    if frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3 or frame_rgb.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 frame, got {frame_rgb.dtype} {frame_rgb.shape}")
    img = np.ascontiguousarray(frame_rgb).copy()
    h, w = img.shape[:2]
    lay = _Layout(w, h)
    pose = result.pose
    if pose is not None and pose.image_size != (w, h):
        pose = pose.scaled(w / pose.image_size[0])  # estimated on a resized copy
    if pose is not None:
        _draw_skeleton(img, pose, lay)
        _draw_checks(img, pose, result.checks, lay)
    if mirror:
        img = np.ascontiguousarray(img[:, ::-1])
    if pose is not None:
        _draw_value_labels(img, pose, result, lay, mirror)
    _draw_banner(img, result, lay)
    bottom = _draw_safety(img, lay)
    _draw_timer(img, result, lay, bottom)
    _draw_counters(img, result, stretch, lay, bottom)
    return img
