"""Routine mode of the live page: the steps of a routine, one live session each.

:class:`RoutineSession` looks like a :class:`~posecheck.live.LiveSession` to
the stream (``process`` on the video worker thread, ``snapshot`` and
``summary`` from the page thread). It runs the current step's stretch in its
own live session, tells the :class:`~posecheck.routine_runner.RoutineRunner`
when the dosage is done, whether the person is in position and what
recognition sees, and says what comes next. A skip asked from the page is
taken up by the next frame, so the runner is only ever touched by the worker
thread. No Streamlit here.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from posecheck.engine import FrameResult
from posecheck.estimator import Estimator
from posecheck.live import UTTERANCES_KEPT, LiveSession, LiveSnapshot, SessionSummary
from posecheck.pose import Pose
from posecheck.recognize import recognize
from posecheck.reference import Stretch
from posecheck.routine_runner import RoutinePhase, RoutineRunner, RoutineState, Switch
from posecheck.routines import Routine
from posecheck.session_record import LiveRecorder
from posecheck.speech import SpeechPolicy, Utterance, say_rest, say_step

# Recognition, to confirm the person switched position: every this often, on
# the last few seconds of poses, between the step's stretch and the previous one.
RECOGNIZE_EVERY_S = 1.0
RECOGNIZE_WINDOW_S = 3.0
RECOGNIZE_FRAMES = 12


@dataclass(frozen=True)
class StepLine:
    number: int
    name: str
    dosage: str
    state: str  # done | skipped | now | rest_before | later


@dataclass(frozen=True)
class RoutineSnapshot:
    """A copy of the routine's state for the page."""

    routine_name: str
    phase: RoutinePhase
    step_number: int  # from 1; during rest, the step coming
    steps_total: int
    stretch_name: str  # the step on (or coming)
    dosage: str
    camera: str  # how to set up the camera for it
    next_name: str | None  # the step after it
    next_camera: str | None
    rest_left_s: float
    switch: Switch
    steps: tuple[StepLine, ...]
    step: LiveSnapshot | None  # the current step's live state (None while resting)
    utterances: tuple[Utterance, ...]
    frames: int
    error: str | None
    t_s: float | None = None  # the last frame's time


@dataclass(frozen=True)
class RoutineSummary:
    """What was done in a run through a routine."""

    routine_name: str
    steps: tuple[tuple[str, str, SessionSummary | None], ...]  # (name, state, summary)

    @property
    def frames(self) -> int:
        return sum(s.frames for _, _, s in self.steps if s is not None)

    def lines(self) -> list[str]:
        done = sum(state == "done" for _, state, _ in self.steps)
        out = [f"{self.routine_name}: {done} of {len(self.steps)} stretches done"]
        for name, state, summary in self.steps:
            if summary is None:
                out.append(f"{name}: not reached")
                continue
            what = summary.lines()[1]
            out.append(f"{name}: {state} - {what}; {summary.good_s:.0f} s in correct form")
            out.extend(f"  Correction: {f.cue} ({f.times}x, {f.seconds:.0f} s in total)"
                       for f in summary.top_faults)
        return out


def _rest_frame(frame_rgb: np.ndarray, mirror: bool, lines: list[str]) -> np.ndarray:
    """The camera picture, dimmed, with the rest and what comes next written on it."""
    img = frame_rgb[:, ::-1] if mirror else frame_rgb
    img = np.ascontiguousarray((img.astype(np.float32) * 0.45).astype(np.uint8))
    h, w = img.shape[:2]
    y = int(h * 0.35)
    for i, text in enumerate(lines):
        size = max(0.5, min(w, h) / 600) * (1.4 if i == 0 else 0.8)
        thickness = max(1, round(2 * size))
        width = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, size, thickness)[0][0]
        if width > 0.9 * w:  # shrink a long stretch name to fit the picture
            size *= 0.9 * w / width
            thickness = max(1, round(2 * size))
        cv2.putText(img, text, (int(w * 0.05), y), cv2.FONT_HERSHEY_SIMPLEX, size,
                    (255, 255, 255), thickness, cv2.LINE_AA)
        y += int(50 * size) + 10
    return img


