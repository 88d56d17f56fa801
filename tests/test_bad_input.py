"""Bad input on every entry point: one line of error, no traceback, nothing saved lost.

The command line through ``main()``; the live and tuning pages with AppTest
(the WebRTC component replaced by a stub, as in test_app.py). Uploads on the
analysis page need a browser: see test_browser_uploads.py.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from _footage import _isolated_cache, footage  # noqa: F401
from test_app import APP, FakeWebrtc, fake_webrtc  # noqa: F401

from posecheck import profiles
from posecheck.cli import main

STRETCH = "kneeling_lumbar_flexion"
PHOTO = "kneeling_lumbar_flexion/fedb_Childs_Pose_1.jpg"
BROKEN_PROFILE = "[checks.sit_back\nmax = 70\n"


@pytest.fixture
def broken_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A saved profile 'jane' whose file for the stretch is not valid TOML."""
    monkeypatch.setenv(profiles.PROFILES_ENV, str(tmp_path / "profiles"))
    path = profiles.create_profile("jane") / f"{STRETCH}.toml"
    path.write_text(BROKEN_PROFILE)
    return path


def huge_png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header says ``width`` x ``height`` (the pixel data is not there)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    return path


def _one_line_error(capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    out = capsys.readouterr()
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert len(lines) == 1, out.err
    assert lines[0].startswith("posecheck: error: "), lines
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in out.out + out.err
    return lines[0]


# ---------------------------------------------------------------- command line


@pytest.mark.parametrize("command", [
    ["check", "--stretch", "prone_pressup", "photo.jpg"],
    ["analyze", "video.mp4", "--stretch", "prone_pressup", "--out", "out"],
    ["tune", "prone_pressup", "video.mp4"],
])
def test_unknown_stretch_in_a_command(command: list[str], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(command) == 1
    _one_line_error(capsys, "prone_pressup", "prone_press_up")
    assert not (tmp_path / "out").exists()


def test_malformed_profile_in_commands_is_one_line_and_kept(
    broken_profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = footage(PHOTO)
    assert main(["check", "--stretch", STRETCH, "--profile", "jane", str(photo)]) == 1
    _one_line_error(capsys, str(broken_profile), "not valid TOML")
    assert main(["analyze", str(photo.with_suffix(".mp4")), "--stretch", STRETCH,
                 "--profile", "jane", "--out", str(tmp_path / "out")]) == 1
    _one_line_error(capsys, str(broken_profile), "not valid TOML")
    assert main(["tune", STRETCH, str(photo.with_suffix(".mp4")), "--profile", "jane",
                 "--write"]) == 1
    _one_line_error(capsys, str(broken_profile), "not valid TOML")
    assert main(["profiles", "show", "jane"]) == 1
    _one_line_error(capsys, "not valid TOML")
    # The file as the person left it: nothing rewrote it.
    assert broken_profile.read_text() == BROKEN_PROFILE


def test_empty_unreadable_and_huge_photos(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jpg"
    empty.touch()
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo\n")
    huge = huge_png(tmp_path / "huge.png", 12_000, 12_000)
    bomb = huge_png(tmp_path / "bomb.png", 60_000, 60_000)
    for path, needle in [(empty, "empty"), (text, "not a readable image"),
                         (huge, "image too large: 12000x12000 pixels"),
                         (bomb, "image too large")]:
        assert main(["check", "--stretch", STRETCH, str(path)]) == 1
        _one_line_error(capsys, needle, path.name)


def test_empty_and_non_video_recordings_fail_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    photo = tmp_path / "photo.mp4"  # a photo named like a video
    photo.write_bytes(footage(PHOTO).read_bytes())
    out = tmp_path / "out"
    code = main(["analyze", str(empty), str(photo), "--stretch", STRETCH, "--out", str(out),
                 "--no-video", "--jobs", "1", "--no-progress"])
    assert code == 1
    printed = capsys.readouterr()
    assert f"FAILED {empty}: video file is empty" in printed.out
    failed = [line for line in printed.out.splitlines() if line.startswith(f"FAILED {photo}")]
    assert len(failed) == 1, printed.out
    assert "Traceback" not in printed.out + printed.err
    assert not (out / "empty" / "summary.json").exists()


# ---------------------------------------------------------------- pages


def _live_app(query: dict[str, str] | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_unknown_stretch_in_the_address_is_one_line(fake_webrtc: FakeWebrtc) -> None:  # noqa: F811
    at = _live_app({"stretch": "bird_dgo"})
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert "bird_dgo" in errors[0] and "did you mean bird_dog" in errors[0]
    assert "\n" not in errors[0]
    # The page carries on with its usual first stretch.
    assert at.selectbox(key="live_stretch").value == next(iter(_library_by_name()))
    # Markup in the address is shown as plain characters, not rendered.
    at = _live_app({"stretch": "**x**](http://example.org)"})
    assert "http://example.org" not in at.error[0].value
    assert "**" not in at.error[0].value


def test_known_stretch_in_the_address_is_chosen(fake_webrtc: FakeWebrtc) -> None:  # noqa: F811
    at = _live_app({"stretch": "bird_dog"})
    assert not at.error
    assert at.selectbox(key="live_stretch").value == "bird_dog"
    assert any(e.label == "How to do it: Bird dog" for e in at.expander)


def _library_by_name() -> dict[str, str]:
    from posecheck.ui import common

    return {sid: s.name for sid, s in common.library().items()}


def test_malformed_profile_on_the_live_page(broken_profile: Path,
                                            fake_webrtc: FakeWebrtc) -> None:  # noqa: F811
    at = _live_app()
    at.selectbox(key="live_stretch").set_value(STRETCH).run()
    at.selectbox(key="live_profile").set_value("jane").run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "not valid TOML" in errors[0], errors
    assert str(broken_profile) in errors[0] and "\n" not in errors[0]
    assert broken_profile.read_text() == BROKEN_PROFILE


def test_malformed_profile_on_the_tune_page(broken_profile: Path, tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    script = tmp_path / "tune_app.py"
    script.write_text("from posecheck.ui import tune_view\ntune_view.render()\n")
    at = AppTest.from_file(str(script), default_timeout=60)
    at.run()
    at.selectbox(key="tune_stretch").set_value(STRETCH).run()
    at.selectbox(key="tune_profile").set_value("jane").run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "not valid TOML" in errors[0], errors
    assert not [b for b in at.button if b.label == "Save to profile"]
    assert broken_profile.read_text() == BROKEN_PROFILE
