"""A video's pose sequence, estimated once and reused from an ``.npz`` cache.

:func:`load_or_estimate` is what video analysis, tuning and tests call: it
returns a :class:`PoseSequence`, from the cache when the cached file still
matches the source video (size, mtime, hash of its first and last MiB), the
model (its id) and the analysis settings, and otherwise runs the estimator
over the video and rewrites the cache atomically.

Poses are stored in the pixel coordinates of the upright, full-size video
frame even when the model ran on a downscaled copy. Frames where nobody was
found are kept as ``None`` (NaN in the arrays), never as zeros.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from posecheck.model import DEFAULT_VARIANT, default_cache_dir, resolve_model
from posecheck.pose import NUM_LANDMARKS, Pose
from posecheck.pose_stages import close_all, pose_stages, run_sharing_frames
from posecheck.stages import run_stages
from posecheck.video_io import (
    DEFAULT_ANALYSIS_MAX_SIDE_PX,
    DecodeGap,
    VideoInfo,
    iter_video_frames,
    probe_video,
    scaled_size,
)

logger = logging.getLogger(__name__)

CACHE_FORMAT_VERSION = 1
# In ``PoseSequence.extra``: the stretches of the video with no picture.
DECODE_GAPS_KEY = "decode_gaps"
_FINGERPRINT_CHUNK_BYTES = 1 << 20

# Called as progress(frames_done, frames_total_or_None).
FrameProgress = Callable[[int, int | None], None]
# Builds the estimator for one video; it must have ``estimate`` and ``close``.
EstimatorFactory = Callable[[], Any]


@dataclass
class PoseSequence:
    """One video's poses, frame by frame.

    ``poses[i]`` is the followed person at ``timestamps_s[i]`` or None.
    ``frame_size`` is the upright (width, height) of the source video, the
    space the poses are in; ``analysis_size`` is what the model saw.
    ``multi_person_frames`` is None when the estimator did not report it.
    """

    timestamps_s: np.ndarray
    poses: list[Pose | None]
    frame_size: tuple[int, int]
    model_id: str
    from_cache: bool
    source: Path
    fingerprint: str
    analysis_size: tuple[int, int]
    multi_person_frames: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    video_fps: float | None = None
    video_frame_count: int | None = None
    video_duration_s: float | None = None
    settings_key: str = ""
    cache_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.poses)

    @property
    def frame_count(self) -> int:
        return len(self.poses)

    @property
    def detected_mask(self) -> np.ndarray:
        """True where a person was found."""
        return np.array([p is not None for p in self.poses], dtype=bool)

    def xy_px(self) -> np.ndarray:
        """(N, 33, 2) pixel landmarks, NaN where nobody was found."""
        out = np.full((len(self.poses), NUM_LANDMARKS, 2), np.nan)
        for i, pose in enumerate(self.poses):
            if pose is not None:
                out[i] = pose.xy_px
        return out

    def visibility(self) -> np.ndarray:
        """(N, 33) visibilities, NaN where nobody was found."""
        out = np.full((len(self.poses), NUM_LANDMARKS), np.nan)
        for i, pose in enumerate(self.poses):
            if pose is not None:
                out[i] = pose.visibility
        return out

    def world_m(self) -> np.ndarray:
        """(N, 33, 3) world landmarks in metres, NaN where unknown."""
        out = np.full((len(self.poses), NUM_LANDMARKS, 3), np.nan)
        for i, pose in enumerate(self.poses):
            if pose is not None and pose.world_m is not None:
                out[i] = pose.world_m
        return out


def source_fingerprint(path: Path | str) -> str:
    """A fast fingerprint of a file: size, mtime and SHA-256 of its first and last MiB."""
    path = Path(path)
    stat = path.stat()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        digest.update(handle.read(_FINGERPRINT_CHUNK_BYTES))
        if stat.st_size > _FINGERPRINT_CHUNK_BYTES:
            handle.seek(max(stat.st_size - _FINGERPRINT_CHUNK_BYTES, _FINGERPRINT_CHUNK_BYTES))
            digest.update(handle.read())
    return f"{stat.st_size}-{stat.st_mtime_ns}-{digest.hexdigest()[:16]}"


def landmark_cache_dir(cache_dir: Path | str | None = None) -> Path:
    """Where pose sequences are cached (``<cache dir>/landmarks``)."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return base / "landmarks"