class RoutineSession:
    """The per-frame logic of Routine mode, shared between two threads.

    ``recorder_factory(stretch, dosage_index)`` gives each step's session the
    recorder that keeps it in the history (one record per step); without it,
    nothing is recorded.
    """

    def __init__(
        self,
        routine: Routine,
        stretches: Mapping[str, Stretch],
        estimator: Estimator,
        mirror: bool = True,
        *,
        max_side_px: int | None = None,
        speech: SpeechPolicy | None = None,
        recorder_factory: Callable[[Stretch, int], LiveRecorder] | None = None,
    ) -> None:
        self.routine = routine
        self.stretches = stretches
        self.estimator = estimator
        self.mirror = mirror
        self.max_side_px = max_side_px
        self.speech = speech if speech is not None else SpeechPolicy()
        self._runner = RoutineRunner(routine)
        self._recorder_factory = recorder_factory
        self._lock = threading.Lock()
        self._skip = False
        self._sessions: dict[int, LiveSession] = {}
        self._step: LiveSession | None = None
        self._state: RoutineState = self._runner.state(0.0)
        self._poses: deque[tuple[float, Pose]] = deque()
        self._recognized: str | None = None
        self._recognized_at_s: float | None = None
        self._utterances: deque[Utterance] = deque(maxlen=UTTERANCES_KEPT)
        self._last_seq = 0
        self._frames = 0
        self._error: str | None = None
        self._last_t_s: float | None = None
        self._start_step(0)

    # ------------------------------------------------------------ steps
    def _stretch(self, index: int) -> tuple[Stretch, int]:
        return self.routine.stretch_for(index, self.stretches)

    def _start_step(self, index: int) -> None:
        stretch, dosage_index = self._stretch(index)
        last = index == len(self.routine.steps) - 1
        # The rest announcement says "Stretch done"; after the last step, the routine is.
        self.speech.done_text = "" if not last else "Routine done. Well done!"
        recorder = (self._recorder_factory(stretch, dosage_index)
                    if self._recorder_factory is not None else None)
        session = LiveSession(stretch, self.estimator, dosage_index, self.mirror,
                              max_side_px=self.max_side_px, speech=self.speech,
                              recorder=recorder)
        with self._lock:
            self._sessions[index] = session
            self._step = session
        self._poses.clear()
        self._recognized = None
        self._recognized_at_s = None

    def _announce(self, t_s: float, state: RoutineState, from_skip: bool = False) -> None:
        """Start the next step's session and say what happened, for this update's events.

        After a skip, whatever was still waiting to be said is dropped.
        """
        skipped = any(e.startswith("step_skipped:") for e in state.events)
        if from_skip:
            self.speech.clear()
        for event in state.events:
            kind, _, _ = event.partition(":")
            if kind == "step_started":
                if state.step_index not in self._sessions or self._sessions[
                        state.step_index] is not self._step:
                    self._start_step(state.step_index)
                stretch, index = self._stretch(state.step_index)
                self.speech.announce(t_s, say_step(stretch.name, stretch.dosages[index],
                                                   state.step_index == 0))
            elif kind == "rest":
                stretch, _ = self._stretch(state.step_index)
                rest_s = self.routine.steps[state.step_index - 1].rest_after_s
                self.speech.announce(t_s, say_rest(rest_s, stretch.name, stretch.setup,
                                                   skipped))
            elif kind == "routine_done" and skipped:
                self.speech.announce(t_s, "Routine done. Well done!")

    def _recognize(self, t_s: float) -> str | None:
        """Which of the step's and the previous step's stretches recognition sees, if any."""
        previous = self._runner.previous_step()
        current = self._runner.step
        if (previous is None or previous.stretch_id == current.stretch_id
                or self._state.switch == Switch.CONFIRMED):
            return None
        if self._recognized_at_s is not None and t_s - self._recognized_at_s < RECOGNIZE_EVERY_S:
            return self._recognized
        while self._poses and t_s - self._poses[0][0] > RECOGNIZE_WINDOW_S:
            self._poses.popleft()
        if len(self._poses) < 3:
            return None
        library = {previous.stretch_id: self.stretches[previous.stretch_id],
                   current.stretch_id: self.stretches[current.stretch_id]}
        poses = [p for _, p in self._poses]
        times = [t for t, _ in self._poses]
        self._recognized = recognize(poses, times, library, RECOGNIZE_FRAMES).stretch_id
        self._recognized_at_s = t_s
        return self._recognized

    # ------------------------------------------------------------ worker thread
    def process(self, frame_rgb: np.ndarray, t_s: float) -> np.ndarray:
        """Check one frame of the routine at ``t_s`` seconds; returns the annotated frame."""
        with self._lock:
            skip, self._skip = self._skip, False
        if self._last_t_s is None:  # the first step is announced before its first frame
            self._state = self._runner.update(t_s, step_complete=False)
            self._announce(t_s, self._state)
        if skip:
            self._state = self._runner.skip(t_s)
            self._announce(t_s, self._state, from_skip=True)
        was_switch = self._state.switch
        if self._runner.phase == RoutinePhase.STRETCH and self._step is not None:
            out = self._step.process(frame_rgb, t_s)
            latest = self._step.latest
            complete = bool(latest and latest.progress.complete)
            if latest is not None and latest.pose is not None:
                self._poses.append((t_s, latest.pose))
            self._state = self._runner.update(
                t_s, step_complete=complete,
                in_position=bool(latest and latest.in_position),
                recognized=self._recognize(t_s))
            if (self._state.switch == Switch.STILL_PREVIOUS
                    and was_switch != Switch.STILL_PREVIOUS):
                name = self._stretch(self._state.step_index)[0].name
                self.speech.announce(t_s, f"Time to change position: {name}.")
            new = self._step.utterances_since(self._last_seq)
        else:
            self._state = self._runner.update(t_s, step_complete=False)
            out = _rest_frame(frame_rgb, self.mirror, self._banner())
            said = self.speech.update(t_s, None)
            new = [said] if said is not None else []
        self._announce(t_s, self._state)
        with self._lock:
            for u in new:
                self._utterances.append(u)
                self._last_seq = max(self._last_seq, u.seq)
            self._frames += 1
            self._last_t_s = t_s
            self._error = None
        return out

    def _banner(self) -> list[str]:
        if self._runner.phase == RoutinePhase.DONE:
            return ["Routine done", "Well done!"]
        stretch, _ = self._stretch(self._runner.step_index)
        view = "Camera side-on" if stretch.view == "side" else "Face the camera"
        return [f"Rest {self._state.rest_left_s:.0f} s", f"Next: {stretch.name}", view]

    def record_error(self, message: str) -> None:
        with self._lock:
            self._error = message

    def step_sessions(self) -> list[tuple[LiveSession, bool]]:
        """Each step's live session so far, in order, with whether it is the one running.

        A step stops running when the routine moves on (done or skipped), so the
        history can keep it as finished while the routine goes on.
        """
        with self._lock:
            sessions = [self._sessions[i] for i in sorted(self._sessions)]
            step = self._step
            running = self._runner.phase == RoutinePhase.STRETCH
        return [(s, running and s is step) for s in sessions]

    # ------------------------------------------------------------ page thread
    def skip(self) -> None:
        """Skip the current step (or the rest before the next), from the next frame on."""
        with self._lock:
            self._skip = True

    @property
    def latest(self) -> FrameResult | None:
        """The current step's latest frame result."""
        with self._lock:
            step = self._step
        return step.latest if step is not None else None

    def snapshot(self) -> RoutineSnapshot:
        with self._lock:
            state = self._state
            step = self._step
            utterances = tuple(self._utterances)
            frames, error, t_s = self._frames, self._error, self._last_t_s
        index = state.step_index
        stretch, dosage_index = self._stretch(index)
        nxt = None
        if index + 1 < len(self.routine.steps):
            nxt, _ = self._stretch(index + 1)
        lines = []
        for i, s in enumerate(self.routine.steps):
            if i in state.done_steps:
                st = "done"
            elif i in state.skipped_steps:
                st = "skipped"
            elif i == index and state.phase == RoutinePhase.STRETCH:
                st = "now"
            elif i == index and state.phase == RoutinePhase.REST:
                st = "rest_before"
            else:
                st = "later"
            lines.append(StepLine(i + 1, self.stretches[s.stretch_id].name,
                                  s.dosage.describe(), st))
        live = step.snapshot() if step is not None and state.phase == RoutinePhase.STRETCH \
            else None
        return RoutineSnapshot(
            routine_name=self.routine.name,
            phase=state.phase,
            step_number=state.number,
            steps_total=state.steps_total,
            stretch_name=stretch.name,
            dosage=stretch.dosages[dosage_index].describe(),
            camera=stretch.setup,
            next_name=nxt.name if nxt is not None else None,
            next_camera=nxt.setup if nxt is not None else None,
            rest_left_s=state.rest_left_s,
            switch=state.switch,
            steps=tuple(lines),
            step=live,
            utterances=utterances,
            frames=frames,
            error=error or (live.error if live is not None else None),
            t_s=t_s,
        )

    def summary(self) -> RoutineSummary:
        with self._lock:
            state = self._state
            sessions = dict(self._sessions)
        out = []
        for i, s in enumerate(self.routine.steps):
            name = self.stretches[s.stretch_id].name
            session = sessions.get(i)
            if i in state.done_steps:
                st = "done"
            elif i in state.skipped_steps:
                st = "skipped"
            else:
                st = "stopped" if session is not None else "not reached"
            out.append((name, st, session.summary() if session is not None else None))
        return RoutineSummary(self.routine.name, tuple(out))
