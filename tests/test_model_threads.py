"""Several landmarkers sharing one video's frames give the same landmarks as one.

MediaPipe asked for two people looks for people afresh in every frame, so the
frames can be dealt out to landmarkers on their own threads. These tests hold
that on real footage with the real model (a MediaPipe release that carried
state from frame to frame would fail them), and check the dealing and the
following in order with fakes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _footage import footage, shared_model

from posecheck.analysis_rate import DEFAULT_ANALYSIS_FPS
from posecheck.estimator import EstimatorSettings, PoseEstimator, model_threads, video_estimators
from posecheck.landmark_cache import estimate_video
from posecheck.pose import NUM_LANDMARKS, Pose
from posecheck.pose_stages import pose_stages
from posecheck.stages import run_stages
from posecheck.video_io import read_image_rgb


def _estimated(video, threads: int, **kwargs):
    estimators = video_estimators(shared_model(), threads=threads,
                                  settings=EstimatorSettings(analysis_fps=kwargs.get(
                                      "analysis_fps")))
    try:
        return estimate_video(video, estimators, model_id="full", **kwargs)
    finally:
        for est in estimators:
            est.close()


def _assert_same(a, b) -> None:
    np.testing.assert_array_equal(a.timestamps_s, b.timestamps_s)
    np.testing.assert_array_equal(a.detected_mask, b.detected_mask)
    np.testing.assert_array_equal(a.xy_px(), b.xy_px())
    np.testing.assert_array_equal(a.visibility(), b.visibility())
    np.testing.assert_array_equal(a.world_m(), b.world_m())
    assert a.multi_person_frames == b.multi_person_frames


@pytest.mark.parametrize(("video", "kwargs"), [
    ("pelvic_tilt/polybag_pelvic_tilt.mp4", {"analysis_fps": DEFAULT_ANALYSIS_FPS}),
    ("kneeling_lumbar_flexion/polybag_child_pose.mp4", {"end_s": 5.0}),  # every frame
])
def test_two_landmarkers_give_the_landmarks_of_one(video: str, kwargs: dict) -> None:
    path = footage(video)
    one = _estimated(path, 1, **kwargs)
    two = _estimated(path, 2, **kwargs)
    assert one.detected_mask.mean() > 0.9
    _assert_same(one, two)


@pytest.fixture(scope="module")
def helper_walks_in(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s clip of real photos: one person, then a second one beside them from 1.5 s."""
    import cv2

    from posecheck.video_io import Mp4Writer

    def at_height(path: str, h: int) -> np.ndarray:
        img = read_image_rgb(footage(path))
        return cv2.resize(img, (int(img.shape[1] * h / img.shape[0]) // 2 * 2, h))

    first = at_height("head_rolls/fedb_Side_Neck_Stretch_0.jpg", 480)
    second = at_height("kneeling_hip_hinge/fedb_Looking_At_Ceiling_0.jpg", 480)
    empty = np.full_like(second, 128)
    clip = tmp_path_factory.mktemp("two-people") / "helper_walks_in.mp4"
    with Mp4Writer(clip, fps=10) as writer:
        for i in range(30):
            frame = np.concatenate([first, second if i >= 15 else empty], axis=1)
            writer.write(np.ascontiguousarray(np.roll(frame, 3 * i, axis=1)))
    return clip


def test_once_a_second_person_is_tracked_the_video_is_run_on_one_landmarker(
    helper_walks_in: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With as many people in view as it asked for, MediaPipe tracks them from frame to
    frame; shared frames would then give other landmarks, so the run starts again on one."""
    one = _estimated(helper_walks_in, 1)
    assert one.multi_person_frames == 15
    with caplog.at_level("INFO", logger="posecheck.pose_stages"):
        two = _estimated(helper_walks_in, 2)
    assert "2 people in view at 1.50 s; estimating again on one landmarker" in caplog.text
    _assert_same(one, two)


def test_the_analysis_of_that_video_is_the_same_on_one_landmarker_or_two(
    helper_walks_in: Path, tmp_path: Path
) -> None:
    from posecheck.video_analysis import analyze_video

    runs = {}
    for threads in (1, 2):
        out = tmp_path / str(threads)
        runs[threads] = analyze_video(helper_walks_in, "standing_extension", out,
                                      cache_dir=tmp_path / f"cache{threads}",
                                      model_threads=threads)
        assert runs[threads].outputs["video"].is_file()
    frames = [(tmp_path / str(n) / "frames.csv").read_bytes() for n in (1, 2)]
    assert frames[0] == frames[1]
    assert runs[1].summary_dict["faults"] == runs[2].summary_dict["faults"]


def test_how_many_landmarkers() -> None:
    assert model_threads(EstimatorSettings(num_poses=1)) == 1  # tracking: frames in order
    assert model_threads(EstimatorSettings(num_poses=1), 4) == 1
    assert model_threads(EstimatorSettings(), 3) == 3
    assert 1 <= model_threads(EstimatorSettings()) <= 4
    with pytest.raises(ValueError, match="at least 1"):
        model_threads(EstimatorSettings(), 0)


def test_tracking_one_person_keeps_one_landmarker() -> None:
    estimators = video_estimators(shared_model(), settings=EstimatorSettings(num_poses=1),
                                  threads=2)
    try:
        assert len(estimators) == 1 and isinstance(estimators[0], PoseEstimator)
    finally:
        for est in estimators:
            est.close()


class _FakeLandmarker:
    """Finds one person at x = the frame's number; records what it was given."""

    def __init__(self, log: list[tuple[str, int, float]], name: str) -> None:
        self.log, self.name = log, name
        self.last_timestamp_ms: int | None = None

    def estimate_all(self, rgb: np.ndarray, ms: int) -> list[Pose]:
        self.last_timestamp_ms = ms
        self.log.append((self.name, ms, float(rgb[0, 0, 0])))
        xy = np.full((NUM_LANDMARKS, 2), float(rgb[0, 0, 0]))
        return [Pose(xy, np.full(NUM_LANDMARKS, 0.9), (8, 4))]

    def follow(self, poses: list[Pose], rgb: np.ndarray, ms: int | None) -> Pose | None:
        self.log.append(("follow", int(ms or 0), float(rgb[0, 0, 0])))
        return poses[0]


def test_model_frames_are_dealt_in_turn_and_followed_in_order() -> None:
    log: list[tuple[str, int, float]] = []
    fakes = [_FakeLandmarker(log, "a"), _FakeLandmarker(log, "b")]
    frames = [(np.full((4, 8, 3), i, dtype=np.uint8), i / 30) for i in range(12)]
    out: list[tuple[float, Pose | None]] = []
    run_stages(frames, pose_stages(fakes, rate_hz=15, frame_interval_s=1 / 30,
                                   frame_size_px=(16, 8)),
               lambda item: out.append((item[1], item[2])))
    for name, first in (("a", 0), ("b", 2)):  # every other model frame, in order
        assert [x for who, _, x in log if who == name] == list(range(first, 12, 4))
    assert [x for name, _, x in log if name == "follow"] == [0, 2, 4, 6, 8, 10]
    assert [t for t, _ in out] == [i / 30 for i in range(12)]
    # Every frame gets a pose in full-frame pixels; those between are interpolated.
    xs = [pose.xy_px[0, 0] for _, pose in out]
    np.testing.assert_allclose(xs[:11], [(i + 0.5) * 2 - 0.5 for i in range(11)])
    assert xs[11] == xs[10]  # after the last model frame: its pose
