"""Analysing a recorded session: poses in, per-frame verdicts and a summary out.

The pure part, :func:`analyze_sequence`, takes timestamps and poses (a
:class:`~posecheck.landmark_cache.PoseSequence` or anything with the same two
fields) and a :class:`~posecheck.reference.Stretch`, runs the checking engine
frame by frame and condenses the result into a :class:`Summary`: holds and
repetitions against the dosage, time in correct form, fault episodes with
their worst values, and time with nobody or hidden joints. It touches no
files, so tuning and tests use it directly.

:func:`analyze_video` is the file-level pipeline behind ``posecheck analyze``
and the analysis page: landmarks (from the cache when possible), the engine,
then the outputs (annotated MP4, CSV, JSON, Markdown, plot) in one folder.
"""

from __future__ import annotations

import csv
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from posecheck.engine import FrameResult, Status, StretchChecker
from posecheck.errors import PosecheckError
from posecheck.pose import LANDMARK_INDEX, Pose
from posecheck.reference import Check, Stretch, alternatives

logger = logging.getLogger(__name__)

# Fault episodes closer than this are one episode; shorter ones are noise.
MERGE_GAP_S = 0.5
MIN_EPISODE_S = 0.3
# Hold attempts shorter than this are not listed.
MIN_ATTEMPT_S = 0.5
# Longest side of the annotated video.
DEFAULT_VIDEO_MAX_SIDE_PX = 1280

OUTPUT_NAMES: dict[str, str] = {
    "video": "annotated.mp4",
    "csv": "frames.csv",
    "json": "summary.json",
    "markdown": "report.md",
    "plot": "plot.png",
}

_HIDDEN = (Status.NO_PERSON, Status.NOT_VISIBLE, Status.WRONG_VIEW)

# Called as progress(stage, done, total_or_None); stage is "landmarks" or "video".
StageProgress = Callable[[str, int, int | None], None]


class AnalysisError(PosecheckError):
    """A video cannot be analysed as asked (no stretch recognised, outputs exist, ...)."""


class StretchNotRecognizedError(AnalysisError):
    """``--stretch auto`` found no library stretch in the recording.

    Carries the closest stretch so each front end can say it in its own words.
    """

    def __init__(self, video: Path, reason: str, closest_id: str | None,
                 closest_score: float | None) -> None:
        self.video = Path(video)
        self.reason = reason
        self.closest_id = closest_id
        self.closest_score = closest_score
        why = f": {reason}" if reason else ""
        super().__init__(f"could not recognise the stretch in {video}{why}; pass --stretch ID")


class PoseSequenceLike(Protocol):
    timestamps_s: Sequence[float] | np.ndarray
    poses: Sequence[Pose | None]


# ---------------------------------------------------------------- summary types


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


# ---------------------------------------------------------------- the pure part


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


# ---------------------------------------------------------------- CSV


def csv_landmarks(stretch: Stretch) -> list[str]:
    """Sided landmark names the checks and the visibility rule can use, in model order."""
    parts: set[str] = set(stretch.visible)
    for check in stretch.checks:
        parts.update(a for p in check.measure.points for a in alternatives(p))
    if stretch.sides is not None:
        parts.update(stretch.sides.measure.points)
    names: set[str] = set()
    for part in parts:
        if part in LANDMARK_INDEX:
            names.add(part)
        else:
            names.update((f"left_{part}", f"right_{part}"))
    return sorted(names, key=lambda n: LANDMARK_INDEX[n])


def _num(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.{digits}f}"


def csv_header(stretch: Stretch) -> list[str]:
    cols = ["time_s", "status", "cue", "cue_check"]
    for check in stretch.checks:
        cols += [f"{check.id}_value", f"{check.id}_verdict"]
    cols += ["in_position", "correct_form", "hold_s", "reps", "reps_with_fault", "sets_done",
             "side", "target_side", "events"]
    cols += [f"vis_{n}" for n in csv_landmarks(stretch)]
    return cols


def csv_rows(
    frames: Sequence[FrameResult], poses: Sequence[Pose | None], stretch: Stretch
) -> Iterator[list[str]]:
    """One row per frame; unknown values are empty cells, never 0."""
    landmarks = [LANDMARK_INDEX[n] for n in csv_landmarks(stretch)]
    n_checks = len(stretch.checks)
    for f, raw in zip(frames, poses, strict=True):
        row = [f"{f.t_s:.3f}", f.status.value, f.cue, f.cue_check or ""]
        if f.checks:
            for r in f.checks:
                row += [_num(r.value), r.verdict.value]
        else:
            row += ["", "unknown"] * n_checks
        p = f.progress
        row += [
            str(int(in_position(f))),
            str(int(correct_form(f))),
            f"{p.hold_s:.2f}" if p.kind == "hold" else "",
            str(p.reps_total - p.reps_with_fault) if p.kind == "reps" else "",
            str(p.reps_with_fault) if p.kind == "reps" else "",
            str(sum(p.sets_done.values())),
            f.active_side or "",
            p.side or "",
            " ".join(f.events),
        ]
        row += [_num(raw.visibility[i], 3) if raw is not None else "" for i in landmarks]
        yield row


