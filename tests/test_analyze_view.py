"""The analysis page in words a patient reads, and laid out so the result is in view."""

from __future__ import annotations

from pathlib import Path

import pytest

from posecheck.errors import StretchNotRecognizedError

SCRIPT = """
import streamlit as st
from posecheck.ui import analyze_view
analyze_view._show_results(st.session_state["demo"])
"""


def test_unrecognised_clip_names_the_file_and_the_closest_stretch() -> None:
    from posecheck.ui.analyze_view import not_recognized_message

    exc = StretchNotRecognizedError(Path("/tmp/posecheck-analyze-x/tmpabc/forearm_plank.mp4"),
                                    "no stretch matched well enough", "prone_on_elbows", 0.12)
    text = not_recognized_message("forearm_plank.mp4", exc)
    assert '"forearm_plank.mp4"' in text
    assert "Prone on elbows, whose position it saw in 12% of the frames" in text
    assert "Stretch box above" in text
    assert "/tmp" not in text and "--stretch" not in text
    # The command line keeps its own wording.
    assert "pass --stretch ID" in str(exc)


@pytest.mark.parametrize(("size", "widths"), [((1080, 1920), (2, 1)), ((1280, 720), (1, 1))])
def test_result_comes_first_with_the_video_beside_it(tmp_path: Path, size: tuple[int, int],
                                                     widths: tuple[int, int]) -> None:
    from streamlit.testing.v1 import AppTest

    (tmp_path / "report.md").write_text("## Result\n\n- **Holds: 1 of 3**\n")
    (tmp_path / "annotated.mp4").write_bytes(b"\x00" * 64)
    state = {
        "outputs": {"video": str(tmp_path / "annotated.mp4"),
                    "markdown": str(tmp_path / "report.md"),
                    "plot": str(tmp_path / "missing.png")},
        "summary": {"faults": [], "landmarks": {"frame_size": list(size)}},
        "name": "phone.mp4",
    }
    script = tmp_path / "app.py"
    script.write_text(SCRIPT)
    at = AppTest.from_file(str(script), default_timeout=60)
    at.session_state["demo"] = state
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    report_col, video_col = at.columns[0], at.columns[1]
    assert (report_col.weight, video_col.weight) == pytest.approx(
        (widths[0] / sum(widths), widths[1] / sum(widths)))
    assert "Holds: 1 of 3" in report_col.markdown[0].value
    assert len(video_col.get("video")) == 1


def test_the_page_gives_ranges_in_plain_words(tmp_path: Path) -> None:
    """The report on the page and its fault table say what each check needs in words."""
    import numpy as np
    from streamlit.testing.v1 import AppTest
    from synthetic import BRIDGE, HOOKLYING
    from test_analysis import Seq

    from posecheck import report, summarize
    from posecheck.reference import load_stretch

    t = np.arange(0, 8, 1 / 15)
    poses = [HOOKLYING.build() if x < 3 else BRIDGE.build() for x in t]
    result = summarize.analyze_sequence(Seq(t, poses), load_stretch("pelvic_tilt"))
    data = report.summary_dict(result.summary, report.ReportContext("v.mp4", "x", True))
    (tmp_path / "report.md").write_text(report.render_markdown(data))
    state = {"outputs": {"markdown": str(tmp_path / "report.md"),
                         "plot": str(tmp_path / "missing.png")},
             "summary": data, "name": "v.mp4"}
    script = tmp_path / "app.py"
    script.write_text(SCRIPT)
    at = AppTest.from_file(str(script), default_timeout=60)
    at.session_state["demo"] = state
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # The result beside the video; the details (checks, fault table) at full width below.
    assert "### Result" in at.columns[0].markdown[0].value
    page = "\n".join(m.value for m in at.markdown)
    assert "## Checks and allowed ranges" not in at.columns[0].markdown[0].value
    assert ("**Hips on the floor**: Hips no higher than a quarter of your trunk length above "
            "the line from your shoulders to your feet (at most 25% of torso length; form)"
            ) in page
    assert "-15%" not in page
    # One list of faults, the report's, with what each check needs in words.
    assert not at.dataframe
    assert "| What it needs |" in page
    fault = next(line for line in page.splitlines() if "| Hips on the floor |" in line)
    assert "| Hips no higher than a quarter of your trunk length" in fault
    assert "of your trunk length above the line:" in fault  # the worst, in the same words



def test_the_page_measures_15_times_a_second_unless_every_frame_is_ticked(
        tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from posecheck.analysis_rate import DEFAULT_ANALYSIS_FPS
    from posecheck.ui import analyze_view

    script = tmp_path / "analyze_app.py"
    script.write_text("from posecheck.ui import analyze_view\nanalyze_view.render()\n")
    at = AppTest.from_file(str(script), default_timeout=60)
    at.run()
    assert not at.exception
    box = at.checkbox(key="analyze_every_frame")
    assert box.label == "Check every frame" and box.value is False
    assert f"{DEFAULT_ANALYSIS_FPS:g} times a second" in box.help
    assert analyze_view.analysis_rate(every_frame=False) == DEFAULT_ANALYSIS_FPS
    assert analyze_view.analysis_rate(every_frame=True) is None


@pytest.mark.footage
def test_a_chosen_stretch_is_analysed_on_the_page_with_its_progress(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The single pass reports progress from its own threads, which have no Streamlit
    session: the page must still draw it and give the result, not a traceback."""
    import shutil

    from _footage import _isolated_cache, footage  # noqa: F401
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("POSECHECK_OFFLINE", "1")
    monkeypatch.setenv("POSECHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("POSECHECK_HISTORY_DIR", str(tmp_path / "history"))
    (tmp_path / "upload").mkdir()
    video = tmp_path / "upload" / "child.mp4"
    shutil.copy(footage("kneeling_lumbar_flexion/polybag_child_pose.mp4"), video)
    script = tmp_path / "analyze_app.py"
    script.write_text(
        "from pathlib import Path\n"
        "import streamlit as st\n"
        "from posecheck.ui import analyze_view\n"
        f"st.session_state['out'] = analyze_view._run_analysis(Path({str(video)!r}), "
        "'kneeling_lumbar_flexion', None, 0, False, 15.0)\n")
    at = AppTest.from_file(str(script), default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    state = at.session_state["out"]
    assert state["summary"]["stretch"]["id"] == "kneeling_lumbar_flexion"
    assert state["summary"]["holds"]["completed"] == 0  # about 11 s of a 30 s hold
    assert Path(state["outputs"]["markdown"]).is_file()
    assert "Saved" in state["history"] or "history" in state["history"].lower()
