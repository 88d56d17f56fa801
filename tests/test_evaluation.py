"""Labelled sets and their evaluation, on synthetic poses (no model, no media)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthetic import CORRECT, PRESS_UP_HIPS_LIFTED

from posecheck import evaluation, set_landmarks
from posecheck.labelled_set import LabelsError, load_labelled_set
from posecheck.landmark_cache import PoseSequence
from posecheck.reference import load_library

LIBRARY = load_library()

LABELS = """
[[item]]
id = "press_good"
stretch = "prone_press_up"
media = "a.jpg"
expect = "good"

[[item]]
id = "press_hips_up"
stretch = "prone_press_up"
media = "b.jpg"
expect = "fault"
fault = "hips_lifted"

[[item]]
id = "standing_as_press_up"
stretch = "prone_press_up"
media = "c.jpg"
expect = "lookalike"
pose = "standing"

[[item]]
id = "nobody"
stretch = "prone_press_up"
media = "d.jpg"
expect = "abstain"

[[item]]
id = "clip"
stretch = "prone_press_up"
kind = "clip"
media = "e.mp4"
expect = "segments"
segments = [
  { start_s = 0.0, end_s = 1.0, expect = "good" },
  { start_s = 1.5, end_s = 3.0, expect = "fault", fault = "hips_lifted" },
]
"""


def write(tmp_path: Path, text: str = LABELS) -> Path:
    path = tmp_path / "labels.toml"
    path.write_text(text)
    return path


def test_labels_load_with_segments(tmp_path: Path) -> None:
    labels = load_labelled_set(write(tmp_path), set(LIBRARY))
    assert [i.id for i in labels.photos] == ["press_good", "press_hips_up",
                                               "standing_as_press_up", "nobody"]
    (clip,) = labels.clips
    assert [s.expect for s in clip.answers] == ["good", "fault"]


@pytest.mark.parametrize(("text", "message"), [
    ('[[item]]\nid="x"\nstretch="prone_press_up"\nmedia="a"\nexpect="great"', "not one of"),
    ('[[item]]\nid="x"\nstretch="press_up"\nmedia="a"\nexpect="good"', "unknown stretch"),
    ('[[item]]\nid="x"\nstretch="bridge"\nkind="clip"\nmedia="a"\nexpect="good"', "segments"),
    ('[[item]]\nid="x"\nstretch="bridge"\nmedia="a"\nexpect="good"\n' * 2, "appears twice"),
    ("item = 3", r"no \[\[item\]\]"),
    ("not toml [", "not a readable TOML"),
    ('[[item]]\nid="x"\nstretch="bridge"\nmedia="a"\nexpect="good"\nshows="bridge"',
     "'shows' is for look-alikes"),
    ('[[item]]\nid="x"\nstretch="bridge"\nmedia="a"\nexpect="lookalike"\nshows="bridg"',
     "unknown stretch 'bridg'"),
])
def test_malformed_labels_are_refused_with_the_item_named(
        tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(LabelsError, match=message):
        load_labelled_set(write(tmp_path, text), set(LIBRARY))


def sequence(poses, times) -> PoseSequence:
    return PoseSequence(np.array(times, dtype=float), list(poses), (1280, 720), "test", True,
                        Path("e.mp4"), "", (1280, 720))


def test_each_expected_answer_is_scored() -> None:
    labels = load_labelled_set_from_text(LABELS)
    hips_up = PRESS_UP_HIPS_LIFTED.build()
    poses = {
        "press_good": CORRECT["prone_press_up"],
        "press_hips_up": hips_up,
        "standing_as_press_up": CORRECT["standing_extension"],
        "nobody": None,
    }
    times = np.arange(0, 3.0, 0.1)
    clip = sequence([CORRECT["prone_press_up"] if t < 1.2 else hips_up for t in times], times)
    outcomes = evaluation.evaluate(labels, LIBRARY, poses, {"clip": clip})
    got = {o.label: (o.answer, o.agrees) for o in outcomes}
    assert got["press_good"] == ("accepted", True)
    assert got["press_hips_up"] == ("rejected", True)
    assert got["standing_as_press_up"] == ("rejected", True)
    assert got["nobody"] == ("abstained", True)
    assert got["clip@0-1s"] == ("accepted", True)
    assert got["clip@1.5-3s"] == ("rejected", True)
    summary = evaluation.summary(outcomes)
    assert summary["overall"]["agreement"] == 1.0
    assert summary["named_faults"]["prone_press_up/hips_lifted"] == {"caught": 2, "items": 2}
    assert "hips_down" in next(o.reason for o in outcomes if o.label == "press_hips_up")


def test_disagreements_name_the_check_and_value() -> None:
    labels = load_labelled_set_from_text(LABELS)
    hips_up = PRESS_UP_HIPS_LIFTED.build()
    # Swap the two photos: the good one is now labelled as the fault and vice versa.
    poses = {"press_good": hips_up, "press_hips_up": CORRECT["prone_press_up"]}
    outcomes = evaluation.evaluate(labels, LIBRARY, poses, {})
    m = evaluation.Metrics.of(outcomes)
    assert (m.items, m.agree, m.false_alarms, m.misses, m.no_landmarks) == (2, 0, 1, 1, 4)
    table = evaluation.format_table(outcomes)
    assert "press_good [prone_press_up]: expected good, got rejected" in table
    assert "hips_down=" in table
    assert "4 item(s) without landmarks" in table


def test_a_lookalike_agrees_unless_accepted_a_fault_only_when_named() -> None:
    labels = load_labelled_set_from_text(LABELS)
    front = CORRECT["doorway_stretch"]  # seen from the front: the press-up asks to turn side-on
    outcomes = evaluation.evaluate(labels, LIBRARY,
                                   {"standing_as_press_up": front, "press_hips_up": front}, {})
    got = {o.label: (o.answer, o.agrees) for o in outcomes if o.answer != "no landmarks"}
    assert got == {"standing_as_press_up": ("abstained", True),
                   "press_hips_up": ("abstained", False)}


def load_labelled_set_from_text(text: str):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return load_labelled_set(write(Path(tmp), text), set(LIBRARY))


def test_photo_landmarks_round_trip(tmp_path: Path) -> None:
    photos = set_landmarks.PhotoLandmarks("model-x", {
        "b": ("sha-b", CORRECT["bridge"]), "a": ("sha-a", None)})
    set_landmarks.save_photos(tmp_path, photos)
    back = set_landmarks.load_photos(tmp_path)
    assert back.model_id == "model-x"
    assert back.poses["a"] == ("sha-a", None)
    sha, pose = back.poses["b"]
    assert sha == "sha-b"
    np.testing.assert_allclose(pose.xy_px, CORRECT["bridge"].xy_px, atol=1e-3)


def test_a_slow_gif_frame_counts_for_the_segment_it_is_shown_in() -> None:
    text = """
