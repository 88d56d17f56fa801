"""Tuning a stretch's ranges from demonstration recordings (pure logic, numpy only).

A physiotherapist records the stretch done the way they want it; each
recording's poses go through the checking engine, and each check's measure is
collected over **the held part** of the recordings:

* the engine can judge the person (someone in view, the stretch's body parts
  visible, the camera view right), and
* every required *position* check other than the one measured is OK under
  the ranges being edited (the same checks the engine uses to decide whether
  the person is in the stretch) (so a position check being tuned is not limited by its own
  current range, only by the others), and
* a required position check being measured is looked for at most
  ``SEARCH`` (degrees, or %) beyond its current range: without that limit the
  start position (on hands and knees before the leg goes back, kneeling
  upright before sitting back) would be taken for the stretch, and
* the pose is still: over a window of ``STILL_WINDOW_S`` the position
  checks' measures and the measured check's own value move less than
  ``STILL_TOLERANCE`` (degrees, or % for height measures). This leaves out
  getting into and out of the stretch. In a repetition stretch the check that
  counts repetitions is expected to move, so it is left out of the stillness
  test, and only its stretch phase counts (values past the middle of the
  travel seen, toward the check's range).

A proposal is the 5th to 95th percentile of those values widened by a margin,
on the side(s) the check already has, and clipped to what the measure can
reach. :func:`evaluate_ranges` replays recordings under any set of ranges to
count the frames each check passes and the holds or repetitions completed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from posecheck.engine import Status, StretchChecker
from posecheck.pose import Pose
from posecheck.reference import Check, Dosage, Stretch
from posecheck.verdicts import Verdict

logger = logging.getLogger(__name__)

DEFAULT_MARGIN = 5.0  # in the check's unit: degrees, or % of torso length
LOW_PERCENTILE = 5.0
HIGH_PERCENTILE = 95.0
MIN_SAMPLES = 15
STILL_WINDOW_S = 1.0
STILL_TOLERANCE = 10.0
SEARCH = 20.0
# Frames where the engine judged the person (vs. nobody, hidden parts, wrong view).
_UNSEEN = (Status.NO_PERSON, Status.NOT_VISIBLE, Status.WRONG_VIEW)
# A run never finishes its dosage, so every hold/rep in a recording is counted.
_MANY_SETS = 1_000_000

Ranges = Mapping[str, tuple[float | None, float | None]]


class PoseSource(Protocol):
    """Anything with per-frame poses and timestamps (e.g. a ``PoseSequence``)."""

    timestamps_s: np.ndarray
    poses: list[Pose | None]


# ---------------------------------------------------------------- ranges


def measure_reach(check: Check) -> tuple[float | None, float | None]:
    """The values a check's measure can take; None where unbounded.

    Matches the limits ``posecheck validate`` enforces: angles 0-180,
    inclinations 0-90, elevations and leans -90-90 degrees. Height measures
    (% of torso length) and relative checks have no fixed reach.
    """
    if check.relative or check.measure.unit != "deg":
        return None, None
    kind = check.measure.kind
    high = 180.0 if kind == "angle" else 90.0
    low = 0.0 if kind in ("angle", "inclination") else -high
    return low, high


def apply_overrides(stretch: Stretch, overrides: Ranges, return_at: float | None = None
                    ) -> Stretch:
    """``stretch`` with some checks' (min, max) replaced. Not validated here."""
    checks = tuple(
        c.with_range(*overrides[c.id]) if c.id in overrides else c for c in stretch.checks
    )
    reps = stretch.reps
    if reps is not None and return_at is not None:
        reps = replace(reps, return_at=return_at)
    return replace(stretch, checks=checks, reps=reps)


def ranges_of(stretch: Stretch) -> dict[str, tuple[float | None, float | None]]:
    """Every check's (min, max)."""
    return {c.id: (c.min, c.max) for c in stretch.checks}


