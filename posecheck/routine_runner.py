"""Walking through a routine: which step is on, the rest between, what comes next.

Pure logic with time passed in. The caller runs the current step's stretch
checker and tells the runner, each frame, whether that step's dosage is done,
whether the person is in the step's position, and (where recognition can
tell) which stretch the last few seconds of poses show. The runner moves on
when the dosage is done or on a skip, rests between steps, and says whether
the person has been seen to switch into the new position.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from posecheck.routines import Routine, RoutineStep

# In the step's position this long (by its own checks) confirms the switch.
CONFIRM_S = 1.0


class RoutinePhase(enum.Enum):
    STRETCH = "stretch"  # working through the current step's dosage
    REST = "rest"  # between the step just finished and the next one
    DONE = "done"  # every step done or skipped


class Switch(enum.Enum):
    """Whether the person has been seen in the current step's position."""

    UNKNOWN = "unknown"  # not yet seen in it, and recognition cannot tell otherwise
    CONFIRMED = "confirmed"  # seen in the step's position (sticky for the step)
    STILL_PREVIOUS = "still_previous"  # recognition sees the previous step's stretch


@dataclass(frozen=True)
class RoutineState:
    phase: RoutinePhase
    step_index: int  # the step on (during rest: the one coming next)
    steps_total: int
    rest_left_s: float
    switch: Switch
    done_steps: tuple[int, ...]  # finished with their dosage done
    skipped_steps: tuple[int, ...]
    events: tuple[str, ...]  # what happened in this update, e.g. "step_started:bridge"

    @property
    def number(self) -> int:
        """The step's number as a person counts, from 1."""
        return self.step_index + 1


class RoutineRunner:
    """The state of one run through a routine."""

    def __init__(self, routine: Routine, confirm_s: float = CONFIRM_S) -> None:
        self.routine = routine
        self.confirm_s = confirm_s
        self._index = 0
        self._phase = RoutinePhase.STRETCH
        self._rest_until_s = 0.0
        self._switch = Switch.UNKNOWN
        self._in_position_since_s: float | None = None
        self._done: list[int] = []
        self._skipped: list[int] = []
        self._events: list[str] = [f"step_started:{routine.steps[0].stretch_id}"]
        self._t_s: float | None = None

    # ------------------------------------------------------------ what is on
    @property
    def phase(self) -> RoutinePhase:
        return self._phase

    @property
    def step_index(self) -> int:
        return self._index

    @property
    def step(self) -> RoutineStep:
        return self.routine.steps[self._index]

    def next_step(self) -> RoutineStep | None:
        """The step after the current one (during rest: after the one coming)."""
        i = self._index + 1
        return self.routine.steps[i] if i < len(self.routine.steps) else None

    def previous_step(self) -> RoutineStep | None:
        return self.routine.steps[self._index - 1] if self._index > 0 else None

    # ------------------------------------------------------------ moving on
    def _start(self, index: int) -> None:
        self._index = index
        self._phase = RoutinePhase.STRETCH
        self._switch = Switch.UNKNOWN
        self._in_position_since_s = None
        self._events.append(f"step_started:{self.step.stretch_id}")

    def _leave_step(self, t_s: float) -> None:
        """After a step: rest before the next one, or the routine is done."""
        last = self._index == len(self.routine.steps) - 1
        if last:
            self._phase = RoutinePhase.DONE
            self._events.append("routine_done")
            return
        rest_s = self.step.rest_after_s
        if rest_s <= 0:
            self._start(self._index + 1)
            return
        self._index += 1  # during rest the index names the step coming next
        self._phase = RoutinePhase.REST
        self._rest_until_s = t_s + rest_s
        self._events.append(f"rest:{self.step.stretch_id}")

    def skip(self, t_s: float) -> RoutineState:
        """The person skips: the current step (to the rest after it), or the rest itself."""
        self._events = []
        if self._phase == RoutinePhase.STRETCH:
            self._skipped.append(self._index)
            self._events.append(f"step_skipped:{self.step.stretch_id}")
            self._leave_step(t_s)
        elif self._phase == RoutinePhase.REST:
            self._start(self._index)
        return self.state(t_s)

    def update(
        self,
        t_s: float,
        *,
        step_complete: bool,
        in_position: bool = False,
        recognized: str | None = None,
    ) -> RoutineState:
        """Advance to ``t_s``.

        ``step_complete``: the current step's dosage is done. ``in_position``:
        the step's own position checks are met in this frame. ``recognized``:
        the stretch recognition names for the last few seconds, or None where
        it cannot tell.
        """
        events = self._events
        self._events = []
        if self._t_s is None:
            self._events = events  # the first step's start is reported once
        self._t_s = t_s
        if self._phase == RoutinePhase.REST and t_s >= self._rest_until_s:
            self._start(self._index)
        elif self._phase == RoutinePhase.STRETCH:
            self._follow_switch(t_s, in_position, recognized)
            if step_complete:
                self._done.append(self._index)
                self._events.append(f"step_done:{self.step.stretch_id}")
                self._leave_step(t_s)
        return self.state(t_s)

    def _follow_switch(self, t_s: float, in_position: bool, recognized: str | None) -> None:
        if self._switch == Switch.CONFIRMED:
            return
        if in_position:
            if self._in_position_since_s is None:
                self._in_position_since_s = t_s
        else:
            self._in_position_since_s = None
        held = (self._in_position_since_s is not None
                and t_s - self._in_position_since_s >= self.confirm_s)
        previous = self.previous_step()
        if held or recognized == self.step.stretch_id:
            self._switch = Switch.CONFIRMED
            self._events.append(f"position_confirmed:{self.step.stretch_id}")
        elif (previous is not None and recognized == previous.stretch_id
              and previous.stretch_id != self.step.stretch_id):
            self._switch = Switch.STILL_PREVIOUS
        elif recognized is not None:
            self._switch = Switch.UNKNOWN

    def state(self, t_s: float) -> RoutineState:
        rest_left = (max(0.0, self._rest_until_s - t_s)
                     if self._phase == RoutinePhase.REST else 0.0)
        return RoutineState(
            phase=self._phase,
            step_index=self._index,
            steps_total=len(self.routine.steps),
            rest_left_s=rest_left,
            switch=self._switch,
            done_steps=tuple(self._done),
            skipped_steps=tuple(self._skipped),
            events=tuple(self._events),
        )
