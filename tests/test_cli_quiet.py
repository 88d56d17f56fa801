"""The command line keeps MediaPipe's native start-up lines off the terminal."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from _footage import footage

pytestmark = pytest.mark.footage

NATIVE_NOISE = ("GPU suport", "Feedback manager", "NORM_RECT without IMAGE_DIMENSIONS",
                "absl::InitializeLog", "DestroyAccelerator")


def run_check(*extra: str) -> subprocess.CompletedProcess[str]:
    photo = footage("prone_press_up/katie_seal.jpg")
    env = {**os.environ, "POSECHECK_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "posecheck.cli", *extra, "check", "--stretch",
         "prone_press_up", str(photo)],
        capture_output=True, text=True, env=env, timeout=300, check=False)


def test_check_prints_no_native_log_lines() -> None:
    done = run_check()
    assert done.returncode == 0, done.stderr
    assert "status: good" in done.stdout
    assert done.stderr == "", done.stderr  # nothing at all, as the landmarker starts or closes


def test_verbose_lets_them_through() -> None:
    done = run_check("--verbose")
    assert done.returncode == 0, done.stderr
    assert any(n in done.stderr for n in NATIVE_NOISE), done.stderr