def format_range(low: float | None, high: float | None, unit: str = "deg") -> str:
    """A range for people: '<= 60°', '>= 110°', '35-120°'."""
    sym = "°" if unit == "deg" else " %"
    if low is not None and high is not None:
        return f"{low:g}–{high:g}{sym}"
    if high is not None:
        return f"≤ {high:g}{sym}"
    if low is not None:
        return f"≥ {low:g}{sym}"
    return "—"


# ---------------------------------------------------------------- engine runs


@dataclass(frozen=True)
class Run:
    """One recording replayed through the engine under one set of ranges."""

    name: str
    timestamps_s: np.ndarray
    values: Mapping[str, np.ndarray]  # per check; NaN where unknown
    verdicts: Mapping[str, tuple[Verdict, ...]]
    seen: np.ndarray  # the engine could judge the person in this frame
    present: np.ndarray  # a person was found (whatever the ranges)
    good: np.ndarray  # status GOOD: the form counts toward the hold/reps
    holds_done: int
    longest_hold_s: float
    reps_total: int
    reps_good: int

    def __len__(self) -> int:
        return len(self.timestamps_s)


def counting_stretch(stretch: Stretch) -> Stretch:
    """The stretch with a dosage that never ends or rests, for counting holds/reps.

    Sides are not enforced: a demonstration of either side counts.
    """
    d = stretch.dosage
    counting = Dosage(kind=d.kind, sets=_MANY_SETS, hold_s=d.hold_s, reps=d.reps, rest_s=0.0,
                      per_side=False, alternate=False, label=d.label)
    return replace(stretch, dosages=(counting,))


def run_engine(sequence: PoseSource, stretch: Stretch, name: str = "") -> Run:
    """Feed a recording's poses through :class:`StretchChecker`, frame by frame."""
    checker = StretchChecker(counting_stretch(stretch), smooth=True)
    n = len(sequence.poses)
    values = {c.id: np.full(n, np.nan) for c in stretch.checks}
    verdicts: dict[str, list[Verdict]] = {c.id: [] for c in stretch.checks}
    seen = np.zeros(n, dtype=bool)
    good = np.zeros(n, dtype=bool)
    holds = reps_total = reps_good = 0
    longest = 0.0
    for i, (pose, t_s) in enumerate(zip(sequence.poses, sequence.timestamps_s, strict=True)):
        fr = checker.update(pose, float(t_s))
        by_id = {r.check.id: r for r in fr.checks}
        for c in stretch.checks:
            r = by_id.get(c.id)
            if r is not None and r.value is not None:
                values[c.id][i] = r.value
            verdicts[c.id].append(r.verdict if r is not None else Verdict.UNKNOWN)
        seen[i] = fr.status not in _UNSEEN
        good[i] = fr.status == Status.GOOD
        longest = max(longest, fr.progress.hold_s)
        holds += fr.events.count("hold_done")
        reps_good += fr.events.count("rep")
        reps_total += fr.events.count("rep") + fr.events.count("rep_with_fault")
    if holds:
        longest = max(longest, stretch.dosage.hold_s)
    return Run(
        name=name,
        timestamps_s=np.asarray(sequence.timestamps_s, dtype=np.float64),
        values=values,
        verdicts={k: tuple(v) for k, v in verdicts.items()},
        seen=seen,
        present=np.array([p is not None for p in sequence.poses], dtype=bool),
        good=good,
        holds_done=holds,
        longest_hold_s=float(longest),
        reps_total=reps_total,
        reps_good=reps_good,
    )


def still_mask(t_s: np.ndarray, series: Sequence[np.ndarray], window_s: float = STILL_WINDOW_S,
               tolerance: float = STILL_TOLERANCE) -> np.ndarray:
    """True where every series moves less than ``tolerance`` within ±window_s/2.

    Unknown values (NaN) are ignored; a frame whose window holds no known
    value of a series is not still (nothing says it is).
    """
    t_s = np.asarray(t_s, dtype=np.float64)
    n = len(t_s)
    out = np.ones(n, dtype=bool)
    if n == 0:
        return out
    lo = np.searchsorted(t_s, t_s - window_s / 2, side="left")
    hi = np.searchsorted(t_s, t_s + window_s / 2, side="right")
    for s in series:
        s = np.asarray(s, dtype=np.float64)
        for i in range(n):
            w = s[lo[i]:hi[i]]
            w = w[np.isfinite(w)]
            if w.size == 0 or float(w.max() - w.min()) > tolerance:
                out[i] = False
    return out