def write_csv(analysis: Analysis, path: Path | str) -> Path:
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(csv_header(analysis.stretch))
        writer.writerows(csv_rows(analysis.frames, analysis.poses, analysis.stretch))
    return path


# ---------------------------------------------------------------- the video pipeline


@dataclass
class VideoAnalysis:
    """What :func:`analyze_video` produced for one file."""

    video: Path
    out_dir: Path
    analysis: Analysis
    outputs: dict[str, Path]
    summary_dict: dict[str, Any]
    from_cache: bool
    timings_s: dict[str, float] = field(default_factory=dict)


def output_paths(out_dir: Path, *, video: bool = True) -> dict[str, Path]:
    return {k: out_dir / v for k, v in OUTPUT_NAMES.items() if video or k != "video"}


def existing_outputs(out_dir: Path, *, video: bool = True) -> list[Path]:
    return [p for p in output_paths(out_dir, video=video).values() if p.exists()]


def _load_stretch(stretch_id: str, profile: str | None) -> Stretch:
    try:
        from posecheck.profiles import resolve_stretch
    except ImportError:
        from posecheck.reference import load_stretch

        if profile is not None:
            raise AnalysisError("profiles are not available in this installation") from None
        return load_stretch(stretch_id)
    return resolve_stretch(stretch_id, profile)


@dataclass(frozen=True)
class Recognized:
    stretch_id: str | None
    scores: Mapping[str, float]
    reason: str


def recognize_poses(timestamps_s: np.ndarray, poses: Sequence[Pose | None]) -> Recognized:
    """Which library stretch the poses show (``--stretch auto``)."""
    from posecheck import recognize as rec
    from posecheck.reference import load_library

    library = load_library()
    fn = getattr(rec, "recognize_stretch", None)
    if fn is not None:
        out = fn(list(poses), list(timestamps_s), library)
        if isinstance(out, tuple):
            stretch_id, scores = out
            return Recognized(stretch_id, dict(scores), "")
        return Recognized(out.stretch_id, dict(out.scores), getattr(out, "reason", ""))
    out = rec.recognize(list(poses), list(timestamps_s), library)
    return Recognized(out.stretch_id, dict(out.scores), out.reason)


