"""``posecheck eval --build`` on a small labelled set of real photos: the model runs once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _footage import footage, shared_model

from posecheck.cli import main

pytestmark = pytest.mark.footage

LABELS = """
[[item]]
id = "seal"
stretch = "prone_press_up"
media = "press_up/seal.jpg"
expect = "good"

[[item]]
id = "superman"
stretch = "prone_press_up"
media = "press_up/superman.jpg"
expect = "lookalike"
pose = "superman"
"""


def test_build_then_evaluate_from_the_stored_landmarks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    media = tmp_path / "media" / "press_up"
    media.mkdir(parents=True)
    shutil.copy(footage("prone_press_up/katie_seal.jpg"), media / "seal.jpg")
    shutil.copy(footage("prone_press_up/fedb_Superman_1.jpg"), media / "superman.jpg")
    labels = tmp_path / "labels.toml"
    labels.write_text(LABELS)
    model = str(shared_model().path)
    assert main(["eval", str(labels), "--build", "--model", model]) == 0
    out = capsys.readouterr().out
    assert "landmarks: 2 estimated, 0 kept, 0 without media" in out
    assert "| **all** | 2 | 100% (2) |" in out
    assert (tmp_path / "landmarks" / "photos.npz").is_file()
    # Without the media the stored landmarks still evaluate; a rebuild keeps them.
    shutil.rmtree(tmp_path / "media")
    assert main(["eval", str(labels)]) == 0
    assert "| **all** | 2 | 100% (2) |" in capsys.readouterr().out
