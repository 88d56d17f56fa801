"""The live page: pick a stretch, start the camera, get feedback drawn into the video.

The video runs through streamlit-webrtc. Its frame callback runs on a worker
thread and touches no ``st.*``: it hands each frame to the browser session's
:class:`~posecheck.live.LiveStream` (kept in ``st.session_state``, so the
landmarker is created once per browser session) and returns the annotated
frame. The text panel beside the video reads the same state, under the
session's lock, about once a second.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import av
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from posecheck.engine import TIP_PREFIX, Status
from posecheck.errors import PosecheckError
from posecheck.estimator import Estimator
from posecheck.live import LiveSettings, LiveSnapshot, LiveStream, SessionSummary
from posecheck.ui import common
from posecheck.verdicts import Verdict

logger = logging.getLogger(__name__)

STREAM_KEY = "posecheck_live_stream"
SUMMARY_KEY = "posecheck_live_summary"
PLAYING_KEY = "posecheck_live_was_playing"
WEBRTC_KEY = "posecheck-live"
MODELS = {
    "full": "Accurate (full model) - recommended",
    "lite": "Faster (lite model) - for slower computers",
}
PANEL_REFRESH_S = 1.0

HEADLINE: dict[Status, str] = {
    Status.NO_PERSON: "Nobody in view",
    Status.NOT_VISIBLE: "Part of you is out of view",
    Status.WRONG_VIEW: "Turn as shown in the camera setup",
    Status.GET_IN_POSITION: "Get into position",
    Status.ADJUST: "Adjust your form",
    Status.GOOD: "Good form",
    Status.REST: "Rest",
    Status.DONE: "All done",
}
VERDICT_MARK = {
    Verdict.OK: ":green[:material/check_circle:]",
    Verdict.TOO_LOW: ":red[:material/cancel:]",
    Verdict.TOO_HIGH: ":red[:material/cancel:]",
    Verdict.UNKNOWN: ":gray[:material/help:]",
}
TIP_MARK = ":orange[:material/lightbulb:]"


def _estimator_factory(model: str) -> Estimator:
    """A video-mode landmarker for ``model`` (imported here: mediapipe loads slowly)."""
    from posecheck.estimator import PoseEstimator

    return PoseEstimator(model, mode="video")


def get_stream(factory: Callable[[str], Estimator] | None = None) -> LiveStream:
    """This browser session's stream (created once, kept in the session state)."""
    stream = st.session_state.get(STREAM_KEY)
    if stream is None:
        stream = LiveStream(factory or _estimator_factory)
        st.session_state[STREAM_KEY] = stream
    return stream


def make_video_callback(stream: LiveStream) -> Callable[[av.VideoFrame], av.VideoFrame]:
    """The webrtc frame callback: runs on a worker thread, never touches ``st``."""

    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        image = frame.to_ndarray(format="rgb24")
        out = stream.handle(image, frame.time, time.monotonic())
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    return callback


# ---------------------------------------------------------------- the text panel


def _render_snapshot(snap: LiveSnapshot, stream_error: str | None) -> None:
    error = stream_error or snap.error
    if error:
        st.error(f"The video check stopped working: {error}")
    if snap.status is None:
        st.info("Press **START** below the video and allow the camera.")
        return
    headline = HEADLINE[snap.status]
    cue = snap.cue
    if cue.startswith(TIP_PREFIX):  # the headline already says "Good form"
        cue = "Tip: " + cue.removeprefix(TIP_PREFIX)
    if snap.status in (Status.GOOD, Status.DONE):
        st.success(f"**{headline}** - {cue}")
    elif snap.status == Status.ADJUST:
        st.warning(f"**{headline}** - {cue}")
    else:
        st.info(f"**{headline}** - {cue}")
    st.markdown(f"Person in view: **{'yes' if snap.person_seen else 'no'}**")
    st.markdown(f"**{snap.timer}**  ·  {snap.set_label}"
                + (f"  ·  {snap.side_label}" if snap.side_label else ""))
    if snap.timer.endswith(" s"):
        st.progress(snap.hold_fraction)
    st.markdown(f"Time in correct form: {snap.good_s:.0f} s")
    if snap.checks:
        rows = []
        for c in snap.checks:
            # What the check asks for is said where it is not met: the panel stays narrow.
            if c.is_tip:  # advice only: the form still counts
                mark, state = TIP_MARK, f"tip: {c.aim}"
            else:
                mark = VERDICT_MARK[c.verdict]
                state = "not seen" if c.verdict == Verdict.UNKNOWN else (
                    "in range" if c.verdict == Verdict.OK else f"needs: {c.aim}")
            rows.append(f"| {mark} | {c.label} | {c.measured or c.value} | {state} |")
        st.markdown("| | Check | Measured | |\n|---|---|---|---|\n" + "\n".join(rows))
    speed = []
    if snap.fps is not None:
        speed.append(f"{snap.fps:.0f} frames/s checked")
    if snap.model_ms is not None:
        speed.append(f"pose model {snap.model_ms:.0f} ms per frame")
    if speed:
        st.caption(" · ".join(speed) + ". If this is below ~10 frames/s, try the faster "
                   "settings.")


