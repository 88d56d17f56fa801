"""The live page: pick a stretch or a routine, start the camera, get feedback drawn
into the video and spoken aloud.

The video runs through streamlit-webrtc. Its frame callback runs on a worker
thread and touches no ``st.*``: it hands each frame to the browser session's
:class:`~posecheck.live.LiveStream` (kept in ``st.session_state``, so the
landmarker is created once per browser session) and returns the annotated
frame. The text panel beside the video reads the same state, under the
session's lock, about once a second, and hands new spoken cues to the browser's
speech synthesis (:mod:`posecheck.ui.speak`). In Routine mode the session is a
:class:`~posecheck.live_routine.RoutineSession`, which walks through the steps.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import av
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from posecheck import routines
from posecheck.engine import TIP_PREFIX, Status
from posecheck.errors import PosecheckError
from posecheck.estimator import Estimator
from posecheck.live import (
    CheckLine,
    LiveSettings,
    LiveSnapshot,
    LiveStream,
    SessionSummary,
)
from posecheck.live_routine import RoutineSession, RoutineSnapshot, RoutineSummary
from posecheck.routine_runner import RoutinePhase, Switch
from posecheck.session_record import SessionRecord
from posecheck.ui import common, latest_frame_relay, speak
from posecheck.verdicts import Verdict

logger = logging.getLogger(__name__)

STREAM_KEY = "posecheck_live_stream"
SUMMARY_KEY = "posecheck_live_summary"
SAVED_KEY = "posecheck_live_saved"
PLAYING_KEY = "posecheck_live_was_playing"
WEBRTC_KEY = "posecheck-live"
MODELS = {
    "full": "Accurate (full model) - recommended",
    "lite": "Faster (lite model) - for slower computers",
}
PANEL_REFRESH_S = 1.0
MODE_STRETCH = "One stretch"
MODE_ROUTINE = "Routine"
SOUND_KEY = "live_sound"
STEP_MARK = {
    "done": ":green[:material/check_circle:]",
    "skipped": ":gray[:material/skip_next:]",
    "now": ":blue[:material/play_circle:]",
    "rest_before": ":blue[:material/hourglass_top:]",
    "later": ":gray[:material/radio_button_unchecked:]",
}

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


def _save_to_history(record: SessionRecord) -> bool:
    """Keep a live session in the history (unless it is turned off); any thread."""
    from posecheck.history_store import save_if_enabled

    return save_if_enabled(record)


def get_stream(factory: Callable[[str], Estimator] | None = None) -> LiveStream:
    """This browser session's stream (created once, kept in the session state)."""
    stream = st.session_state.get(STREAM_KEY)
    if stream is None:
        stream = LiveStream(factory or _estimator_factory, saver=_save_to_history)
        st.session_state[STREAM_KEY] = stream
    return stream


# How much lower than the server's other threads the checking runs (a nice
# value added). The stream's networking must answer the browser's keep-alive
# checks within seconds, or the browser drops the call: on a loaded server the
# model takes fewer frames instead.
CHECKING_NICE = 10


def _lower_this_threads_priority(nice: int = CHECKING_NICE) -> None:
    """Run the calling thread (and the threads it starts, MediaPipe's) at a lower priority."""
    if not hasattr(os, "setpriority"):
        return
    tid = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, max(now, nice)))
    except OSError as exc:  # not allowed here: run as it is
        logger.debug("could not lower the checking thread's priority: %s", exc)


def make_video_callback(stream: LiveStream) -> Callable[[av.VideoFrame], av.VideoFrame]:
    """The webrtc frame callback: runs on a worker thread, never touches ``st``."""
    # Per thread, not per thread id: a restarted stream's worker may reuse an old id.
    worker = threading.local()

    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        if not getattr(worker, "lowered", False):  # each stream's worker, on its first frame
            _lower_this_threads_priority()
            worker.lowered = True
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
    body_checks = [c for c in snap.checks if c.role != "view"]
    if body_checks:
        rows = []
        for c in body_checks:
            # What the check asks for is said where it is not met: the panel stays narrow.
            if c.is_tip:  # advice only: the form still counts
                mark, state = TIP_MARK, f"tip: {c.aim}"
            else:
                mark = VERDICT_MARK[c.verdict]
                state = "not seen" if c.verdict == Verdict.UNKNOWN else (
                    "in range" if c.verdict == Verdict.OK else f"needs: {c.aim}")
            rows.append(f"| {mark} | {c.label} | {c.measured or c.value} | {state} |")
        st.markdown("| | Check | Measured | |\n|---|---|---|---|\n" + "\n".join(rows))
    camera = camera_words([c for c in snap.checks if c.role == "view"])
    if camera:
        st.caption(camera)
    if snap.fps is not None:
        st.caption(speed_words(snap.fps))