def held_mask(run: Run, stretch: Stretch, check_id: str, *,
              window_s: float = STILL_WINDOW_S, tolerance: float = STILL_TOLERANCE,
              search: float = SEARCH) -> np.ndarray:
    """Frames of ``run`` in the held part for measuring ``check_id`` (see module doc)."""
    values = run.values[check_id]
    mask = run.seen & np.isfinite(values)
    check = stretch.check(check_id)
    if check.role == "position" and check.required:
        with np.errstate(invalid="ignore"):
            if check.min is not None:
                mask &= values >= check.min - search
            if check.max is not None:
                mask &= values <= check.max + search
    positions = [c.id for c in stretch.checks if c.role == "position" and c.required]
    for pid in positions:
        if pid != check_id:
            mask &= np.array([v == Verdict.OK for v in run.verdicts[pid]], dtype=bool)
    rep_check = stretch.reps.check if stretch.reps is not None else None
    moving = {pid for pid in positions if pid != rep_check}
    if check_id != rep_check:
        moving.add(check_id)
    if moving and mask.any():
        mask &= still_mask(run.timestamps_s, [run.values[c] for c in sorted(moving)],
                           window_s, tolerance)
    return mask


def held_values(runs: Sequence[Run], stretch: Stretch, check_id: str) -> np.ndarray:
    """A check's values over the held part of every run, the rep check's stretch phase only."""
    parts = [r.values[check_id][held_mask(r, stretch, check_id)] for r in runs]
    values = np.concatenate(parts) if parts else np.zeros(0)
    if stretch.reps is not None and stretch.reps.check == check_id and values.size:
        values = _stretch_phase(values, stretch.check(check_id))
    return values


def _stretch_phase(values: np.ndarray, check: Check) -> np.ndarray:
    """Values past the middle of the travel seen, on the side of the check's range."""
    low, high = np.percentile(values, [LOW_PERCENTILE, HIGH_PERCENTILE])
    middle = (low + high) / 2
    return values[values >= middle] if check.min is not None else values[values <= middle]


# ---------------------------------------------------------------- proposals


@dataclass(frozen=True)
class Proposal:
    """A proposed (min, max) for one check; both None with a ``reason`` when none."""

    check_id: str
    min: float | None
    max: float | None
    samples: int
    reason: str = ""
    percentiles: tuple[float, float] | None = None

    @property
    def ok(self) -> bool:
        return self.min is not None or self.max is not None

    @property
    def range(self) -> tuple[float | None, float | None]:
        return self.min, self.max


def _round(value: float) -> float:
    return round(value * 2) / 2  # half-unit steps: precise enough, easy to read


def _why_no_rep_range(reached: float, past: bool, margin: float) -> str:
    """Why a repetition check got no proposal: the movement, or only the margin."""
    if past and margin > 0:
        return (f"the repetitions shown reach {reached:.1f}, past the return point, but the "
                f"margin of {margin:g} takes the range beyond it; a smaller margin gives a "
                "proposal")
    return "the repetitions shown are too small"


