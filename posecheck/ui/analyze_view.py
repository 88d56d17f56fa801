"""The "Analyze a recording" page: upload a video, get the annotated video and a report.

The upload is saved to a temporary folder, analyzed with
:func:`posecheck.video_analysis.analyze_video` (progress shown while the poses are
found and the video is drawn), and the results are shown on the page: the
annotated video, the summary, the fault table, the plot, and a download
button for every output. User mistakes (an unreadable file, an unknown
stretch) are shown as an error message, never as a traceback.
"""

from __future__ import annotations

import json
import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import streamlit as st

from posecheck.analysis_rate import DEFAULT_ANALYSIS_FPS
from posecheck.errors import PosecheckError, StretchNotRecognizedError
from posecheck.ui import common

logger = logging.getLogger(__name__)
# How often the bar is redrawn while an analysis runs.
_PROGRESS_EVERY_S = 0.25

AUTO = "auto"
_MIME = {
    "video": "video/mp4",
    "csv": "text/csv",
    "json": "application/json",
    "markdown": "text/markdown",
    "plot": "image/png",
}
_LABELS = {
    "video": "Annotated video (MP4)",
    "csv": "Frame-by-frame data (CSV)",
    "json": "Summary (JSON)",
    "markdown": "Report (Markdown)",
    "plot": "Plot (PNG)",
}
_STAGES = {"analysis": "Analyzing each frame", "landmarks": "Finding the body in each frame",
           "video": "Drawing the annotated video"}


def _work_dir() -> Path:
    """A temporary folder kept for this browser session."""
    if "analyze_tmp" not in st.session_state:
        st.session_state["analyze_tmp"] = tempfile.mkdtemp(prefix="posecheck-analyze-")
    return Path(st.session_state["analyze_tmp"])


def not_recognized_message(name: str, exc: StretchNotRecognizedError) -> str:
    """Plain words for a recording that matches no stretch: no paths, no flags."""
    library = common.library()
    closest = ""
    if exc.closest_id in library and exc.closest_score:
        closest = (f" The closest was {library[exc.closest_id].name}, whose position it saw "
                   f"in {exc.closest_score:.0%} of the frames: not enough to be sure.")
    return (f"posecheck could not tell which stretch \"{name}\" shows.{closest} "
            "Choose the stretch in the Stretch box above and press Analyze again.")


def analysis_rate(*, every_frame: bool) -> float | None:
    """How many times a second the model runs: the default, or every frame (None)."""
    return None if every_frame else DEFAULT_ANALYSIS_FPS


def _run_analysis(video: Path, stretch: str, profile: str | None, dosage_index: int,
                  write_video: bool, analysis_fps: float | None) -> dict[str, Any]:
    """Analyse ``video`` on a worker thread while this script thread draws its progress.

    The analysis reports progress from its own pipeline threads, which have
    no Streamlit session; so they only note the latest count, and the bar is
    redrawn here, on the page's own thread.
    """
    from posecheck.video_analysis import analyze_video

    bar = st.progress(0.0, text="Starting…")
    latest: list[tuple[str, int, int | None]] = []

    def progress(stage: str, done: int, total: int | None) -> None:
        latest[:] = [(stage, done, total)]  # one assignment: safe from any thread

    def draw() -> None:
        if not latest:
            return
        stage, done, total = latest[0]
        label = _STAGES.get(stage, stage)
        if total:
            bar.progress(min(1.0, done / total), text=f"{label}: frame {done} of {total}")
        else:
            bar.progress(0.0, text=f"{label}: frame {done}")

    out_dir = video.parent / "results"
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="analyze-page") as pool:
            job = pool.submit(
                analyze_video,
                video,
                stretch,
                out_dir,
                dosage_index=dosage_index,
                profile=profile,
                write_video=write_video,
                overwrite=True,
                progress=progress,
                analysis_fps=analysis_fps,
            )
            while not wait([job], timeout=_PROGRESS_EVERY_S).done:
                draw()
            result = job.result()  # the analysis' own error, raised here
    except BaseException:
        bar.empty()  # the error says what happened; no bar left at "Starting…"
        raise
    bar.progress(1.0, text="Done")
    return {"outputs": {k: str(p) for k, p in result.outputs.items()},
            "summary": result.summary_dict,
            "history": _save_history(result, profile, video.name)}


def _save_history(result: Any, profile: str | None, name: str) -> str:
    """Keep the analysis in the session history; says what happened, in words."""
    from datetime import datetime

    from posecheck.history_store import HistoryError, save_if_enabled
    from posecheck.recording_time import recording_time
    from posecheck.session_record import new_session_id, record_from_analysis

    started = recording_time(result.video, datetime.now().astimezone())
    record = record_from_analysis(
        result.analysis, session_id=new_session_id(), started_at=started, profile=profile,
        source_name=name)
    try:
        saved = save_if_enabled(record)
    except HistoryError as exc:
        logger.warning("analysis not saved in the history: %s", exc)
        return f"This analysis could not be saved in your history: {exc}"
    if not saved:
        return "History is turned off: this analysis was not saved (see the Progress page)."
    return "Saved in your history: see the Progress page."


