"""Model resolution: explicit paths, cache, verified download, offline assembly."""

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

from posecheck.model import (
    OFFICIAL_MODELS,
    ChecksumMismatchError,
    ModelDownloadError,
    ModelUnavailableError,
    bundled_variants,
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


def test_wheel_ships_the_full_model() -> None:
    assert "full" in bundled_variants()


def test_offline_assembles_full_and_reuses_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = resolve_model("full", cache_dir=cache, base_url=_closed_port_url(), timeout_s=2)
    assert first.source == "assembled"
    assert first.model_id.startswith("full:assembled-0.10.21:")
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


def test_offline_env_var_skips_the_network(tmp_path: Path) -> None:
    resolved = resolve_model("full", cache_dir=tmp_path)  # POSECHECK_OFFLINE=1 in tests
    assert resolved.source == "assembled"


def test_cache_dir_defaults_to_env_var() -> None:
    resolved = resolve_model("full", allow_download=False)
    assert resolved.path.parent == Path(os.environ["POSECHECK_CACHE_DIR"]) / "models"


@pytest.mark.parametrize("variant", ["lite", "heavy"])
def test_unavailable_variant_explains_what_was_tried(variant: str, tmp_path: Path) -> None:
    if variant in bundled_variants():
        pytest.skip(f"this mediapipe ships the {variant} model")
    with pytest.raises(ModelUnavailableError) as info:
        resolve_model(variant, cache_dir=tmp_path, allow_download=False)
    message = str(info.value)
    assert f"no {variant} pose model" in message
    assert "download: skipped (offline)" in message
    assert "--model PATH" in message
    assert OFFICIAL_MODELS[variant].url() in message


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
