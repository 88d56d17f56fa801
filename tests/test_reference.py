"""The stretch library loads, and malformed reference files are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from posecheck.cli import main
from posecheck.errors import ReferenceFileError, UnknownStretchError
from posecheck.reference import LIBRARY_DIR, library_files, load_library, load_stretch

EXPECTED_IDS = {
    "prone_on_elbows", "prone_press_up", "hooklying_rotation", "trunk_rotation_leg_over",
    "standing_extension", "knee_to_chest", "double_knee_to_chest", "pelvic_tilt", "bridge",
    "bird_dog", "kneeling_lumbar_flexion", "kneeling_hip_hinge",
    "supported_thoracic_extension", "back_over_pillow", "doorway_stretch", "head_rolls",
    "seated_rhomboid_stretch",
}


def test_every_library_file_loads() -> None:
    library = load_library()
    assert set(library) == EXPECTED_IDS
    assert len(library_files()) == len(EXPECTED_IDS)
    for stretch in library.values():
        assert stretch.safety and stretch.instructions and stretch.setup
        assert stretch.view in ("side", "front")
        assert any(c.role == "position" for c in stretch.checks)
        assert all(d.sets >= 1 for d in stretch.dosages)


def test_signature_checks_exist() -> None:
    press_up = load_stretch("prone_press_up")
    hips = press_up.check("hips_down")
    assert hips.required and hips.max is not None and "hips" in hips.cue_high.lower()
    ext = load_stretch("standing_extension")
    assert ext.check("knees_straight").min >= 150
    assert "lean back" in ext.check("lean_back").cue_low.lower()


def test_every_stretch_says_how_the_body_is_placed() -> None:
    # Recognition rules a stretch out where the body is plainly placed otherwise.
    for stretch in load_library().values():
        assert stretch.recognition.posture, stretch.id
    assert set(load_stretch("pelvic_tilt").recognition.still) == {"hips", "knees"}


def test_every_set_up_says_how_to_face_the_camera() -> None:
    # The page shows the set-up text alone, so it must carry the stretch's view.
    for stretch in load_library().values():
        words = "side-on" if stretch.view == "side" else "facing you"
        assert words in stretch.setup, (stretch.id, stretch.view, stretch.setup)


def test_rotation_stretches_flag_forcing() -> None:
    for stretch_id in ("hooklying_rotation", "trunk_rotation_leg_over"):
        safety = [c for c in load_stretch(stretch_id).checks if c.role == "safety"]
        assert safety, f"{stretch_id} needs a check that flags forcing the rotation"


GOOD = (LIBRARY_DIR / "prone_press_up.toml").read_text()


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (('points = ["hip", "knee"]', 'points = ["hip", "kne"]'),
         "checks[1].points[1]", "did you mean 'knee'"),
        (("min = 150", "min = 200"), "checks[5].min", "outside what"),
        (("min = 20\n", "min = 20\nmax = 10\n"), "checks[4].min", "range is empty"),
        (('cue_low = "If it feels fine, push up a little further toward straight arms"\n', ""),
         "checks[5].cue_low",
         "required when 'min' is set"),
        (("priority = 2", "priorty = 2"), "checks[0].priorty", "did you mean 'priority'"),
        (("priority = 2", 'priority = "high"'), "checks[0].priority", "must be an integer"),
        (('measure = "angle"', 'measure = "angel"'), "checks[5].measure", "did you mean 'angle'"),
        (("hold_s = 30", "hold_s = -1"), "dosage[0].hold_s", "positive"),
        (('view = "side"', 'view = "sideways"'), "view", "did you mean 'side'"),
        (('posture = ["lying_front"]', 'posture = ["lying_frnt"]'), "recognition.posture[0]",
         "did you mean 'lying_front'"),
        (('posture = ["lying_front"]', 'posture = ["lying_front"]\nstill = ["hip"]'),
         "recognition.still[0]", "did you mean 'hips'"),
        (('posture = ["lying_front"]', 'posture = ["lying_front"]\nmoves = ["hips"]'),
         "recognition.moves", "unknown key"),
    ],
)
def test_malformed_file_is_refused(tmp_path: Path, edit: tuple[str, str], field: str,
                                   message: str, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = edit
    assert old in GOOD
    path = tmp_path / "prone_press_up.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(ReferenceFileError) as err:
        load_library(tmp_path)
    assert err.value.field == field
    assert message in str(err.value)
    assert str(path) in str(err.value)
    # The command line reports the same message and exits non-zero.
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert field in out and message in out


def test_not_toml_and_wrong_id(tmp_path: Path) -> None:
    bad = tmp_path / "bridge.toml"
    bad.write_text("this is [not toml")
    with pytest.raises(ReferenceFileError, match="not valid TOML"):
        load_library(tmp_path)
    bad.write_text(GOOD)
    with pytest.raises(ReferenceFileError, match="must match the file name"):
        load_library(tmp_path)


def test_unknown_stretch_suggests_the_closest() -> None:
    with pytest.raises(UnknownStretchError, match="did you mean 'bird_dog'"):
        load_stretch("bird_dgo")


def test_validate_whole_library_passes(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSECHECK_PROFILES_DIR", str(tmp_path / "profiles"))
    assert main(["validate"]) == 0
    # the stretches and the shipped routines
    assert "19 valid, 0 invalid" in capsys.readouterr().out


def test_stretches_command_lists_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stretches"]) == 0
    out = capsys.readouterr().out
    for stretch_id in EXPECTED_IDS:
        assert stretch_id in out
    assert "3 x 30 s hold" in out and "side view" in out


@pytest.mark.parametrize("command", [[], ["stretches"], ["validate"]])
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_every_check_of_a_stretch_has_its_own_label() -> None:
    for stretch in load_library().values():
        labels = [c.label for c in stretch.checks]
        assert len(labels) == len(set(labels)), (stretch.id, labels)


def test_a_dosage_label_that_only_names_its_kind_is_not_said_twice() -> None:
    from posecheck.reference import Dosage

    holds = Dosage(kind="hold", sets=3, hold_s=30, per_side=True, label="Holds")
    assert holds.describe() == "3 x 30 s hold each side"
    reps = Dosage(kind="reps", sets=1, reps=10, label="Back and forth")
    assert reps.describe() == "Back and forth: 10 repetitions"
