"""What the history keeps of one session: numbers only, never a picture.

A :class:`SessionRecord` is built the same way for an analysed recording
(:func:`record_from_analysis`, from the per-frame results and their summary)
and for a live session (:class:`LiveRecorder`, fed one frame result at a time
so the page can save it every few seconds). It holds who and what (profile,
stretch or routine, live or file), when and how long, the dosage and what was
done (holds, repetitions, sets), time in correct form, the fault episodes
(check, start, length, worst value) and, per check, the range reached (the
robust low and high ends of the measured values while the person was seen).

Pure: no files, no database, no clock. Times come in as arguments.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from posecheck.engine import FrameResult, Status
from posecheck.reference import Check, Dosage, Stretch
from posecheck.summarize import (
    MERGE_GAP_S,
    MIN_EPISODE_S,
    check_series,
    correct_form,
    in_position,
    nobody,
)
from posecheck.summary import Analysis

SOURCES = ("live", "file")
# A live session with less than this much time with somebody in view is not kept
# (START pressed by mistake, the camera pointed at the wall).
MIN_SEEN_S = 2.0
# Gaps longer than this between live frames (a frozen camera) do not count as time.
MAX_FRAME_GAP_S = 0.5
# The robust ends of a check's values: percentiles, so one bad frame is not the peak.
LOW_PERCENTILE = 5.0
HIGH_PERCENTILE = 95.0


@dataclass(frozen=True)
class FaultRecord:
    """One fault episode: a check out of its range while in position."""

    check_id: str
    label: str
    start_s: float  # from the start of the session
    duration_s: float
    worst_value: float
    unit: str
    cue: str


@dataclass(frozen=True)
class CheckRange:
    """How far a check's measure went in one session.

    ``reach`` is the end that counts as "further" for this check: the high
    end (95th percentile) when the check asks for at least ``low`` (a lean
    back of at least 10 degrees), the low end (5th percentile) when it only
    caps the value (hips at most 15% above the floor line).
    """

    check_id: str
    label: str
    role: str
    unit: str
    low: float | None  # the allowed range at the time
    high: float | None
    frames: int  # frames the value was known
    p5: float
    median: float
    p95: float
    reach: float
    reach_end: str  # "high" | "low"
    headline: bool = False  # the check that counts repetitions: how deep the stretch went


@dataclass(frozen=True)
class SessionRecord:
    """One session as the history stores it (times in seconds, ``started_at`` aware)."""

    session_id: str
    profile: str | None
    stretch_id: str
    stretch_name: str
    source: str  # live | file
    started_at: datetime
    duration_s: float
    dosage_text: str
    dosage_kind: str  # hold | reps
    sets_target: int
    hold_target_s: float
    reps_target: int  # per set and side
    per_side: bool
    holds_done: int
    holds_target: int
    reps_done: int  # with good form
    reps_with_fault: int
    sets_done: int
    complete: bool
    seen_s: float
    in_position_s: float
    correct_s: float
    finished: bool  # False while a live session is still running (or crashed)
    routine: str | None = None
    source_name: str | None = None  # the file name for a recording, never its content
    faults: tuple[FaultRecord, ...] = ()
    ranges: tuple[CheckRange, ...] = ()

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {self.source!r}")
        if self.started_at.tzinfo is None:
            raise ValueError("started_at must carry a time zone")

    @property
    def correct_share(self) -> float | None:
        """Time in correct form over time in position (None when never in position)."""
        return self.correct_s / self.in_position_s if self.in_position_s > 0 else None


# ---------------------------------------------------------------- ranges


def reach_end(check: Check) -> str:
    """Which end of a check's values is "further": high when it asks for a minimum."""
    return "high" if check.min is not None else "low"


