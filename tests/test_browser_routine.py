"""A routine end to end on the live page, in a real headless Chromium with a fake camera.

The fake camera plays real footage of a child's pose. A patient's profile
keeps a short routine: the child's pose held once for 3 s, then the pelvic
tilt, then the bird dog. The page must finish the first step on its own
(the footage holds the pose), rest, move on, notice the person is still in
the child's pose, move on again on Skip, and stay silent once muted. A spy on
``window.speechSynthesis.speak``, installed before the page loads, records
what the page asked the browser to say (headless Chromium may have no voices).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _footage import _isolated_cache, footage  # noqa: F401
from _page import launch_chromium, make_clip, skip_without_browser
from test_browser import CLIP, _save_screenshot, server

from posecheck import profiles

pytestmark = [pytest.mark.browser, pytest.mark.footage]

__all__ = ["server"]

ROUTINE = """\
id = "quick"
name = "Quick test routine"
rest_s = 4

[[steps]]
stretch = "kneeling_lumbar_flexion"
[steps.dosage]
kind = "hold"
sets = 1
hold_s = 3
rest_s = 0

[[steps]]
stretch = "pelvic_tilt"

[[steps]]
stretch = "bird_dog"
"""

SPY = """
window.__spoken = [];
window.__cancelled = 0;
if (window.speechSynthesis) {
  const synth = window.speechSynthesis;
  const speak = synth.speak.bind(synth);
  const cancel = synth.cancel.bind(synth);
  synth.speak = (u) => { window.__spoken.push(u.text); try { speak(u); } catch (e) {} };
  synth.cancel = () => { window.__cancelled += 1; try { cancel(); } catch (e) {} };
}
"""
STEP_S = 150  # the model on a shared 2-core machine, with the browser beside it


@pytest.fixture
def profiles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profiles"
    monkeypatch.setenv(profiles.PROFILES_ENV, str(folder))
    routine = folder / "tester" / "routines" / "quick.toml"
    routine.parent.mkdir(parents=True)
    routine.write_text(ROUTINE, encoding="utf-8")
    return folder


@pytest.fixture
def routine_server(profiles_dir: Path, server):
    return server


def _select(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option).click(timeout=20_000)


def _spoken(page) -> list[str]:
    return page.evaluate("window.__spoken")


def _wait_spoken(page, start: str, timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        said = _spoken(page)
        if any(s.startswith(start) for s in said):
            return said
        time.sleep(0.5)
    pytest.fail(f"the page never asked to say {start!r}; it said: {_spoken(page)}")


def test_a_routine_runs_end_to_end_and_its_cues_are_spoken(routine_server,
                                                           tmp_path: Path) -> None:
    sync_api = skip_without_browser()
    clip = make_clip(footage(CLIP), tmp_path / "camera.y4m")
    url, log = routine_server

    with sync_api.sync_playwright() as pw:
        browser = launch_chromium(pw, clip)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1100})
            context.add_init_script(SPY)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(url, timeout=60_000)
            page.get_by_role("heading", name="Live check").wait_for()
            page.get_by_text("Routine", exact=True).click()
            _select(page, "Profile", "tester")
            _select(page, "Routine", "Quick test routine (tester's)")
            page.get_by_text("The routine: Quick test routine").wait_for(timeout=20_000)
            assert page.get_by_role("switch", name="Speak the cues").is_checked()
            _save_screenshot(page, tmp_path, "routine_chosen.png")

            video = page.frame_locator('iframe[title*="webrtc"]').first
            video.get_by_role("button", name="START").click()
            try:
                # Step 1 ends on its own: the footage holds a child's pose for 3 s.
                said = _wait_spoken(page, "Stretch done. Rest for 4 seconds. Next: Pelvic tilt",
                                    STEP_S)
                assert said[0] == "First: Kneeling lumbar flexion (child's pose), " \
                                  "1 hold of 3 seconds."
                page.get_by_text("Now: Pelvic tilt").first.wait_for(timeout=60_000)
                # The camera setup of the step on, not only in the folded routine panel.
                setup = page.get_by_text("Set-up for Pelvic tilt: Camera at floor level, side-on")
                setup.first.wait_for(timeout=30_000)
                _save_screenshot(page, tmp_path, "routine_step2.png")
                said = _wait_spoken(page, "Now: Pelvic tilt, 10 repetitions.", 60)
                # Still kneeling in the footage: recognition says so.
                page.get_by_text("You still look to be in the last stretch").wait_for(
                    timeout=60_000)
                _wait_spoken(page, "Time to change position: Pelvic tilt.", 60)
                page.get_by_role("button", name="Skip this stretch").click()
                page.get_by_text("Set up the camera for Bird dog").wait_for(timeout=30_000)
                _save_screenshot(page, tmp_path, "routine_rest.png")
                _wait_spoken(page, "Skipped. Rest for 4 seconds. Next: Bird dog.", 60)
                page.get_by_text("Now: Bird dog").first.wait_for(timeout=60_000)
                _wait_spoken(page, "Now: Bird dog", 60)
                _save_screenshot(page, tmp_path, "routine_step3.png")

                # Muted: the end of the routine is shown but not said.
                page.get_by_text("Speak the cues").click()
                page.wait_for_function("window.__cancelled > 0", timeout=30_000)
                count = len(_spoken(page))
                page.get_by_role("button", name="Skip this stretch").click()
                page.get_by_text("Routine done").first.wait_for(timeout=60_000)
                time.sleep(4)
                assert len(_spoken(page)) == count, _spoken(page)[count:]
            finally:
                _save_screenshot(page, tmp_path, "routine_end.png")
            said = _spoken(page)
            news = [s for s in said if s.startswith(("First:", "Now:", "Stretch done.",
                                                     "Skipped.", "Time to change"))]
            assert len(news) == 6 and len(set(news)) == 6, said  # each said once
            video.get_by_role("button", name="STOP").click()
            page.get_by_text("Your session").wait_for(timeout=30_000)
            page.get_by_text("Quick test routine: 1 of 3 stretches done").wait_for()
            _save_screenshot(page, tmp_path, "routine_summary.png")
        finally:
            browser.close()
    errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
    assert not errors, log.read_text()[-3000:]
