"""One live checking session: frame in, annotated frame out, state for the page.

:class:`LiveSession` ties the estimator, the checking engine and the overlay
together for a camera stream. The video callback calls :meth:`LiveSession.process`
on a worker thread; the page reads :meth:`LiveSession.snapshot` and
:meth:`LiveSession.summary` from its own thread. Everything shared sits behind
one lock. Timestamps are passed in; nothing here reads the wall clock for
checking (a monotonic performance counter only times the model, for display).

No Streamlit here: the page wraps this object, tests drive it with a fake
estimator and explicit timestamps.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import cv2
import numpy as np

from posecheck.engine import FrameResult, Status, StretchChecker
from posecheck.estimator import Estimator
from posecheck.overlay import draw_feedback, format_value, set_text, side_text, timer_text
from posecheck.pose import Pose
from posecheck.range_words import plain_range, value_words
from posecheck.reference import Stretch
from posecheck.session_record import LiveRecorder, SessionRecord, new_session_id
from posecheck.speech import SpeechPolicy, Utterance, cue_input
from posecheck.verdicts import Verdict

if TYPE_CHECKING:
    from posecheck.live_routine import RoutineSession
    from posecheck.routines import Routine

logger = logging.getLogger(__name__)

# Gaps longer than this (a frozen camera, a paused stream) do not count as time spent.
MAX_FRAME_GAP_S = 0.5
# Utterances kept for the page to pick up (it speaks each one once).
UTTERANCES_KEPT = 20


class StreamClock:
    """Turns a stream's frame times into strictly increasing session seconds.

    A camera stream restarts its timestamps when it is stopped and started
    again, and some frames carry no time at all; the landmarker needs strictly
    increasing milliseconds. Times that go backwards are shifted to carry on
    after the last one; a missing time uses ``fallback_s`` (e.g. a monotonic
    clock reading taken by the caller).
    """

    def __init__(self, step_s: float = 0.001) -> None:
        self._offset_s = 0.0
        self._last_raw_s: float | None = None
        self._last_s: float | None = None
        self._step_s = step_s

    def to_session_s(self, frame_time_s: float | None, fallback_s: float) -> float:
        raw = fallback_s if frame_time_s is None else float(frame_time_s)
        if self._last_raw_s is not None and self._last_s is not None and raw < self._last_raw_s:
            # The stream restarted: continue just after the last time handed out.
            self._offset_s = self._last_s + self._step_s - raw
        t_s = raw + self._offset_s
        if self._last_s is not None and t_s <= self._last_s:
            t_s = self._last_s + self._step_s
        self._last_raw_s = raw
        self._last_s = t_s
        return t_s


@dataclass(frozen=True)
class CheckLine:
    """One check as text for the page's panel."""

    label: str
    value: str  # "142°", "12%", or "?" when unknown
    verdict: Verdict
    role: str
    required: bool = True
    aim: str = ""  # the range in plain words: "Knee bent at least 60°"
    measured: str = ""  # the value in the same words: "bent 137°" ("" when unknown)

    @property
    def is_tip(self) -> bool:
        """An optional check out of its range: advice, not a fault."""
        return self.verdict.is_fault and not self.required


@dataclass(frozen=True)
class FaultTally:
    """How often one correction came up, and for how long in total."""

    check_id: str
    label: str
    cue: str
    times: int
    seconds: float


@dataclass(frozen=True)
class LiveSnapshot:
    """A copy of the session state, safe to read from the page thread."""

    stretch_name: str
    frames: int
    t_s: float | None
    status: Status | None
    cue: str
    person_seen: bool
    checks: tuple[CheckLine, ...]
    timer: str  # "12 / 30 s" or "Reps 4 / 10"
    set_label: str  # "Set 2 of 3"
    side_label: str | None  # "Left leg"
    hold_fraction: float
    complete: bool
    good_s: float
    fps: float | None  # processed frames per second over the last few seconds
    model_ms: float | None  # mean estimation time over recent frames
    error: str | None
    utterances: tuple[Utterance, ...] = ()  # the latest spoken cues, oldest first


