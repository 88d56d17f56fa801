"""posecheck's web page: ``streamlit run app.py``.

Four views: the live check (the main job), analysing a recorded video, the
progress kept in the session history, and tuning the reference angle ranges.
The last three are imported only when opened.
"""

from __future__ import annotations

import importlib

import streamlit as st

st.set_page_config(
    page_title="posecheck - stretch form checker",
    page_icon=":material/self_improvement:",
    layout="wide",
)


def _view(module: str) -> None:
    """Render ``posecheck.ui.<module>``, or a short note when it is not installed."""
    try:
        view = importlib.import_module(f"posecheck.ui.{module}")
    except ModuleNotFoundError as exc:
        if exc.name is not None and not exc.name.startswith("posecheck"):
            raise
        st.info("This part of posecheck is not available in this installation.")
        return
    view.render()


def live() -> None:
    _view("live_view")


def analyze() -> None:
    _view("analyze_view")


def progress() -> None:
    _view("progress_view")


def tune() -> None:
    _view("tune_view")


page = st.navigation(
    [
        st.Page(live, title="Live check", icon=":material/videocam:", url_path="live",
                default=True),
        st.Page(analyze, title="Analyze a recording", icon=":material/movie:",
                url_path="analyze"),
        st.Page(progress, title="Progress", icon=":material/calendar_month:",
                url_path="progress"),
        st.Page(tune, title="Tune reference angles", icon=":material/tune:", url_path="tune"),
    ]
)
page.run()
