"""The landmark cache: estimate once, reuse, rebuild when stale."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from _footage import _isolated_cache, footage, shared_model  # noqa: F401

from posecheck.estimator import PoseEstimator
from posecheck.landmark_cache import (
    decode_gaps,
    load_or_estimate,
    load_sequence,
    source_fingerprint,
)
from posecheck.pose import NUM_LANDMARKS, Pose
from posecheck.video_io import Mp4Writer, iter_video_frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of the real bird-dog video, re-encoded small into a temp dir."""
    src = footage("bird_dog/polybag_bird_dog.mp4")
    path = tmp_path_factory.mktemp("clip") / "bird_dog_2s.mp4"
    with Mp4Writer(path, fps=30) as writer:
        for rgb, _ in iter_video_frames(src, start_s=3.0, end_s=5.0, max_side_px=640):
            writer.write(rgb)
    return path


class CountingFactory:
    """Builds real estimators and counts how often the model is run."""

    def __init__(self) -> None:
        self.created = 0
        self.frames = 0

    def __call__(self) -> PoseEstimator:
        self.created += 1
        estimator = PoseEstimator(shared_model(), mode="video")
        original = estimator.estimate_all

        def counted(frame_rgb: np.ndarray, timestamp_ms: int | None = None) -> list[Pose]:
            self.frames += 1
            return original(frame_rgb, timestamp_ms)

        estimator.estimate_all = counted  # type: ignore[method-assign]
        return estimator


class FakeEstimator:
    """Returns a fixed pose on even frames and nobody on odd ones."""

    def __init__(self) -> None:
        self.calls = 0
        self.multi_person_frames = 0
        self.closed = False

    def estimate(self, frame_rgb: np.ndarray, timestamp_ms: int) -> Pose | None:
        self.calls += 1
        if self.calls % 2 == 0:
            return None
        h, w = frame_rgb.shape[:2]
        xy = np.tile([w / 2, h / 2], (NUM_LANDMARKS, 1))
        return Pose(xy, np.full(NUM_LANDMARKS, 0.9), (w, h), np.zeros((NUM_LANDMARKS, 3)))

    def close(self) -> None:
        self.closed = True


def test_second_load_does_not_run_the_model(clip: Path, tmp_path: Path) -> None:
    factory = CountingFactory()
    model_id = shared_model().model_id
    first = load_or_estimate(
        clip, cache_dir=tmp_path, model_id=model_id, estimator_factory=factory, max_side_px=320
    )
    assert not first.from_cache
    assert factory.created == 1 and factory.frames == len(first) == 60
    assert first.detected_mask.mean() > 0.9
    assert first.frame_size == (360, 640)
    assert all(p is None or p.image_size == (360, 640) for p in first.poses)
    assert first.multi_person_frames == 0
    assert first.cache_path is not None and first.cache_path.parent == tmp_path / "landmarks"

    second = load_or_estimate(
        clip, cache_dir=tmp_path, model_id=model_id, estimator_factory=factory, max_side_px=320
    )
    assert second.from_cache
    assert factory.created == 1 and factory.frames == 60
    np.testing.assert_allclose(second.timestamps_s, first.timestamps_s)
    np.testing.assert_allclose(second.xy_px(), first.xy_px(), atol=1e-3, equal_nan=True)
    np.testing.assert_allclose(second.world_m(), first.world_m(), atol=1e-5, equal_nan=True)
    assert second.model_id == model_id and second.fingerprint == first.fingerprint


def test_default_model_path_uses_the_real_estimator(clip: Path) -> None:
    cache_root = Path(os.environ["POSECHECK_CACHE_DIR"])
    seq = load_or_estimate(clip, "full", end_s=0.5, max_side_px=320)
    assert seq.model_id == shared_model().model_id
    assert seq.cache_path is not None and seq.cache_path.is_relative_to(cache_root)
    assert len(seq) == 15
    assert load_or_estimate(clip, "full", end_s=0.5, max_side_px=320).from_cache


