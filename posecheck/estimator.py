"""Pose estimation with MediaPipe's Tasks ``PoseLandmarker``.

This is the only module in posecheck that imports mediapipe. Frames go in as
numpy RGB uint8 arrays of shape (height, width, 3) (use :func:`bgr_to_rgb` for
OpenCV frames) and come out as :class:`posecheck.pose.Pose` in pixels, or
None when nobody is in frame. Frames are never flipped before detection.

One :class:`PoseEstimator` serves one stream: create it once (it is a context
manager), feed it frames with increasing millisecond timestamps, close it.
Code that only needs "a thing that turns frames into poses" should depend on
the :class:`Estimator` protocol so tests can pass a fake.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from posecheck import native_stderr
from posecheck.cores import available_cores
from posecheck.model import DEFAULT_VARIANT, ProgressCallback, ResolvedModel, resolve_model
from posecheck.pose import NUM_LANDMARKS, Pose

logger = logging.getLogger(__name__)

# Landmarks below this visibility do not count towards a person's box.
_BOX_MIN_VISIBILITY = 0.5
# Below this overlap with the followed person's box a pose counts as someone else.
_MIN_FOLLOW_IOU = 0.1
# After this long without anyone in frame, stop following and pick afresh.
_FOLLOW_TIMEOUT_MS = 2000


# mediapipe 1.x runs each landmarker's native calls on a worker thread of its
# own and closes the landmarker from ``__del__``. When the cyclic garbage
# collector finds a landmarker nobody closed, that worker has already been told
# to exit, and the close waits for it forever: a hang in whatever thread the
# collector happened to run on (the page's event loop, a test). So every
# landmarker stays reachable here until it is closed, and the landmarkers of an
# estimator dropped without close() are closed by a finalizer, on a thread of
# their own so the collector never waits on native code.
_OPEN_LANDMARKERS: set[Any] = set()
_OPEN_LOCK = threading.Lock()


def _hold(landmarker: Any) -> Any:
    with _OPEN_LOCK:
        _OPEN_LANDMARKERS.add(landmarker)
    return landmarker


def _close_held(landmarkers: list[Any]) -> None:
    """Close and let go of ``landmarkers`` (emptied); safe to call twice."""
    while landmarkers:
        landmarker = landmarkers.pop()
        try:
            with native_stderr.quiet(logger):
                landmarker.close()
        except Exception:  # a failing close must not keep the others open
            logger.exception("could not close a pose landmarker")
        with _OPEN_LOCK:
            _OPEN_LANDMARKERS.discard(landmarker)


def _close_dropped(landmarkers: list[Any]) -> None:
    """Finalizer of an estimator nobody closed: close its landmarkers off this thread."""
    if not landmarkers:
        return
    try:
        threading.Thread(target=_close_held, args=(landmarkers,),
                         name="posecheck-close-landmarker", daemon=True).start()
    except RuntimeError:  # the interpreter is shutting down: no new threads
        _close_held(landmarkers)


def open_landmarkers() -> int:
    """How many landmarkers are open (created and not yet closed), in this process."""
    with _OPEN_LOCK:
        return len(_OPEN_LANDMARKERS)


@runtime_checkable
class Estimator(Protocol):
    """Turns one RGB uint8 frame (H, W, 3) into the followed person's pose."""

    def estimate(self, frame_rgb: np.ndarray, timestamp_ms: int) -> Pose | None: ...


def bgr_to_rgb(frame_bgr: np.ndarray) -> np.ndarray:
    """Convert an OpenCV BGR frame to the RGB order the estimator expects."""
    return cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)


@dataclass(frozen=True)
class EstimatorSettings:
    """Landmarker options that change its output (part of a landmark cache key)."""

    # People the video landmarker asks for. With one, MediaPipe tracks and runs
    # its person detector only when it loses the person; with two, on every
    # frame (a third of the model time). Two stays the default: on the
    # development set's clips, tracking one lowered agreement from 95% to 94%
    # and raised false alarms from 4 to 6 of 85 (see the README). Looking
    # afresh in every frame also lets several landmarkers share a video's
    # frames (see model_threads).
    num_poses: int = 2
    min_pose_detection_confidence: float = 0.5
    min_pose_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    # While tracking one person in a video, look for others this often (seconds
    # of video time) with a separate two-person pass; 0 never looks.
    people_check_interval_s: float = 1.0
    # Run the model at most this many times per second of video, the frames
    # between getting interpolated landmarks (posecheck.analysis_rate); None: every frame.
    analysis_fps: float | None = None

    def key(self) -> str:
        rate = f"-r{self.analysis_fps:g}" if self.analysis_fps else ""
        return (
            f"n{self.num_poses}-d{self.min_pose_detection_confidence:g}"
            f"-p{self.min_pose_presence_confidence:g}-t{self.min_tracking_confidence:g}"
            f"-c{self.people_check_interval_s:g}{rate}"
        )


