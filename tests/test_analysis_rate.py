"""Running the model at a lower rate than the video: which frames, and the poses between."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.analysis_rate import SparsePoses, interpolate_pose, model_frame_share
from posecheck.pose import NUM_LANDMARKS, Pose


def _pose(x: float) -> Pose:
    xy = np.full((NUM_LANDMARKS, 2), x)
    return Pose(xy, np.full(NUM_LANDMARKS, 0.9), (640, 480))


def _run(times: list[float], rate_hz: float | None, found=lambda t: True):
    seen: list[float] = []

    def estimate(_item, t):
        seen.append(t)
        return _pose(100 * t) if found(t) else None

    sparse = SparsePoses(estimate, rate_hz, frame_interval_s=times[1] - times[0])
    out = []
    for i, t in enumerate(times):
        out += sparse.add(i, t)
    out += sparse.finish()
    return seen, out


def test_every_frame_goes_to_the_model_without_a_rate() -> None:
    times = [i / 30 for i in range(10)]
    seen, out = _run(times, None)
    assert seen == times and [t for _, t, _ in out] == times


def test_half_the_frames_at_15_per_second_of_a_30_fps_video_and_the_rest_interpolated() -> None:
    times = [i / 30 for i in range(31)]
    seen, out = _run(times, 15)
    assert seen == times[::2]
    assert [item for item, _, _ in out] == list(range(31))  # every frame, in order
    for _, t, pose in out:
        assert pose is not None
        np.testing.assert_allclose(pose.xy_px[0, 0], 100 * t, atol=1e-9)


def test_jittery_timestamps_still_pick_every_other_frame() -> None:
    rng = np.random.default_rng(1)
    times = list(np.arange(60) / 30 + rng.uniform(-0.004, 0.004, 60))
    seen, _ = _run(times, 15)
    assert len(seen) == 30


def test_nothing_is_invented_next_to_a_frame_with_nobody() -> None:
    times = [i / 30 for i in range(9)]
    _, out = _run(times, 10, found=lambda t: abs(t - 0.2) > 1e-9)  # model frames 0, .1, .2, .3
    unknown = [round(t, 3) for _, t, pose in out if pose is None]
    assert unknown == [0.133, 0.167, 0.2, 0.233, 0.267]


def test_frames_after_the_last_model_frame_keep_its_pose() -> None:
    times = [i / 30 for i in range(8)]  # model frames at 0, 1/10 (3/30), 2/10 (6/30)
    _, out = _run(times, 10)
    assert len(out) == 8
    assert out[-1][2] is not None and out[-1][2].xy_px[0, 0] == pytest.approx(100 * 6 / 30)


def test_interpolation_weights_and_share() -> None:
    a, b = _pose(0), _pose(10)
    assert interpolate_pose(a, b, 0.25).xy_px[0, 0] == pytest.approx(2.5)
    assert interpolate_pose(a, None, 0.5) is None
    assert model_frame_share(np.arange(300) / 30, 15) == pytest.approx(0.5)
    assert model_frame_share(np.arange(300) / 30, None) == 1.0
    with pytest.raises(ValueError, match="positive"):
        SparsePoses(lambda *_: None, 0)
