"""Session-wide setup: the BlazePose models, fetched once for every test.

The models come from the npm package ``@mediapipe/pose`` (see
:mod:`posecheck.model_package`). They are extracted once into the user cache
(kept between runs) and every test, including the page's server processes,
is pointed at that folder with ``POSECHECK_MODEL_PACKAGE``, so a test with
its own empty cache dir assembles its bundle offline instead of downloading
the package again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


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
