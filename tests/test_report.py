"""The summary dict/JSON and the Markdown report, from a synthetic session."""

from __future__ import annotations

import json

import pytest
from test_analysis import _session, _stretch

from posecheck import report, summarize
from posecheck.summary import Summary


@pytest.fixture(scope="module")
def data() -> dict:
    result = summarize.analyze_sequence(_session(), _stretch())
    ctx = report.ReportContext(
        video="/videos/session.mp4",
        model_id="full:test",
        from_cache=True,
        multi_person_frames=12,
        auto=True,
        recognized_id="lean_test",
        recognition_scores={"lean_test": 0.81, "other": 0.2},
    )
    return report.summary_dict(result.summary, ctx)


def test_summary_dict_is_plain_json(data: dict, tmp_path) -> None:
    path = report.write_json(data, tmp_path / "summary.json")
    assert json.loads(path.read_text()) == data


def test_summary_holds_faults_and_shares(data: dict) -> None:
    assert data["stretch"] == {
        "id": "lean_test", "name": "Lean test", "chosen": "recognized",
        "recognized": "lean_test", "score": 0.81, "scores": {"lean_test": 0.81, "other": 0.2},
    }
    assert data["holds"]["text"] == "1 of 1 holds of 1.5 s"
    assert data["holds"]["completed"] == 1
    assert data["dosage"]["option"] == 1
    assert [f["check"] for f in data["faults"]] == ["knee"]
    fault = data["faults"][0]
    assert fault["cue"] == "Straighten your knee"
    assert fault["worst_value"] < fault["limit"] == 150
    t = data["time"]
    assert 0 < t["correct_share_of_total"] < t["correct_share_of_position"] <= 1
    assert t["no_person_s"] == pytest.approx(1.0, abs=0.1)
    assert data["landmarks"] == {"model_id": "full:test", "from_cache": True, "frame_size": None,
                                 "analysis_fps": None}
    assert "12 of 180 frames" in data["people"]["note"]


def test_markdown_reads_as_a_report(data: dict) -> None:
    md = report.render_markdown(data)
    assert md.startswith("# Lean test: session report")
    assert ("recognised automatically as **Lean test** (its position seen in 81% of the "
            "frames)") in md
    assert "**Holds: 1 of 1 holds of 1.5 s**" in md
    assert "Straighten your knee" in md
    assert "below the limit of 150°" in md
    assert "Nobody in the picture: 1.0 s" in md
    assert "More than one person" in md
    assert "landmarks from cache" in md


def test_markdown_without_faults_says_so(data: dict) -> None:
    clean = dict(data, faults=[], people={"multi_person_frames": 0, "note": None})
    md = report.render_markdown(clean)
    assert "No form faults while in position." in md
    assert "More than one person" not in md


def test_repetition_summary() -> None:
    s = summarize.analyze_sequence(_session(), _stretch()).summary
    reps = Summary(**{**s.__dict__, "dosage_kind": "reps", "reps_target": 10,
                               "reps_total": 4, "reps_good": 3, "reps_with_fault": 1,
                               "rep_times_s": ((2.0, True),), "holds": ()})
    data = report.summary_dict(reps, report.ReportContext("v.mp4", "m", False))
    assert data["reps"]["good"] == 3 and data["reps"]["with_fault"] == 1
    md = report.render_markdown(data)
    assert "Repetitions: 3 with good form, 1 with a fault" in md
    assert "Landmarks: estimated from the video for this report" in md


def test_a_recording_never_in_position_says_what_kept_it_out() -> None:
    """Kneeling upright, analysed as prone on elbows: the report names the blocking check."""
    import numpy as np
    from synthetic import KNEEL_HINGE
    from test_analysis import Seq

    from posecheck.reference import load_stretch

    kneeling = KNEEL_HINGE.build()
    t = np.arange(0, 6, 1 / 15)
    result = summarize.analyze_sequence(Seq(t, [kneeling] * len(t)),
                                       load_stretch("prone_on_elbows"))
    ctx = report.ReportContext(video="plank.mp4", model_id="x", from_cache=True)
    data = report.summary_dict(result.summary, ctx)
    assert data["holds"]["attempts"] == []
    blockers = data["out_of_position"]
    assert blockers and blockers[0]["seconds"] > 4.0
    md = report.render_markdown(data)
    assert "## What kept you out of position" in md
    assert blockers[0]["label"] in md and blockers[0]["cue"] in md


def test_every_range_reads_in_plain_words_with_the_numbers_beside() -> None:
    """The report's checks, out-of-position and fault lines: words a patient reads first,
    the degrees and percentages after them for the physiotherapist."""
    import re

    import numpy as np
    from synthetic import KNEEL_HINGE
    from test_analysis import Seq

    from posecheck.reference import load_stretch

    stretch = load_stretch("prone_on_elbows")
    t = np.arange(0, 6, 1 / 15)
    result = summarize.analyze_sequence(Seq(t, [KNEEL_HINGE.build()] * len(t)), stretch)
    data = report.summary_dict(result.summary, report.ReportContext("k.mp4", "x", True))
    md = report.render_markdown(data)
    section = md.split("## Checks and allowed ranges")[1].split("## Details")[0]
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(lines) == len(stretch.checks)
    labels = [re.match(r"- \*\*(.+?)\*\*", line).group(1) for line in lines]
    assert len(set(labels)) == len(labels)  # every check has its own label
    assert ("- **Hips on the floor**: Hips no higher than two fifths of your trunk length "
            "above the line from your elbows to your feet (at most 40% of torso length; form)"
            ) in lines
    for line in lines:
        words = line.split("**: ", 1)[1].rsplit(" (", 1)[0]
        assert "%" not in words and not re.search(r"-\d", words), line
    blocker = data["out_of_position"][0]
    assert f"Needs: {blocker['needs']} ({blocker['needs_detail']})" in md
    assert f"typically {blocker['typical_words']}" in md


def test_an_advice_only_check_is_a_tip_not_a_fault(data: dict) -> None:
    tip = dict(data["faults"][0], required=False, label="Arms reaching forward",
               cue="Reach your arms forward along the floor")
    md = report.render_markdown(dict(data, faults=[tip]))
    broke = md.split("## Where the form broke", 1)[1].split("## Tips", 1)[0]
    assert "No form faults while in position." in broke
    assert "Arms reaching forward" not in broke
    tips = md.split("## Tips", 1)[1].split("## What could not be judged", 1)[0]
    assert "your form still counted" in tips and "Reach your arms forward" in tips