def _render_summary(summary: SessionSummary) -> None:
    st.markdown("#### Your session")
    lines = summary.lines()
    st.markdown(f"**{lines[0]}**")
    st.markdown("\n".join(
        f"    - {line.strip()}" if line.startswith("  ") else f"- {line}" for line in lines[1:]
    ))
    st.caption("Press START to go again.")


def _panel(playing: bool) -> None:
    """The state beside the video; refreshed about once a second while streaming."""
    stream: LiveStream | None = st.session_state.get(STREAM_KEY)
    session = stream.session if stream is not None else None
    summary = st.session_state.get(SUMMARY_KEY)
    if not playing and summary is not None:
        _render_summary(summary)
    elif session is not None and session.snapshot().frames > 0:
        _render_snapshot(session.snapshot(), stream.error if stream else None)
    elif stream is not None and stream.error:
        st.error(f"The video check could not start: {stream.error}")
    elif playing:
        st.info("Starting the camera and the pose model...")
    else:
        st.info("Press **START** below the video and allow the camera.")


# ---------------------------------------------------------------- the page


def _model_available(model: str) -> bool:
    """Whether ``model`` can be loaded without a download (checked once per process)."""
    return _available_models().get(model, False)


@st.cache_resource(show_spinner=False)
def _available_models() -> dict[str, bool]:
    from posecheck.model import ModelUnavailableError, resolve_model

    out = {}
    for name in MODELS:
        try:
            resolve_model(name, allow_download=False)
            out[name] = True
        except ModelUnavailableError:
            out[name] = False
    return out


def _settings_controls() -> tuple[str, bool, bool]:
    with st.expander("Video settings"):
        model = st.radio(
            "Pose model", list(MODELS), key="live_model",
            format_func=lambda m: MODELS[m] + ("" if _model_available(m)
                                               else " (downloaded once; needs internet)"),
        )
        low_res = st.checkbox(
            "Lower camera resolution (320x240): less work per frame on slow computers",
            key="live_low_res",
        )
        mirror = st.checkbox("Show the video like a mirror", value=True, key="live_mirror")
    return model, mirror, low_res


def _track_playing(stream: LiveStream, playing: bool) -> None:
    """Start a fresh session on START; keep a summary on STOP."""
    was = st.session_state.get(PLAYING_KEY, False)
    if playing and not was:
        stream.restart()
        st.session_state.pop(SUMMARY_KEY, None)
    elif was and not playing:
        session = stream.session
        if session is not None and session.snapshot().frames > 0:
            st.session_state[SUMMARY_KEY] = session.summary()
    st.session_state[PLAYING_KEY] = playing


def _rtc_configuration() -> dict[str, Any]:
    try:
        return common.rtc_configuration()
    except common.IceServerError as exc:
        st.error(str(exc))
        return {"iceServers": []}


def render() -> None:
    """Draw the live page."""
    st.title("Live check")
    common.safety_note()
    col_a, col_b, col_c = st.columns([3, 2, 2])
    with col_a:
        stretch_id = common.stretch_picker("live_stretch")
    with col_c:
        profile = common.profile_picker("live_profile")
    try:
        stretch = common.resolve_stretch(stretch_id, profile)
    except PosecheckError as exc:
        st.error(str(exc))
        return
    with col_b:
        dosage_index = common.dosage_picker(stretch, "live_dosage")

    stream = get_stream()
    video_col, panel_col = st.columns([3, 2])
    with panel_col:
        model, mirror, low_res = _settings_controls()
    stream.configure(LiveSettings(stretch, dosage_index, mirror, model))
    width_px, height_px = (320, 240) if low_res else (640, 480)
    with video_col:
        ctx = webrtc_streamer(
            key=WEBRTC_KEY,
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=_rtc_configuration(),
            media_stream_constraints={
                "video": {"width": {"ideal": width_px}, "height": {"ideal": height_px}},
                "audio": False,
            },
            video_frame_callback=make_video_callback(stream),
            async_processing=True,
        )
        st.caption("Press START and allow the camera. Feedback is drawn into the video; "
                   "nothing is recorded or uploaded.")
    playing = bool(ctx.state.playing)
    _track_playing(stream, playing)
    with panel_col:
        st.subheader("What I see")
        st.fragment(run_every=PANEL_REFRESH_S if playing else None)(_panel)(playing)
        with st.expander(f"How to do it: {stretch.name}", expanded=not playing):
            common.describe_stretch(stretch, dosage_index)
