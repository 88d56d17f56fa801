"""The drawn feedback: what lands where, on real-size frames, for each status."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic import CORRECT, FAULTS

from posecheck.engine import Status, StretchChecker
from posecheck.overlay import (
    GREY,
    RED,
    draw_feedback,
    format_value,
    layout_scale,
    set_text,
    side_text,
    timer_text,
)
from posecheck.pose import LANDMARK_INDEX, Pose
from posecheck.reference import load_stretch
from posecheck.verdicts import Verdict

SIZES = [(640, 480), (1920, 1080), (1080, 1920)]


def _run(stretch_id: str, pose: Pose | None, frames: int = 30, step_s: float = 0.1):
    stretch = load_stretch(stretch_id)
    checker = StretchChecker(stretch)
    result = None
    for i in range(frames):
        result = checker.update(pose, i * step_s)
    assert result is not None
    return stretch, result


def _frame(size: tuple[int, int], grey: int = 128) -> np.ndarray:
    w, h = size
    return np.full((h, w, 3), grey, np.uint8)


def _fault(stretch_id: str) -> Pose:
    return next(f[2] for f in FAULTS if f[0] == stretch_id)


def _red_mask(img: np.ndarray) -> np.ndarray:
    r, g, b = (img[..., i].astype(int) for i in range(3))
    return (r > 180) & (g < 110) & (b < 110)


def _is_colour(px: np.ndarray, colour: tuple[int, int, int], tol: int = 30) -> bool:
    return bool(np.all(np.abs(px.astype(int) - np.array(colour)) <= tol))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("stretch_id", "pose", "status"),
    [
        ("kneeling_lumbar_flexion", None, Status.NO_PERSON),
        ("kneeling_lumbar_flexion", CORRECT["kneeling_lumbar_flexion"], Status.GOOD),
        ("kneeling_lumbar_flexion", _fault("kneeling_lumbar_flexion"), Status.GET_IN_POSITION),
        ("bird_dog", _fault("bird_dog"), Status.ADJUST),
        ("standing_extension", CORRECT["doorway_stretch"], Status.WRONG_VIEW),
    ],
)
def test_each_status_draws_banner_and_safety_line(size, stretch_id, pose, status) -> None:
    if pose is not None:
        pose = pose.scaled(min(size[0] / pose.image_size[0], size[1] / pose.image_size[1]))
    stretch, result = _run(stretch_id, pose)
    assert result.status == status
    frame = _frame(size)
    out = draw_feedback(frame, result, stretch)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.array_equal(frame, _frame(size)), "the input frame must not change"
    scale = layout_scale(size)
    # Banner: the top strip is darkened and carries white text.
    top = out[: int(30 * scale)]
    assert top.mean() < 110
    assert (top > 240).all(axis=2).any()
    # Safety line along the bottom edge.
    bottom = out[-int(12 * scale):]
    assert (bottom != 128).any()
    # The middle of the picture is untouched where no pose is drawn.
    if pose is None:
        mid = out[size[1] // 2 - 5: size[1] // 2 + 5, size[0] // 2 - 5: size[0] // 2 + 5]
        assert (mid == 128).all()


def test_fault_joint_is_red_and_ok_joint_green() -> None:
    pose = _fault("kneeling_lumbar_flexion")
    stretch, result = _run("kneeling_lumbar_flexion", pose)
    faulty = next(r for r in result.checks if r.verdict.is_fault)
    out = draw_feedback(_frame(pose.image_size), result, stretch)
    vertex = faulty.landmarks[1]
    x, y = np.rint(pose.point(vertex)).astype(int)
    assert _is_colour(out[y, x], RED)


def test_unknown_joints_are_never_red() -> None:
    # The hips and knees are hidden: every check that needs them is unknown.
    pose = CORRECT["kneeling_lumbar_flexion"]
    vis = pose.visibility.copy()
    for name in ("left_hip", "right_hip", "left_knee", "right_knee"):
        vis[LANDMARK_INDEX[name]] = 0.1
    hidden = replace(pose, visibility=vis)
    stretch, result = _run("kneeling_lumbar_flexion", hidden)
    assert result.status == Status.NOT_VISIBLE
    assert all(not r.verdict.is_fault for r in result.checks)
    unknown = [r for r in result.checks if r.verdict == Verdict.UNKNOWN]
    assert unknown
    out = draw_feedback(_frame(pose.image_size), result, stretch)
    assert not _red_mask(out).any()
    # Joints that are seen but used only by unknown checks are grey.
    seen = [n for r in unknown for n in r.landmarks if hidden.vis(n) >= 0.5]
    assert seen
    x, y = np.rint(pose.point(seen[0])).astype(int)
    assert _is_colour(out[y, x], GREY)


def test_mirror_flips_the_picture_but_not_the_text() -> None:
    size = (640, 480)
    stretch, result = _run("kneeling_lumbar_flexion", None, frames=3)
    w, h = size
    frame = _frame(size)
    frame[h // 2 - 20: h // 2 + 20, 20:60] = (0, 0, 255)  # a blue square on the left
    plain = draw_feedback(frame, result, stretch)
    mirrored = draw_feedback(frame, result, stretch, mirror=True)
    assert (plain[h // 2, 40] == (0, 0, 255)).all()
    assert (mirrored[h // 2, w - 1 - 40] == (0, 0, 255)).all()
    # The banner text reads the same (not flipped) in both.
    banner = slice(0, 40)
    text_plain = (plain[banner] > 240).all(axis=2)
    text_mirror = (mirrored[banner] > 240).all(axis=2)
    assert np.array_equal(text_plain, text_mirror)
    assert not np.array_equal(text_plain, text_plain[:, ::-1])


def test_mirrored_pose_lands_on_the_mirrored_body() -> None:
    pose = _fault("kneeling_lumbar_flexion")
    stretch, result = _run("kneeling_lumbar_flexion", pose)
    faulty = next(r for r in result.checks if r.verdict.is_fault)
    out = draw_feedback(_frame(pose.image_size), result, stretch, mirror=True)
    x, y = np.rint(pose.point(faulty.landmarks[1])).astype(int)
    assert _is_colour(out[y, pose.image_size[0] - 1 - x], RED)


def test_text_helpers() -> None:
    stretch, result = _run("knee_to_chest", CORRECT["knee_to_chest"], frames=40)
    assert side_text(result.progress, stretch) in ("Left leg", "Right leg")
    assert set_text(result.progress) == "Set 1 of 2"
    assert timer_text(result.progress).endswith(f"/ {result.progress.hold_target_s:.0f} s")
    _, reps = _run("bridge", CORRECT["bridge"], frames=5)
    assert timer_text(reps.progress) == "Reps 0 / 10"
    # Once the dosage is done, nothing reads as if a set were still to come.
    done = replace(result.progress, complete=True, hold_s=0.0,
                   sets_done={"left": 2, "right": 2})
    assert set_text(done) == "2 of 2 sets done"
    assert timer_text(done) == f"{done.hold_target_s:.0f} / {done.hold_target_s:.0f} s"
    check = stretch.checks[0]
    assert format_value(check, None) == "?"
    assert format_value(check, -0.3) in ("0", "0%")


def test_hold_ring_fills_only_with_progress() -> None:
    stretch, early = _run("kneeling_lumbar_flexion", CORRECT["kneeling_lumbar_flexion"], 2)
    _, later = _run("kneeling_lumbar_flexion", CORRECT["kneeling_lumbar_flexion"], 150)
    assert later.progress.hold_fraction > 0.3
    frame = _frame((640, 480), grey=128)
    a = draw_feedback(frame, early, stretch)
    b = draw_feedback(frame, later, stretch)
    green = lambda img: ((img[..., 1] > 170) & (img[..., 0] < 90)).sum()  # noqa: E731
    region = (slice(330, 470), slice(0, 110))
    assert green(b[region]) > green(a[region]) + 100


def test_pose_from_a_smaller_picture_is_scaled_to_the_frame() -> None:
    pose = CORRECT["kneeling_lumbar_flexion"]
    stretch, result = _run("kneeling_lumbar_flexion", pose.scaled(0.5))
    out = draw_feedback(_frame(pose.image_size), result, stretch)
    x, y = np.rint(pose.point("left_knee")).astype(int)
    assert not (out[y, x] == 128).all()


def test_rejects_non_rgb_frames() -> None:
    stretch, result = _run("kneeling_lumbar_flexion", None, 2)
    with pytest.raises(ValueError, match="RGB uint8"):
        draw_feedback(np.zeros((10, 10), np.uint8), result, stretch)


def test_fast_enough_at_640x480() -> None:
    import time

    stretch, result = _run("bird_dog", _fault("bird_dog"))
    frame = _frame((640, 480))
    draw_feedback(frame, result, stretch)
    start = time.perf_counter()
    n = 50
    for _ in range(n):
        draw_feedback(frame, result, stretch)
    per_frame_ms = (time.perf_counter() - start) / n * 1000
    assert per_frame_ms < 15  # ~1.5 ms alone; generous for a busy shared machine
