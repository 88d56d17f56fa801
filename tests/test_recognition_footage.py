"""Recognition on real people: the bridge, the pelvic tilt and the rotations told apart.

The clips' landmarks are the development set's committed ones (the media are
not in the repository), so these run without the model; the phone video from
``../shared/footage`` runs the real model and skips when the footage is absent.

No real footage of either rotation in correct form, side-on, is at hand (the
development set's one rotation photo is seen from a view that cannot be
judged), so the two rotations are told apart on synthetic poses
(tests/test_recognize.py); here, real lying-on-the-back footage that is no
rotation must not be taken for one.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from _footage import footage, shared_model

from posecheck import set_landmarks
from posecheck.evaluation import segment_frames
from posecheck.labelled_set import DEVSET_LABELS, Segment, load_labelled_set
from posecheck.landmark_cache import PoseSequence
from posecheck.recognize import Recognition, recognize
from posecheck.reference import load_library
from posecheck.segmentation import segment

LIBRARY = load_library()
ROTATIONS = ("hooklying_rotation", "trunk_rotation_leg_over")


@cache
def clips() -> dict[str, PoseSequence]:
    labels = load_labelled_set(DEVSET_LABELS, set(LIBRARY))
    _, clips = set_landmarks.load_all(labels)
    return clips


def recognise_clip(item_id: str, start_s: float = 0.0, end_s: float = 1e9) -> Recognition:
    seq = clips()[item_id]
    times = [float(t) for t in seq.timestamps_s]
    inside = segment_frames(times, Segment(start_s, end_s, "good"))
    return recognize([seq.poses[i] for i in inside], [times[i] for i in inside], LIBRARY)


@pytest.mark.parametrize("item_id", ["bridge_clip_foririsfit_1", "bridge_clip_workoutapp_high_1"])
def test_real_bridge_repetitions_are_a_bridge(item_id: str) -> None:
    # The hips rest on the floor between lifts, as in a pelvic tilt: the lift decides.
    result = recognise_clip(item_id)
    assert result.stretch_id == "bridge", result.reason
    assert result.scores["pelvic_tilt"] == 0.0  # the hips moved well off the floor
    assert all(result.scores[r] < result.scores["bridge"] for r in ROTATIONS)
    assert result.confidence > 0.5


def test_a_real_pelvic_tilt_is_not_a_bridge_or_a_rotation() -> None:
    result = recognise_clip("pelvic_tilt_clip_adaptx_1", 0.0, 17.0)
    assert result.stretch_id == "pelvic_tilt", result.reason
    assert result.scores["bridge"] == 0.0  # the hips never lifted into a bridge
    assert all(result.scores[r] < result.scores["pelvic_tilt"] - 0.5 for r in ROTATIONS)


def test_real_lying_with_the_knees_up_is_no_rotation() -> None:
    # Knees bent and upright for half a minute, the arms circling: no rotation.
    result = recognise_clip("hook_rot_clip_adaptx_norot_1")
    assert result.stretch_id not in (*ROTATIONS, "bridge"), result.reason


def test_a_real_routine_is_split_bridge_then_pelvic_tilt() -> None:
    bridge, tilt = clips()["bridge_clip_foririsfit_1"], clips()["pelvic_tilt_clip_adaptx_1"]
    keep = bridge.timestamps_s <= 6.0
    offset = float(bridge.timestamps_s[keep][-1]) + 0.1
    tilt_keep = tilt.timestamps_s <= 17.0
    times = np.concatenate([bridge.timestamps_s[keep], tilt.timestamps_s[tilt_keep] + offset])
    poses = [p for p, k in zip(bridge.poses, keep, strict=True) if k]
    poses += [p for p, k in zip(tilt.poses, tilt_keep, strict=True) if k]
    segments = segment(times, poses, LIBRARY)
    named = [s for s in segments if s.stretch_id is not None]
    assert [s.stretch_id for s in named] == ["bridge", "pelvic_tilt"], segments
    assert named[0].end_s == pytest.approx(offset, abs=2.0)
    assert named[1].end_s == pytest.approx(float(times[-1]), abs=1.0)


@pytest.mark.footage
def test_a_phone_video_of_pelvic_tilts_is_a_pelvic_tilt() -> None:
    from posecheck.estimator import PoseEstimator
    from posecheck.landmark_cache import estimate_video

    video = footage("pelvic_tilt/polybag_pelvic_tilt.mp4")
    with PoseEstimator(shared_model(), mode="video") as estimator:
        seq = estimate_video(video, estimator, model_id="full")
    result = recognize(seq.poses, list(seq.timestamps_s), LIBRARY)
    assert result.stretch_id == "pelvic_tilt", result.reason
    assert result.scores["bridge"] == 0.0
    assert not any(result.scores[r] for r in ROTATIONS)
    # Ten tilts one after another are one segment, the whole video long.
    segments = segment(seq.timestamps_s, seq.poses, LIBRARY)
    assert [s.stretch_id for s in segments] == ["pelvic_tilt"], segments
    assert segments[0].duration_s == pytest.approx(float(seq.timestamps_s[-1]), abs=0.1)