def test_other_model_id_rebuilds(clip: Path, tmp_path: Path) -> None:
    fakes: list[FakeEstimator] = []

    def factory() -> FakeEstimator:
        fakes.append(FakeEstimator())
        return fakes[-1]

    load_or_estimate(clip, cache_dir=tmp_path, model_id="a", estimator_factory=factory)
    assert load_or_estimate(
        clip, cache_dir=tmp_path, model_id="a", estimator_factory=factory
    ).from_cache
    rebuilt = load_or_estimate(clip, cache_dir=tmp_path, model_id="b", estimator_factory=factory)
    assert not rebuilt.from_cache and rebuilt.model_id == "b"
    assert len(fakes) == 2 and all(f.closed for f in fakes)


def test_modified_source_rebuilds(clip: Path, tmp_path: Path) -> None:
    video = tmp_path / "copy.mp4"
    video.write_bytes(clip.read_bytes())
    fakes: list[FakeEstimator] = []

    def factory() -> FakeEstimator:
        fakes.append(FakeEstimator())
        return fakes[-1]

    kwargs = {"cache_dir": tmp_path / "cache", "model_id": "m", "estimator_factory": factory}
    load_or_estimate(video, **kwargs)
    before = source_fingerprint(video)
    # Same size, different bytes and a different mtime.
    data = bytearray(video.read_bytes())
    data[-10] ^= 0xFF
    video.write_bytes(bytes(data))
    os.utime(video, ns=(video.stat().st_atime_ns, video.stat().st_mtime_ns + 10**9))
    assert source_fingerprint(video) != before
    again = load_or_estimate(video, **kwargs)
    assert not again.from_cache and len(fakes) == 2


def test_missing_people_stay_missing(clip: Path, tmp_path: Path) -> None:
    seq = load_or_estimate(clip, cache_dir=tmp_path, model_id="m", estimator_factory=FakeEstimator)
    cached = load_sequence(seq.cache_path)
    assert cached.poses[1] is None and cached.poses[0] is not None
    assert np.isnan(cached.xy_px()[1]).all() and not np.isnan(cached.xy_px()[0]).any()
    assert np.isnan(cached.visibility()[1]).all()
    assert cached.detected_mask.tolist() == [i % 2 == 0 for i in range(len(cached))]


def test_ranges_are_cached_separately(clip: Path, tmp_path: Path) -> None:
    kwargs = {"cache_dir": tmp_path, "model_id": "m", "estimator_factory": FakeEstimator}
    whole = load_or_estimate(clip, **kwargs)
    part = load_or_estimate(clip, start_s=0.5, end_s=1.0, **kwargs)
    assert not part.from_cache and len(part) == 15 and len(whole) == 60
    assert part.timestamps_s[0] == pytest.approx(0.5, abs=0.034)


def test_unreadable_cache_is_rebuilt(clip: Path, tmp_path: Path) -> None:
    kwargs = {"cache_dir": tmp_path, "model_id": "m", "estimator_factory": FakeEstimator}
    first = load_or_estimate(clip, **kwargs)
    first.cache_path.write_bytes(b"garbage")
    again = load_or_estimate(clip, **kwargs)
    assert not again.from_cache
    assert load_or_estimate(clip, **kwargs).from_cache


def test_truncated_video_is_read_to_its_end_and_its_gap_is_cached(tmp_path: Path) -> None:
    data = footage("bird_dog/polybag_bird_dog.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    kwargs = {"cache_dir": tmp_path / "c", "model_id": "m", "estimator_factory": FakeEstimator,
              "max_side_px": 160}
    first = load_or_estimate(cut, **kwargs)
    gaps = decode_gaps(first)
    assert [g.reason for g in gaps] == ["truncated"]
    assert gaps[0].start_s == pytest.approx(first.timestamps_s[-1] + 1 / 30, abs=1e-3)
    again = load_or_estimate(cut, **kwargs)
    assert again.from_cache
    assert decode_gaps(again) == gaps
