"""``posecheck routines`` and ``posecheck validate`` on routine files."""

from __future__ import annotations

from pathlib import Path

import pytest

from posecheck import profiles
from posecheck.cli import main
from posecheck.routines import ROUTINES_DIR


@pytest.fixture(autouse=True)
def _profiles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profiles"
    monkeypatch.setenv(profiles.PROFILES_ENV, str(folder))
    return folder


def _bad_copy(tmp_path: Path) -> Path:
    text = (ROUTINES_DIR / "flexion.toml").read_text()
    path = tmp_path / "flexion.toml"
    path.write_text(text.replace('stretch = "knee_to_chest"', 'stretch = "knee_to_chst"'))
    return path


def test_validate_names_the_line_of_a_routine_mistake(tmp_path: Path, capsys) -> None:
    bad = _bad_copy(tmp_path)
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "knee_to_chst" in t)
    assert main(["validate", str(bad), str(ROUTINES_DIR / "extension_rotation.toml")]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {bad}:{line}: steps[1].stretch: no stretch 'knee_to_chst'" in out
    assert "did you mean 'knee_to_chest'" in out
    assert "ok   " in out and "1 valid, 1 invalid" in out


def test_validate_checks_the_routines_kept_in_profiles(tmp_path: Path, _profiles_dir: Path,
                                                       capsys) -> None:
    folder = _profiles_dir / "jane" / "routines"
    folder.mkdir(parents=True)
    _bad_copy(tmp_path).rename(folder / "flexion.toml")
    assert main(["validate"]) == 1
    assert f"FAIL {folder / 'flexion.toml'}:" in capsys.readouterr().out


def test_routines_list_show_add_and_remove(tmp_path: Path, capsys) -> None:
    assert main(["routines"]) == 0
    out = capsys.readouterr().out
    assert "extension_rotation  Extension and rotation: prone_on_elbows -> prone_press_up" in out
    assert main(["routines", "show", "extension_rotation"]) == 0
    out = capsys.readouterr().out
    assert "3. Hooklying rotation [hooklying_rotation]: 3 x 30 s hold each side" in out
    mine = tmp_path / "jane_daily.toml"
    mine.write_text((ROUTINES_DIR / "flexion.toml").read_text().replace(
        'id = "flexion"', 'id = "jane_daily"'))
    assert main(["routines", "add", str(mine), "--profile", "jane"]) == 0
    assert main(["routines", "add", str(mine), "--profile", "jane"]) == 1  # kept, not replaced
    assert "--overwrite" in capsys.readouterr().err
    assert main(["routines", "list", "--profile", "jane"]) == 0
    assert "jane_daily" in capsys.readouterr().out
    assert main(["routines", "add", str(_bad_copy(tmp_path)), "--profile", "jane"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("posecheck: error: ") and err.count("\n") == 1
    assert main(["routines", "remove", "jane_daily", "--profile", "jane"]) == 0
    assert main(["routines", "show", "jane_daily", "--profile", "jane"]) == 1
    assert "no routine 'jane_daily'" in capsys.readouterr().err


def test_help(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["routines", "--help"])
    assert exit_.value.code == 0 and "usage" in capsys.readouterr().out