def person_box_px(pose: Pose) -> np.ndarray:
    """(x0, y0, x1, y1) around the pose's visible landmarks, clipped to the image.

    Uses all landmarks when fewer than three are visible.
    """
    points = pose.xy_px[pose.visibility >= _BOX_MIN_VISIBILITY]
    if len(points) < 3:
        points = pose.xy_px
    w, h = pose.image_size
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return np.array(
        [np.clip(x0, 0, w - 1), np.clip(y0, 0, h - 1), np.clip(x1, 0, w - 1), np.clip(y1, 0, h - 1)]
    )


def _box_area(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    inter = np.array([max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])])
    inter_area = _box_area(inter)
    union = _box_area(a) + _box_area(b) - inter_area
    return inter_area / union if union > 0 else 0.0


def select_main_pose(poses: list[Pose], previous_box_px: np.ndarray | None) -> int:
    """Index of the person to follow among ``poses`` (non-empty).

    The one overlapping most with the previously followed person's box, when
    any overlaps enough; otherwise the largest person in frame.
    """
    boxes = [person_box_px(p) for p in poses]
    if previous_box_px is not None:
        overlaps = [_iou(box, previous_box_px) for box in boxes]
        best = int(np.argmax(overlaps))
        if overlaps[best] >= _MIN_FOLLOW_IOU:
            return best
    return int(np.argmax([_box_area(box) for box in boxes]))


def _landmark_visibility(landmark: Any) -> float:
    if landmark.visibility is not None:
        return float(landmark.visibility)
    if landmark.presence is not None:
        return float(landmark.presence)
    return 1.0


def _to_pose(
    landmarks: list[Any], world_landmarks: list[Any] | None, width_px: int, height_px: int
) -> Pose:
    """Convert MediaPipe normalized landmarks to a pixel :class:`Pose`.

    Normalized x, y span the image edges (0 = left edge, 1 = right edge);
    posecheck's pixel coordinates put pixel centres on integers (so that
    ``Pose.mirrored`` maps x to ``w - 1 - x``), hence the half-pixel shift.
    """
    norm = np.array([[lm.x, lm.y] for lm in landmarks], dtype=np.float64)
    xy_px = norm * np.array([width_px, height_px], dtype=np.float64) - 0.5
    visibility = np.array([_landmark_visibility(lm) for lm in landmarks], dtype=np.float64)
    world_m = None
    if world_landmarks is not None and len(world_landmarks) == NUM_LANDMARKS:
        world_m = np.array([[lm.x, lm.y, lm.z] for lm in world_landmarks], dtype=np.float64)
    return Pose(xy_px, visibility, (width_px, height_px), world_m)


def _check_frame(frame_rgb: np.ndarray) -> np.ndarray:
    if not isinstance(frame_rgb, np.ndarray) or frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3:
        shape = getattr(frame_rgb, "shape", None)
        raise ValueError(f"expected an RGB frame of shape (H, W, 3), got shape {shape}")
    if frame_rgb.dtype != np.uint8:
        raise ValueError(f"expected a uint8 frame, got {frame_rgb.dtype}")
    return np.ascontiguousarray(frame_rgb)


