"""The regression gate: verdicts on the development set must not fall below the baseline.

Runs from the landmarks committed in devset/landmarks (no model, no media),
so it runs everywhere. After an intended improvement, write the new baseline
with ``posecheck eval devset/labels.toml --recognition --json > devset/baseline.json``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from posecheck import evaluation, set_landmarks
from posecheck.labelled_set import DEVSET_LABELS, load_labelled_set
from posecheck.reference import load_library

BASELINE = json.loads((DEVSET_LABELS.parent / "baseline.json").read_text())
# Rates are compared with a little room for the rounding of stored landmarks.
TOLERANCE = 1e-9


@cache
def loaded() -> tuple:
    library = load_library()
    labels = load_labelled_set(DEVSET_LABELS, set(library))
    photos, clips = set_landmarks.load_all(labels)
    return library, labels, photos, clips


@cache
def summary() -> dict:
    library, labels, photos, clips = loaded()
    return evaluation.summary(evaluation.evaluate(labels, library, photos, clips))


@cache
def recognition() -> dict:
    library, labels, photos, clips = loaded()
    return evaluation.recognition_summary(
        evaluation.recognition_outcomes(labels, library, photos, clips))


def test_every_item_has_committed_landmarks() -> None:
    assert summary()["overall"]["no_landmarks"] == 0


def test_overall_agreement_does_not_regress() -> None:
    now, base = summary()["overall"], BASELINE["overall"]
    assert now["agreement"] >= base["agreement"] - TOLERANCE
    assert now["false_alarm_rate"] <= base["false_alarm_rate"] + TOLERANCE
    assert now["miss_rate"] <= base["miss_rate"] + TOLERANCE
    assert now["good_abstention_rate"] <= base["good_abstention_rate"] + TOLERANCE


@pytest.mark.parametrize("stretch_id", sorted(BASELINE["stretches"]))
def test_stretch_agreement_does_not_regress(stretch_id: str) -> None:
    now = summary()["stretches"].get(stretch_id)
    assert now is not None, f"{stretch_id} has no items in the development set any more"
    base = BASELINE["stretches"][stretch_id]
    assert now["agree"] >= base["agree"], [d for d in summary()["disagreements"]
                                           if d["stretch"] == stretch_id]


@pytest.mark.parametrize("fault", sorted(BASELINE["named_faults"]))
def test_named_faults_are_still_caught(fault: str) -> None:
    assert summary()["named_faults"][fault]["caught"] >= BASELINE["named_faults"][fault]["caught"]


RECOGNITION_RATES = [("clips", "top1"), ("photos", "top1"),
                     ("lookalikes_outside_library", "none_rate"),
                     ("lookalikes_of_other_stretches", "rate")]


@pytest.mark.parametrize(("group", "rate"), RECOGNITION_RATES,
                         ids=[g for g, _ in RECOGNITION_RATES])
def test_recognition_does_not_regress(group: str, rate: str) -> None:
    now, base = recognition()[group], BASELINE["recognition"][group]
    assert now["items"] == base["items"], "the development set changed: write a new baseline"
    wrong = [i for i in recognition()["items"] if not i["agrees"]]
    assert now[rate] >= base[rate] - TOLERANCE, wrong


def test_lookalikes_taken_for_their_stretch_do_not_grow() -> None:
    now = recognition()["lookalikes_taken_for_the_stretch"]
    assert now <= BASELINE["recognition"]["lookalikes_taken_for_the_stretch"]


def test_eval_command_prints_the_table(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "posecheck.cli", "eval", str(DEVSET_LABELS), "--no-disagreements"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "| **all** |" in done.stdout
    assert "| stretch | items | agreement |" in done.stdout


def test_eval_json_matches_the_library_evaluation() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "posecheck.cli", "eval", str(DEVSET_LABELS), "--json"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["overall"] == summary()["overall"]


def test_eval_refuses_a_missing_labels_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "posecheck.cli", "eval", str(tmp_path / "nope.toml")],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "no such labels file" in done.stderr
    assert "Traceback" not in done.stderr


def test_eval_takes_a_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    from posecheck import profiles
    from posecheck.cli import main

    monkeypatch.setenv(profiles.PROFILES_ENV, str(tmp_path))
    profiles.create_profile("loose")
    # A profile that lets any hip height pass accepts the upward dogs.
    profiles.save_overrides("loose", "prone_press_up", {"hips_down": (None, 500.0)})
    assert main(["eval", str(DEVSET_LABELS), "--stretch", "prone_press_up", "--json",
                 "--profile", "loose"]) == 0
    tuned = json.loads(capsys.readouterr().out)
    shipped = summary()["named_faults"]["prone_press_up/hips_lifted"]
    assert tuned["named_faults"]["prone_press_up/hips_lifted"]["caught"] < shipped["caught"]
    assert set(tuned["stretches"]) == {"prone_press_up"}
