"""The whole live page in a real headless Chromium with a fake camera.

Starts ``streamlit run app.py``, feeds Chromium's fake camera from a short clip
of real phone footage, picks the matching stretch, presses START and waits for
the page to report a detected person and a cue. Works on loopback with no
STUN/TURN servers. Set ``POSECHECK_SCREENSHOT_DIR`` to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _footage import _isolated_cache, footage  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.footage]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CLIP = "kneeling_lumbar_flexion/polybag_child_pose.mp4"
STRETCH_NAME = "Kneeling lumbar flexion (child's pose)"
SERVER_START_S = 60
DETECT_S = 120
CHROMIUM_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_clip(source: Path, dest: Path) -> Path:
    """4 s of the phone video at 360x640, 15 fps, as the y4m Chromium's fake camera reads."""
    cmd = [
        "ffmpeg", "-v", "error", "-y", "-ss", "4", "-t", "4", "-i", str(source),
        "-vf", "scale=360:640,fps=15", "-pix_fmt", "yuv420p", str(dest),
    ]
    subprocess.run(cmd, check=True, timeout=120)
    return dest


def _wait_healthy(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"streamlit did not answer within {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def server(tmp_path: Path, _isolated_cache: Path):  # noqa: F811
    port = _free_port()
    log = tmp_path / "streamlit.log"
    env = dict(os.environ, POSECHECK_OFFLINE="1", POSECHECK_CACHE_DIR=str(_isolated_cache))
    env.pop("POSECHECK_ICE_SERVERS", None)
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(port, proc, log)
        yield f"http://127.0.0.1:{port}/", log
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)


def _save_screenshot(page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot))
    keep = os.environ.get("POSECHECK_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / name)
    return shot


def _choose_stretch(page, name: str, tries: int = 3) -> None:
    """Pick ``name`` in the stretch box (typing filters the list, which is virtualised)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Stretch").first
    for attempt in range(tries):
        box.click()
        page.keyboard.type(name[:20])
        try:
            page.get_by_role("option", name=name).click(timeout=10_000)
            page.get_by_text(f"How to do it: {name}").wait_for(timeout=20_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            if attempt == tries - 1:
                raise


def test_live_page_checks_a_fake_camera(server, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"headless Chromium not installed ({CHROMIUM}); apt-get install chromium")
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed; apt-get install ffmpeg")
    sync_api = pytest.importorskip("playwright.sync_api")
    clip = _make_clip(footage(CLIP), tmp_path / "camera.y4m")
    url, log = server

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={clip}"],
            timeout=60_000,
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(url, timeout=60_000)
            page.get_by_role("heading", name="Live check").wait_for()
            page.get_by_text("Stop if you feel sharp pain").first.wait_for()
            # A patient's page: no developer toolbar ("Deploy", the developer menu).
            assert page.get_by_role("button", name="Deploy").count() == 0
            assert page.locator('[data-testid="stAppDeployButton"]').count() == 0

            _choose_stretch(page, STRETCH_NAME)

            video = page.frame_locator('iframe[title*="webrtc"]').first
            video.get_by_role("button", name="START").click()
            try:
                page.get_by_text("Person in view: yes").wait_for(timeout=DETECT_S * 1000)
                # A cue for this stretch: the panel's status line names a headline and a cue.
                panel = page.locator('[data-testid="stAlert"]').filter(
                    has_text=" - "
                ).first
                panel.wait_for(timeout=30_000)
                time.sleep(3)  # let a few annotated frames reach the video element
            finally:
                page.locator('iframe[title*="webrtc"]').first.scroll_into_view_if_needed()
                shot = _save_screenshot(page, tmp_path, "live_page.png")
            cue_text = panel.inner_text()
            assert any(
                h in cue_text for h in ("Good form", "Adjust your form", "Get into position",
                                        "Part of you is out of view", "Turn as shown")
            ), cue_text
            assert shot.stat().st_size > 10_000

            video.get_by_role("button", name="STOP").click()
            page.get_by_text("Your session").wait_for(timeout=30_000)
            assert page.get_by_text("Time in correct form").first.is_visible()
            _save_screenshot(page, tmp_path, "live_summary.png")
        finally:
            browser.close()
    errors = [line for line in log.read_text().splitlines() if "posecheck" in line
              and "Traceback" in line]
    assert not errors, errors
