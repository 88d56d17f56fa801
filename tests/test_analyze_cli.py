"""``posecheck analyze`` on the real phone videos: outputs, expected results, failures, cache.

One analysis run per video is shared by the whole module (the model takes
15-20 s per video). Expected numbers come from watching the videos:

- bird dog (14.2 s): two holds, first one side (about 1.7-5.2 s) then the other
  (about 8.7-12.5 s), each about 3.5 s, so none reaches the 5 s dosage; the
  back stays level.
- pelvic tilt (19.3 s): lying on the back throughout, hips on the floor,
  repeated small tilts (the hip angle switches between two levels about
  3.5 degrees apart, 2-4 times).
- child's pose (12.7 s): the first ~1.6 s is a kneeling hip hinge, then one
  hold to the end (about 11 s, short of the 30 s dosage). The arms lie back
  along the body rather than forward: the optional "arms forward" advice fires.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from _footage import footage

from posecheck.analysis_rate import DEFAULT_ANALYSIS_FPS
from posecheck.cli import main
from posecheck.estimator import EstimatorSettings

pytestmark = pytest.mark.footage

VIDEOS = {
    "bird_dog": "bird_dog/polybag_bird_dog.mp4",
    "pelvic_tilt": "pelvic_tilt/polybag_pelvic_tilt.mp4",
    "kneeling_lumbar_flexion": "kneeling_lumbar_flexion/polybag_child_pose.mp4",
}
EXPECTED = {
    "bird_dog": {"frames": 427, "duration_s": 14.2},
    "pelvic_tilt": {"frames": 578, "duration_s": 19.3},
    "kneeling_lumbar_flexion": {"frames": 382, "duration_s": 12.7},
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    """A private cache and offline mode for the whole module (also seen by worker processes)."""
    cache = tmp_path_factory.mktemp("posecheck-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POSECHECK_CACHE_DIR", str(cache))
        mp.setenv("POSECHECK_OFFLINE", "1")
        yield cache


@pytest.fixture(scope="module")
def runs(env: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Analyse each phone video once (with the annotated video)."""
    out = tmp_path_factory.mktemp("analyze-out")
    results: dict[str, dict] = {}
    for stretch_id, rel in VIDEOS.items():
        video = footage(rel)
        code = main(["analyze", str(video), "--stretch", stretch_id, "--out", str(out),
                     "--no-progress"])
        folder = out / video.stem
        results[stretch_id] = {
            "code": code,
            "video": video,
            "dir": folder,
            "summary": json.loads((folder / "summary.json").read_text()),
        }
    return results


def _summary(runs: dict, stretch_id: str) -> dict:
    run = runs[stretch_id]
    assert run["code"] == 0
    return run["summary"]


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("--stretch", "--out", "--model", "--dosage", "--profile", "--start",
                   "--end", "--jobs", "--overwrite", "--no-video", "--cache-dir"):
        assert option in out


@pytest.mark.parametrize("stretch_id", list(VIDEOS))
def test_outputs_exist_and_agree(runs: dict, stretch_id: str) -> None:
    s = _summary(runs, stretch_id)
    folder = runs[stretch_id]["dir"]
    for name in ("annotated.mp4", "frames.csv", "summary.json", "report.md", "plot.png"):
        assert (folder / name).stat().st_size > 0, name
    frames = EXPECTED[stretch_id]["frames"]
    assert s["range"]["frames"] == pytest.approx(frames, abs=1)
    assert s["time"]["total_s"] == pytest.approx(EXPECTED[stretch_id]["duration_s"], abs=0.1)
    assert s["landmarks"]["from_cache"] is False
    assert s["landmarks"]["model_id"].startswith("full:")
    assert s["stretch"]["id"] == stretch_id
    assert (folder / "plot.png").read_bytes()[:4] == b"\x89PNG"
    md = (folder / "report.md").read_text()
    assert "session report" in md and "estimated from the video for this report" in md
    assert "MediaPipe pose landmarker, full, " in md