def camera_words(view_checks: list[CheckLine]) -> str:
    """The camera checks on one line, apart from the body's: they judge the picture."""
    if not view_checks:
        return ""
    wrong = [c for c in view_checks if c.verdict.is_fault]
    if wrong:
        return "Camera: " + "; ".join(f"{c.label}: needs {c.aim}" for c in wrong)
    if all(c.verdict == Verdict.OK for c in view_checks):
        return "Camera: the whole body is seen well enough to judge."
    return "Camera: " + ", ".join(c.label for c in view_checks
                                  if c.verdict == Verdict.UNKNOWN) + " not seen yet."


# Below this, a stretch's movement is still followed but the cues come late.
SLOW_FPS = 10.0


def speed_words(fps: float) -> str:
    """The panel's footer: how many frames are checked, and what to do when too few."""
    line = f"{fps:.0f} frames/s checked"
    if fps >= SLOW_FPS:
        return line + "."
    return (line + ": this computer is slow for the live check, so the cues may come "
            "late. In Video settings, choose the faster model or the lower camera "
            "resolution.")


def _view_words(view: str) -> str:
    """How the person faces the camera: "side-on to the camera"."""
    return "side-on to the camera" if view == "side" else "facing the camera"


def _render_routine(snap: RoutineSnapshot, stream_error: str | None) -> None:
    """The routine's state: the step on, the rest, what comes next and its camera setup."""
    st.markdown(f"**{snap.routine_name}**: step {snap.step_number} of {snap.steps_total}")
    if snap.phase == RoutinePhase.DONE:
        st.success("**Routine done** - well done!")
    elif snap.phase == RoutinePhase.REST:
        st.info(f"**Rest** - {snap.rest_left_s:.0f} s, then **{snap.stretch_name}** "
                f"({snap.dosage})")
        # The set-up text says side-on or facing (a reference test holds it to the view).
        st.markdown(f"**Set up the camera for {snap.stretch_name}**: {snap.camera}")
        if st.button("Skip the rest", key="routine_skip_rest", icon=":material/skip_next:"):
            _skip()
    else:
        st.markdown(f"Now: **{snap.stretch_name}** ({snap.dosage})")
        st.caption(f"Set-up for {snap.stretch_name}: {snap.camera}")
        # On a line of its own: beside the name, the narrow panel cut its label short.
        if st.button("Skip this stretch", key="routine_skip", icon=":material/skip_next:"):
            _skip()
        if snap.next_name is not None:
            st.caption(f"Next: {snap.next_name}. {snap.next_camera}")
        if snap.switch == Switch.STILL_PREVIOUS:
            st.warning(f"You still look to be in the last stretch: move into "
                       f"**{snap.stretch_name}**.")
        elif snap.switch == Switch.CONFIRMED:
            st.caption(f"In position for {snap.stretch_name}.")
        if snap.step is not None and snap.step.status is not None:
            _render_snapshot(snap.step, stream_error)
    st.markdown("\n".join(f"{STEP_MARK[s.state]} {s.number}. {s.name} ({s.dosage})  "
                          for s in snap.steps))


def _skip() -> None:
    stream: LiveStream | None = st.session_state.get(STREAM_KEY)
    session = stream.session if stream is not None else None
    if isinstance(session, RoutineSession):
        session.skip()


def _speak(session: object, snap: LiveSnapshot | RoutineSnapshot) -> None:
    muted = not st.session_state.get(SOUND_KEY, True)
    now = snap.t_s
    speak.speak(snap.utterances, str(id(session)), now, muted)


def _render_summary(summary: SessionSummary | RoutineSummary) -> None:
    st.markdown("#### Your session")
    lines = summary.lines()
    st.markdown(f"**{lines[0]}**")
    st.markdown("\n".join(
        f"    - {line.strip()}" if line.startswith("  ") else f"- {line}" for line in lines[1:]
    ))
    saved = st.session_state.get(SAVED_KEY)
    if saved:
        st.caption(saved)
    st.caption("Press START to go again.")


def _history_line(stream: LiveStream, saved: tuple[SessionRecord, ...]) -> str:
    """What happened to the session (each stretch of a routine) in the history, in words."""
    from posecheck.history_store import history_enabled

    if stream.history_error:
        return f"This session could not be saved in your history: {stream.history_error}"
    if not history_enabled():
        return "History is turned off: this session was not saved."
    if not saved:
        return "Too short to keep in your history (nobody was seen for long)."
    if len(saved) > 1:
        return f"Saved in your history, {len(saved)} stretches: see the Progress page."
    return "Saved in your history: see the Progress page."


