"""Bad uploads on the analysis page, in a real headless Chromium.

AppTest cannot upload files, so the page runs under ``streamlit run``: an
empty file, a text file named like a video and a photo named like a video
each get one line of error naming the upload (not a temporary path), and no
traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _footage import _isolated_cache, footage  # noqa: F401
from _page import CHROMIUM, skip_without_browser, streamlit_server

pytestmark = [pytest.mark.browser]

PHOTO = "kneeling_lumbar_flexion/fedb_Childs_Pose_1.jpg"


def test_bad_uploads_get_one_line_each(tmp_path: Path) -> None:
    sync_api = skip_without_browser(camera=False)
    empty = tmp_path / "empty.mp4"
    empty.touch()
    notes = tmp_path / "notes.mp4"
    notes.write_text("these are my notes, not a video\n" * 20)
    photo = tmp_path / "photo.mp4"
    shutil.copy(footage(PHOTO), photo)
    expected = {
        empty: 'video file is empty: "empty.mp4"',
        notes: "notes.mp4",
        photo: 'this is a still image, not a video: "photo.mp4"',
    }
    with streamlit_server(tmp_path / "streamlit.log") as (url, _proc), \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu"], timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            for path, needle in expected.items():
                # A fresh page each time: its Analyze button is disabled until the
                # upload's rerun has finished, so the click cannot land mid-rerun.
                page.goto(url + "analyze", timeout=60_000)
                page.get_by_role("heading", name="Analyze a recording").wait_for()
                page.locator('input[type="file"]').set_input_files(str(path))
                page.get_by_text(path.name).first.wait_for()
                page.get_by_role("button", name="Analyze").click()
                error = page.locator('[data-testid="stAlert"]').filter(
                    has_text="could not be analyzed").filter(has_text=path.name)
                error.wait_for(timeout=60_000)
                text = error.inner_text().strip()
                assert needle in text, text
                assert "\n" not in text, text
                assert str(tmp_path) not in text and "/tmp/" not in text, text
                assert "Traceback" not in page.inner_text("body")
                if path == empty:
                    page.screenshot(path=str(tmp_path / "empty_upload.png"))
        finally:
            browser.close()
    log = (tmp_path / "streamlit.log").read_text()
    assert "Traceback" not in log, log[-3000:]
