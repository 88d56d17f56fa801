"""What an analysed recording comes to: holds, repetitions, faults, time in form.

These are plain records. :mod:`posecheck.summarize` computes them from the
engine's per-frame results; the report, the plots, the CSV and the pages read
them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posecheck.engine import FrameResult
from posecheck.pose import Pose
from posecheck.reference import Check, Stretch


@dataclass(frozen=True)
class FaultEpisode:
    """A stretch of time where one check was out of its range while in position."""

    check_id: str
    label: str
    role: str
    required: bool
    start_s: float
    end_s: float
    cue: str
    worst_value: float
    limit: float  # the edge of the allowed range that was crossed
    excess: float  # how far past the limit, in the check's unit (positive)
    unit: str

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class HoldAttempt:
    """One run of the hold timer: completed or not."""

    side: str | None
    start_s: float
    end_s: float
    held_s: float
    completed: bool


@dataclass(frozen=True)
class PositionBlocker:
    """A position check that kept the person out of the stretch, and for how long."""

    check_id: str
    label: str
    cue: str
    seconds: float
    first_s: float
    last_s: float
    typical_value: float  # median while it was the cue
    low: float | None
    high: float | None
    unit: str


@dataclass(frozen=True)
class Summary:
    """Everything the report says about one analysed recording (all times in seconds)."""

    stretch_id: str
    stretch_name: str
    dosage_index: int
    dosage_text: str
    dosage_kind: str
    per_side: bool
    sides: tuple[str, ...]
    frames: int
    start_s: float
    end_s: float
    total_s: float
    visible_s: float
    in_position_s: float
    correct_s: float
    no_person_s: float
    not_visible_s: float
    wrong_view_s: float
    holds_target: int
    hold_target_s: float
    holds: tuple[HoldAttempt, ...]  # completed holds and unfinished attempts, in order
    reps_target: int
    reps_total: int
    reps_good: int
    reps_with_fault: int
    rep_times_s: tuple[tuple[float, bool], ...]  # (time, good)
    complete: bool
    faults: tuple[FaultEpisode, ...]
    checks: tuple[Check, ...]
    # What kept the person out of position, most time first.
    position_blockers: tuple[PositionBlocker, ...] = ()
    # The checks a repetition needs met, when repetitions are counted.
    rep_checks: tuple[str, ...] = ()

    @property
    def holds_completed(self) -> int:
        return sum(1 for h in self.holds if h.completed)

    @property
    def correct_share_of_position(self) -> float | None:
        return self.correct_s / self.in_position_s if self.in_position_s > 0 else None

    @property
    def correct_share_of_total(self) -> float | None:
        return self.correct_s / self.total_s if self.total_s > 0 else None

    def holds_text(self) -> str:
        side = " (all sides)" if self.per_side else ""
        return (
            f"{self.holds_completed} of {self.holds_target} holds of "
            f"{self.hold_target_s:g} s{side}"
        )

    def reps_text(self) -> str:
        return (
            f"{self.reps_good} of {self.reps_target * max(1, len(self.sides))} repetitions "
            f"with good form ({self.reps_with_fault} with a fault)"
        )


@dataclass
class Analysis:
    """The per-frame results and their summary."""

    stretch: Stretch
    timestamps_s: np.ndarray
    poses: list[Pose | None]
    frames: list[FrameResult]
    summary: Summary