def propose_range(
    values: np.ndarray | Sequence[float],
    current: Check,
    margin: float = DEFAULT_MARGIN,
    *,
    low_percentile: float = LOW_PERCENTILE,
    high_percentile: float = HIGH_PERCENTILE,
    min_samples: int = MIN_SAMPLES,
    return_at: float | None = None,
    widen_only: bool = False,
) -> Proposal:
    """A range covering the demonstrated values, widened by ``margin``.

    Robust percentiles (default 5th-95th) keep a few bad frames from moving
    the range. Only the sides ``current`` has are proposed (a check with only
    ``max`` gets only a max); values are clipped to the measure's reach and
    rounded to half a unit. ``return_at`` (a repetition check's return point)
    must stay outside the proposed range, or there is no proposal. With
    ``widen_only`` a bound only ever moves outward: the current bound is kept
    where the demonstration stays inside it.
    """
    if margin < 0 or not math.isfinite(margin):
        raise ValueError(f"margin must be a non-negative number, got {margin}")
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < min_samples:
        return Proposal(current.id, None, None, int(v.size),
                        f"only {v.size} held frame(s) measured; need at least {min_samples}")
    p_low, p_high = (float(x) for x in np.percentile(v, [low_percentile, high_percentile]))
    reach_low, reach_high = measure_reach(current)
    low = _round(p_low - margin) if current.min is not None else None
    high = _round(p_high + margin) if current.max is not None else None
    if low is not None and reach_low is not None:
        low = min(max(low, reach_low), reach_high if reach_high is not None else low)
    if high is not None and reach_high is not None:
        high = max(min(high, reach_high), reach_low if reach_low is not None else high)
    if widen_only:
        low = min(low, current.min) if low is not None and current.min is not None else low
        high = max(high, current.max) if high is not None and current.max is not None else high
    if low is not None and high is not None and low >= high:
        middle = (low + high) / 2
        low, high = _round(middle - 0.5), _round(middle + 0.5)
    if return_at is not None:
        if low is not None and high is None and return_at >= low:
            return Proposal(current.id, None, None, int(v.size),
                            f"proposed min {low:g} is not above the return point "
                            f"{return_at:g}: "
                            + _why_no_rep_range(p_low, p_low > return_at, margin),
                            (p_low, p_high))
        if high is not None and low is None and return_at <= high:
            return Proposal(current.id, None, None, int(v.size),
                            f"proposed max {high:g} is not below the return point "
                            f"{return_at:g}: "
                            + _why_no_rep_range(p_high, p_high < return_at, margin),
                            (p_low, p_high))
    return Proposal(current.id, low, high, int(v.size), "", (p_low, p_high))


def propose_all(runs: Sequence[Run], stretch: Stretch, margin: float = DEFAULT_MARGIN, *,
                widen_only: bool = False) -> dict[str, Proposal]:
    """A proposal for every check of ``stretch`` from the runs' held parts."""
    out = {}
    for c in stretch.checks:
        return_at = stretch.reps.return_at if stretch.reps and stretch.reps.check == c.id \
            else None
        out[c.id] = propose_range(held_values(runs, stretch, c.id), c, margin,
                                  return_at=return_at, widen_only=widen_only)
    return out


def proposal_overrides(proposals: Mapping[str, Proposal]) -> dict[str, tuple[float | None,
                                                                               float | None]]:
    """The ranges of the proposals that exist, as overrides."""
    return {cid: p.range for cid, p in proposals.items() if p.ok}


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class CheckCount:
    """How one check fared: frames measured, frames within range, held frames.

    ``frames_known`` counts frames with a person whose measure was known, which
    does not depend on the ranges, so counts under different ranges compare.
    """

    check_id: str
    frames_ok: int
    frames_known: int
    held_ok: int
    held_known: int

    @property
    def fraction_ok(self) -> float | None:
        return self.frames_ok / self.frames_known if self.frames_known else None


@dataclass(frozen=True)
class Evaluation:
    """Counts over all recordings under one set of ranges."""

    checks: Mapping[str, CheckCount]
    frames: int
    frames_seen: int
    frames_good: int
    holds_done: int
    longest_hold_s: float
    hold_target_s: float
    reps_total: int
    reps_good: int
    kind: str
    runs: tuple[Run, ...] = field(default_factory=tuple, repr=False)


