"""Split a recording into the stretches done one after another, with their times.

A pure function of the pose sequence: every frame is judged against the
library once (``recognize.evidence``), then recognition runs over a window
sliding along the recording. Each step of time takes the answer of the window
centred on it; runs of the same answer become segments, and a run shorter
than ``min_segment_s`` is merged into its neighbours, so a stretch is not
split by a moment of doubt. Time between stretches, or with nobody in view,
is a segment with ``stretch_id`` None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from posecheck.pose import Pose
from posecheck.recognize import FRAME_STEP_S, decide, evidence
from posecheck.reference import Stretch

WINDOW_S = 4.0  # long enough to see a repetition, short enough to follow a routine
STEP_S = 0.5
MIN_SEGMENT_S = 3.0


@dataclass(frozen=True)
class Segment:
    """One stretch (or none) from ``start_s`` to ``end_s``."""

    stretch_id: str | None  # None: no library stretch, a transition, or nobody in view
    start_s: float
    end_s: float
    confidence: float  # 0..1, the mean over the windows that named it

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class _Run:
    stretch_id: str | None
    start_s: float
    end_s: float
    confidences: list[float]

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def segment(
    timestamps_s: Sequence[float] | np.ndarray,
    poses: Sequence[Pose | None],
    stretches: Mapping[str, Stretch],
    *,
    window_s: float = WINDOW_S,
    step_s: float = STEP_S,
    min_segment_s: float = MIN_SEGMENT_S,
) -> list[Segment]:
    """The stretches a recording shows one after another, covering it from start to end.

    ``timestamps_s`` and ``poses`` are parallel (a pose None: nobody seen);
    ``stretches`` is the library to recognise from. Consecutive segments
    touch: each one's ``end_s`` is the next one's ``start_s``.
    """
    times = [float(t) for t in timestamps_s]
    if len(times) != len(poses):
        raise ValueError(f"{len(times)} timestamps but {len(poses)} poses")
    if not times:
        return []
    if window_s <= 0 or step_s <= 0 or min_segment_s < 0:
        raise ValueError("window_s and step_s must be positive, min_segment_s not negative")
    first, last = times[0], times[-1]
    if last <= first:
        ev = evidence(poses, times, stretches)
        if len(ev) == 0:
            return [Segment(None, first, last, 0.0)]
        found = decide(ev, stretches)
        return [Segment(found.stretch_id, first, last, found.confidence)]
    ev = evidence(poses, times, stretches, max_frames=None, min_step_s=FRAME_STEP_S)
    runs: list[_Run] = []
    centre = first
    while centre < last + 1e-9:
        lo = int(np.searchsorted(ev.times_s, centre - window_s / 2, side="left"))
        hi = int(np.searchsorted(ev.times_s, centre + window_s / 2, side="right"))
        found = decide(ev, stretches, lo, hi) if hi > lo else None
        label = found.stretch_id if found else None
        confidence = found.confidence if found else 0.0
        start, end = max(first, centre - step_s / 2), min(last, centre + step_s / 2)
        if runs and runs[-1].stretch_id == label:
            runs[-1].end_s = end
            runs[-1].confidences.append(confidence)
        else:
            runs.append(_Run(label, start, end, [confidence]))
        centre += step_s
    runs[-1].end_s = last
    runs = _merge_short(runs, min_segment_s)
    return [Segment(r.stretch_id, r.start_s, r.end_s, round(float(np.mean(r.confidences)), 3))
            for r in runs]


def _merge_short(runs: list[_Run], min_segment_s: float) -> list[_Run]:
    """Merge runs shorter than ``min_segment_s`` into their neighbours, shortest first.

    A short run between two runs of one stretch joins them; a short stretch
    run goes to its longer neighbour; a short gap between two different
    stretches stays (it is the change-over).
    """
    runs = list(runs)
    kept: set[int] = set()  # ids of short runs left as they are
    while True:
        short = [i for i, r in enumerate(runs)
                 if r.duration_s < min_segment_s and id(r) not in kept and len(runs) > 1]
        if not short:
            return runs
        i = min(short, key=lambda j: runs[j].duration_s)
        run = runs[i]
        before = runs[i - 1] if i > 0 else None
        after = runs[i + 1] if i + 1 < len(runs) else None
        if before and after and before.stretch_id == after.stretch_id:
            before.end_s = after.end_s
            before.confidences += run.confidences + after.confidences
            del runs[i:i + 2]
            continue
        if run.stretch_id is None and before and after:
            kept.add(id(run))
            continue
        neighbours = [n for n in (before, after) if n is not None]
        into = max(neighbours, key=lambda n: n.duration_s)
        into.start_s, into.end_s = min(into.start_s, run.start_s), max(into.end_s, run.end_s)
        if into.stretch_id == run.stretch_id:
            into.confidences += run.confidences
        del runs[i]
        # Merging can make two runs of one stretch neighbours: join them.
        j = 0
        while j + 1 < len(runs):
            if runs[j].stretch_id == runs[j + 1].stretch_id:
                runs[j].end_s = runs[j + 1].end_s
                runs[j].confidences += runs[j + 1].confidences
                del runs[j + 1]
            else:
                j += 1
