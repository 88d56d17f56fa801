"""Judge one still image against a stretch: the pose, every check's verdict, the cue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from posecheck.engine import FrameResult, StretchChecker
from posecheck.pose import Pose
from posecheck.recognize import Recognition, recognize
from posecheck.reference import Stretch


@dataclass(frozen=True)
class ImageVerdict:
    path: Path
    stretch: Stretch
    pose: Pose | None
    result: FrameResult
    people_note: str | None = None
    recognition: Recognition | None = None


def judge_pose(pose: Pose | None, stretch: Stretch) -> FrameResult:
    """Verdicts for a single pose (no smoothing: a photo has no history)."""
    return StretchChecker(stretch, smooth=False).update(pose, 0.0)


def choose_stretch(pose: Pose | None, library: Mapping[str, Stretch]) -> Recognition:
    return recognize([pose], [0.0], library)


def format_verdict(v: ImageVerdict) -> str:
    """A plain-text report of one image's verdicts."""
    r = v.result
    lines = [f"{v.path}: {v.stretch.name} ({v.stretch.id})"]
    if v.recognition is not None:
        rec = v.recognition
        sure = f" (confidence {rec.confidence:.2f})" if rec.stretch_id else ""
        lines.append(f"  recognised: {rec.reason}{sure}")
    if v.people_note:
        lines.append(f"  note: {v.people_note}")
    lines.append(f"  status: {r.status.value.replace('_', ' ')}")
    lines.append(f"  cue: {r.cue}")
    for c in r.checks:
        unit = "%" if c.check.measure.unit == "%" else "°"
        value = "not visible" if c.value is None else f"{c.value:.0f}{unit}"
        low = "" if c.check.min is None else f"{c.check.min:g}"
        high = "" if c.check.max is None else f"{c.check.max:g}"
        flag = "" if c.check.required else " (optional)"
        lines.append(f"  {c.verdict.value:9s} {c.check.label}: {value} "
                     f"(allowed {low}..{high}{unit}){flag}")
    return "\n".join(lines)
