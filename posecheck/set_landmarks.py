"""Landmarks of a labelled set, estimated once and kept beside its labels.

Evaluating a labelled set needs only numbers: every photo's pose and every
clip's pose sequence. They are stored in a folder (``landmarks/`` beside the
labels file unless told otherwise) so that the set can be evaluated, and
checked in CI, without the media and without the model:

* ``photos.npz``: one row per photo, keyed by item id and the media's sha256;
* ``clips/<item id>.npz``: one pose sequence per clip (the landmark cache format).

:func:`build_landmarks` runs the model on items whose landmarks are missing
or stale (their media changed) when the media is at hand.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecheck.labelled_set import Item, LabelledSet
from posecheck.landmark_cache import (
    PoseSequence,
    load_sequence,
    save_sequence,
    write_npz_atomically,
)
from posecheck.pose import NUM_LANDMARKS, Pose

logger = logging.getLogger(__name__)

PHOTOS_FILE = "photos.npz"
CLIPS_DIR = "clips"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class PhotoLandmarks:
    """Every stored photo pose: id -> (sha256 of the media, pose or None if nobody found)."""

    model_id: str
    poses: dict[str, tuple[str, Pose | None]]


def default_store(labels: LabelledSet) -> Path:
    return labels.path.parent / "landmarks"


def load_photos(store: Path) -> PhotoLandmarks:
    path = store / PHOTOS_FILE
    if not path.is_file():
        return PhotoLandmarks("", {})
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta_json"]))
        ids = [str(x) for x in data["ids"]]
        shas = [str(x) for x in data["sha256"]]
        present = data["present"].astype(bool)
        xy = data["xy_px"].astype(np.float64)
        vis = data["visibility"].astype(np.float64)
        world = data["world_m"].astype(np.float64)
        size = data["image_size"].astype(int)
    poses: dict[str, tuple[str, Pose | None]] = {}
    for i, item_id in enumerate(ids):
        pose = None
        if present[i]:
            w = world[i] if not np.isnan(world[i]).any() else None
            pose = Pose(xy[i], vis[i], (int(size[i][0]), int(size[i][1])), w)
        poses[item_id] = (shas[i], pose)
    return PhotoLandmarks(meta.get("model_id", ""), poses)


def save_photos(store: Path, photos: PhotoLandmarks) -> Path:
    """Write ``photos.npz`` atomically, rows sorted by id so rebuilds diff cleanly."""
    store.mkdir(parents=True, exist_ok=True)
    ids = sorted(photos.poses)
    n = len(ids)
    xy = np.full((n, NUM_LANDMARKS, 2), np.nan, dtype=np.float32)
    vis = np.full((n, NUM_LANDMARKS), np.nan, dtype=np.float32)
    world = np.full((n, NUM_LANDMARKS, 3), np.nan, dtype=np.float32)
    size = np.zeros((n, 2), dtype=np.int32)
    present = np.zeros(n, dtype=bool)
    for i, item_id in enumerate(ids):
        pose = photos.poses[item_id][1]
        if pose is None:
            continue
        present[i] = True
        xy[i], vis[i], size[i] = pose.xy_px, pose.visibility, pose.image_size
        if pose.world_m is not None:
            world[i] = pose.world_m
    arrays = {
        "ids": np.array(ids, dtype=str),
        "sha256": np.array([photos.poses[i][0] for i in ids], dtype=str),
        "present": present,
        "xy_px": xy,
        "visibility": vis,
        "world_m": world,
        "image_size": size,
        "meta_json": np.array(json.dumps({"model_id": photos.model_id})),
    }
    return write_npz_atomically(store / PHOTOS_FILE, arrays)


def clip_path(store: Path, item: Item) -> Path:
    return store / CLIPS_DIR / f"{item.id}.npz"


def load_clip(store: Path, item: Item) -> PoseSequence | None:
    path = clip_path(store, item)
    if not path.is_file():
        return None
    return load_sequence(path)


def load_all(labels: LabelledSet, store: Path | None = None
             ) -> tuple[dict[str, Pose | None], dict[str, PoseSequence]]:
    """The stored poses of every item whose landmarks match its media (by sha256).

    Items without stored landmarks, or stored for other media than the labels
    name now, are left out; the evaluation reports them as "no landmarks".
    """
    store = store or default_store(labels)
    stored = load_photos(store).poses
    photos: dict[str, Pose | None] = {}
    for item in labels.photos:
        if item.id in stored and (not item.sha256 or stored[item.id][0] == item.sha256):
            photos[item.id] = stored[item.id][1]
    clips: dict[str, PoseSequence] = {}
    for item in labels.clips:
        sequence = load_clip(store, item)
        if sequence is not None and (not item.sha256
                                     or sequence.extra.get("sha256") == item.sha256):
            clips[item.id] = sequence
    return photos, clips


@dataclass
class BuildReport:
    estimated: list[str]
    kept: list[str]
    missing_media: list[str]


Progress = Callable[[str], None]


def build_landmarks(
    labels: LabelledSet,
    media_dir: Path,
    store: Path,
    model: str = "full",
    *,
    refresh: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Estimate what is missing or stale; keep the rest. Needs the model for new items.

    A clip is stale when its media changed or its landmarks were estimated
    with other landmarker settings (see :class:`~posecheck.estimator.EstimatorSettings`).
    """
    from posecheck.estimator import EstimatorSettings, PoseEstimator, video_estimators
    from posecheck.landmark_cache import estimate_video
    from posecheck.model import resolve_model
    from posecheck.pose_stages import close_all
    from posecheck.video_io import read_image_rgb

    report = BuildReport([], [], [])
    video_settings = EstimatorSettings()
    photos = load_photos(store)
    resolved = None
    image_estimator = None
    try:
        for item in labels.items:
            media = media_dir / item.media
            if not media.is_file():
                report.missing_media.append(item.id)
                continue
            sha = item.sha256 or file_sha256(media)
            if item.kind == "photo":
                stored = photos.poses.get(item.id)
                if stored is not None and stored[0] == sha and not refresh:
                    report.kept.append(item.id)
                    continue
                if image_estimator is None:
                    resolved = resolved or resolve_model(model)
                    image_estimator = PoseEstimator(resolved, mode="image")
                photos.poses[item.id] = (sha, image_estimator.estimate(read_image_rgb(media)))
                photos.model_id = resolved.model_id
            else:
                path = clip_path(store, item)
                existing = load_clip(store, item) if path.is_file() else None
                if (existing is not None and existing.extra.get("sha256") == sha
                        and existing.settings_key == video_settings.key() and not refresh):
                    report.kept.append(item.id)
                    continue
                resolved = resolved or resolve_model(model)
                estimators = video_estimators(resolved, settings=video_settings)
                try:
                    sequence = estimate_video(media, estimators, model_id=resolved.model_id,
                                              settings_key=video_settings.key())
                finally:
                    close_all(estimators)
                # The stored file names the item, not this machine's path to the media.
                sequence.source = Path(item.media)
                sequence.extra = {"sha256": sha, "item": item.id}
                save_sequence(sequence, path)
            report.estimated.append(item.id)
            if progress is not None:
                progress(item.id)
    finally:
        if image_estimator is not None:
            image_estimator.close()
    # Drop rows of items no longer in the set so the store mirrors the labels.
    wanted = {i.id for i in labels.photos}
    photos.poses = {k: v for k, v in photos.poses.items() if k in wanted}
    if photos.poses:
        save_photos(store, photos)
    clip_ids = {i.id for i in labels.clips}
    for path in sorted((store / CLIPS_DIR).glob("*.npz")):
        if path.stem not in clip_ids:
            path.unlink()
    return report
