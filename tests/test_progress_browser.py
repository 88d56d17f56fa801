"""A live session in a real headless Chromium lands in the history and on the Progress page.

The fake camera plays a few seconds of real child's-pose footage; the page is
started, checked, stopped; the database (a real SQLite file in a temporary
folder) must hold the session while it runs (saved every few seconds) and as
finished after STOP, and the Progress page must show it, with the report to
download. Set ``POSECHECK_SCREENSHOT_DIR`` to keep the screenshots.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _footage import _isolated_cache, footage  # noqa: F401
from _page import choose_stretch, launch_chromium, make_clip, skip_without_browser
from test_browser import (
    CLIP,
    DETECT_S,
    STRETCH_NAME,
    _save_screenshot,
    server,  # noqa: F401  (the page, started with this test's history folder)
)

from posecheck.history_store import HistoryStore, database_path

pytestmark = [pytest.mark.browser, pytest.mark.footage]


@pytest.fixture(autouse=True)
def _no_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty profiles folder (the page server copies this environment)."""
    monkeypatch.setenv("POSECHECK_PROFILES_DIR", str(tmp_path / "profiles"))
    monkeypatch.delenv("POSECHECK_HISTORY", raising=False)


def _saved_sessions() -> list:
    path = database_path()
    if not path.is_file():
        return []
    with HistoryStore(path) as store:
        return store.sessions(any_profile=True)


def _wait_for_saved(predicate, timeout_s: float) -> list:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = _saved_sessions()
        if predicate(found):
            return found
        time.sleep(1.0)
    pytest.fail(f"the history did not get the session in {timeout_s:.0f} s: {_saved_sessions()}")


def test_a_live_session_is_saved_and_shown_on_the_progress_page(
        server, tmp_path: Path) -> None:  # noqa: F811
    sync_api = skip_without_browser()
    clip = make_clip(footage(CLIP), tmp_path / "camera.y4m")
    url, log = server

    with sync_api.sync_playwright() as pw:
        browser = launch_chromium(pw, clip)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000},
                                    accept_downloads=True)
            page.set_default_timeout(60_000)
            page.goto(url, timeout=60_000)
            page.get_by_role("heading", name="Live check").wait_for()
            choose_stretch(page, STRETCH_NAME)
            video = page.frame_locator('iframe[title*="webrtc"]').first
            video.get_by_role("button", name="START").click()
            page.get_by_text("Person in view: yes").wait_for(timeout=DETECT_S * 1000)

            # Saved while it runs, not only at the end: a crash loses a few seconds at most.
            running = _wait_for_saved(lambda s: len(s) == 1, 60)
            assert not running[0].finished and running[0].source == "live"
            time.sleep(6)
            video.get_by_role("button", name="STOP").click()
            page.get_by_text("Your session").wait_for(timeout=30_000)
            page.get_by_text("Saved in your history").wait_for(timeout=30_000)
            _save_screenshot(page, tmp_path, "live_saved.png")
            (saved,) = _wait_for_saved(lambda s: len(s) == 1 and s[0].finished, 30)
            assert saved.session_id == running[0].session_id
            assert saved.stretch_id == "kneeling_lumbar_flexion" and saved.profile is None
            assert saved.duration_s > running[0].duration_s
            assert saved.seen_s >= 2.0 and saved.ranges  # numbers only, and some of them

            page.get_by_role("link", name="Progress").click()
            page.get_by_role("heading", name="Progress").wait_for()
            page.get_by_text(STRETCH_NAME).first.wait_for()
            page.get_by_text("Adherence:").wait_for()
            page.get_by_role("heading", name="Every session").wait_for()
            assert page.get_by_text("1 session(s) from").is_visible()
            page.wait_for_timeout(1500)  # let the charts draw
            _save_screenshot(page, tmp_path, "progress_page.png")
            page.get_by_role("heading", name="Every session").scroll_into_view_if_needed()
            _save_screenshot(page, tmp_path, "progress_table.png")

            with page.expect_download() as info:
                page.get_by_role("button", name="Download the report").click()
            report = Path(info.value.path()).read_text(encoding="utf-8")
            assert "Stretching report" in report and STRETCH_NAME.split(" (")[0] in report
            assert "data:image/png;base64," in report
        finally:
            browser.close()
    errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
    assert not errors, log.read_text()[-3000:]
