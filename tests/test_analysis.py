"""The pure analysis pipeline on synthetic poses: per-frame results, holds, fault episodes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pytest
from synthetic import SidePose

from posecheck import frames_csv, summarize
from posecheck.errors import AnalysisError
from posecheck.pose import Pose
from posecheck.reference import Stretch, parse_stretch
from posecheck.summary import Analysis

FPS = 30.0


def _stretch(hold_s: float = 1.5) -> Stretch:
    """A small, fixed stretch (independent of the shipped library): lean the trunk, keep
    the knee straight."""
    return parse_stretch(
        {
            "id": "lean_test",
            "name": "Lean test",
            "summary": "Lean forward with straight legs.",
            "view": "side",
            "setup": "Side-on.",
            "visible": ["shoulder", "hip", "knee"],
            "instructions": ["Lean forward."],
            "safety": ["Stop if it hurts."],
            "dosage": [{"kind": "hold", "sets": 1, "hold_s": hold_s}],
            "phases": {"start": "Standing.", "stretch": "Leaning."},
            "checks": [
                {"id": "lean", "label": "Trunk low", "role": "position",
                 "measure": "inclination", "points": ["hip", "shoulder"], "max": 45,
                 "cue_high": "Lean further forward", "priority": 1},
                {"id": "knee", "label": "Knee straight", "measure": "angle",
                 "points": ["hip", "knee", "ankle"], "min": 150,
                 "cue_low": "Straighten your knee", "priority": 2},
            ],
        },
        "lean_test.toml",
    )


@dataclass
class Seq:
    timestamps_s: np.ndarray
    poses: list[Pose | None]


def _session() -> Seq:
    """0-1 s standing, 1-5 s leaning (knee bent 3.0-3.6 s, a 0.1 s blip at 4.4 s), 5-6 s nobody."""
    t = np.arange(int(6 * FPS)) / FPS
    standing = SidePose(trunk=90).build()
    leaning = SidePose(trunk=10).build()
    bent = SidePose(trunk=10).with_near(shin=210).build()
    poses: list[Pose | None] = []
    for ts in t:
        if ts < 1.0:
            poses.append(standing)
        elif ts >= 5.0:
            poses.append(None)
        elif 3.0 <= ts < 3.6 or 4.4 <= ts < 4.5:
            poses.append(bent)
        else:
            poses.append(leaning)
    return Seq(t, poses)


@pytest.fixture(scope="module")
def result() -> Analysis:
    return summarize.analyze_sequence(_session(), _stretch())


def test_one_result_per_frame(result: Analysis) -> None:
    assert len(result.frames) == len(result.poses) == 180
    assert result.summary.frames == 180
    assert result.summary.total_s == pytest.approx(6.0, abs=1e-6)


def test_hold_is_counted_against_the_dosage(result: Analysis) -> None:
    s = result.summary
    assert s.holds_target == 1
    assert s.holds_completed == 1
    assert s.holds_text() == "1 of 1 holds of 1.5 s"
    hold = s.holds[0]
    assert hold.completed
    assert hold.start_s == pytest.approx(1.0, abs=0.3)
    assert hold.held_s == pytest.approx(1.5, abs=0.1)
    assert s.complete


def test_fault_episode_with_worst_value_and_blips_ignored(result: Analysis) -> None:
    faults = result.summary.faults
    assert [f.check_id for f in faults] == ["knee"]
    f = faults[0]
    assert f.start_s == pytest.approx(3.0, abs=0.25)
    assert f.end_s == pytest.approx(3.6, abs=0.25)
    assert f.cue == "Straighten your knee"
    assert f.limit == 150
    assert f.worst_value < 150
    assert f.excess == pytest.approx(150 - f.worst_value)
    assert f.unit == "deg"


def test_time_shares(result: Analysis) -> None:
    s = result.summary
    assert s.no_person_s == pytest.approx(1.0, abs=0.1)
    assert s.in_position_s == pytest.approx(4.0, abs=0.3)
    assert s.correct_s == pytest.approx(s.in_position_s - 0.6, abs=0.35)
    assert 0 < s.correct_share_of_total < s.correct_share_of_position <= 1


def test_fault_spans_merge_short_gaps_and_drop_blips() -> None:
    t = np.arange(100) / 10.0  # 10 fps
    d = summarize.frame_durations_s(t)
    mask = np.zeros(100, dtype=bool)
    mask[10:20] = True  # 1.0-2.0 s
    mask[24:30] = True  # 0.4 s gap: merged into the first
    mask[50:52] = True  # 0.2 s: a blip, dropped
    mask[70:75] = True  # 0.5 s: kept
    spans = summarize.fault_spans(mask, t, d)
    assert spans == [(10, 30), (70, 75)]


def test_frame_durations_keep_unknown_out() -> None:
    d = summarize.frame_durations_s(np.array([0.0, 0.1, 0.3]))
    assert d.tolist() == pytest.approx([0.1, 0.2, 0.15])
    assert len(summarize.frame_durations_s(np.array([]))) == 0


def test_csv_has_a_row_per_frame_and_empty_cells_for_unknown(result: Analysis,
                                                             tmp_path) -> None:
    path = frames_csv.write_csv(result, tmp_path / "frames.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len(rows) == 180
    header = rows[0].keys()
    for col in ("time_s", "status", "cue", "lean_value", "lean_verdict", "knee_value",
                "knee_verdict", "hold_s", "reps", "side", "vis_left_knee"):
        assert col in header
    nobody = [r for r in rows if float(r["time_s"]) >= 5.5]
    assert nobody and all(r["status"] in ("no_person", "done") for r in nobody)
    assert all(r["knee_value"] == "" and r["knee_verdict"] == "unknown" for r in nobody)
    assert all(r["vis_left_knee"] == "" for r in nobody)
    assert float(rows[60]["knee_value"]) == pytest.approx(180, abs=1)


def test_unknown_is_never_a_fault() -> None:
    t = np.arange(90) / FPS
    poses: list[Pose | None] = [SidePose(trunk=10).build()] * 30 + [None] * 60
    out = summarize.analyze_sequence(Seq(t, poses), _stretch(hold_s=30))
    assert out.summary.faults == ()
    assert out.summary.no_person_s > 1.5


def test_bad_dosage_option_is_a_clear_error() -> None:
    with pytest.raises(AnalysisError, match="no dosage option 3"):
        summarize.analyze_sequence(_session(), _stretch(), dosage_index=2)