class PoseEstimator:
    """MediaPipe PoseLandmarker for one stream (video, webcam) or a set of stills.

    ``mode="video"`` tracks across frames and needs increasing timestamps;
    ``mode="image"`` treats every frame on its own. Video mode tracks
    ``settings.num_poses`` people (two by default) and, while tracking one,
    counts the people in view every ``settings.people_check_interval_s`` with
    a separate two-person pass; image mode asks for at least two. Of several
    people it follows one (see :func:`select_main_pose`).
    ``multi_person_frames`` counts frames where more than one was in view
    (in video mode: frames since a check that saw more than one).
    """

    def __init__(
        self,
        model: str | Path | ResolvedModel = DEFAULT_VARIANT,
        *,
        mode: str = "video",
        settings: EstimatorSettings | None = None,
        cache_dir: Path | str | None = None,
        allow_download: bool = True,
        progress: ProgressCallback | None = None,
    ) -> None:
        if mode not in ("video", "image"):
            raise ValueError(f"mode must be 'video' or 'image', got {mode!r}")
        self.model = (
            model
            if isinstance(model, ResolvedModel)
            else resolve_model(
                model, cache_dir=cache_dir, allow_download=allow_download, progress=progress
            )
        )
        self.mode = mode
        self.settings = settings or EstimatorSettings()
        num_poses = self.settings.num_poses if mode == "video" else max(2, self.settings.num_poses)
        # Every landmarker this estimator made, until closed (see _OPEN_LANDMARKERS).
        self._held: list[Any] = []
        self._finalizer = weakref.finalize(self, _close_dropped, self._held)
        # At exit mediapipe's workers are already gone; the process frees the rest.
        self._finalizer.atexit = False
        with native_stderr.quiet(logger):
            self._landmarker: vision.PoseLandmarker | None = self._create(mode, num_poses)
        # The people counter of a one-person video stream, created on first use.
        self._people_counter: vision.PoseLandmarker | None = None
        self._counts_people = (mode == "video" and self.settings.num_poses == 1
                               and self.settings.people_check_interval_s > 0)
        self._people_checked_at_ms: int | None = None
        self._others_in_view = False
        self.people_checks = 0
        self._last_timestamp_ms: int | None = None
        self._calls = 0
        self._followed_box_px: np.ndarray | None = None
        self._followed_at_ms: int | None = None
        self.frames_processed = 0
        self.frames_with_person = 0
        self.multi_person_frames = 0
        self.max_people_seen = 0
        self.last_people_count = 0
        logger.debug("pose landmarker ready: %s (%s mode)", self.model.model_id, mode)

    def _create(self, mode: str, num_poses: int) -> vision.PoseLandmarker:
        running_mode = vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model.path)),
            running_mode=running_mode,
            num_poses=num_poses,
            min_pose_detection_confidence=self.settings.min_pose_detection_confidence,
            min_pose_presence_confidence=self.settings.min_pose_presence_confidence,
            min_tracking_confidence=self.settings.min_tracking_confidence,
            output_segmentation_masks=False,
        )
        landmarker = _hold(vision.PoseLandmarker.create_from_options(options))
        self._held.append(landmarker)
        return landmarker

    @property
    def model_id(self) -> str:
        return self.model.model_id

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the landmarkers; safe to call twice."""
        self._landmarker = self._people_counter = None
        _close_held(self._held)
        self._finalizer.detach()

    def _next_timestamp_ms(self, timestamp_ms: int) -> int:
        timestamp_ms = int(timestamp_ms)
        if self._last_timestamp_ms is not None and timestamp_ms <= self._last_timestamp_ms:
            logger.debug(
                "timestamp %d ms not after %d ms; bumped", timestamp_ms, self._last_timestamp_ms
            )
            timestamp_ms = self._last_timestamp_ms + 1
        self._last_timestamp_ms = timestamp_ms
        return timestamp_ms

    def estimate_all(self, frame_rgb: np.ndarray, timestamp_ms: int | None = None) -> list[Pose]:
        """Everyone MediaPipe found (up to ``num_poses``), in its order.

        In video mode ``timestamp_ms`` is required; a timestamp not after the
        previous one is bumped to previous + 1 ms. This does not update the
        followed person or the counters; :meth:`estimate` does.
        """
        if self._landmarker is None:
            raise RuntimeError("the estimator is closed")
        frame = _check_frame(frame_rgb)
        height_px, width_px = frame.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=frame)
        if self.mode == "video" and timestamp_ms is None:
            raise ValueError("video mode needs a timestamp_ms for every frame")
        # The first frames print the native core's remaining start-up warnings.
        quiet = native_stderr.quiet(logger) if self._calls < 3 else contextlib.nullcontext()
        self._calls += 1
        with quiet:
            if self.mode == "video":
                result = self._landmarker.detect_for_video(
                    image, self._next_timestamp_ms(timestamp_ms))
            else:
                result = self._landmarker.detect(image)
        worlds = result.pose_world_landmarks or []
        return [
            _to_pose(lms, worlds[i] if i < len(worlds) else None, width_px, height_px)
            for i, lms in enumerate(result.pose_landmarks or [])
            if len(lms) == NUM_LANDMARKS
        ]

    @property
    def last_timestamp_ms(self) -> int | None:
        """The timestamp the landmarker was last given (after any bump)."""
        return self._last_timestamp_ms

    def estimate(self, frame_rgb: np.ndarray, timestamp_ms: int = 0) -> Pose | None:
        """The followed person's pose in this frame, or None when nobody is seen."""
        poses = self.estimate_all(frame_rgb, timestamp_ms if self.mode == "video" else None)
        return self.follow(poses, frame_rgb, self._last_timestamp_ms)

    def follow(self, poses: list[Pose], frame_rgb: np.ndarray,
               now_ms: int | None) -> Pose | None:
        """Of everyone found in a frame (:meth:`estimate_all`), the person followed.

        Updates the followed person and the people counters; called in frame
        order. ``now_ms`` is the frame's timestamp in video mode (ignored in
        image mode). The poses may come from another estimator of the same
        settings (see :func:`video_estimators`).
        """
        now_ms = now_ms if self.mode == "video" else None
        self.frames_processed += 1
        people = len(poses)
        if self._counts_people and now_ms is not None:
            people = self._count_people(frame_rgb, now_ms, tracked=len(poses))
        self.last_people_count = people
        self.max_people_seen = max(self.max_people_seen, people)
        if people > 1:
            self.multi_person_frames += 1
        if self.mode == "image" or (
            now_ms is not None
            and self._followed_at_ms is not None
            and now_ms - self._followed_at_ms > _FOLLOW_TIMEOUT_MS
        ):
            self._followed_box_px = None
        if not poses:
            return None
        chosen = poses[select_main_pose(poses, self._followed_box_px)]
        self._followed_box_px = person_box_px(chosen)
        self._followed_at_ms = now_ms
        self.frames_with_person += 1
        return chosen

    def _count_people(self, frame_rgb: np.ndarray, now_ms: int, *, tracked: int) -> int:
        """People in view: from a two-person pass when one is due, else the last pass's answer."""
        interval_ms = self.settings.people_check_interval_s * 1000
        last = self._people_checked_at_ms
        if last is None or now_ms - last >= interval_ms:
            if self._people_counter is None:
                with native_stderr.quiet(logger):
                    self._people_counter = self._create("image", 2)
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=_check_frame(frame_rgb))
            found = len(self._people_counter.detect(image).pose_landmarks or [])
            self._others_in_view = found > 1
            self._people_checked_at_ms = now_ms
            self.people_checks += 1
        return max(tracked, 2 if self._others_in_view else tracked)

    def people_note(self) -> str | None:
        """A sentence for the user when more than one person was seen, else None."""
        if self.multi_person_frames == 0:
            return None
        return (
            f"Up to {self.max_people_seen} people in frame ({self.multi_person_frames} of "
            f"{self.frames_processed} frames); following the largest person and staying "
            "with them."
        )