def check_range(check: Check, values: Sequence[float] | np.ndarray, *,
                headline: bool = False) -> CheckRange | None:
    """The range reached from the known values of one check (None when there are none)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if not len(v):
        return None
    p5, median, p95 = (float(x) for x in np.percentile(v, [LOW_PERCENTILE, 50, HIGH_PERCENTILE]))
    end = reach_end(check)
    return CheckRange(
        check_id=check.id, label=check.label, role=check.role, unit=check.measure.unit,
        low=check.min, high=check.max, frames=len(v), p5=p5, median=median, p95=p95,
        reach=p95 if end == "high" else p5, reach_end=end, headline=headline,
    )


def _headline(stretch: Stretch) -> str | None:
    return stretch.reps.check if stretch.reps is not None else None


def _seen(frame: FrameResult) -> bool:
    return not nobody(frame) and frame.status != Status.WRONG_VIEW


def _dosage_fields(dosage: Dosage) -> dict[str, object]:
    return {
        "dosage_text": dosage.describe(),
        "dosage_kind": dosage.kind,
        "sets_target": dosage.sets,
        "hold_target_s": float(dosage.hold_s),
        "reps_target": dosage.reps,
        "per_side": dosage.per_side,
    }


def _sets_done(frame: FrameResult | None) -> int:
    return sum(frame.progress.sets_done.values()) if frame is not None else 0


# ---------------------------------------------------------------- recordings


def record_from_analysis(
    analysis: Analysis,
    *,
    session_id: str,
    started_at: datetime,
    profile: str | None,
    source_name: str | None,
    routine: str | None = None,
) -> SessionRecord:
    """The history record of an analysed recording (its summary and per-frame values)."""
    s = analysis.summary
    frames = analysis.frames
    dosage = analysis.stretch.dosages[s.dosage_index]
    seen = np.array([_seen(f) for f in frames], dtype=bool)
    ranges = []
    headline = _headline(analysis.stretch)
    for ci, check in enumerate(analysis.stretch.checks):
        values, _ = check_series(frames, ci)
        found = check_range(check, values[seen] if len(seen) else values,
                            headline=check.id == headline)
        if found is not None:
            ranges.append(found)
    faults = tuple(
        FaultRecord(f.check_id, f.label, f.start_s - s.start_s, f.duration_s, f.worst_value,
                    f.unit, f.cue)
        for f in s.faults
        if f.required
    )
    return SessionRecord(
        session_id=session_id,
        profile=profile,
        stretch_id=s.stretch_id,
        stretch_name=s.stretch_name,
        source="file",
        started_at=started_at,
        duration_s=s.total_s,
        **_dosage_fields(dosage),  # type: ignore[arg-type]
        holds_done=s.holds_completed,
        holds_target=s.holds_target,
        reps_done=s.reps_good,
        reps_with_fault=s.reps_with_fault,
        sets_done=_sets_done(frames[-1] if frames else None),
        complete=s.complete,
        seen_s=s.visible_s,
        in_position_s=s.in_position_s,
        correct_s=s.correct_s,
        finished=True,
        routine=routine,
        source_name=source_name,
        faults=faults,
        ranges=tuple(ranges),
    )


# ---------------------------------------------------------------- live sessions


@dataclass
class _Episode:
    start_s: float
    end_s: float
    worst_value: float
    worst_excess: float
    cue: str


@dataclass
class _CheckTrack:
    """One check's values and fault episodes, built frame by frame."""

    check: Check
    values: list[float] = field(default_factory=list)
    episodes: list[_Episode] = field(default_factory=list)
    open: _Episode | None = None

    def add(self, t_s: float, value: float | None, faulty: bool) -> None:
        if self.open is not None:
            self.open.end_s = t_s  # the fault lasted at least until this frame
        if not faulty or value is None or math.isnan(value):
            self.open = None
            return
        excess = _excess(self.check, value)
        cue = (self.check.cue_low if self.check.min is not None and value < self.check.min
               else self.check.cue_high) or ""
        if self.open is None:
            last = self.episodes[-1] if self.episodes else None
            if last is not None and t_s - last.end_s < MERGE_GAP_S:
                self.open = last  # a short break: the same episode goes on
            else:
                self.open = _Episode(t_s, t_s, value, excess, cue)
                self.episodes.append(self.open)
        if excess > self.open.worst_excess:
            self.open.worst_value, self.open.worst_excess, self.open.cue = value, excess, cue

    def faults(self, first_t_s: float) -> list[FaultRecord]:
        return [
            FaultRecord(self.check.id, self.check.label, e.start_s - first_t_s,
                        e.end_s - e.start_s, e.worst_value, self.check.measure.unit, e.cue)
            for e in self.episodes
            if e.end_s - e.start_s >= MIN_EPISODE_S
        ]


def _excess(check: Check, value: float) -> float:
    if check.min is not None and value < check.min:
        return check.min - value
    if check.max is not None and value > check.max:
        return value - check.max
    return 0.0