@dataclass(frozen=True)
class SessionSummary:
    """What the person did, for when they stop."""

    stretch_name: str
    dosage: str
    kind: str  # hold | reps
    duration_s: float
    good_s: float  # time in correct form
    holds_done: int
    holds_target: int
    hold_target_s: float
    reps_done: int  # good repetitions
    reps_with_fault: int
    reps_target: int
    complete: bool
    top_faults: tuple[FaultTally, ...]
    frames: int
    # Advice-only checks shown as tips while the form counted: not corrections.
    top_tips: tuple[FaultTally, ...] = ()

    def lines(self) -> list[str]:
        """The summary in plain sentences."""
        out = [f"{self.stretch_name} ({self.dosage})"]
        if self.kind == "hold":
            out.append(
                f"Holds completed: {self.holds_done} of {self.holds_target} "
                f"({self.hold_target_s:g} s each)"
            )
        else:
            fault = f", {self.reps_with_fault} with a fault" if self.reps_with_fault else ""
            out.append(f"Good repetitions: {self.reps_done} of {self.reps_target}{fault}")
        out.append(
            f"Time in correct form: {self.good_s:.0f} s of {self.duration_s:.0f} s in view"
        )
        if self.complete:
            out.append("All sets done.")
        if self.top_faults:
            out.append("Corrections that came up most:")
            out.extend(
                f"  {f.cue} ({f.times}x, {f.seconds:.0f} s in total)" for f in self.top_faults
            )
        else:
            out.append("No corrections were needed.")
        if self.top_tips:
            out.append("Tips shown (advice only; the form still counted):")
            out.extend(f"  {t.cue} ({t.seconds:.0f} s in total)" for t in self.top_tips)
        return out


@dataclass
class _Record:
    frames: int = 0
    first_t_s: float | None = None
    last_t_s: float | None = None
    good_s: float = 0.0
    tally: dict[str, list] = field(default_factory=dict)  # id -> [label, cue, times, seconds]
    last_fault: str | None = None
    tips: dict[str, list] = field(default_factory=dict)  # the same, for tips
    last_tip: str | None = None
    recent: list[tuple[float, float]] = field(default_factory=list)  # (t_s, model_ms)


def _tally(table: dict[str, list], check_id: str, label: str, cue: str, dt: float, *,
           new: bool) -> None:
    """Count one frame of a correction or tip: a new episode when ``new``, and its time."""
    entry = table.setdefault(check_id, [label, cue, 0, 0.0])
    entry[1] = cue or entry[1]
    if new:
        entry[2] += 1
    entry[3] += dt


def _ranked(table: dict[str, list]) -> list[FaultTally]:
    """A tally's entries, the longest in total first."""
    out = [FaultTally(k, v[0], v[1], v[2], v[3]) for k, v in table.items()]
    return sorted(out, key=lambda f: (-f.seconds, -f.times, f.check_id))