def _prefetch(iterator: Iterator[Any], depth: int = 8) -> Iterator[Any]:
    """Run ``iterator`` in a thread, ``depth`` items ahead (decoding overlaps drawing)."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # handed to the consumer, re-raised there
            q.put(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def write_annotated_video(
    video_path: Path,
    analysis: Analysis,
    out_path: Path,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    fps: float | None = None,
    max_side_px: int | None = DEFAULT_VIDEO_MAX_SIDE_PX,
    progress: StageProgress | None = None,
    preset: str = "veryfast",
    timings_s: dict[str, float] | None = None,
) -> int:
    """Draw every analysed frame's feedback and write an H.264 MP4; returns frames written.

    Frames are matched to results by timestamp order; both come from the same
    decoder with the same range, so they line up one to one.
    """
    from posecheck.overlay import draw_feedback
    from posecheck.video_io import Mp4Writer, iter_video_frames

    frames = analysis.frames
    total = len(frames)
    t0 = analysis.timestamps_s[0] if total else 0.0
    uniform = fps is not None and total > 1 and _is_uniform(analysis.timestamps_s, fps)
    writer = Mp4Writer(out_path, fps=fps if uniform else None, preset=preset)
    timings = timings_s if timings_s is not None else {}
    decode_s = draw_s = encode_s = 0.0
    written = 0
    try:
        source = _prefetch(
            iter_video_frames(video_path, start_s=start_s, end_s=end_s, max_side_px=max_side_px)
        )
        tick = time.perf_counter()
        for rgb, t_s in source:
            now = time.perf_counter()
            decode_s += now - tick
            if written >= total:
                logger.warning("%s: more frames than analysed; extra frames dropped", video_path)
                break
            result = frames[written]
            if abs(result.t_s - t_s) > 1e-3:
                logger.debug("frame %d time %.4f vs analysed %.4f", written, t_s, result.t_s)
            img = draw_feedback(rgb, result, analysis.stretch)
            tick = time.perf_counter()
            draw_s += tick - now
            writer.write(img, None if uniform else float(t_s - t0))
            written += 1
            now2 = time.perf_counter()
            encode_s += now2 - tick
            tick = now2
            if progress is not None:
                progress("video", written, total)
        tick = time.perf_counter()
        writer.close()
        encode_s += time.perf_counter() - tick
    except BaseException:
        writer.abort()
        raise
    timings["video_decode_wait_s"] = decode_s
    timings["overlay_s"] = draw_s
    timings["encode_s"] = encode_s
    if written != total:
        logger.warning("%s: wrote %d annotated frames for %d analysed", video_path, written, total)
    return written


def _is_uniform(timestamps_s: np.ndarray, fps: float) -> bool:
    gaps = np.diff(np.asarray(timestamps_s, dtype=np.float64))
    return bool(len(gaps) and np.max(np.abs(gaps - 1.0 / fps)) < 0.25 / fps)


def analyze_video(
    video_path: Path | str,
    stretch: str | Stretch,
    out_dir: Path | str,
    *,
    model: str = "full",
    dosage_index: int = 0,
    profile: str | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    cache_dir: Path | str | None = None,
    write_video: bool = True,
    overwrite: bool = False,
    progress: StageProgress | None = None,
    video_max_side_px: int | None = DEFAULT_VIDEO_MAX_SIDE_PX,
    video_preset: str = "ultrafast",
) -> VideoAnalysis:
    """Analyse one video file and write every output into ``out_dir``.

    ``stretch`` is a stretch id, ``"auto"`` (recognise it from the poses) or
    a :class:`Stretch`. Raises :class:`~posecheck.errors.PosecheckError`
    subclasses for user mistakes (unreadable video, unknown stretch, outputs
    already there without ``overwrite``).
    """
    from posecheck import plots, report
    from posecheck.landmark_cache import load_or_estimate

    video_path = Path(video_path)
    out_dir = Path(out_dir)
    timings: dict[str, float] = {}
    if not overwrite:
        found = existing_outputs(out_dir, video=True)
        if found:
            raise AnalysisError(
                f"{found[0]} already exists; pass --overwrite to replace the outputs in {out_dir}"
            )
    resolved: Stretch | None = None
    if isinstance(stretch, Stretch):
        resolved = stretch
    elif stretch != "auto":
        resolved = _load_stretch(stretch, profile)  # fail early on a bad id
        check_dosage_index(resolved, dosage_index)

    def landmark_progress(done: int, total: int | None) -> None:
        if progress is not None:
            progress("landmarks", done, total)

    tick = time.perf_counter()
    sequence = load_or_estimate(
        video_path,
        model,
        cache_dir=cache_dir,
        start_s=start_s,
        end_s=end_s,
        progress=landmark_progress,
    )
    timings["landmarks_s"] = time.perf_counter() - tick
    if len(sequence) == 0:
        raise AnalysisError(f"no frames to analyse in {video_path} for the range given")
    recognized: Recognized | None = None
    if resolved is None:
        recognized = recognize_poses(sequence.timestamps_s, sequence.poses)
        if recognized.stretch_id is None:
            scores = dict(recognized.scores)
            closest = max(scores, key=lambda k: scores[k]) if scores else None
            raise StretchNotRecognizedError(
                video_path, recognized.reason, closest,
                scores.get(closest) if closest is not None else None)
        resolved = _load_stretch(recognized.stretch_id, profile)
        check_dosage_index(resolved, dosage_index)

    tick = time.perf_counter()
    analysis = analyze_sequence(sequence, resolved, dosage_index=dosage_index)
    timings["engine_s"] = time.perf_counter() - tick

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = output_paths(out_dir, video=write_video)
    tick = time.perf_counter()
    write_csv(analysis, paths["csv"])
    timings["csv_s"] = time.perf_counter() - tick
    if write_video:
        tick = time.perf_counter()
        written = write_annotated_video(
            video_path,
            analysis,
            paths["video"],
            start_s=start_s,
            end_s=end_s,
            fps=sequence.video_fps,
            max_side_px=video_max_side_px,
            progress=progress,
            preset=video_preset,
            timings_s=timings,
        )
        timings["video_s"] = time.perf_counter() - tick
        if written != len(analysis.frames):
            raise AnalysisError(
                f"{video_path}: decoded {written} frames for the video but analysed "
                f"{len(analysis.frames)}; the file may have changed during analysis"
            )
    tick = time.perf_counter()
    plots.plot_analysis(analysis, paths["plot"])
    timings["plot_s"] = time.perf_counter() - tick
    context = report.ReportContext(
        video=video_path,
        model_id=sequence.model_id,
        from_cache=sequence.from_cache,
        multi_person_frames=sequence.multi_person_frames,
        profile=profile,
        recognized_id=recognized.stretch_id if recognized else None,
        recognition_scores=dict(recognized.scores) if recognized else None,
        auto=recognized is not None,
        outputs={k: p.name for k, p in paths.items()},
        frame_size=sequence.frame_size,
    )
    summary_dict = report.summary_dict(analysis.summary, context)
    report.write_json(summary_dict, paths["json"])
    paths["markdown"].write_text(report.render_markdown(summary_dict), encoding="utf-8")
    return VideoAnalysis(
        video=video_path,
        out_dir=out_dir,
        analysis=analysis,
        outputs=paths,
        summary_dict=summary_dict,
        from_cache=sequence.from_cache,
        timings_s=timings,
    )
