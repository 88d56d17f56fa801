"""Session-wide setup: the BlazePose models fetched once, and a history kept apart.

The models come from the npm package ``@mediapipe/pose`` (see
:mod:`posecheck.model_package`). They are extracted once into the user cache
(kept between runs) and every test, including the page's server processes,
is pointed at that folder with ``POSECHECK_MODEL_PACKAGE``, so a test with
its own empty cache dir assembles its bundle offline instead of downloading
the package again.

The live page, ``posecheck analyze`` and the Analyze page save sessions to the
history by default; every test keeps its history in a temporary folder, never
the user's data folder. A session-wide folder covers module fixtures (which
run before per-test ones); each test then gets a fresh folder of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

HISTORY_ENV = "POSECHECK_HISTORY_DIR"


@pytest.fixture(scope="session", autouse=True)
def model_package_copy() -> Path:
    from posecheck import model_package
    from posecheck.model import models_dir

    store = models_dir() / model_package.SOURCE_ID
    wanted = (model_package.DETECTOR, *model_package.LANDMARKS.values())
    if not all(model_package._verified_file(store / p.file_name, p.sha256) for p in wanted):
        saved = os.environ.pop(model_package.PACKAGE_FILE_ENV_VAR, None)
        try:
            model_package.extract_package(store)
        except model_package.PackageUnavailableError as exc:
            pytest.exit(f"the pose models cannot be fetched: {exc}", returncode=3)
        finally:
            if saved is not None:
                os.environ[model_package.PACKAGE_FILE_ENV_VAR] = saved
    os.environ[model_package.PACKAGE_FILE_ENV_VAR] = str(store)
    return store


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
