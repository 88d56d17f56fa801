"""From poses to a summary, with no files and no model.

:func:`analyze_sequence` takes timestamps and poses (a
:class:`~posecheck.landmark_cache.PoseSequence` or anything with the same two
fields) and a :class:`~posecheck.reference.Stretch`, runs the checking engine
frame by frame and condenses the result into a
:class:`~posecheck.summary.Summary`: holds and repetitions against the
dosage, time in correct form, fault episodes with their worst values, and
time with nobody or hidden joints. Tuning and tests use it directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from posecheck.engine import FrameResult, Status, StretchChecker
from posecheck.errors import AnalysisError
from posecheck.pose import Pose
from posecheck.reference import Check, Stretch
from posecheck.summary import Analysis, FaultEpisode, HoldAttempt, PositionBlocker, Summary

# Fault episodes closer than this are one episode; shorter ones are noise.
MERGE_GAP_S = 0.5
MIN_EPISODE_S = 0.3
# Hold attempts shorter than this are not listed.
MIN_ATTEMPT_S = 0.5

_HIDDEN = (Status.NO_PERSON, Status.NOT_VISIBLE, Status.WRONG_VIEW)


class PoseSequenceLike(Protocol):
    timestamps_s: Sequence[float] | np.ndarray
    poses: Sequence[Pose | None]


def frame_durations_s(timestamps_s: np.ndarray) -> np.ndarray:
    """How long each frame is shown: the gap to the next one (the last gets the median gap)."""
    t = np.asarray(timestamps_s, dtype=np.float64)
    if len(t) == 0:
        return t.copy()
    if len(t) == 1:
        return np.array([1 / 30])
    gaps = np.diff(t)
    return np.append(gaps, float(np.median(gaps)))


def nobody(frame: FrameResult) -> bool:
    """Nobody in view (also while the engine shows "rest" or "done")."""
    return frame.pose is None or frame.status == Status.NO_PERSON


def joints_hidden(frame: FrameResult) -> bool:
    """Someone in view, but a joint the judgement needs cannot be seen."""
    if nobody(frame):
        return False
    if frame.status == Status.NOT_VISIBLE:
        return True
    return any(r.missing for r in frame.checks if r.check.required)


def in_position(frame: FrameResult) -> bool:
    """Seen, in the right view, and every required position check met."""
    if frame.status in _HIDDEN or nobody(frame):
        return False
    required = [r for r in frame.checks if r.check.role == "position" and r.check.required]
    return bool(required) and all(r.verdict.name == "OK" for r in required)


def correct_form(frame: FrameResult) -> bool:
    """In position and every required check met (optional advice does not count)."""
    if not in_position(frame):
        return False
    return all(r.verdict.name == "OK" for r in frame.checks if r.check.required)


def check_series(frames: Sequence[FrameResult], index: int) -> tuple[np.ndarray, np.ndarray]:
    """(values with NaN for unknown, fault mask) of the ``index``-th check over the frames.

    Frames with nobody in view carry no check results: their value is unknown.
    """
    values = np.full(len(frames), np.nan)
    faults = np.zeros(len(frames), dtype=bool)
    for i, f in enumerate(frames):
        if index < len(f.checks):
            r = f.checks[index]
            if r.value is not None:
                values[i] = r.value
            faults[i] = r.verdict.is_fault
    return values, faults


def _limit_and_excess(check: Check, value: float) -> tuple[float, float]:
    if check.min is not None and value < check.min:
        return check.min, check.min - value
    if check.max is not None and value > check.max:
        return check.max, value - check.max
    edge = check.min if check.min is not None else check.max
    return float(edge if edge is not None else 0.0), 0.0


def _runs(mask: np.ndarray) -> Iterator[tuple[int, int]]:
    """(first, last+1) index pairs of the True runs in ``mask``."""
    if not len(mask):
        return
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    yield from zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True)


def fault_spans(
    mask: np.ndarray,
    timestamps_s: np.ndarray,
    durations_s: np.ndarray,
    *,
    merge_gap_s: float = MERGE_GAP_S,
    min_span_s: float = MIN_EPISODE_S,
) -> list[tuple[int, int]]:
    """Index spans where ``mask`` holds, merged across short gaps, blips dropped."""
    spans: list[tuple[int, int]] = []
    for i0, i1 in _runs(mask):
        if spans:
            p0, p1 = spans[-1]
            gap_s = timestamps_s[i0] - (timestamps_s[p1 - 1] + durations_s[p1 - 1])
            if gap_s < merge_gap_s:
                spans[-1] = (p0, i1)
                continue
        spans.append((i0, i1))
    return [
        (i0, i1)
        for i0, i1 in spans
        if timestamps_s[i1 - 1] + durations_s[i1 - 1] - timestamps_s[i0] >= min_span_s
    ]


def find_fault_episodes(
    frames: Sequence[FrameResult],
    stretch: Stretch,
    timestamps_s: np.ndarray,
    *,
    merge_gap_s: float = MERGE_GAP_S,
    min_episode_s: float = MIN_EPISODE_S,
) -> list[FaultEpisode]:
    """Form and safety faults while in position, per check, in time order.

    Position checks are left out: their "fault" means the person is not in
    the stretch yet (or has left it), which the hold/rep counts already say.
    So are, when repetitions are counted, the checks that define one: short
    of their range, the person is between repetitions.
    """
    durations = frame_durations_s(timestamps_s)
    positioned = np.array([in_position(f) for f in frames], dtype=bool)
    counting_reps = stretch.reps is not None and any(f.progress.kind == "reps" for f in frames)
    defining = set(stretch.reps.defining) if counting_reps and stretch.reps else set()
    episodes: list[FaultEpisode] = []
    for ci, check in enumerate(stretch.checks):
        if check.role == "position" or check.id in defining:
            continue
        values, faulty = check_series(frames, ci)
        mask = faulty & positioned
        for i0, i1 in fault_spans(
            mask, timestamps_s, durations, merge_gap_s=merge_gap_s, min_span_s=min_episode_s
        ):
            idx = [i for i in range(i0, i1) if mask[i] and not math.isnan(values[i])]
            if not idx:
                continue
            excess = [_limit_and_excess(check, values[i]) for i in idx]
            worst = int(np.argmax([e for _, e in excess]))
            value = float(values[idx[worst]])
            limit, by = excess[worst]
            low = check.min is not None and value < check.min
            cue = (check.cue_low if low else check.cue_high) or ""
            episodes.append(
                FaultEpisode(
                    check_id=check.id,
                    label=check.label,
                    role=check.role,
                    required=check.required,
                    start_s=float(timestamps_s[i0]),
                    end_s=float(timestamps_s[i1 - 1] + durations[i1 - 1]),
                    cue=cue,
                    worst_value=value,
                    limit=float(limit),
                    excess=float(by),
                    unit=check.measure.unit,
                )
            )
    episodes.sort(key=lambda e: (e.start_s, e.check_id))
    return episodes


def position_blockers(frames: Sequence[FrameResult], timestamps_s: np.ndarray,
                      top_n: int = 3) -> list[PositionBlocker]:
    """The position checks whose cue was shown while the person was not in position.

    A recording that never gets into position explains itself by these: the
    check most often behind "get into position", when, and what it measured.
    """
    durations = frame_durations_s(timestamps_s)
    spans: dict[str, list[tuple[float, float, float]]] = {}
    checks: dict[str, Any] = {}
    for f, dt in zip(frames, durations, strict=True):
        if f.status != Status.GET_IN_POSITION or f.cue_check is None:
            continue
        r = f.result(f.cue_check)
        if r.value is None or r.check.role != "position":
            continue
        spans.setdefault(r.check.id, []).append((f.t_s, float(dt), float(r.value)))
        checks[r.check.id] = r
    out = []
    for check_id, rows in spans.items():
        r = checks[check_id]
        values = [v for _, _, v in rows]
        typical = float(np.median(values))
        low = r.check.min is not None and typical < r.check.min
        out.append(PositionBlocker(
            check_id=check_id, label=r.check.label,
            cue=(r.check.cue_low if low else r.check.cue_high) or "",
            seconds=sum(dt for _, dt, _ in rows), first_s=rows[0][0],
            last_s=rows[-1][0] + rows[-1][1], typical_value=typical,
            low=r.check.min, high=r.check.max, unit=r.check.measure.unit))
    out.sort(key=lambda b: -b.seconds)
    return out[:top_n]


def _hold_attempts(frames: Sequence[FrameResult]) -> list[HoldAttempt]:
    attempts: list[HoldAttempt] = []
    start: float | None = None
    best = 0.0
    side: str | None = None
    last_t = 0.0
    for f in frames:
        p = f.progress
        if "hold_started" in f.events and start is None:
            start, best, side = f.t_s, 0.0, p.side
        if start is not None:
            best = max(best, p.hold_s)
            last_t = f.t_s
        if "hold_done" in f.events and p.holds:
            h_side, h_start, h_dur = p.holds[-1]
            attempts.append(HoldAttempt(h_side or None, h_start, f.t_s, h_dur, True))
            start, best = None, 0.0
        elif "hold_reset" in f.events and start is not None:
            if best >= MIN_ATTEMPT_S:
                attempts.append(HoldAttempt(side, start, f.t_s, best, False))
            start, best = None, 0.0
    if start is not None and best >= MIN_ATTEMPT_S:
        attempts.append(HoldAttempt(side, start, last_t, best, False))
    return attempts


def summarize(
    frames: Sequence[FrameResult],
    stretch: Stretch,
    timestamps_s: np.ndarray,
    *,
    dosage_index: int = 0,
) -> Summary:
    """Condense per-frame results into the numbers a report gives."""
    t = np.asarray(timestamps_s, dtype=np.float64)
    durations = frame_durations_s(t)
    dosage = stretch.dosages[dosage_index]
    status = [f.status for f in frames]

    def seconds(mask: Sequence[bool]) -> float:
        return float(np.sum(durations[np.asarray(mask, dtype=bool)])) if len(mask) else 0.0

    last = frames[-1].progress if frames else None
    sides = tuple(last.sets_done) if last is not None else ("",)
    reps_total = last.reps_total if last else 0
    reps_fault = last.reps_with_fault if last else 0
    rep_times = tuple(
        (f.t_s, ev == "rep") for f in frames for ev in f.events if ev in ("rep", "rep_with_fault")
    )
    n_sides = len(sides) if dosage.per_side else 1
    return Summary(
        stretch_id=stretch.id,
        stretch_name=stretch.name,
        dosage_index=dosage_index,
        dosage_text=dosage.describe(),
        dosage_kind=dosage.kind,
        per_side=dosage.per_side,
        sides=tuple(s for s in sides if s),
        frames=len(frames),
        start_s=float(t[0]) if len(t) else 0.0,
        end_s=float(t[-1] + durations[-1]) if len(t) else 0.0,
        total_s=float(durations.sum()),
        visible_s=seconds(
            [not (nobody(f) or joints_hidden(f) or f.status == Status.WRONG_VIEW) for f in frames]
        ),
        in_position_s=seconds([in_position(f) for f in frames]),
        correct_s=seconds([correct_form(f) for f in frames]),
        no_person_s=seconds([nobody(f) for f in frames]),
        not_visible_s=seconds([joints_hidden(f) for f in frames]),
        wrong_view_s=seconds([s == Status.WRONG_VIEW for s in status]),
        holds_target=dosage.sets * n_sides if dosage.kind == "hold" else 0,
        hold_target_s=dosage.hold_s,
        holds=tuple(_hold_attempts(frames)) if dosage.kind == "hold" else (),
        reps_target=dosage.reps * dosage.sets if dosage.kind == "reps" else 0,
        reps_total=reps_total,
        reps_good=reps_total - reps_fault,
        reps_with_fault=reps_fault,
        rep_times_s=rep_times,
        complete=bool(last.complete) if last else False,
        faults=tuple(find_fault_episodes(frames, stretch, t)),
        checks=stretch.checks,
        position_blockers=tuple(position_blockers(frames, t)),
        rep_checks=stretch.reps.defining if stretch.reps and dosage.kind == "reps" else (),
    )


def run_engine(
    timestamps_s: Sequence[float] | np.ndarray,
    poses: Sequence[Pose | None],
    stretch: Stretch,
    *,
    dosage_index: int = 0,
) -> list[FrameResult]:
    """Feed every pose to a fresh :class:`StretchChecker`, in order."""
    checker = StretchChecker(stretch, dosage_index=dosage_index)
    return [checker.update(p, float(t)) for p, t in zip(poses, timestamps_s, strict=True)]


def check_dosage_index(stretch: Stretch, dosage_index: int) -> None:
    if not 0 <= dosage_index < len(stretch.dosages):
        options = "; ".join(f"{i + 1}: {d.describe()}" for i, d in enumerate(stretch.dosages))
        raise AnalysisError(
            f"{stretch.id} has no dosage option {dosage_index + 1} (options: {options})"
        )


def analyze_sequence(
    sequence: PoseSequenceLike,
    stretch: Stretch,
    *,
    dosage_index: int = 0,
) -> Analysis:
    """Per-frame results and summary for a pose sequence. Pure: no files, no model."""
    check_dosage_index(stretch, dosage_index)
    t = np.asarray(sequence.timestamps_s, dtype=np.float64)
    poses = list(sequence.poses)
    frames = run_engine(t, poses, stretch, dosage_index=dosage_index)
    summary = summarize(frames, stretch, t, dosage_index=dosage_index)
    return Analysis(stretch, t, poses, frames, summary)
