"""Shared helpers for the estimator/model/video/cache tests.

The real footage lives beside the repository in ``../shared/footage`` and is
never copied into it; tests that need it skip when it is absent. The pose
model is assembled once per test session into a temporary folder.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import pytest

FOOTAGE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "footage"


def footage(relative: str) -> Path:
    """Path to a footage file, skipping the test when it is not available."""
    path = FOOTAGE_DIR / relative
    if not path.is_file():
        pytest.skip(f"real footage not available: {path} (expected in ../shared/footage)")
    return path


@functools.cache
def _session_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="posecheck-test-model-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.cache
def shared_model():
    """The full model for tests: assembled offline once, in a temporary cache dir."""
    from posecheck.model import resolve_model

    return resolve_model("full", cache_dir=_session_dir(), allow_download=False)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the posecheck cache at a per-test temp dir and stay offline."""
    cache = tmp_path / "posecheck-cache"
    monkeypatch.setenv("POSECHECK_CACHE_DIR", str(cache))
    monkeypatch.setenv("POSECHECK_OFFLINE", "1")
    return cache