BESIDE_VIDEO_UNTIL = "## Where the form broke"


def page_sections(markdown: str) -> tuple[str, str]:
    """The report as two parts for the page, headings one level down (the page has its own
    title): the result, beside the video, and the details, at full width (the fault table
    is too wide for a column)."""
    lines = [f"#{line}" if line.startswith("#") else line for line in markdown.splitlines()]
    text = "\n".join(lines)
    top, sep, rest = text.partition("#" + BESIDE_VIDEO_UNTIL)
    return top, (sep + rest) if sep else ""


def _show_results(state: dict[str, Any]) -> None:
    outputs = {k: Path(v) for k, v in state["outputs"].items()}
    summary = state["summary"]
    if state.get("history"):
        st.caption(state["history"])
    # The result first, the video beside it: a portrait phone video at full
    # width would push the summary a screen down.
    size = (summary.get("landmarks") or {}).get("frame_size") or (16, 9)
    portrait = size[1] > size[0]
    top, details = page_sections(outputs["markdown"].read_text(encoding="utf-8"))
    report_col, video_col = st.columns([2, 1] if portrait else [1, 1])
    with report_col:
        st.markdown(top)
    with video_col:
        if "video" in outputs and outputs["video"].is_file():
            st.video(str(outputs["video"]))
        else:
            st.caption("No annotated video was made.")
    if details:  # its fault table is the one list of faults (summary.json holds them too)
        st.markdown(details)
    if outputs["plot"].is_file():
        counted = ("blue = hold under way" if "holds" in summary
                   else "blue lines = repetitions counted")
        st.image(str(outputs["plot"]), caption="Each check over time: green = allowed range, "
                 f"red = form fault, {counted}")
    st.subheader("Downloads")
    stem = Path(state.get("name", "video")).stem
    cols = st.columns(len(outputs))
    for col, (kind, path) in zip(cols, outputs.items(), strict=True):
        if path.is_file():
            col.download_button(
                _LABELS[kind], data=path.read_bytes(), file_name=f"{stem}_{path.name}",
                mime=_MIME[kind], key=f"download_{kind}",
            )


def render() -> None:
    """Draw the page."""
    st.header("Analyze a recording")
    common.safety_note()
    st.write("Upload a video of a session to see which holds or repetitions counted, "
             "where the form broke and by how much.")
    upload = st.file_uploader(
        "Video", type=["mp4", "mov", "m4v", "webm", "mkv", "avi"], key="analyze_upload"
    )
    choices = [AUTO, *common.library()]
    names = {AUTO: "Recognise automatically", **{k: s.name for k, s in common.library().items()}}
    # Side by side, so the result below the Analyze button is closer to the top.
    stretch_col, profile_col = st.columns(2)
    with stretch_col:
        stretch_id = st.selectbox("Stretch", choices, format_func=lambda k: names[k],
                                  key="analyze_stretch")
    with profile_col:
        profile = common.profile_picker("analyze_profile")
    dosage_index = 0
    if stretch_id != AUTO:
        try:
            stretch = common.resolve_stretch(stretch_id, profile)
        except PosecheckError as exc:
            st.error(str(exc))
            return
        dosage_index = common.dosage_picker(stretch, "analyze_dosage")
    write_video = st.checkbox("Make the annotated video", value=True, key="analyze_video",
                              help="Drawing the video takes extra time.")
    every_frame = st.checkbox(
        "Check every frame", value=False, key="analyze_every_frame",
        help=f"By default the pose is measured {DEFAULT_ANALYSIS_FPS:g} times a second and "
             "filled in between, which is plenty for stretches and about twice as fast. "
             "Check every frame for quick movements.")
    analysis_fps = analysis_rate(every_frame=every_frame)
    if st.button("Analyze", type="primary", disabled=upload is None, key="analyze_go"):
        assert upload is not None
        work = Path(tempfile.mkdtemp(dir=_work_dir()))
        video = work / Path(upload.name).name
        video.write_bytes(upload.getbuffer())
        try:
            state = _run_analysis(video, stretch_id, profile, dosage_index, write_video,
                                  analysis_fps)
        except StretchNotRecognizedError as exc:
            st.error(not_recognized_message(upload.name, exc))
            st.session_state.pop("analyze_result", None)
            return
        except PosecheckError as exc:
            # The upload's own name, not the temporary copy's path.
            reason = str(exc).replace(str(video), f'"{upload.name}"')
            st.error(f"This video could not be analyzed: {reason}")
            st.session_state.pop("analyze_result", None)
            return
        except (OSError, ValueError, RuntimeError) as exc:
            logger.exception("analysis of an uploaded video failed")
            st.error(f"This video could not be analyzed ({type(exc).__name__}: {exc}).")
            st.session_state.pop("analyze_result", None)
            return
        state["name"] = upload.name
        st.session_state["analyze_result"] = json.loads(json.dumps(state))
    if "analyze_result" in st.session_state:
        _show_results(st.session_state["analyze_result"])