def model_threads(settings: EstimatorSettings, requested: int | None = None) -> int:
    """How many landmarkers a video's frames can be shared among.

    Asking for two people or more, MediaPipe looks for people afresh in every
    frame, so a frame's landmarks do not depend on the frames before it and
    several landmarkers can take the frames in turn with the same result (a
    test holds this on real footage). Tracking one person carries the last
    frame's landmarks into the next: one landmarker. ``requested`` None: one
    per core this process may use, at most four.
    """
    if settings.num_poses < 2:
        return 1
    if requested is not None:
        if requested < 1:
            raise ValueError(f"model threads must be at least 1, got {requested}")
        return requested
    return max(1, min(4, available_cores()))


def video_estimators(
    model: str | Path | ResolvedModel = DEFAULT_VARIANT,
    *,
    settings: EstimatorSettings | None = None,
    threads: int | None = None,
    cache_dir: Path | str | None = None,
) -> list[PoseEstimator]:
    """Video-mode estimators to share one video's frames (see :func:`model_threads`).

    The first one follows the person; close them all when done.
    """
    settings = settings or EstimatorSettings()
    resolved = model if isinstance(model, ResolvedModel) else resolve_model(
        model, cache_dir=cache_dir)
    made: list[PoseEstimator] = []
    try:
        for _ in range(model_threads(settings, threads)):
            made.append(PoseEstimator(resolved, mode="video", settings=settings))
    except BaseException:
        for est in made:
            est.close()
        raise
    return made


def estimate_image(
    image_rgb: np.ndarray,
    model: str | Path | ResolvedModel = DEFAULT_VARIANT,
    *,
    settings: EstimatorSettings | None = None,
    cache_dir: Path | str | None = None,
) -> Pose | None:
    """One-off estimate on a still image (creates and closes a landmarker)."""
    with PoseEstimator(model, mode="image", settings=settings, cache_dir=cache_dir) as est:
        return est.estimate(image_rgb)
