"""``posecheck tune`` and ``posecheck profiles`` on the command line, and a full round trip:
tune on a real phone video, save to a profile, analyse the same video with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _footage import _isolated_cache, footage, shared_model  # noqa: F401

from posecheck import profiles, tuning
from posecheck.cli import main
from posecheck.reference import LIBRARY_DIR

STRETCH = "kneeling_lumbar_flexion"
VIDEO = "kneeling_lumbar_flexion/polybag_child_pose.mp4"


@pytest.fixture(autouse=True)
def _profiles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profiles"
    monkeypatch.setenv(profiles.PROFILES_ENV, str(folder))
    return folder


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The child's-pose video's landmarks, estimated once for this module."""
    from posecheck.landmark_cache import load_or_estimate

    video = footage(VIDEO)
    cache_dir = tmp_path_factory.mktemp("tune-cache")
    model = shared_model()
    seq = load_or_estimate(video, model.path, cache_dir=cache_dir, model_id=model.model_id)
    assert seq.cache_path is not None
    return seq.cache_path


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["tune", "--help"], ["profiles", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(command)
        assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--profile" in out and "--write" in out and "reset" in out


def test_unknown_stretch_and_missing_file_are_one_line_errors(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tune", "kneeling_lumbar_flexon", str(tmp_path / "x.npz")]) == 1
    err = capsys.readouterr().err
    assert "did you mean 'kneeling_lumbar_flexion'" in err and "Traceback" not in err
    assert main(["tune", STRETCH, str(tmp_path / "missing.mp4")]) == 1
    assert "missing.mp4: file not found" in capsys.readouterr().err
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a cache")
    assert main(["tune", STRETCH, str(broken)]) == 1
    assert "broken.npz" in capsys.readouterr().err


def test_profiles_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles"]) == 0
    assert "No profiles saved yet" in capsys.readouterr().out
    profiles.save_overrides("clinic", STRETCH, {"sit_back": (None, 75.0)})
    assert main(["profiles", "show", "clinic"]) == 0
    assert "sit_back: ≤ 75°" in capsys.readouterr().out
    assert main(["profiles", "show", "clnic"]) == 1
    assert "did you mean 'clinic'" in capsys.readouterr().err
    assert main(["profiles", "reset", "clinic", STRETCH]) == 0
    assert profiles.profile_overrides("clinic", STRETCH) == {}


@pytest.mark.footage
def test_tune_prints_current_and_proposed_and_writes_nothing(
        demo_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tune", STRETCH, str(demo_cache)]) == 0
    out = capsys.readouterr().out
    for check in ("kneeling", "sit_back", "chest_down", "arms_forward"):
        assert check in out
    assert "proposed" in out and "frames ok" in out and "Nothing written" in out
    assert profiles.list_profiles() == []
    # --write without a profile refuses and explains
    assert main(["tune", STRETCH, str(demo_cache), "--write"]) == 1
    assert "--write needs --profile NAME" in capsys.readouterr().err


@pytest.mark.footage
def test_tune_accepts_the_video_itself(demo_cache: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from posecheck.landmark_cache import load_sequence

    cache_dir = demo_cache.parent.parent  # the landmarks made above are reused
    before = demo_cache.stat().st_mtime_ns
    code = main(["tune", STRETCH, str(footage(VIDEO)), "--cache-dir", str(cache_dir)])
    assert code == 0
    assert "sit_back" in capsys.readouterr().out
    assert load_sequence(demo_cache).model_id == shared_model().model_id
    assert demo_cache.stat().st_mtime_ns == before


@pytest.mark.footage
def test_round_trip_tune_save_analyse(demo_cache: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from posecheck import summarize
    from posecheck.landmark_cache import load_sequence
    from posecheck.summary import Analysis

    lib = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, lib)
    code = main(["tune", STRETCH, str(demo_cache), "--profile", "demo", "--write",
                 "--library", str(lib)])
    assert code == 0
    assert "Saved the proposed ranges to profile 'demo'" in capsys.readouterr().out

    shipped = profiles.resolve_stretch(STRETCH, library_dir=lib)
    tuned = profiles.resolve_stretch(STRETCH, "demo", library_dir=lib)
    seq = load_sequence(demo_cache)
    runs = [tuning.run_engine(seq, shipped)]
    expected = tuning.proposal_overrides(tuning.propose_all(runs, shipped))
    assert expected
    for check_id, (low, high) in expected.items():
        assert (tuned.check(check_id).min, tuned.check(check_id).max) == (low, high)
    # the arms check fails every frame with the shipped range; the tuned range
    # (from this demonstration) lets most frames pass
    before = summarize.analyze_sequence(seq, shipped)
    after = summarize.analyze_sequence(seq, tuned)
    assert before.stretch.check("arms_forward").min == shipped.check("arms_forward").min
    assert after.stretch.check("arms_forward").min == tuned.check("arms_forward").min

    def ok_frames(result: Analysis, check_id: str) -> int:
        return sum(1 for f in result.frames
                   if f.result(check_id).verdict.value == "ok")

    assert ok_frames(before, "arms_forward") == 0
    assert ok_frames(after, "arms_forward") > len(seq) // 2
    assert after.summary.correct_s != before.summary.correct_s or \
        ok_frames(after, "kneeling") != ok_frames(before, "kneeling")
