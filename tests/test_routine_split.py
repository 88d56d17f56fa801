"""Splitting a recording of a whole routine into its stretches."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from _footage import footage

from posecheck.cli import main
from posecheck.history_store import HistoryStore
from posecheck.reference import Dosage
from posecheck.routine_split import WindowScore, assign_windows, split_routine
from posecheck.routines import Routine, RoutineStep

HOLD = Dosage("hold", sets=1, hold_s=5)


def _routine(*ids: str) -> Routine:
    return Routine("r", "R", "", tuple(RoutineStep(i, HOLD, 0, 10.0) for i in ids))


def _windows(*rows: dict[str, float]) -> list[WindowScore]:
    return [WindowScore(1.0 + 2.0 * i, row) for i, row in enumerate(rows)]


def test_windows_go_to_the_steps_in_the_routines_order() -> None:
    a, b = {"a": 0.8, "b": 0.0}, {"a": 0.0, "b": 0.9}
    # a look-alike moment of "b" in the middle of "a" is not taken as a switch and back
    windows = _windows(a, a, {"a": 0.3, "b": 0.4}, a, b, b)
    assert assign_windows(windows, ["a", "b"]) == [0, 0, 0, 0, 1, 1]
    segments = split_routine(windows, _routine("a", "b"), end_s=12.0)
    assert [(s.start_s, s.end_s) for s in segments] == [(0.0, 8.0), (8.0, 12.0)]


def test_a_step_not_seen_is_reported_not_found_and_never_guessed() -> None:
    none = {"a": 0.0, "b": 0.0, "c": 0.0}
    windows = _windows({**none, "a": 0.9}, none, none, {**none, "c": 0.7}, {**none, "c": 0.8})
    segments = split_routine(windows, _routine("a", "b", "c"), end_s=10.0)
    assert [s.found for s in segments] == [True, False, True]
    assert (segments[0].start_s, segments[0].end_s) == (0.0, 2.0)  # not the empty windows
    assert (segments[2].start_s, segments[2].end_s) == (6.0, 10.0)
    assert segments[2].score == pytest.approx(0.75)


def test_a_stretch_shown_before_its_turn_does_not_reorder_the_routine() -> None:
    windows = _windows({"a": 0.0, "b": 0.9}, {"a": 0.9, "b": 0.0}, {"a": 0.9, "b": 0.0})
    segments = split_routine(windows, _routine("a", "b"), end_s=6.0)
    assert segments[0].found and segments[0].start_s == 2.0
    assert not segments[1].found  # "b" came first: it is not the second step


@pytest.mark.footage
def test_a_recording_of_two_stretches_is_split_where_they_change(tmp_path: Path) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed; apt-get install ffmpeg")
    first = footage("kneeling_lumbar_flexion/polybag_child_pose.mp4")
    second = footage("pelvic_tilt/polybag_pelvic_tilt.mp4")
    video = tmp_path / "whole_routine.mp4"
    chain = ("[0:v]scale=360:640,fps=15,setsar=1[a];[1:v]scale=360:640,fps=15,setsar=1[b];"
             "[a][b]concat=n=2:v=1:a=0[v]")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(first), "-i", str(second),
                    "-filter_complex", chain, "-map", "[v]", "-c:v", "libx264", "-preset",
                    "veryfast", "-pix_fmt", "yuv420p", str(video)], check=True, timeout=300)
    change_s = float(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(first)], check=True, capture_output=True, text=True).stdout)
    routine = tmp_path / "two.toml"
    routine.write_text('id = "two"\nname = "Two stretches"\n'
                       '[[steps]]\nstretch = "kneeling_lumbar_flexion"\n'
                       '[[steps]]\nstretch = "pelvic_tilt"\n'
                       '[[steps]]\nstretch = "bridge"\n')
    out = tmp_path / "out"
    assert main(["analyze", str(video), "--routine", str(routine), "--out", str(out),
                 "--no-video", "--no-progress", "--recorded", "2026-11-20T18:00"]) == 0
    data = json.loads((out / "whole_routine" / "routine.json").read_text())
    child, tilt, bridge = data["steps"]
    assert child["found"] and tilt["found"]
    assert not bridge["found"]  # never done in the recording
    assert child["start_s"] <= 2.0
    assert abs(child["end_s"] - change_s) <= 2.5, (child, change_s)
    assert abs(tilt["start_s"] - change_s) <= 2.5, (tilt, change_s)
    assert child["end_s"] <= tilt["start_s"]
    summary = json.loads((out / "whole_routine" / "02_pelvic_tilt" / "summary.json").read_text())
    assert summary["stretch"]["id"] == "pelvic_tilt"
    assert summary["reps"]["total"] >= 1
    first_part = json.loads(
        (out / "whole_routine" / "01_kneeling_lumbar_flexion" / "summary.json").read_text())
    assert first_part["time"]["correct_share_of_position"] > 0.5
    overview = (out / "whole_routine" / "routine.md").read_text()
    assert "| 3 | Bridge | no |" in overview
    # The history keeps each stretch found, under the routine, at its time in the recording.
    with HistoryStore() as store:
        kept = sorted(store.sessions(), key=lambda r: r.started_at)
    assert [(r.stretch_id, r.routine, r.source) for r in kept] == [
        ("kneeling_lumbar_flexion", "two", "file"), ("pelvic_tilt", "two", "file")]
    recorded = datetime(2026, 11, 20, 18, 0).astimezone()
    assert (kept[0].started_at - recorded).total_seconds() == pytest.approx(
        child["start_s"], abs=0.01)
    offset = (kept[1].started_at - kept[0].started_at).total_seconds()
    assert offset == pytest.approx(tilt["start_s"] - child["start_s"], abs=0.01)
    assert kept[1].duration_s == pytest.approx(tilt["end_s"] - tilt["start_s"], abs=0.5)


def test_routine_and_stretch_are_one_or_the_other(tmp_path: Path, capsys) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"")
    assert main(["analyze", str(video), "--out", str(tmp_path)]) == 1
    assert "either --stretch" in capsys.readouterr().err
    assert main(["analyze", str(video), "--routine", "flexion", "--stretch", "bridge",
                 "--out", str(tmp_path)]) == 1
    assert main(["analyze", str(video), "--routine", "flexion", "--start", "3",
                 "--out", str(tmp_path)]) == 1
    assert "--start cannot be used with --routine" in capsys.readouterr().err
    assert main(["analyze", str(video), "--routine", "flexon", "--out", str(tmp_path)]) == 1
    assert "did you mean 'flexion'" in capsys.readouterr().err
