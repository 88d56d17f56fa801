"""Hold timer, repetitions, sets, rest and sides. Time is always passed in.

The tracker is told, each frame, whether the form is right and where the
repetition measure stands; it never reads a clock, so every rule here is
tested with explicit timestamps.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from posecheck.reference import Dosage


class FormState(enum.Enum):
    GOOD = "good"  # in position, every required check met
    FAULT = "fault"  # in position but a required check fails
    OUT = "out"  # not in the stretch position
    UNKNOWN = "unknown"  # nobody in view or a needed joint not visible


@dataclass(frozen=True)
class Progress:
    """What the person has done so far, for display and reports."""

    kind: str
    side: str | None
    sets_done: dict[str, int]
    sets_target: int
    hold_s: float
    hold_target_s: float
    reps: int
    reps_target: int
    rest_left_s: float
    complete: bool
    holds: tuple[tuple[str, float, float], ...]  # (side, start_s, duration_s) of completed holds
    reps_total: int
    reps_with_fault: int

    @property
    def hold_fraction(self) -> float:
        if self.hold_target_s <= 0:
            return 0.0
        return min(1.0, self.hold_s / self.hold_target_s)


@dataclass
class ProgressTracker:
    """Counts holds or repetitions against a dosage.

    ``grace_s``: frames with nobody or an unseen joint for up to this long do
    not stop a running hold. ``reset_after_s``: out of position for longer
    than this, a partial hold starts again from zero.
    """

    dosage: Dosage
    sides: tuple[str, ...] = ("",)
    grace_s: float = 1.0
    reset_after_s: float = 3.0
    _t_s: float | None = None
    _hold_s: float = 0.0
    _hold_start_s: float | None = None
    _last_good_s: float | None = None
    _out_since_s: float | None = None
    _rest_until_s: float = -1.0
    _sets: dict[str, int] = field(default_factory=dict)
    _reps: int = 0
    _reps_total: int = 0
    _reps_fault: int = 0
    _rep_phase: str | None = None  # None (not yet known), "start", "stretch"
    _rep_form_good: bool = False
    _holds: list[tuple[str, float, float]] = field(default_factory=list)
    _side: str = ""
    events: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sets = {s: 0 for s in self.sides}
        self._side = self.sides[0]

    # ------------------------------------------------------------ helpers
    @property
    def complete(self) -> bool:
        return all(n >= self.dosage.sets for n in self._sets.values())

    def _next_side(self) -> str:
        """The side to work next: alternate, or finish one side before the other."""
        open_sides = [s for s in self.sides if self._sets[s] < self.dosage.sets]
        if not open_sides:
            return self._side
        if self.dosage.alternate and len(open_sides) > 1:
            i = self.sides.index(self._side)
            return self.sides[(i + 1) % len(self.sides)]
        return self._side if self._side in open_sides else open_sides[0]

    def _finish_set(self, t_s: float) -> None:
        self._sets[self._side] += 1
        self.events.append(f"set_done:{self._side}")
        if self.complete:
            self.events.append("complete")
            return
        self._rest_until_s = t_s + self.dosage.rest_s
        new_side = self._next_side()
        if new_side != self._side:
            self.events.append(f"switch_side:{new_side}")
        self._side = new_side

    def resting(self, t_s: float) -> bool:
        return t_s < self._rest_until_s

    # ------------------------------------------------------------ update
    def update(
        self,
        t_s: float,
        form: FormState,
        side: str | None = None,
        rep_phase: str | None = None,
    ) -> Progress:
        """Advance to ``t_s``.

        ``side`` is the working side seen in the frame (None when the stretch
        has no detectable side). ``rep_phase`` is "start", "stretch" or None
        (between the two thresholds, or unknown), for repetition dosages.
        """
        self.events = []
        dt = 0.0 if self._t_s is None else max(0.0, min(t_s - self._t_s, 0.5))
        self._t_s = t_s
        # With no hold under way, follow the side the person is working, if still open.
        if (
            side in self._sets
            and side != self._side
            and self._sets[side] < self.dosage.sets
            and form != FormState.UNKNOWN
            and not self.resting(t_s)
            and self._hold_s == 0.0
            and (not self.dosage.alternate or not any(self._sets.values()))
        ):
            self._side = side
        if not self.complete and not self.resting(t_s):
            if self.dosage.kind == "hold":
                self._update_hold(t_s, dt, form, side)
            else:
                self._update_reps(t_s, form, side, rep_phase)
        return self.snapshot(t_s)

    def _update_hold(self, t_s: float, dt: float, form: FormState, side: str | None) -> None:
        wrong_side = bool(side) and side != self._side
        if form == FormState.GOOD and not wrong_side:
            if self._hold_start_s is None:
                self._hold_start_s = t_s
                self.events.append("hold_started")
            self._hold_s += dt if self._last_good_s is not None else 0.0
            self._last_good_s = t_s
            self._out_since_s = None
        elif form == FormState.UNKNOWN and self._last_good_s is not None:
            if t_s - self._last_good_s <= self.grace_s:
                self._hold_s += dt  # a dropped frame or two does not stop the clock
            else:
                self._last_good_s = None
        else:
            self._last_good_s = None
            if form == FormState.OUT or wrong_side:
                self._out_since_s = self._out_since_s if self._out_since_s is not None else t_s
                if t_s - self._out_since_s > self.reset_after_s and self._hold_s > 0:
                    self._hold_s = 0.0
                    self._hold_start_s = None
                    self.events.append("hold_reset")
        if self._hold_s >= self.dosage.hold_s:
            start = self._hold_start_s if self._hold_start_s is not None else t_s
            self._holds.append((self._side, start, self._hold_s))
            self.events.append("hold_done")
            self._hold_s = 0.0
            self._hold_start_s = None
            self._last_good_s = None
            self._finish_set(t_s)

    def _update_reps(
        self, t_s: float, form: FormState, side: str | None, rep_phase: str | None
    ) -> None:
        if rep_phase == "stretch":
            if self._rep_phase != "stretch":
                self._rep_form_good = False
            self._rep_phase = "stretch"
            self._rep_form_good |= form == FormState.GOOD
        elif rep_phase == "start":
            if side and side in self._sets:
                self._side = side if self._sets[side] < self.dosage.sets else self._side
            if self._rep_phase == "stretch":
                self._reps_total += 1
                if self._rep_form_good:
                    self._reps += 1
                    self.events.append("rep")
                else:
                    self._reps_fault += 1
                    self.events.append("rep_with_fault")
                if self._reps >= self.dosage.reps:
                    self._reps = 0
                    self._finish_set(t_s)
            self._rep_phase = "start"

    def snapshot(self, t_s: float) -> Progress:
        return Progress(
            kind=self.dosage.kind,
            side=self._side or None,
            sets_done=dict(self._sets),
            sets_target=self.dosage.sets,
            hold_s=self._hold_s,
            hold_target_s=self.dosage.hold_s,
            reps=self._reps,
            reps_target=self.dosage.reps,
            rest_left_s=max(0.0, self._rest_until_s - t_s),
            complete=self.complete,
            holds=tuple(self._holds),
            reps_total=self._reps_total,
            reps_with_fault=self._reps_fault,
        )
