"""Every test keeps its session history in its own temporary folder.

The live page, ``posecheck analyze`` and the Analyze page save sessions to the
history by default; without this, tests would write into the user's data folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "posecheck-history"
    monkeypatch.setenv("POSECHECK_HISTORY_DIR", str(folder))
    monkeypatch.delenv("POSECHECK_HISTORY", raising=False)
    return folder