def cache_path_for(
    video_path: Path | str,
    *,
    cache_dir: Path | str | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    max_side_px: int | None = DEFAULT_ANALYSIS_MAX_SIDE_PX,
    settings_key: str = "",
) -> Path:
    """The cache file for a video and analysis range/settings.

    Keyed on the absolute path and settings, not on the content: when the
    video changes the same file is found, detected as stale and rewritten.
    """
    video_path = Path(video_path).resolve()
    key = json.dumps([str(video_path), start_s, end_s, max_side_px, settings_key])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return landmark_cache_dir(cache_dir) / f"{video_path.stem}-{digest}.npz"


def save_sequence(sequence: PoseSequence, path: Path | str) -> Path:
    """Write a pose sequence to ``path`` (.npz) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    has_world = any(p is not None and p.world_m is not None for p in sequence.poses)
    meta = {
        "format_version": CACHE_FORMAT_VERSION,
        "model_id": sequence.model_id,
        "source": str(sequence.source),
        "fingerprint": sequence.fingerprint,
        "frame_size": list(sequence.frame_size),
        "analysis_size": list(sequence.analysis_size),
        "multi_person_frames": sequence.multi_person_frames,
        "start_s": sequence.start_s,
        "end_s": sequence.end_s,
        "video_fps": sequence.video_fps,
        "video_frame_count": sequence.video_frame_count,
        "video_duration_s": sequence.video_duration_s,
        "settings_key": sequence.settings_key,
        "has_world": has_world,
        "extra": sequence.extra,
    }
    arrays = {
        "timestamps_s": np.asarray(sequence.timestamps_s, dtype=np.float64),
        "present": sequence.detected_mask,
        "xy_px": sequence.xy_px().astype(np.float32),
        "visibility": sequence.visibility().astype(np.float32),
        "meta_json": np.array(json.dumps(meta)),
    }
    if has_world:
        arrays["world_m"] = sequence.world_m().astype(np.float32)
    return write_npz_atomically(path, arrays)


def write_npz_atomically(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write a compressed ``.npz``: a reader sees the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def load_sequence(path: Path | str) -> PoseSequence:
    """Read a pose sequence written by :func:`save_sequence`.

    Raises ValueError when the file is not a readable cache of this format.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta_json"]))
            if meta.get("format_version") != CACHE_FORMAT_VERSION:
                raise ValueError(
                    f"{path}: cache format {meta.get('format_version')} is not "
                    f"{CACHE_FORMAT_VERSION}"
                )
            timestamps_s = data["timestamps_s"].astype(np.float64)
            present = data["present"].astype(bool)
            xy = data["xy_px"].astype(np.float64)
            vis = data["visibility"].astype(np.float64)
            world = data["world_m"].astype(np.float64) if "world_m" in data.files else None
    except (OSError, KeyError, json.JSONDecodeError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable landmark cache: {exc}") from exc
    frame_size = (int(meta["frame_size"][0]), int(meta["frame_size"][1]))
    poses: list[Pose | None] = []
    for i in range(len(timestamps_s)):
        if not present[i]:
            poses.append(None)
            continue
        world_i = world[i] if world is not None and not np.isnan(world[i]).any() else None
        poses.append(Pose(xy[i], vis[i], frame_size, world_i))
    return PoseSequence(
        timestamps_s=timestamps_s,
        poses=poses,
        frame_size=frame_size,
        model_id=meta["model_id"],
        from_cache=True,
        source=Path(meta["source"]),
        fingerprint=meta["fingerprint"],
        analysis_size=(int(meta["analysis_size"][0]), int(meta["analysis_size"][1])),
        multi_person_frames=meta["multi_person_frames"],
        start_s=meta["start_s"],
        end_s=meta["end_s"],
        video_fps=meta["video_fps"],
        video_frame_count=meta["video_frame_count"],
        video_duration_s=meta["video_duration_s"],
        settings_key=meta["settings_key"],
        cache_path=path,
        extra=meta.get("extra", {}),
    )


def estimate_video(
    video_path: Path | str,
    estimator: Any,
    *,
    model_id: str,
    info: VideoInfo | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    max_side_px: int | None = DEFAULT_ANALYSIS_MAX_SIDE_PX,
    progress: FrameProgress | None = None,
    settings_key: str = "",
    analysis_fps: float | None = None,
) -> PoseSequence:
    """Run ``estimator`` (an :class:`posecheck.estimator.Estimator`, or a list from
    :func:`posecheck.estimator.video_estimators` sharing the frames) over a video.

    Decoding and the model run on their own threads (:mod:`posecheck.pose_stages`).
    With ``analysis_fps`` the model sees at most that many frames per second and
    the frames between get interpolated poses (:mod:`posecheck.analysis_rate`).
    """
    video_path = Path(video_path)
    info = info or probe_video(video_path)
    estimators = list(estimator) if isinstance(estimator, (list, tuple)) else [estimator]
    fingerprint = source_fingerprint(video_path)
    total = expected_frames(info, start_s, end_s)
    timestamps: list[float] = []
    poses: list[Pose | None] = []
    gaps: list[DecodeGap] = []

    def keep(item: tuple[Any, float, Pose | None]) -> None:
        _, t_s, pose = item
        poses.append(pose)
        timestamps.append(t_s)
        if progress is not None:
            progress(len(poses), total)

    def run(sharing: Sequence[Any]) -> int | None:
        """The poses into the lists; the follower's count of frames with several people."""
        timestamps.clear()
        poses.clear()
        gaps.clear()
        run_stages(
            iter_video_frames(video_path, start_s=start_s, end_s=end_s,
                              max_side_px=max_side_px, gaps=gaps, lazy=True),
            pose_stages(sharing, rate_hz=analysis_fps,
                        frame_interval_s=info.frame_interval_s,
                        frame_size_px=info.size_px),
            keep,
        )
        return getattr(sharing[0], "multi_person_frames", None)

    multi = run_sharing_frames(estimators, run, video_path)
    return new_sequence(video_path, info, fingerprint, timestamps, poses, model_id=model_id,
                        multi_person_frames=multi, start_s=start_s, end_s=end_s,
                        max_side_px=max_side_px, settings_key=settings_key, gaps=gaps)


def new_sequence(
    video_path: Path,
    info: VideoInfo,
    fingerprint: str,
    timestamps_s: list[float],
    poses: list[Pose | None],
    *,
    model_id: str,
    multi_person_frames: int | None,
    start_s: float | None,
    end_s: float | None,
    max_side_px: int | None,
    settings_key: str,
    gaps: list[DecodeGap] | None = None,
) -> PoseSequence:
    """A freshly estimated sequence (poses already in full-frame pixels)."""
    return PoseSequence(
        timestamps_s=np.array(timestamps_s, dtype=np.float64),
        poses=poses,
        frame_size=info.size_px,
        model_id=model_id,
        from_cache=False,
        source=video_path.resolve(),
        fingerprint=fingerprint,
        analysis_size=scaled_size(info.width_px, info.height_px, max_side_px),
        multi_person_frames=int(multi_person_frames) if multi_person_frames is not None else None,
        start_s=start_s,
        end_s=end_s,
        video_fps=info.fps,
        video_frame_count=info.frame_count,
        video_duration_s=info.duration_s,
        settings_key=settings_key,
        extra={DECODE_GAPS_KEY: [gap.to_dict() for gap in gaps]} if gaps else {},
    )


def decode_gaps(sequence: PoseSequence) -> list[DecodeGap]:
    """Where the video had no picture (damaged or cut short), as read when estimating."""
    return [DecodeGap.from_dict(g) for g in sequence.extra.get(DECODE_GAPS_KEY, [])]


def expected_frames(info: VideoInfo, start_s: float | None, end_s: float | None) -> int | None:
    if info.fps is None or info.duration_s is None:
        return info.frame_count
    first = start_s or 0.0
    last = min(end_s, info.duration_s) if end_s is not None else info.duration_s
    return max(0, round((last - first) * info.fps))


@dataclass(frozen=True)
class LandmarkJob:
    """What one video's landmarks depend on, and where they are cached."""

    video_path: Path
    info: VideoInfo
    model: str | Path
    resolved: Any  # a ResolvedModel, or None when the caller supplies the estimator
    model_id: str
    settings: Any  # an EstimatorSettings
    cache_path: Path
    fingerprint: str
    start_s: float | None
    end_s: float | None
    max_side_px: int | None
    cache_dir: Path | str | None

    @property
    def settings_key(self) -> str:
        return self.settings.key()

    def estimators(self, threads: int | None = None) -> list[Any]:
        """Video estimators to share this video's frames (see ``video_estimators``)."""
        from posecheck.estimator import video_estimators

        return video_estimators(self.resolved or self.model, settings=self.settings,
                                threads=threads, cache_dir=self.cache_dir)

    def sequence(self, timestamps_s: list[float], poses: list[Pose | None],
                 multi_person_frames: int | None,
                 gaps: list[DecodeGap] | None = None) -> PoseSequence:
        return new_sequence(self.video_path, self.info, self.fingerprint, timestamps_s, poses,
                            model_id=self.model_id, multi_person_frames=multi_person_frames,
                            start_s=self.start_s, end_s=self.end_s,
                            max_side_px=self.max_side_px, settings_key=self.settings_key,
                            gaps=gaps)


def landmark_job(
    video_path: Path | str,
    model: str | Path = DEFAULT_VARIANT,
    *,
    cache_dir: Path | str | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    max_side_px: int | None = DEFAULT_ANALYSIS_MAX_SIDE_PX,
    settings: Any = None,
    model_id: str | None = None,
) -> LandmarkJob:
    """Probe the video, resolve the model and find the cache file (nothing is estimated)."""
    video_path = Path(video_path)
    info = probe_video(video_path)
    resolved = None
    if model_id is None:
        resolved = resolve_model(model, cache_dir=cache_dir)
        model_id = resolved.model_id
    if settings is None:
        from posecheck.estimator import EstimatorSettings

        settings = EstimatorSettings()
    path = cache_path_for(
        video_path,
        cache_dir=cache_dir,
        start_s=start_s,
        end_s=end_s,
        max_side_px=max_side_px,
        settings_key=settings.key(),
    )
    return LandmarkJob(video_path, info, model, resolved, model_id, settings, path,
                       source_fingerprint(video_path), start_s, end_s, max_side_px, cache_dir)


def load_cached(job: LandmarkJob) -> PoseSequence | None:
    """The cached sequence when it still matches the video, model and settings, else None."""
    path = job.cache_path
    if not path.is_file():
        return None
    try:
        cached = load_sequence(path)
    except ValueError as exc:
        logger.warning("ignoring unreadable landmark cache: %s", exc)
        return None
    if cached.fingerprint != job.fingerprint:
        logger.info("%s changed since it was cached; re-estimating", job.video_path)
    elif cached.model_id != job.model_id:
        logger.info("cache for %s is from model %s, not %s; re-estimating",
                    job.video_path, cached.model_id, job.model_id)
    elif cached.settings_key != job.settings_key:
        logger.info("cache for %s used other settings; re-estimating", job.video_path)
    else:
        logger.debug("landmarks for %s loaded from %s", job.video_path, path)
        return cached
    return None


def store(job: LandmarkJob, sequence: PoseSequence) -> PoseSequence:
    """Cache a freshly estimated sequence, unless the video changed while it was read."""
    if source_fingerprint(job.video_path) != job.fingerprint:
        logger.warning("%s changed while it was being analysed; not caching", job.video_path)
        return sequence
    sequence.cache_path = save_sequence(sequence, job.cache_path)
    return sequence


def load_or_estimate(
    video_path: Path | str,
    model: str | Path = DEFAULT_VARIANT,
    *,
    cache_dir: Path | str | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    progress: FrameProgress | None = None,
    max_side_px: int | None = DEFAULT_ANALYSIS_MAX_SIDE_PX,
    settings: Any = None,
    model_id: str | None = None,
    estimator_factory: EstimatorFactory | None = None,
    rebuild: bool = False,
    model_threads: int | None = None,
) -> PoseSequence:
    """The video's pose sequence, from the cache when it still matches, else estimated.

    ``model`` is ``lite|full|heavy|PATH`` (see :func:`posecheck.model.resolve_model`);
    ``settings`` an :class:`posecheck.estimator.EstimatorSettings`. Tests and
    tools may pass ``estimator_factory`` (a zero-argument callable returning an
    object with ``estimate`` and ``close``) together with the ``model_id`` its
    output should be cached under. ``rebuild=True`` ignores any cached file.
    ``model_threads`` landmarkers share the frames (default: one per core, see
    :func:`posecheck.estimator.model_threads`); the landmarks are the same.
    """
    job = landmark_job(video_path, model, cache_dir=cache_dir, start_s=start_s, end_s=end_s,
                       max_side_px=max_side_px, settings=settings, model_id=model_id)
    if not rebuild:
        cached = load_cached(job)
        if cached is not None:
            return cached
    estimators = [estimator_factory()] if estimator_factory else job.estimators(model_threads)
    try:
        sequence = estimate_video(
            job.video_path,
            estimators,
            model_id=job.model_id,
            info=job.info,
            start_s=start_s,
            end_s=end_s,
            max_side_px=max_side_px,
            progress=progress,
            settings_key=job.settings_key,
            analysis_fps=getattr(job.settings, "analysis_fps", None),
        )
    finally:
        close_all(estimators)
    return store(job, sequence)