def evaluate_runs(runs: Sequence[Run], stretch: Stretch) -> Evaluation:
    """Counts from runs already made with ``stretch``'s ranges."""
    counts = {}
    for c in stretch.checks:
        ok = known = held_ok = held_known = 0
        for r in runs:
            verdicts = np.array([v == Verdict.OK for v in r.verdicts[c.id]], dtype=bool)
            judged = r.present & np.isfinite(r.values[c.id])
            held = held_mask(r, stretch, c.id)
            ok += int((verdicts & judged).sum())
            known += int(judged.sum())
            held_ok += int((verdicts & held).sum())
            held_known += int(held.sum())
        counts[c.id] = CheckCount(c.id, ok, known, held_ok, held_known)
    return Evaluation(
        checks=counts,
        frames=sum(len(r) for r in runs),
        frames_seen=sum(int(r.seen.sum()) for r in runs),
        frames_good=sum(int(r.good.sum()) for r in runs),
        holds_done=sum(r.holds_done for r in runs),
        longest_hold_s=max((r.longest_hold_s for r in runs), default=0.0),
        hold_target_s=stretch.dosage.hold_s,
        reps_total=sum(r.reps_total for r in runs),
        reps_good=sum(r.reps_good for r in runs),
        kind=stretch.dosage.kind,
        runs=tuple(runs),
    )


def evaluate_ranges(
    sequences: Sequence[PoseSource],
    stretch: Stretch,
    overrides: Ranges | None = None,
    *,
    return_at: float | None = None,
    names: Sequence[str] | None = None,
) -> Evaluation:
    """Replay recordings with ``overrides`` applied to ``stretch`` and count what passes."""
    edited = apply_overrides(stretch, overrides or {}, return_at)
    names = list(names) if names is not None else [f"recording {i + 1}"
                                                   for i in range(len(sequences))]
    runs = [run_engine(s, edited, n) for s, n in zip(sequences, names, strict=True)]
    return evaluate_runs(runs, edited)


def compare_ranges(
    sequences: Sequence[PoseSource],
    stretch: Stretch,
    configurations: Mapping[str, Ranges],
    names: Sequence[str] | None = None,
) -> dict[str, Evaluation]:
    """:func:`evaluate_ranges` for several named sets of ranges (e.g. shipped/edit/proposal)."""
    return {label: evaluate_ranges(sequences, stretch, ranges, names=names)
            for label, ranges in configurations.items()}


# ---------------------------------------------------------------- worst frame


@dataclass(frozen=True)
class WorstFrame:
    """The frame where a check is farthest outside (or closest to leaving) its range."""

    run_index: int
    frame_index: int
    t_s: float
    value: float
    excess: float  # how far outside the range; negative: inside by that much


def _excess(values: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    out = np.full(values.shape, -np.inf)
    if low is not None:
        out = np.maximum(out, low - values)
    if high is not None:
        out = np.maximum(out, values - high)
    return out


def worst_frame(runs: Sequence[Run], stretch: Stretch, check_id: str,
                rng: tuple[float | None, float | None] | None = None, *,
                held_only: bool = True) -> WorstFrame | None:
    """Where ``check_id`` is worst against ``rng`` (default: its range in ``stretch``).

    Only the held part is searched (falling back to every judged frame when
    nothing is held, or when ``held_only`` is False). None when the check was
    never measured.
    """
    check = stretch.check(check_id)
    low, high = rng if rng is not None else (check.min, check.max)
    best: WorstFrame | None = None
    for pass_held in ((True, False) if held_only else (False,)):
        for ri, r in enumerate(runs):
            mask = held_mask(r, stretch, check_id) if pass_held else (
                r.seen & np.isfinite(r.values[check_id]))
            if not mask.any():
                continue
            ex = _excess(r.values[check_id], low, high)
            ex[~mask] = -np.inf
            i = int(np.argmax(ex))
            if best is None or ex[i] > best.excess:
                best = WorstFrame(ri, i, float(r.timestamps_s[i]), float(r.values[check_id][i]),
                                  float(ex[i]))
        if best is not None:
            return best
    return best