class LiveSession:
    """The per-frame logic of the live page, shared between two threads.

    ``max_side_px``: frames larger than this on their long side are shrunk
    before estimation (faster, a little less accurate); the pose is mapped
    back to the full frame for checking and drawing.
    """

    def __init__(
        self,
        stretch: Stretch,
        estimator: Estimator,
        dosage_index: int = 0,
        mirror: bool = True,
        *,
        max_side_px: int | None = None,
        perf_clock: Callable[[], float] = time.perf_counter,
        speech: SpeechPolicy | None = None,
        recorder: LiveRecorder | None = None,
    ) -> None:
        self.stretch = stretch
        self.estimator = estimator
        self.dosage_index = dosage_index
        self.dosage = stretch.dosages[dosage_index]
        self.mirror = mirror
        self.max_side_px = max_side_px
        self._perf_clock = perf_clock
        self._checker = StretchChecker(stretch, dosage_index)
        self._lock = threading.Lock()
        self._latest: FrameResult | None = None
        self._record = _Record()
        self._last_ms: int | None = None
        self._error: str | None = None
        self.model_ms_total = 0.0
        self.other_ms_total = 0.0
        self.speech = speech if speech is not None else SpeechPolicy()
        self._side_part = stretch.sides.label if stretch.sides is not None else "side"
        self._utterances: deque[Utterance] = deque(maxlen=UTTERANCES_KEPT)
        self._recorder = recorder  # what the history keeps; None when it keeps nothing
        self._history_finished = False
        self._final_record: SessionRecord | None = None

    # ------------------------------------------------------------ worker thread
    def _estimate(self, frame_rgb: np.ndarray, t_s: float) -> Pose | None:
        ms = int(np.rint(t_s * 1000.0))
        if self._last_ms is not None and ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms = ms
        h, w = frame_rgb.shape[:2]
        factor = 1.0
        if self.max_side_px and max(h, w) > self.max_side_px:
            factor = self.max_side_px / max(h, w)
            small = cv2.resize(frame_rgb, (round(w * factor), round(h * factor)),
                               interpolation=cv2.INTER_AREA)
            pose = self.estimator.estimate(small, ms)
        else:
            pose = self.estimator.estimate(frame_rgb, ms)
        if pose is not None and factor != 1.0:
            pose = Pose(pose.xy_px / factor, pose.visibility, (w, h), pose.world_m)
        return pose

    def process(self, frame_rgb: np.ndarray, t_s: float) -> np.ndarray:
        """Check one RGB frame taken at ``t_s`` seconds; returns the annotated frame.

        ``t_s`` must increase from call to call (see :class:`StreamClock`).
        """
        start = self._perf_clock()
        pose = self._estimate(frame_rgb, t_s)
        model_done = self._perf_clock()
        result = self._checker.update(pose, t_s)
        out = draw_feedback(frame_rgb, result, self.stretch, mirror=self.mirror)
        utterance = self.speech.update(
            t_s, cue_input(result, self.dosage.rest_s, self._side_part))
        end = self._perf_clock()
        model_ms = (model_done - start) * 1000.0
        with self._lock:
            self.model_ms_total += model_ms
            self.other_ms_total += (end - model_done) * 1000.0
            self._error = None
            self._record_frame(result, model_ms)
            self._latest = result
            if utterance is not None:
                self._utterances.append(utterance)
        return out

    def utterances_since(self, seq: int) -> list[Utterance]:
        """The utterances kept with a number above ``seq``, oldest first."""
        with self._lock:
            return [u for u in self._utterances if u.seq > seq]

    def record_error(self, message: str) -> None:
        """Note a failure in the video callback so the page can show it."""
        with self._lock:
            self._error = message

    def _record_frame(self, result: FrameResult, model_ms: float) -> None:
        rec = self._record
        dt = 0.0
        if rec.last_t_s is not None:
            dt = min(max(result.t_s - rec.last_t_s, 0.0), MAX_FRAME_GAP_S)
        rec.frames += 1
        rec.first_t_s = result.t_s if rec.first_t_s is None else rec.first_t_s
        rec.last_t_s = result.t_s
        if result.status == Status.GOOD:
            rec.good_s += dt
        fault_id = tip_id = None
        if result.cue_check is not None:
            try:
                cr = result.result(result.cue_check)
            except KeyError:
                cr = None
            # A correction is a required check out of range while the person is
            # at it; an optional one is a tip. Neither is the rest or "done"
            # message shown meanwhile.
            if (cr is not None and cr.verdict.is_fault
                    and result.status not in (Status.REST, Status.DONE)):
                cue = cr.cue or result.cue
                if cr.check.required:
                    fault_id = cr.check.id
                    _tally(rec.tally, fault_id, cr.check.label, cue, dt,
                           new=rec.last_fault != fault_id)
                else:
                    tip_id = cr.check.id
                    _tally(rec.tips, tip_id, cr.check.label, cue, dt,
                           new=rec.last_tip != tip_id)
        rec.last_fault, rec.last_tip = fault_id, tip_id
        if self._recorder is not None:
            self._recorder.add(result)
        rec.recent.append((result.t_s, model_ms))
        while len(rec.recent) > 2 and rec.recent[-1][0] - rec.recent[0][0] > 3.0:
            rec.recent.pop(0)

    # ------------------------------------------------------------ history
    def history_checkpoint(self) -> SessionRecord | None:
        """The session so far when a periodic save is due (None otherwise, or once finished)."""
        with self._lock:
            rec = self._recorder
            if rec is None or self._history_finished or not rec.checkpoint_due():
                return None
            rec.mark_saved()
            return rec.record(finished=False)

    def history_final(self) -> SessionRecord | None:
        """The finished session, once (None when there is nothing worth keeping)."""
        with self._lock:
            rec = self._recorder
            if rec is None or self._history_finished:
                return None
            self._history_finished = True  # nothing more is saved of this session
            self._final_record = rec.record(finished=True) if rec.worth_keeping else None
            return self._final_record

    @property
    def final_record(self) -> SessionRecord | None:
        """The finished record, once :meth:`history_final` has kept one."""
        with self._lock:
            return self._final_record

    @property
    def history_finished(self) -> bool:
        with self._lock:
            return self._history_finished

    # ------------------------------------------------------------ page thread
    @property
    def latest(self) -> FrameResult | None:
        with self._lock:
            return self._latest

    def snapshot(self) -> LiveSnapshot:
        """The current state as plain values (a copy; safe to keep)."""
        with self._lock:
            r = self._latest
            rec = self._record
            recent = list(rec.recent)
            error = self._error
            frames = rec.frames
            good_s = rec.good_s
            utterances = tuple(self._utterances)
        fps = None
        model_ms = None
        if len(recent) >= 2 and recent[-1][0] > recent[0][0]:
            fps = (len(recent) - 1) / (recent[-1][0] - recent[0][0])
        if recent:
            model_ms = sum(m for _, m in recent) / len(recent)
        if r is None:
            return LiveSnapshot(self.stretch.name, frames, None, None,
                                "Press START and allow the camera", False, (), "", "", None,
                                0.0, False, good_s, fps, model_ms, error, utterances)
        lines = tuple(
            CheckLine(
                c.check.label,
                format_value(c.check, c.value)
                + ("" if c.value is None or c.check.measure.unit == "%" else "°"),
                c.verdict,
                c.check.role,
                c.check.required,
                plain_range(c.check),
                "" if c.value is None else value_words(c.check, c.value),
            )
            for c in r.checks
        )
        return LiveSnapshot(
            stretch_name=self.stretch.name,
            frames=frames,
            t_s=r.t_s,
            status=r.status,
            cue=r.cue,
            person_seen=r.pose is not None,
            checks=lines,
            timer=timer_text(r.progress),
            set_label=set_text(r.progress),
            side_label=side_text(r.progress, self.stretch),
            hold_fraction=r.progress.hold_fraction,
            complete=r.progress.complete,
            good_s=good_s,
            fps=fps,
            model_ms=model_ms,
            error=error,
            utterances=utterances,
        )

    def summary(self, top_n: int = 3) -> SessionSummary:
        """What was done in this session, for the end-of-session panel."""
        with self._lock:
            r = self._latest
            rec = self._record
            tally, tips = _ranked(rec.tally), _ranked(rec.tips)
            duration = 0.0
            if rec.first_t_s is not None and rec.last_t_s is not None:
                duration = rec.last_t_s - rec.first_t_s
            good_s, frames = rec.good_s, rec.frames
        n_sides = 2 if self.dosage.per_side else 1
        progress = r.progress if r is not None else None
        return SessionSummary(
            stretch_name=self.stretch.name,
            dosage=self.dosage.describe(),
            kind=self.dosage.kind,
            duration_s=duration,
            good_s=good_s,
            holds_done=len(progress.holds) if progress else 0,
            holds_target=self.dosage.sets * n_sides if self.dosage.kind == "hold" else 0,
            hold_target_s=self.dosage.hold_s,
            reps_done=(
                sum(progress.sets_done.values()) * self.dosage.reps + progress.reps
                if progress and self.dosage.kind == "reps"
                else 0
            ),
            reps_with_fault=progress.reps_with_fault if progress else 0,
            reps_target=self.dosage.reps * self.dosage.sets * n_sides,
            complete=bool(progress and progress.complete),
            top_faults=tuple(tally[:top_n]),
            frames=frames,
            top_tips=tuple(tips[:top_n]),
        )


