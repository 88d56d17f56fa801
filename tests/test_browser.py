"""The whole live page in a real headless Chromium with a fake camera.

Starts ``streamlit run app.py``, feeds Chromium's fake camera from a short clip
of real phone footage, picks the matching stretch, presses START and waits for
the page to report a detected person and a cue. Works on loopback with no
STUN/TURN servers. Set ``POSECHECK_SCREENSHOT_DIR`` to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from _footage import _isolated_cache, footage  # noqa: F401
from _page import (
    PageError,
    choose_stretch,
    launch_chromium,
    make_clip,
    skip_without_browser,
    streamlit_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.footage]

CLIP = "kneeling_lumbar_flexion/polybag_child_pose.mp4"
STRETCH_NAME = "Kneeling lumbar flexion (child's pose)"
DETECT_S = 120


@pytest.fixture
def server(tmp_path: Path, _isolated_cache: Path):  # noqa: F811
    """The page on a free loopback port, with this test's model cache; yields (url, log)."""
    log = tmp_path / "streamlit.log"
    try:
        with streamlit_server(log, env={"POSECHECK_CACHE_DIR": str(_isolated_cache)}) as (url, _):
            yield url, log
    except PageError as exc:
        pytest.fail(str(exc))


def _save_screenshot(page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot))
    keep = os.environ.get("POSECHECK_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / name)
    return shot


def test_live_page_checks_a_fake_camera(server, tmp_path: Path) -> None:
    sync_api = skip_without_browser()
    clip = make_clip(footage(CLIP), tmp_path / "camera.y4m")
    url, log = server

    with sync_api.sync_playwright() as pw:
        browser = launch_chromium(pw, clip)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(url, timeout=60_000)
            page.get_by_role("heading", name="Live check").wait_for()
            page.get_by_text("Stop if you feel sharp pain").first.wait_for()
            # A patient's page: no developer toolbar ("Deploy", the developer menu).
            assert page.get_by_role("button", name="Deploy").count() == 0
            assert page.locator('[data-testid="stAppDeployButton"]').count() == 0

            choose_stretch(page, STRETCH_NAME)

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
