"""Every test keeps its session history in a temporary folder.

The live page, ``posecheck analyze`` and the Analyze page save sessions to the
history by default; without this, tests would write into the user's data folder.
A session-wide folder covers module fixtures (which run before per-test ones);
each test then gets a fresh folder of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

HISTORY_ENV = "POSECHECK_HISTORY_DIR"


@pytest.fixture(scope="session", autouse=True)
def _session_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("posecheck-history")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(HISTORY_ENV, str(folder))
        mp.delenv("POSECHECK_HISTORY", raising=False)
        yield folder


@pytest.fixture(autouse=True)
def _isolated_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "posecheck-history"
    monkeypatch.setenv(HISTORY_ENV, str(folder))
    return folder