@pytest.mark.parametrize("stretch_id", list(VIDEOS))
def test_annotated_video_matches_the_analysed_frames(runs: dict, stretch_id: str) -> None:
    s = _summary(runs, stretch_id)
    with av.open(str(runs[stretch_id]["dir"] / "annotated.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        decoded = sum(1 for _ in container.decode(stream))
        duration_s = float(stream.duration * stream.time_base)
        pix_fmt = stream.codec_context.pix_fmt
    assert decoded == s["range"]["frames"]
    assert duration_s == pytest.approx(s["time"]["total_s"], abs=0.05)
    assert pix_fmt == "yuv420p"


@pytest.mark.parametrize("stretch_id", list(VIDEOS))
def test_csv_has_one_row_per_frame(runs: dict, stretch_id: str) -> None:
    s = _summary(runs, stretch_id)
    with open(runs[stretch_id]["dir"] / "frames.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == s["range"]["frames"]
    for check in s["checks"]:
        assert f"{check['id']}_value" in rows[0]
        assert f"{check['id']}_verdict" in rows[0]
        for r in rows:  # unknown is an empty cell, never 0
            if r[f"{check['id']}_verdict"] == "unknown" and check["relative"] is False:
                assert r[f"{check['id']}_value"] == ""
    times = [float(r["time_s"]) for r in rows]
    assert times == sorted(times)


# ------------------------------------------------------------------ expected results


def test_child_pose_one_hold_after_the_kneeling_start(runs: dict) -> None:
    s = _summary(runs, "kneeling_lumbar_flexion")
    holds = s["holds"]
    assert holds["target"] == 3 and holds["hold_s"] == 30
    assert holds["completed"] == 0
    assert holds["text"] == "0 of 3 holds of 30 s"
    assert len(holds["attempts"]) == 1
    hold = holds["attempts"][0]
    assert 1.0 <= hold["start_s"] <= 2.5  # after the kneeling hip hinge
    assert hold["held_s"] == pytest.approx(10.8, abs=1.0)
    assert s["time"]["in_position_s"] == pytest.approx(11.0, abs=1.0)
    assert s["time"]["correct_share_of_position"] >= 0.9
    assert s["time"]["no_person_s"] == 0
    assert s["time"]["joints_not_visible_s"] <= 0.5
    assert [f for f in s["faults"] if f["required"]] == []
    advice = [f for f in s["faults"] if f["check"] == "arms_forward"]
    assert advice and advice[0]["worst_value"] < 110


def test_bird_dog_back_stays_level(runs: dict) -> None:
    s = _summary(runs, "bird_dog")
    assert s["holds"]["completed"] == 0  # holds of ~3.5 s against a 5 s dosage
    assert s["holds"]["target"] == 10
    assert not [f for f in s["faults"] if f["check"] == "back_flat" and f["duration_s"] > 1.0]
    assert s["time"]["no_person_s"] == 0


def test_bird_dog_holds_only_what_the_camera_can_see(runs: dict) -> None:
    s = _summary(runs, "bird_dog")
    attempts = s["holds"]["attempts"]
    # First side: the reaching arm is the near one, in view: one hold of about 3 s.
    first = attempts[0]
    assert first["start_s"] == pytest.approx(1.9, abs=0.6)
    assert 2.0 <= first["held_s"] <= 4.5
    # Second side: the reaching arm is the far one, hidden by the body and cut off
    # by the frame. It defines the stretch, so no hold counts there: the camera
    # must see it, and the time is reported as joints not visible.
    assert not [a for a in attempts[1:] if a["held_s"] > 1.0]
    assert s["time"]["joints_not_visible_s"] >= 1.5


def test_pelvic_tilt_lying_with_hips_down(runs: dict) -> None:
    s = _summary(runs, "pelvic_tilt")
    assert s["reps"]["target"] == 10
    assert s["time"]["in_position_s"] >= 0.9 * s["time"]["total_s"]
    assert not [f for f in s["faults"] if f["check"] == "hips_down"]
    assert s["reps"]["with_fault"] == 0
    assert s["time"]["no_person_s"] == 0


def test_pelvic_tilt_counts_the_repeated_tilts(runs: dict) -> None:
    s = _summary(runs, "pelvic_tilt")
    assert 2 <= s["reps"]["good"] <= 4


def test_each_pelvic_tilt_repetition_follows_a_tilt(runs: dict) -> None:
    """A repetition counts only when the pelvis tilted; resting between tilts is no fault."""
    s = _summary(runs, "pelvic_tilt")
    with open(runs["pelvic_tilt"]["dir"] / "frames.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    tilted = [float(r["time_s"]) for r in rows if r["tilt_verdict"] == "ok"]
    previous = 0.0
    for rep in s["reps"]["times_s"]:
        assert [t for t in tilted if previous <= t <= rep["t_s"]], rep
        previous = rep["t_s"]
    assert not [f for f in s["faults"] if f["check"] == "tilt"]
    report = (runs["pelvic_tilt"]["dir"] / "report.md").read_text()
    assert "**Pelvis tilted**: Hip opening at least 2° from its resting angle" in report
    assert "each repetition needs it" in report


# ------------------------------------------------------------------ behaviour


def test_existing_outputs_are_refused_without_overwrite(
    runs: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runs["kneeling_lumbar_flexion"]
    before = (run["dir"] / "summary.json").stat().st_mtime_ns
    code = main(["analyze", str(run["video"]), "--stretch", "kneeling_lumbar_flexion",
                 "--out", str(run["dir"].parent), "--no-progress"])
    assert code == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--overwrite" in err
    assert "Traceback" not in err
    assert (run["dir"] / "summary.json").stat().st_mtime_ns == before


def test_reanalysis_uses_the_landmark_cache(
    runs: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import posecheck.estimator

    def no_model(*args, **kwargs):
        raise AssertionError("the pose model ran although the landmarks were cached")

    monkeypatch.setattr(posecheck.estimator, "PoseEstimator", no_model)
    video = runs["kneeling_lumbar_flexion"]["video"]
    code = main(["analyze", str(video), "--stretch", "kneeling_lumbar_flexion",
                 "--out", str(tmp_path), "--no-video", "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "landmarks from cache" in out
    # The arms-forward advice is a tip, not counted among the faults.
    assert "0 fault episode(s) and 1 tip(s)" in out
    summary = json.loads((tmp_path / video.stem / "summary.json").read_text())
    assert summary["landmarks"]["from_cache"] is True
    assert not (tmp_path / video.stem / "annotated.mp4").exists()
    assert "landmarks from cache" in (tmp_path / video.stem / "report.md").read_text()


def test_the_single_pass_matches_landmarks_first_then_the_engine(
    runs: dict, tmp_path: Path
) -> None:
    """The pipelined pass gives the poses, per-frame table and summary of the two-step path."""

    from posecheck.landmark_cache import load_or_estimate

    run = runs["kneeling_lumbar_flexion"]
    assert run["summary"]["landmarks"]["from_cache"] is False  # the fixture ran one pass
    again = tmp_path / "again"
    code = main(["analyze", str(run["video"]), "--stretch", "kneeling_lumbar_flexion",
                 "--out", str(again), "--no-video", "--no-progress"])
    assert code == 0
    second = again / run["video"].stem
    assert (second / "frames.csv").read_bytes() == (run["dir"] / "frames.csv").read_bytes()
    summary = json.loads((second / "summary.json").read_text())
    assert summary["landmarks"]["from_cache"] is True
    for key in ("holds", "faults", "time", "reps"):
        assert summary.get(key) == run["summary"].get(key), key
    # The two-step path with its own cache estimates the landmarks afresh.
    rate = EstimatorSettings(analysis_fps=DEFAULT_ANALYSIS_FPS)  # the command's default
    separate = load_or_estimate(run["video"], "full", cache_dir=tmp_path / "cache",
                                settings=rate)
    cached = load_or_estimate(run["video"], "full", settings=rate)
    assert separate.from_cache is False and cached.from_cache is True
    np.testing.assert_array_equal(separate.timestamps_s, cached.timestamps_s)
    # The cache stores pixels as float32: equal to well under a thousandth of a pixel.
    np.testing.assert_allclose(separate.xy_px(), cached.xy_px(), atol=1e-3, rtol=0)


def test_every_frame_agrees_with_the_default_rate_on_the_pelvic_tilt(
    runs: dict, tmp_path: Path
) -> None:
    """The default runs the model 15 times a second; on the small, repeated tilts (the
    movement most likely to suffer) every frame counts the same repetitions and faults."""
    run = runs["pelvic_tilt"]
    assert run["summary"]["landmarks"]["analysis_fps"] == DEFAULT_ANALYSIS_FPS
    assert "at most 15 frames per second" in (run["dir"] / "report.md").read_text()
    code = main(["analyze", str(run["video"]), "--stretch", "pelvic_tilt", "--out",
                 str(tmp_path), "--no-video", "--no-progress", "--analysis-fps", "all"])
    assert code == 0
    folder = tmp_path / run["video"].stem
    every = json.loads((folder / "summary.json").read_text())
    assert every["landmarks"]["analysis_fps"] is None
    assert every["landmarks"]["from_cache"] is False  # its own landmarks, not the 15/s ones
    assert "run on every frame" in (folder / "report.md").read_text()
    with (folder / "frames.csv").open() as f:
        assert sum(1 for _ in csv.DictReader(f)) == EXPECTED["pelvic_tilt"]["frames"]
    reps, every_reps = run["summary"]["reps"], every["reps"]
    assert (every_reps["total"], every_reps["good"]) == (reps["total"], reps["good"]) == (3, 3)
    # Each repetition ends within a couple of frames of where every frame puts it.
    np.testing.assert_allclose([r["t_s"] for r in every_reps["times_s"]],
                               [r["t_s"] for r in reps["times_s"]], atol=0.1)
    assert [f["check"] for f in every["faults"]] == [f["check"] for f in run["summary"]["faults"]]
    assert abs(every["time"]["correct_form_s"] - run["summary"]["time"]["correct_form_s"]) < 0.5


@pytest.mark.parametrize("rate", ["0", "-5", "fast", "inf"])
def test_a_bad_analysis_rate_is_a_usage_error(
    rate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = footage(VIDEOS["kneeling_lumbar_flexion"])
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(video), "--stretch", "kneeling_lumbar_flexion", "--out",
              str(tmp_path), "--analysis-fps", rate])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--analysis-fps" in err and "positive number of frames per second or 'all'" in err
    assert "Traceback" not in err
    assert not any(tmp_path.iterdir())


def _damaged_copy(source: Path, dest: Path, length: int = 20_000) -> Path:
    """``source`` with ``length`` bytes in the middle overwritten by fixed noise."""
    data = bytearray(source.read_bytes())
    first = len(data) // 2
    data[first:first + length] = np.random.default_rng(7).integers(
        0, 256, length, dtype=np.uint8).tobytes()
    dest.write_bytes(bytes(data))
    return dest


def test_damaged_files_are_analysed_around_the_damage_and_unreadable_ones_fail(
    runs: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = runs["kneeling_lumbar_flexion"]["video"]
    whole = runs["kneeling_lumbar_flexion"]["summary"]
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    damaged = _damaged_copy(good, tmp_path / "damaged.mp4")
    unreadable = tmp_path / "unreadable.mp4"  # cut inside its header
    unreadable.write_bytes(good.read_bytes()[:20])
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    out = tmp_path / "out"
    code = main(["analyze", str(truncated), str(damaged), str(unreadable), str(text),
                 "--stretch", "kneeling_lumbar_flexion", "--out", str(out), "--no-video",
                 "--jobs", "2", "--no-progress"])
    assert code == 1
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    assert f"FAILED {unreadable}: not a readable video" in printed.out
    assert f"FAILED {text}:" in printed.out
    assert f"OK {truncated}" in printed.out and f"OK {damaged}" in printed.out
    assert "2 of 4 videos analysed; 2 failed" in printed.out

    cut = json.loads((out / "truncated" / "summary.json").read_text())
    assert [g["reason"] for g in cut["gaps"]] == ["truncated"]
    tail = cut["gaps"][0]
    assert tail["end_s"] == pytest.approx(EXPECTED["kneeling_lumbar_flexion"]["duration_s"],
                                          abs=0.05)
    assert cut["range"]["frames"] + tail["frames"] == whole["range"]["frames"]
    assert cut["range"]["end_s"] == pytest.approx(tail["start_s"], abs=0.04)
    assert tail["start_s"] < 5.0
    report = (out / "truncated" / "report.md").read_text()
    assert "The video is damaged" in report and "the file ends early" in report
    line = next(x for x in printed.out.splitlines() if "ends early" in x)
    assert f"{tail['frames']} frames" in line

    hurt = json.loads((out / "damaged" / "summary.json").read_text())
    assert hurt["gaps"] and all(g["reason"] == "damaged" for g in hurt["gaps"])
    missing = sum(g["frames"] for g in hurt["gaps"])
    assert 0 < missing < 30
    assert hurt["range"]["frames"] == whole["range"]["frames"] - missing
    assert hurt["range"]["end_s"] == pytest.approx(whole["range"]["end_s"], abs=0.01)
    assert "The video is damaged" in (out / "damaged" / "report.md").read_text()
    assert not whole["gaps"]


def test_truncated_file_gets_an_annotated_video_of_what_is_left(
    runs: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = runs["kneeling_lumbar_flexion"]["video"]
    truncated = tmp_path / "short.mp4"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 4])
    out = tmp_path / "out"
    assert main(["analyze", str(truncated), "--stretch", "kneeling_lumbar_flexion",
                 "--out", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "short" / "summary.json").read_text())
    with av.open(str(out / "short" / "annotated.mp4")) as container:
        written = sum(1 for _ in container.decode(video=0))
    assert written == summary["range"]["frames"]
    assert summary["gaps"][0]["reason"] == "truncated"


def test_folder_argument_and_range(
    runs: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    source = runs["kneeling_lumbar_flexion"]["video"]
    try:
        os.symlink(source, folder / source.name)
    except OSError:
        shutil.copy(source, folder / source.name)
    out = tmp_path / "out"
    code = main(["analyze", str(folder), "--stretch", "kneeling_lumbar_flexion", "--start", "3",
                 "--end", "7", "--out", str(out), "--no-progress"])
    assert code == 0, capsys.readouterr()
    s = json.loads((out / source.stem / "summary.json").read_text())
    assert s["range"]["start_s"] == pytest.approx(3.0, abs=0.05)
    assert s["time"]["total_s"] == pytest.approx(4.0, abs=0.1)
    with av.open(str(out / source.stem / "annotated.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) == s["range"]["frames"]


def test_auto_recognises_the_child_pose(
    runs: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = runs["kneeling_lumbar_flexion"]["video"]
    code = main(["analyze", str(source), "--stretch", "auto", "--out", str(tmp_path),
                 "--no-video", "--no-progress"])
    assert code == 0, capsys.readouterr()
    s = json.loads((tmp_path / source.stem / "summary.json").read_text())
    assert s["stretch"]["chosen"] == "recognized"
    assert s["stretch"]["id"] == "kneeling_lumbar_flexion"
    assert s["stretch"]["score"] >= 0.4  # the arms lie back: a tip, which halves a frame's weight
    assert "recognised automatically" in (tmp_path / source.stem / "report.md").read_text()


def test_unknown_stretch_and_bad_dosage_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = footage(VIDEOS["kneeling_lumbar_flexion"])
    assert main(["analyze", str(video), "--stretch", "no_such", "--out", str(tmp_path)]) == 1
    assert main(["analyze", str(video), "--stretch", "kneeling_lumbar_flexion", "--dosage",
                 "9", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("posecheck: error:") == 2
    assert "Traceback" not in err
