"""The model's part of a video pipeline: which frames it sees, on which landmarker, whose pose.

``pose_stages(estimators, ...)`` gives the stages for
:func:`posecheck.stages.run_stages` that turn decoded frames ``(rgb, t_s)``
into ``(rgb, t_s, pose)``, every frame in order (``rgb`` an array or a
:class:`posecheck.video_io.PendingPixels`, converted only for the model):

1. pick the model frames at the analysis rate (:class:`ModelFramePicker`);
2. run the landmarker on them; with several estimators (see
   :func:`posecheck.estimator.video_estimators`) they take the model frames in
   turn, each on its own thread;
3. in frame order, follow the person (the first estimator keeps who that is),
   map the pose to full-frame pixels and interpolate the frames between.

Sharing the frames gives the landmarks of one landmarker only while
MediaPipe looks for people afresh in every frame, that is while it sees fewer
people than it was asked for; once it finds as many, it tracks them from
frame to frame. So the stages raise :class:`TrackingStarted` at the first
such frame when several landmarkers share the frames, and
:func:`run_sharing_frames` starts again on one.

An estimator with only ``estimate`` (a test's fake) runs alone and follows
the person itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from posecheck.analysis_rate import Group, Interpolator, ModelFramePicker
from posecheck.pose import Pose
from posecheck.stages import SKIP, Batch, Parallel
from posecheck.video_io import pixels

logger = logging.getLogger(__name__)
T = TypeVar("T")


class TrackingStarted(Exception):
    """MediaPipe found as many people as it was asked for: it tracks them from here on."""

    def __init__(self, t_s: float, people: int) -> None:
        super().__init__(f"{people} people in view at {t_s:.2f} s")
        self.t_s = t_s
        self.people = people


def run_sharing_frames(estimators: Sequence[Any], attempt: Callable[[Sequence[Any]], T],
                       source: object) -> T:
    """``attempt(estimators)``, or, once MediaPipe starts tracking, again on one landmarker.

    ``attempt`` runs a pipeline built with :func:`pose_stages` from the
    estimators it is given, from the start. On :class:`TrackingStarted` it
    is called again with a fresh estimator like the first, closed afterwards;
    closing ``estimators`` stays with the caller.
    """
    try:
        return attempt(estimators)
    except TrackingStarted as exc:
        logger.info("%s: %s; estimating again on one landmarker", source, exc)
        lead = estimators[0]
        single = type(lead)(lead.model, mode="video", settings=lead.settings)
        try:
            return attempt([single])
        finally:
            single.close()


def close_all(estimators: Sequence[Any]) -> None:
    """Close every estimator that can be closed."""
    for estimator in estimators:
        close = getattr(estimator, "close", None)
        if close is not None:
            close()


# (group, what the model found in its frame, the timestamp the landmarker was given)
_Found = tuple[Group, Any, int | None]


def _splits_follow(estimator: Any) -> bool:
    return hasattr(estimator, "estimate_all") and hasattr(estimator, "follow")


def _model_stage(estimator: Any, *, follows_itself: bool) -> Callable[[Group], _Found]:
    def model(group: Group) -> _Found:
        if group.frame is None:
            return group, None, None
        frame, t_s = group.frame
        rgb = pixels(frame)
        ms = round(t_s * 1000)
        if follows_itself:
            return group, estimator.estimate(rgb, ms), ms
        return group, estimator.estimate_all(rgb, ms), estimator.last_timestamp_ms
    return model


def pose_stages(
    estimators: Sequence[Any],
    *,
    rate_hz: float | None,
    frame_interval_s: float | None,
    frame_size_px: tuple[int, int],
) -> list[Any]:
    """Stages from decoded ``(rgb, t_s)`` to ``(rgb, t_s, pose)`` in full-frame pixels."""
    if not estimators:
        raise ValueError("pose_stages needs at least one estimator")
    split = all(_splits_follow(e) for e in estimators)
    if not split and len(estimators) > 1:
        raise ValueError("several estimators need estimate_all and follow")
    lead = estimators[0]
    picker = ModelFramePicker(rate_hz, frame_interval_s)
    poses = Interpolator()

    class Pick:
        """Groups the frames around each model frame."""

        __name__ = "pick"

        def __call__(self, item: tuple[Any, float]) -> Any:
            group = picker.add(*item)
            return SKIP if group is None else group

        def flush(self) -> list[Group]:
            group = picker.finish()
            return [group] if group is not None else []

    shared = len(estimators) > 1
    # MediaPipe tracks once it sees as many people as asked for (a fake never does).
    tracks_from = getattr(getattr(lead, "settings", None), "num_poses", None)

    def follow(found: _Found) -> Batch:
        group, seen, ms = found
        pose: Pose | None = None
        if group.frame is not None:
            if shared and tracks_from is not None and len(seen) >= tracks_from:
                raise TrackingStarted(group.frame[1], len(seen))
            pose = lead.follow(seen, pixels(group.frame[0]), ms) if split else seen
            if pose is not None:
                pose = pose.scaled_to(frame_size_px)
        return Batch(poses.release(group, pose))

    copies = [_model_stage(e, follows_itself=not split) for e in estimators]
    model = copies[0] if len(copies) == 1 else Parallel(copies, name="model")
    return [Pick(), model, follow]