[[item]]
id = "gif"
stretch = "prone_press_up"
kind = "clip"
media = "g.gif"
expect = "segments"
segments = [{ start_s = 0.05, end_s = 0.95, expect = "good" },
            { start_s = 1.05, end_s = 1.95, expect = "fault", fault = "hips_lifted" }]
"""
    labels = load_labelled_set_from_text(text)
    hips_up = PRESS_UP_HIPS_LIFTED.build()
    clip = sequence([CORRECT["prone_press_up"], hips_up], [0.0, 1.0])
    outcomes = evaluation.evaluate(labels, LIBRARY, {}, {"gif": clip})
    assert [(o.answer, o.agrees) for o in outcomes] == [("accepted", True), ("rejected", True)]


RECOGNITION_LABELS = """
[[item]]
id = "press_good"
stretch = "prone_press_up"
media = "a.jpg"
expect = "good"

[[item]]
id = "backbend_as_press_up"
stretch = "prone_press_up"
media = "b.jpg"
expect = "lookalike"
pose = "standing back extension"
shows = "standing_extension"

[[item]]
id = "standing_as_extension"
stretch = "standing_extension"
media = "c.jpg"
expect = "lookalike"
pose = "standing upright"
"""


def test_recognition_names_correct_form_and_says_none_outside_the_library() -> None:
    from synthetic import SidePose

    labels = load_labelled_set_from_text(RECOGNITION_LABELS)
    poses = {"press_good": CORRECT["prone_press_up"],
             "backbend_as_press_up": CORRECT["standing_extension"],
             "standing_as_extension": SidePose(hip=(640, 320)).build()}
    outcomes = evaluation.recognition_outcomes(labels, LIBRARY, poses, {})
    got = {o.label: (o.recognized, o.right_answer, o.agrees) for o in outcomes}
    assert got == {"press_good": ("prone_press_up", "prone_press_up", True),
                   "backbend_as_press_up": ("standing_extension", "standing_extension", True),
                   "standing_as_extension": (None, None, True)}
    m = evaluation.recognition_summary(outcomes)
    assert m["photos"] == {"items": 1, "named_right": 1, "top1": 1.0}
    assert m["clips"]["top1"] is None  # no clips: unknown, not 0%
    assert m["lookalikes_outside_library"] == {"items": 1, "none": 1, "none_rate": 1.0}
    assert m["lookalikes_of_other_stretches"]["rate"] == 1.0
    assert m["confusion"] == {"prone_press_up": {"prone_press_up": 1}}
    text = evaluation.format_recognition(outcomes)
    assert "on photos 1/1 (100%)" in text
    assert "answered 'none' 1/1" in text
    assert "| prone_press_up | prone_press_up | 1 |" in text


def test_a_lookalike_named_wrongly_is_listed() -> None:
    labels = load_labelled_set_from_text(RECOGNITION_LABELS)
    # The standing extension shown for the "standing upright" look-alike.
    poses = {"standing_as_extension": CORRECT["standing_extension"]}
    (outcome,) = evaluation.recognition_outcomes(labels, LIBRARY, poses, {})
    assert outcome.taken_for_the_stretch and not outcome.agrees
    assert evaluation.recognition_summary([outcome])["lookalikes_outside_library"]["none"] == 0
    assert "standing_as_extension [standing_extension]: standing upright: named " \
        "standing_extension, right: none" in evaluation.format_recognition([outcome])