class LiveRecorder:
    """Builds a live session's record from its frame results, one at a time.

    Not thread-safe on its own: :class:`~posecheck.live.LiveSession` calls it
    under its lock. :meth:`checkpoint_due` says when the page should save
    (every ``checkpoint_s`` of session time), so a crash loses at most that.
    """

    def __init__(self, stretch: Stretch, dosage_index: int, *, session_id: str,
                 started_at: datetime, profile: str | None, routine: str | None = None,
                 checkpoint_s: float = 5.0) -> None:
        self.stretch = stretch
        self.dosage = stretch.dosages[dosage_index]
        self._base = SessionRecord(
            session_id=session_id, profile=profile, stretch_id=stretch.id,
            stretch_name=stretch.name, source="live", started_at=started_at, duration_s=0.0,
            **_dosage_fields(self.dosage),  # type: ignore[arg-type]
            holds_done=0, holds_target=0, reps_done=0, reps_with_fault=0, sets_done=0,
            complete=False, seen_s=0.0, in_position_s=0.0, correct_s=0.0, finished=False,
            routine=routine,
        )
        self.checkpoint_s = checkpoint_s
        self._tracks = [_CheckTrack(c) for c in stretch.checks]
        self._first_t_s: float | None = None
        self._last_t_s: float | None = None
        self._last: FrameResult | None = None
        self._last_saved_t_s: float | None = None
        self.frames = 0
        self.seen_s = 0.0
        self.in_position_s = 0.0
        self.correct_s = 0.0
        self._was_seen = self._was_in_position = self._was_correct = False

    def add(self, result: FrameResult) -> None:
        """Take in one frame result (times must increase)."""
        t = result.t_s
        if self._last_t_s is not None:
            dt = min(max(t - self._last_t_s, 0.0), MAX_FRAME_GAP_S)
            # The time since the last frame counts for what that frame showed.
            self.seen_s += dt if self._was_seen else 0.0
            self.in_position_s += dt if self._was_in_position else 0.0
            self.correct_s += dt if self._was_correct else 0.0
        self._first_t_s = t if self._first_t_s is None else self._first_t_s
        self._last_t_s = t
        self._last = result
        self.frames += 1
        seen = _seen(result)
        positioned = in_position(result)
        self._was_seen, self._was_in_position = seen, positioned
        self._was_correct = correct_form(result)
        for i, track in enumerate(self._tracks):
            r = result.checks[i] if i < len(result.checks) else None
            value = r.value if r is not None else None
            if seen and value is not None:
                track.values.append(float(value))
            faulty = (r is not None and r.verdict.is_fault and positioned
                      and track.check.role != "position" and track.check.required)
            track.add(t, value, faulty)

    @property
    def worth_keeping(self) -> bool:
        """Somebody was in view long enough for the session to mean something."""
        return self.seen_s >= MIN_SEEN_S

    def checkpoint_due(self) -> bool:
        """Whether ``checkpoint_s`` of session time passed since the last save."""
        if not self.worth_keeping or self._last_t_s is None:
            return False
        return (self._last_saved_t_s is None
                or self._last_t_s - self._last_saved_t_s >= self.checkpoint_s)

    def mark_saved(self) -> None:
        self._last_saved_t_s = self._last_t_s

    def record(self, *, finished: bool) -> SessionRecord:
        """The session so far (or, with ``finished``, as it ended)."""
        first = self._first_t_s if self._first_t_s is not None else 0.0
        last = self._last_t_s if self._last_t_s is not None else first
        p = self._last.progress if self._last is not None else None
        n_sides = 2 if self.dosage.per_side else 1
        faults = sorted((f for t in self._tracks for f in t.faults(first)),
                        key=lambda f: (f.start_s, f.check_id))
        headline = _headline(self.stretch)
        ranges = [r for t in self._tracks
                  if (r := check_range(t.check, t.values, headline=t.check.id == headline))
                  is not None]
        kind = self.dosage.kind
        return replace(
            self._base,
            duration_s=last - first,
            holds_done=len(p.holds) if p is not None and kind == "hold" else 0,
            holds_target=self.dosage.sets * n_sides if kind == "hold" else 0,
            reps_done=(p.reps_total - p.reps_with_fault) if p is not None and kind == "reps"
            else 0,
            reps_with_fault=p.reps_with_fault if p is not None and kind == "reps" else 0,
            sets_done=_sets_done(self._last),
            complete=bool(p is not None and p.complete),
            seen_s=self.seen_s,
            in_position_s=self.in_position_s,
            correct_s=self.correct_s,
            finished=finished,
            faults=tuple(faults),
            ranges=tuple(ranges),
        )


def new_session_id() -> str:
    """A fresh, random id for a session (no clock, no machine name in it)."""
    return uuid.uuid4().hex