@dataclass(frozen=True)
class LiveSettings:
    """The choices that define a live session; a change starts a fresh session."""

    stretch: Stretch
    dosage_index: int = 0
    mirror: bool = True
    model: str = "full"
    max_side_px: int | None = None
    # Routine mode: the routine, and the stretches its steps use (profile applied).
    routine: Routine | None = None
    routine_stretches: Mapping[str, Stretch] | None = None
    profile: str | None = None  # whose history the session goes into


def _server_stopping(exc: Exception) -> bool:
    """Whether ``exc`` is MediaPipe refusing work because the interpreter is exiting."""
    return isinstance(exc, RuntimeError) and "after shutdown" in str(exc)


class LiveStream:
    """What a camera stream's callback talks to, for one browser session.

    Holds one estimator per model variant (created on first use, then reused
    for every session of this stream), a :class:`StreamClock`, and the current
    :class:`LiveSession`, which the page swaps when the settings change or the
    person starts again. :meth:`handle` runs on the video worker thread.

    With a ``saver`` (e.g. :func:`posecheck.history_store.save_if_enabled`),
    every session is kept in the history: saved every few seconds of session
    time from the worker thread, and once more, as finished, when it ends
    (:meth:`finish_session`, a restart or new settings). ``wall_clock`` gives
    the date and time a session starts.
    """

    def __init__(self, estimator_factory: Callable[[str], Estimator], *,
                 saver: Callable[[SessionRecord], object] | None = None,
                 wall_clock: Callable[[], datetime] | None = None) -> None:
        self._factory = estimator_factory
        self._saver = saver
        self._wall_clock = wall_clock or (lambda: datetime.now().astimezone())
        self._save_lock = threading.Lock()
        self._history_error: str | None = None
        self._lock = threading.Lock()
        self._estimators: dict[str, Estimator] = {}
        self._clock = StreamClock()
        self._settings: LiveSettings | None = None
        self._session: LiveSession | RoutineSession | None = None
        self._error: str | None = None

    def estimator(self, model: str) -> Estimator:
        """The estimator for ``model``, created once."""
        with self._lock:
            est = self._estimators.get(model)
            if est is None:
                est = self._factory(model)
                self._estimators[model] = est
            return est

    def configure(self, settings: LiveSettings) -> bool:
        """Use ``settings`` from now on; True when that started a new session."""
        with self._lock:
            if settings == self._settings and self._session is not None:
                return False
            self._settings = settings
            old, self._session = self._session, None  # built on the next frame
        self._finish(old)
        return True

    def restart(self) -> None:
        """Start a fresh session with the current settings (e.g. START pressed again)."""
        with self._lock:
            old, self._session = self._session, None
        self._finish(old)

    def finish_session(self) -> tuple[SessionRecord, ...]:
        """Save the current session as finished (STOP pressed).

        Returns every finished record the history keeps of it: one for a
        stretch, one per step reached for a routine; empty when nothing was
        worth keeping. Calling it again saves nothing more.
        """
        session = self.session
        self._finish(session)
        return tuple(r for part, _ in self._kept(session)
                     if (r := part.final_record) is not None)

    # ------------------------------------------------------------ history
    @staticmethod
    def _kept(session: LiveSession | RoutineSession | None) -> list[tuple[LiveSession, bool]]:
        """The live sessions the history keeps of ``session``, with whether each still runs.

        A single stretch is one; a routine keeps one per step it reached.
        """
        if session is None:
            return []
        if isinstance(session, LiveSession):
            return [(session, True)]
        return session.step_sessions()

    def _finish(self, session: LiveSession | RoutineSession | None) -> None:
        """Save every part of ``session`` not yet saved as finished."""
        if self._saver is None:
            return
        with self._save_lock:
            for part, _ in self._kept(session):
                record = part.history_final()
                if record is not None:
                    self._save(record)

    def _checkpoint(self, session: LiveSession | RoutineSession) -> None:
        """Save what is due: the running part every few seconds, a part that ended once."""
        if self._saver is None:
            return
        with self._save_lock:  # never after the finished record of the same session
            for part, running in self._kept(session):
                if part.history_finished:
                    continue
                record = part.history_checkpoint() if running else part.history_final()
                if record is not None:
                    self._save(record)

    def _save(self, record: SessionRecord) -> None:
        assert self._saver is not None
        try:
            self._saver(record)
        except Exception as exc:  # the history must never stop the video
            logger.exception("could not save the live session to the history")
            with self._lock:
                self._history_error = f"{type(exc).__name__}: {exc}"
        else:
            with self._lock:
                self._history_error = None

    @property
    def history_error(self) -> str | None:
        """Why the last save to the history failed (None when it worked)."""
        with self._lock:
            return self._history_error

    @property
    def session(self) -> LiveSession | RoutineSession | None:
        with self._lock:
            return self._session

    def _recorder_factory(self, settings: LiveSettings
                          ) -> Callable[[Stretch, int], LiveRecorder] | None:
        """What makes a history recorder for each stretch of these settings (None: no history)."""
        if self._saver is None:
            return None
        routine = settings.routine.id if settings.routine is not None else None

        def make(stretch: Stretch, dosage_index: int) -> LiveRecorder:
            return LiveRecorder(stretch, dosage_index, session_id=new_session_id(),
                                started_at=self._wall_clock(), profile=settings.profile,
                                routine=routine)

        return make

    def _current(self) -> LiveSession | RoutineSession:
        with self._lock:
            session, settings = self._session, self._settings
        if session is not None:
            return session
        if settings is None:
            raise RuntimeError("LiveStream.configure() was not called")
        est = self.estimator(settings.model)
        fresh: LiveSession | RoutineSession
        if settings.routine is not None:
            from posecheck.live_routine import RoutineSession

            fresh = RoutineSession(settings.routine, settings.routine_stretches or {}, est,
                                   settings.mirror, max_side_px=settings.max_side_px,
                                   recorder_factory=self._recorder_factory(settings))
        else:
            factory = self._recorder_factory(settings)
            recorder = (factory(settings.stretch, settings.dosage_index)
                        if factory is not None else None)
            fresh = LiveSession(settings.stretch, est, settings.dosage_index, settings.mirror,
                                max_side_px=settings.max_side_px, recorder=recorder)
        with self._lock:
            if self._settings == settings and self._session is None:
                self._session = fresh
                self._error = None
            return self._session or fresh

    def handle(self, frame_rgb: np.ndarray, frame_time_s: float | None,
               fallback_s: float) -> np.ndarray:
        """Check one camera frame; ``fallback_s`` is used when the frame has no time."""
        t_s = self._clock.to_session_s(frame_time_s, fallback_s)
        try:
            session = self._current()
        except Exception as exc:  # e.g. the model could not be loaded: keep the video going
            logger.exception("could not start the live session")
            with self._lock:
                self._error = f"{type(exc).__name__}: {exc}"
            return frame_rgb
        try:
            out = session.process(frame_rgb, t_s)
        except Exception as exc:
            if _server_stopping(exc):  # a last frame as the server exits: nothing went wrong
                logger.info("frame not checked: the server is stopping")
                return frame_rgb
            logger.exception("live frame failed")
            session.record_error(f"{type(exc).__name__}: {exc}")
            return frame_rgb
        self._checkpoint(session)
        return out

    @property
    def error(self) -> str | None:
        """Why the session could not start (None when it could)."""
        with self._lock:
            return self._error

    def close(self) -> None:
        """Release the estimators (those that can be closed)."""
        with self._lock:
            estimators = list(self._estimators.values())
            self._estimators.clear()
        for est in estimators:
            close = getattr(est, "close", None)
            if callable(close):
                close()