def _panel(playing: bool) -> None:
    """The state beside the video; refreshed about once a second while streaming."""
    stream: LiveStream | None = st.session_state.get(STREAM_KEY)
    session = stream.session if stream is not None else None
    summary = st.session_state.get(SUMMARY_KEY)
    if not playing and summary is not None:
        _render_summary(summary)
    elif session is not None and session.snapshot().frames > 0:
        snap = session.snapshot()
        if isinstance(snap, RoutineSnapshot):
            _render_routine(snap, stream.error if stream else None)
        else:
            _render_snapshot(snap, stream.error if stream else None)
        if playing:
            _speak(session, snap)
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
            st.session_state[SAVED_KEY] = _history_line(stream, stream.finish_session())
    st.session_state[PLAYING_KEY] = playing


def _rtc_configuration() -> dict[str, Any]:
    try:
        return common.rtc_configuration()
    except common.IceServerError as exc:
        st.error(str(exc))
        return {"iceServers": []}


def _routine_choice(profile: str | None, col) -> routines.Routine | None:
    """The routine picker: shipped routines and the profile's; None after an error shown."""
    available: dict[str, routines.Routine] = {}
    try:
        files = routines.routine_files(profile)
    except PosecheckError as exc:
        st.error(str(exc))
        return None
    for rid, (path, owner) in files.items():
        try:  # a malformed file is named, and the others stay usable
            available[rid] = routines.load_routine_file(path, common.library(), owner)
        except PosecheckError as exc:
            st.error(f"This routine cannot be used: {exc}")
    if not available:
        st.info("No routines are available.")
        return None
    with col:
        routine_id = st.selectbox(
            "Routine", list(available), key="live_routine",
            format_func=lambda rid: available[rid].name
            + (f" ({available[rid].profile}'s)" if available[rid].profile else ""),
        )
    return available[routine_id]


def _describe_routine(routine: routines.Routine, stretches: dict) -> None:
    if routine.summary:
        st.markdown(f"**{routine.summary}**")
    st.markdown("\n".join(
        f"{i}. **{stretches[s.stretch_id].name}**: {s.dosage.describe()}; "
        f"{_view_words(stretches[s.stretch_id].view)}"
        + (f"; then rest {s.rest_after_s:g} s" if i < len(routine.steps) else "")
        for i, s in enumerate(routine.steps, 1)))
    for note in routine.notes:
        st.markdown(f"- {note}")
    st.caption("Each stretch moves on when its dosage is done, or with Skip. The cues are "
               "spoken: keep the sound on if you cannot see the screen.")


def render() -> None:
    """Draw the live page."""
    st.title("Live check")
    common.safety_note()
    mode = st.radio("What to do", [MODE_STRETCH, MODE_ROUTINE], key="live_mode",
                    horizontal=True, label_visibility="collapsed")
    col_a, col_b, col_c = st.columns([3, 2, 2])
    with col_c:
        profile = common.profile_picker("live_profile")
    routine = None
    stretches: dict = {}
    if mode == MODE_ROUTINE:
        routine = _routine_choice(profile, col_a)
        if routine is None:
            return
        try:
            stretches = {s.stretch_id: common.resolve_stretch(s.stretch_id, profile)
                         for s in routine.steps}
        except PosecheckError as exc:
            st.error(str(exc))
            return
        stretch, dosage_index = routine.stretch_for(0, stretches)
    else:
        with col_a:
            stretch_id = common.stretch_picker("live_stretch", from_url=True)
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
        st.toggle("Speak the cues", value=True, key=SOUND_KEY,
                  help="The browser reads the cues aloud with its own voice; nothing is "
                       "sent anywhere. Turn off to mute.")
        model, mirror, low_res = _settings_controls()
    stream.configure(LiveSettings(stretch, dosage_index, mirror, model, routine=routine,
                                  routine_stretches=stretches or None, profile=profile))
    width_px, height_px = (320, 240) if low_res else (640, 480)
    with video_col:
        latest_frame_relay.install()
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
        from posecheck.history_store import history_enabled

        kept = ("no video is recorded or uploaded. Only the session's numbers are kept, on "
                "this computer, for the Progress page." if history_enabled()
                else "nothing is recorded or uploaded (history is off).")
        st.caption("Press START and allow the camera. Feedback is drawn into the video and "
                   f"spoken; {kept}")
    playing = bool(ctx.state.playing)
    _track_playing(stream, playing)
    with panel_col:
        st.subheader("What I see")
        st.fragment(run_every=PANEL_REFRESH_S if playing else None)(_panel)(playing)
        if routine is not None:
            with st.expander(f"The routine: {routine.name}", expanded=not playing):
                _describe_routine(routine, stretches)
        else:
            with st.expander(f"How to do it: {stretch.name}", expanded=not playing):
                common.describe_stretch(stretch, dosage_index)
