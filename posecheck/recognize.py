"""Which library stretch is this? Name the best match for a few seconds of poses.

Each stretch's own checks are the recognizer: a frame matches a stretch when
every required check is met and most of its checks can be seen. The stretch
matching the largest share of frames wins, if that share is high enough and
clearly ahead of the runner-up; otherwise the answer is "none".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from posecheck.engine import StretchChecker
from posecheck.pose import Pose
from posecheck.reference import Stretch
from posecheck.verdicts import Verdict

# Weighted share of the frames with a person that must match the winner: a
# recording spends much of its time getting into and out of the stretch.
MIN_SHARE = 0.2
MIN_LEAD = 0.1  # over the runner-up


@dataclass(frozen=True)
class Recognition:
    stretch_id: str | None  # None: no library stretch matches
    scores: Mapping[str, float]  # share of frames matching, per stretch
    reason: str


def _frame_matches(checker: StretchChecker, pose: Pose, t_s: float) -> tuple[float, float]:
    """(how well the frame matches: 1, 0.5 with an optional check out, or 0; share met)."""
    results, _ = checker.judge(pose, t_s)
    known = [r for r in results if r.verdict != Verdict.UNKNOWN]
    if not known:
        return 0.0, 0.0
    met = sum(r.verdict == Verdict.OK for r in known) / len(results)
    required = [r for r in results if r.check.required and not r.check.relative]
    required_ok = all(r.verdict == Verdict.OK for r in required)
    enough_seen = len(known) >= 0.6 * len(results)
    if not (required_ok and enough_seen and checker.view_ok(pose)):
        return 0.0, met
    # An optional check seen out of range (a tip) makes the match weaker, not void.
    tips = any(r.verdict.is_fault for r in results if not r.check.relative)
    return (0.5 if tips else 1.0), met


def recognize(
    poses: Sequence[Pose | None],
    timestamps_s: Sequence[float],
    library: Mapping[str, Stretch],
    max_frames: int = 150,
) -> Recognition:
    """The library stretch these poses show, or none. Uses at most ``max_frames`` frames."""
    frames = [(p, t) for p, t in zip(poses, timestamps_s, strict=True) if p is not None]
    if not frames:
        return Recognition(None, {}, "nobody was seen")
    step = max(1, len(frames) // max_frames)
    frames = frames[::step]
    scores: dict[str, float] = {}
    tiebreak: dict[str, float] = {}
    for stretch_id, stretch in library.items():
        checker = StretchChecker(stretch, smooth=False)
        matches = [_frame_matches(checker, p, t) for p, t in frames]
        scores[stretch_id] = sum(m for m, _ in matches) / len(frames)
        tiebreak[stretch_id] = sum(s for _, s in matches) / len(frames)
    ranked = sorted(scores, key=lambda s: (scores[s], tiebreak[s]), reverse=True)
    best = ranked[0]
    runner_up = scores[ranked[1]] if len(ranked) > 1 else 0.0
    if scores[best] < MIN_SHARE:
        return Recognition(None, scores, f"no stretch matched well enough (best: {best}, "
                           f"{scores[best]:.0%} of frames)")
    if scores[best] - runner_up < MIN_LEAD and tiebreak[best] - tiebreak[ranked[1]] < 0.05:
        return Recognition(None, scores, f"{best} and {ranked[1]} match about equally")
    return Recognition(best, scores, f"{best} matched {scores[best]:.0%} of frames")
