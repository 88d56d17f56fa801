"""Profiles: precedence over the library, validation, and saving into a library file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from posecheck import profiles
from posecheck.errors import PosecheckError, ReferenceFileError
from posecheck.reference import LIBRARY_DIR, load_stretch_file

STRETCH = "kneeling_lumbar_flexion"


@pytest.fixture()
def lib(tmp_path: Path) -> Path:
    dest = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, dest)
    return dest


@pytest.fixture(autouse=True)
def _profiles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profiles"
    monkeypatch.setenv(profiles.PROFILES_ENV, str(folder))
    return folder


def test_profiles_dir_comes_from_the_environment(_profiles_dir: Path) -> None:
    assert profiles.profiles_root() == _profiles_dir
    assert profiles.list_profiles() == []


def _shipped_max(lib: Path, check_id: str = "sit_back") -> float:
    value = profiles.resolve_stretch(STRETCH, library_dir=lib).check(check_id).max
    assert value is not None
    return value


def test_profile_takes_precedence_over_the_library(lib: Path) -> None:
    shipped = profiles.resolve_stretch(STRETCH, library_dir=lib)
    new_max = _shipped_max(lib) + 10
    path = profiles.save_overrides("jane", STRETCH, {"sit_back": (None, new_max)},
                                   library_dir=lib)
    assert path is not None and path.is_file()
    tuned = profiles.resolve_stretch(STRETCH, "jane", library_dir=lib)
    assert tuned.check("sit_back").max == new_max
    assert tuned.check("chest_down").max == shipped.check("chest_down").max
    assert tuned.extra["profile"] == "jane"
    # without a profile, and for a stretch the profile does not tune: shipped values
    assert profiles.resolve_stretch(STRETCH, library_dir=lib) == shipped
    assert profiles.resolve_stretch("bird_dog", "jane", library_dir=lib) == \
        profiles.resolve_stretch("bird_dog", library_dir=lib)
    assert profiles.list_profiles() == ["jane"]
    assert profiles.profile_overrides("jane", STRETCH, library_dir=lib) == {
        "sit_back": (None, new_max)}


def test_profile_file_holds_only_differences(lib: Path) -> None:
    path = profiles.save_overrides(
        "jane", STRETCH, {"sit_back": (None, _shipped_max(lib) + 10),
                          "chest_down": (None, _shipped_max(lib, "chest_down"))},
        library_dir=lib)
    assert path is not None
    text = path.read_text()
    assert "sit_back" in text and "chest_down" not in text
    # saving the shipped value again leaves nothing: the file goes away
    assert profiles.save_overrides("jane", STRETCH, {"sit_back": (None, _shipped_max(lib))},
                                   library_dir=lib) is None
    assert not path.exists()


def test_reset_goes_back_to_shipped(lib: Path) -> None:
    shipped = _shipped_max(lib)
    profiles.save_overrides("jane", STRETCH, {"sit_back": (None, shipped + 5)}, library_dir=lib)
    profiles.save_overrides("jane", "bird_dog", {"back_flat": (None, 25.0)}, library_dir=lib)
    assert profiles.reset("jane", STRETCH)
    assert profiles.resolve_stretch(STRETCH, "jane", library_dir=lib).check(
        "sit_back").max == shipped
    assert profiles.resolve_stretch("bird_dog", "jane", library_dir=lib).check(
        "back_flat").max == 25
    profiles.reset("jane")
    assert profiles.list_profiles() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"knees_bent": (100.0, 90.0)}, "min 100 is not below max 90"),
        ({"knees_bent": (35.0, 200.0)}, "outside what a 'angle' measure can reach"),
        ({"lying": (None, 95.0)}, "outside what a 'inclination' measure can reach"),
        ({"tilt": (0.5, None)}, "return_at: must be below the check's min"),
        ({"knees_bnt": (35.0, 110.0)}, "did you mean 'knees_bent'?"),
        ({"lying": (5.0, 25.0)}, "cannot add one"),
        ({"lying": (None, None)}, "cannot remove the shipped 'max'"),
    ],
)
def test_invalid_edits_are_refused(lib: Path, overrides: dict, expected: str) -> None:
    with pytest.raises(ReferenceFileError, match=None) as info:
        profiles.save_overrides("jane", "pelvic_tilt", overrides, library_dir=lib)
    assert expected in str(info.value)
    assert "jane" in str(info.value)  # names the profile file
    assert not (profiles.profiles_root() / "jane" / "pelvic_tilt.toml").exists()


def test_return_at_can_be_tuned_with_the_rep_range(lib: Path) -> None:
    profiles.save_overrides("jane", "pelvic_tilt", {"tilt": (0.5, None)}, return_at=0.2,
                            library_dir=lib)
    stretch = profiles.resolve_stretch("pelvic_tilt", "jane", library_dir=lib)
    assert stretch.check("tilt").min == 0.5
    assert stretch.reps is not None and stretch.reps.return_at == 0.2


def test_malformed_profile_file_names_file_and_field(lib: Path) -> None:
    folder = profiles.create_profile("jane")
    path = folder / f"{STRETCH}.toml"
    path.write_text('[checks.sit_back]\nmax = "wide"\n')
    with pytest.raises(ReferenceFileError) as info:
        profiles.resolve_stretch(STRETCH, "jane", library_dir=lib)
    assert str(path) in str(info.value) and "checks.sit_back.max" in str(info.value)
    path.write_text("[checks.sit_bak]\nmax = 70\n")
    with pytest.raises(ReferenceFileError, match="did you mean 'sit_back'"):
        profiles.resolve_stretch(STRETCH, "jane", library_dir=lib)
    path.write_text("[checks.sit_back\n")
    with pytest.raises(ReferenceFileError, match="not valid TOML"):
        profiles.resolve_stretch(STRETCH, "jane", library_dir=lib)
    path.write_text("[checks.sit_back]\nmx = 70\n")
    with pytest.raises(ReferenceFileError, match="did you mean 'max'"):
        profiles.resolve_stretch(STRETCH, "jane", library_dir=lib)


@pytest.mark.parametrize("name", ["", "../evil", "a/b", ".hidden", "x" * 65, "sp ace"])
def test_bad_profile_names_are_refused(name: str, lib: Path) -> None:
    with pytest.raises(profiles.ProfileError, match="not allowed"):
        profiles.save_overrides(name, STRETCH, {"sit_back": (None, 70.0)}, library_dir=lib)


def test_unknown_profile_suggests_the_closest(lib: Path) -> None:
    profiles.save_overrides("jane", STRETCH, {"sit_back": (None, 70.0)}, library_dir=lib)
    with pytest.raises(profiles.UnknownProfileError, match="did you mean 'jane'"):
        profiles.resolve_stretch(STRETCH, "jnae", library_dir=lib)
    # a new profile being created is allowed when asked for
    assert profiles.resolve_stretch(STRETCH, "new", library_dir=lib, must_exist=False) == \
        profiles.resolve_stretch(STRETCH, library_dir=lib)


def test_unknown_stretch_is_a_clear_error(lib: Path) -> None:
    with pytest.raises(PosecheckError, match="did you mean 'bird_dog'"):
        profiles.resolve_stretch("bird_dgo", library_dir=lib)


def test_save_to_library_keeps_comments_and_order(lib: Path) -> None:
    path = lib / f"{STRETCH}.toml"
    before = path.read_text()
    profiles.save_to_library(STRETCH, {"sit_back": (None, 66.0), "arms_forward": (100.0, None)},
                             library_dir=lib)
    after = path.read_text()
    old_lines, new_lines = before.splitlines(), after.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert sorted(b for _, b in changed) == ["max = 66", "min = 100"]
    comments = [line for line in old_lines if "#" in line]
    assert comments and all(line in new_lines for line in comments)
    stretch = load_stretch_file(path)
    assert stretch.check("sit_back").max == 66 and stretch.check("arms_forward").min == 100
    assert [c.id for c in stretch.checks] == [
        c.id for c in profiles.resolve_stretch(STRETCH, library_dir=LIBRARY_DIR).checks]


def test_save_to_library_keeps_an_inline_comment(lib: Path) -> None:
    path = lib / f"{STRETCH}.toml"
    line = f"max = {_shipped_max(lib):g}"
    path.write_text(path.read_text().replace(line, f"{line}  # knee angle", 1))
    profiles.save_to_library(STRETCH, {"sit_back": (None, 65.5)}, library_dir=lib)
    assert "max = 65.5  # knee angle" in path.read_text()


def test_save_to_library_refuses_invalid_edits_and_leaves_the_file(lib: Path) -> None:
    path = lib / f"{STRETCH}.toml"
    before = path.read_text()
    with pytest.raises(ReferenceFileError, match="can reach"):
        profiles.save_to_library(STRETCH, {"sit_back": (None, 190.0)}, library_dir=lib)
    with pytest.raises(ReferenceFileError, match="cannot add one"):
        profiles.save_to_library(STRETCH, {"sit_back": (10.0, _shipped_max(lib))},
                                 library_dir=lib)
    assert path.read_text() == before
