"""The per-frame table of an analysis (``frames.csv``).

One row per frame: status, cue, every check's value and verdict, the hold and
repetition counters and the visibility of the landmarks the checks use.
Unknown values are empty cells, never 0.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

from posecheck.engine import FrameResult
from posecheck.pose import LANDMARK_INDEX, Pose
from posecheck.reference import Stretch, alternatives
from posecheck.summarize import correct_form, in_position
from posecheck.summary import Analysis


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
