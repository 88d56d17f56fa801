"""Routine files: the shipped ones, validation with file and line, and profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from posecheck import profiles, routines
from posecheck.errors import PosecheckError, ReferenceFileError
from posecheck.reference import load_library

GOOD = """\
id = "{id}"
name = "Test routine"
rest_s = 15

[[steps]]
stretch = "prone_on_elbows"

[[steps]]
stretch = "hooklying_rotation"
dosage = 2
rest_after_s = 40

[[steps]]
stretch = "standing_extension"
[steps.dosage]
kind = "hold"
sets = 2
hold_s = 20
"""


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(autouse=True)
def _profiles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profiles"
    monkeypatch.setenv(profiles.PROFILES_ENV, str(folder))
    return folder


def _write(tmp_path: Path, text: str, name: str = "mine") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace("{id}", name), encoding="utf-8")
    return path


def test_the_source_routine_is_shipped_in_its_order_at_3_x_30_s(library) -> None:
    routine = routines.load_routine("extension_rotation", library=library)
    assert [s.stretch_id for s in routine.steps] == [
        "prone_on_elbows", "prone_press_up", "hooklying_rotation",
        "trunk_rotation_leg_over", "standing_extension"]
    for step in routine.steps:
        assert (step.dosage.kind, step.dosage.sets, step.dosage.hold_s) == ("hold", 3, 30.0)
    assert routine.steps[2].dosage.per_side  # the rotations: each side


def test_a_flexion_routine_is_shipped(library) -> None:
    routine = routines.load_routine("flexion", library=library)
    assert "double_knee_to_chest" in [s.stretch_id for s in routine.steps]
    assert routine.notes


def test_steps_take_a_library_dosage_or_one_set_for_the_patient(tmp_path, library) -> None:
    routine = routines.load_routine_file(_write(tmp_path, GOOD), library)
    first, second, third = routine.steps
    assert first.dosage == library["prone_on_elbows"].dosages[0] and first.rest_after_s == 15
    assert second.dosage_index == 1 and second.rest_after_s == 40
    assert third.custom and (third.dosage.sets, third.dosage.hold_s) == (2, 20.0)
    stretch, index = routine.stretch_for(2, library)
    assert stretch.dosages[index] == third.dosage
    assert stretch.checks == library["standing_extension"].checks
    stretch, index = routine.stretch_for(1, library)
    assert stretch is library["hooklying_rotation"] and index == 1


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('stretch = "prone_on_elbows"', 'stretch = "prone_on_elbow"', 6,
         ["steps[0].stretch", "did you mean 'prone_on_elbows'"]),
        ("dosage = 2", "dosage = 3", 10,
         ["steps[1].dosage", "1 to 2", "2 = 3 x 30 s hold each side"]),
        ("hold_s = 20", "hold_s = 0", 18, ["steps[2].dosage.hold_s", "positive"]),
        ('kind = "hold"', 'kind = "reps"\nreps = 5', 16,
         ["steps[2].dosage.kind", "no way to count repetitions"]),
        ("rest_after_s = 40", "rest_afer_s = 40", 11,
         ["steps[1].rest_afer_s", "did you mean 'rest_after_s'"]),
        ("rest_s = 15", "rest_s = -1", 3, ["rest_s", "negative"]),
        ('name = "Test routine"', 'name = 3', 2, ["name", "must be a string"]),
    ],
)
def test_a_malformed_routine_names_file_line_and_field(tmp_path, library, old, new, line,
                                                       words) -> None:
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ReferenceFileError) as err:
        routines.load_routine_file(path, library)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: "), message
    for word in words:
        assert word in message


def test_other_mistakes_are_one_clear_line(tmp_path, library) -> None:
    cases = {
        "no steps": ('id = "{id}"\nname = "x"\nsteps = []\n', "needs at least one step"),
        "bad toml": ('id = "{id}"\nname = \n', "is not valid TOML"),
        "wrong id": (GOOD.replace('id = "{id}"', 'id = "other"'), "must match the file name"),
    }
    for name, (text, words) in cases.items():
        path = _write(tmp_path, text, name.replace(" ", "_"))
        with pytest.raises(ReferenceFileError, match=words) as err:
            routines.load_routine_file(path, library)
        assert "\n" not in str(err.value)
    with pytest.raises(ReferenceFileError, match="file not found"):
        routines.load_routine_file(tmp_path / "missing.toml", library)
    with pytest.raises(routines.UnknownRoutineError, match="did you mean 'flexion'"):
        routines.load_routine("flexon", library=library)


def test_field_lines_finds_keys_in_arrays_of_tables() -> None:
    lines = routines.field_lines(GOOD)
    assert lines["steps[0]"] == 5 and lines["steps[2].dosage"] == 15
    assert lines["steps[2].dosage.sets"] == 17 and lines["rest_s"] == 3


def test_a_physiotherapist_keeps_a_routine_in_a_patients_profile(tmp_path, library) -> None:
    source = _write(tmp_path, GOOD, "jane_morning")
    dest = routines.save_to_profile("jane", source, library=library)
    assert dest.read_text() == source.read_text()  # comments and order kept
    assert routines.load_routines(library=library).keys() == {"extension_rotation", "flexion"}
    mine = routines.load_routines("jane", library=library)
    assert mine["jane_morning"].profile == "jane"
    assert mine["flexion"].profile is None
    # an existing routine is not replaced without asking
    with pytest.raises(PosecheckError, match="--overwrite"):
        routines.save_to_profile("jane", source, library=library)
    # a malformed file never lands in the profile
    bad = _write(tmp_path, GOOD.replace("dosage = 2", "dosage = 9"), "jane_evening")
    with pytest.raises(ReferenceFileError):
        routines.save_to_profile("jane", bad, library=library)
    assert "jane_evening" not in routines.load_routines("jane", library=library)
    # resetting the tuned ranges keeps the patient's routines
    profiles.reset("jane")
    assert "jane_morning" in routines.load_routines("jane", library=library)
    routines.remove_from_profile("jane", "jane_morning")
    assert "jane_morning" not in routines.load_routines("jane", library=library)


def test_a_routine_in_the_profile_overrides_a_shipped_one_of_the_same_id(tmp_path,
                                                                        library) -> None:
    source = _write(tmp_path, GOOD.replace('name = "Test routine"', 'name = "Jane flexion"'),
                    "flexion")
    routines.save_to_profile("jane", source, library=library)
    assert routines.load_routine("flexion", "jane", library=library).name == "Jane flexion"
    assert routines.load_routine("flexion", library=library).name != "Jane flexion"


def test_routine_files_are_told_from_stretch_files(tmp_path) -> None:
    assert routines.is_routine_file(routines.ROUTINES_DIR / "flexion.toml")
    assert routines.is_routine_file(_write(tmp_path, GOOD))
    assert not routines.is_routine_file(routines.LIBRARY_DIR / "bridge.toml")
