"""One spelling of "analyze" on the page, as in the navigation and the command."""

from __future__ import annotations

from pathlib import Path

SCRIPT = """
from posecheck.ui import analyze_view
analyze_view.render()
"""


def test_analyze_page_spells_analyze_like_the_navigation(tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    script = tmp_path / "analyze_app.py"
    script.write_text(SCRIPT)
    at = AppTest.from_file(str(script), default_timeout=60)
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Analyze a recording"]
    assert "Analyze" in [b.label for b in at.button]
    text = " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.header)
                    if hasattr(e, "value"))
    assert "Analyse" not in text
    app = (Path(__file__).resolve().parents[1] / "app.py").read_text()
    assert 'title="Analyze a recording"' in app
