"""The Progress page under AppTest with a real database, and the Analyze page's save."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from history_records import record
from synthetic import CORRECT

from posecheck import history_store
from posecheck.history_store import HistoryStore

SCRIPT = """
from datetime import date
from posecheck.ui import progress_view
progress_view.render(today=date(2026, 11, 28))
"""


def _page(tmp_path: Path):
    from streamlit.testing.v1 import AppTest

    script = tmp_path / "page.py"
    script.write_text(SCRIPT)
    at = AppTest.from_file(str(script), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                    + [i.value for i in at.info])


def test_an_empty_history_says_so(tmp_path: Path) -> None:
    at = _page(tmp_path)
    assert "No sessions saved yet" in _texts(at)


def test_the_page_shows_a_profiles_progress_and_deletes_it(tmp_path: Path) -> None:
    with HistoryStore(history_store.database_path()) as store:
        for day, reach in ((24, 18.0), (25, 21.0), (27, 26.0)):
            store.save(record(day, reach=reach, faults=1 if day == 25 else 0))
        store.save(record(26, profile="tom"))
    at = _page(tmp_path)
    assert at.selectbox(key="progress_profile").value == "jane"
    text = _texts(at)
    assert "3 session(s) from 2026-11-24 to 2026-11-28" in text
    assert "3 of 5 days done as prescribed (once a day), 0 partly, 2 missed" in text
    assert "Leaning back: 8° further than the first of 3 sessions" in text
    table = at.dataframe[-1].value
    assert list(table["date"]) == ["2026-11-27", "2026-11-25", "2026-11-24"]
    corrections = at.dataframe[0].value
    assert list(corrections["correction"]) == ["Knees straight"]

    at.checkbox(key="progress_delete_sure").check().run()
    at.button(key="progress_delete").click().run()
    assert not at.exception
    with HistoryStore(history_store.database_path()) as store:
        assert store.profiles() == ["tom"]


def test_the_switch_turns_history_off_and_on(tmp_path: Path) -> None:
    with HistoryStore(history_store.database_path()) as store:
        store.save(record(24))
    at = _page(tmp_path)
    assert at.toggle(key="progress_history_on").value is True
    at.toggle(key="progress_history_on").set_value(False).run()
    assert not history_store.history_enabled()
    at.toggle(key="progress_history_on").set_value(True).run()
    assert history_store.history_enabled()


def test_the_analyze_page_saves_its_analysis_unless_history_is_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from posecheck.reference import load_stretch
    from posecheck.summarize import analyze_sequence
    from posecheck.ui import analyze_view
    from posecheck.video_analysis import VideoAnalysis

    class Seq:
        timestamps_s = np.arange(150) / 10
        poses = [CORRECT["standing_extension"]] * 150

    analysis = analyze_sequence(Seq(), load_stretch("standing_extension"))
    result = VideoAnalysis(Path("/nonexistent/upload.mp4"), Path("."), analysis, {}, {}, False)
    assert analyze_view._save_history(result, None, "upload.mp4").startswith("Saved")
    with HistoryStore(history_store.database_path()) as store:
        (saved,) = store.sessions(None)
    assert saved.source == "file" and saved.source_name == "upload.mp4"
    assert saved.duration_s == pytest.approx(15.0, abs=0.2)
    assert saved.started_at.date() == date.today()  # no camera time in the file: now
    monkeypatch.setenv(history_store.HISTORY_SWITCH_ENV, "off")
    assert "turned off" in analyze_view._save_history(result, None, "upload.mp4")
    with HistoryStore(history_store.database_path()) as store:
        assert len(store.sessions(None)) == 1
