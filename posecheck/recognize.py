"""Which library stretch is this? Name the best match for a photo or a few seconds of poses.

A pure function of the pose sequence (timestamps and poses); no model, no clock.

Per frame, each stretch's own checks say whether the body is in the stretch
(every required position check met, most checks seen, the view right) or in
its start position (the same, except the check a repetition moves through:
a bridge's hips down between lifts). A stretch is then scored on the whole
stretch of time, by what separates look-alikes:

* **the posture**: how the body is placed (``[recognition] posture`` in the
  reference file: standing, sitting, kneeling, lying on the back or front,
  from ``posecheck.posture``). A frame whose body rules the posture out does
  not count for the stretch (a plank is not a standing backbend);
* **the movement over time**: the share of time the stretch explains, its
  position or its start position, so a bridge recording explains the hips
  down between lifts while a pelvic tilt explains only those; and parts that
  must stay still (``still``: a pelvic tilt barely moves the hips off the
  floor or the knees sideways, a bridge lifts the hips, a rotation lowers the
  knees), so a stretch whose still parts moved is ruled out;
* **how long the position is held**: the stretch's own position must be held
  for a moment (``MIN_HELD_S``), not crossed on the way to something else;
* **the view**: side-on or facing the camera, as each stretch's checks ask.

A photo is one frame: its movement and hold are unknown, never zero, so they
rule nothing out and the confidence is lower. The answer is "none" when no
stretch explains enough of the time or two explain it about equally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from posecheck import posture
from posecheck.engine import StretchChecker
from posecheck.pose import Pose
from posecheck.reference import Stretch
from posecheck.verdicts import Verdict

# A frame in the stretch counts 1, or this with an optional check out (a tip).
# One with a form fault counts nothing: counted, it let too many look-alikes
# in (a plank is a press-up with the hips up).
TIP_MATCH = 0.5
# Share of the time with a person the winner must explain: a recording spends
# some of it getting into and out of the stretch.
MIN_SHARE = 0.25
MIN_LEAD = 0.1  # over the runner-up
# The stretch's own position held at least this long (or half of a shorter window).
MIN_HELD_S = 1.0
# A part that should stay still has moved when its height spans more than
# this many torso lengths (10th to 90th percentile). A hip resting on the floor
# sits 0-0.15 above the floor line and a bridge lifts it to 0.35 and more;
# knees pointing up sit 0.6 and more above the shoulder-hip line, rolled to
# the side 0.45 and less. A tilt moves either by a few hundredths.
STILL_MAX = 0.2
# Movement is known only over at least this long, with this many frames seeing the part.
MIN_MOVEMENT_S = 1.0
MIN_MOVEMENT_FRAMES = 5
FRAME_STEP_S = 0.1
# A photo's answer cannot lean on movement or holding: its confidence is scaled down.
SINGLE_FRAME_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Recognition:
    stretch_id: str | None  # None: no library stretch matches
    scores: Mapping[str, float]  # share of the time each stretch explains (0 when ruled out)
    reason: str
    confidence: float = 0.0  # 0..1: how far ahead of the runner-up; lower for one frame
    runner_up: str | None = None


@dataclass(frozen=True)
class Evidence:
    """What each frame with a person says about each stretch (computed once per recording)."""

    times_s: np.ndarray  # the frames with a person
    match: Mapping[str, np.ndarray]  # 1 in the stretch, 0.5 with a tip, 0 not
    start: Mapping[str, np.ndarray]  # bool: in the stretch's start position
    met: Mapping[str, np.ndarray]  # share of the stretch's checks met (breaks ties)
    heights: Mapping[str, np.ndarray]  # part -> height in torso lengths, nan when unseen

    def __len__(self) -> int:
        return len(self.times_s)


def _frame(checker: StretchChecker, pose: Pose, t_s: float) -> tuple[float, bool, float]:
    """(match: 1, 0.5 with an optional check out, or 0; in the start position; share met)."""
    stretch = checker.stretch
    results, _ = checker.judge(pose, t_s)
    known = [r for r in results if r.verdict != Verdict.UNKNOWN]
    if not known:
        return 0.0, False, 0.0
    met = sum(r.verdict == Verdict.OK for r in known) / len(results)
    enough_seen = len(known) >= 0.6 * len(results)
    if not (enough_seen and checker.view_ok(pose)):
        return 0.0, False, met
    # A view check asks for a better view before judging the form; whether
    # the body is in the stretch is for the position checks to say.
    required = [r for r in results
                if r.check.required and not r.check.relative and r.check.role != "view"]
    if all(r.verdict == Verdict.OK for r in required):
        # An optional check seen out of range (a tip) makes the match weaker, not void.
        tips = any(r.verdict.is_fault for r in results if not r.check.relative)
        return (TIP_MATCH if tips else 1.0), False, met
    rep = stretch.reps.check if stretch.reps is not None else None
    position = [r for r in required if r.check.role == "position"]
    start = (rep is not None
             and any(r.check.id == rep and r.verdict.is_fault for r in position)
             and all(r.verdict == Verdict.OK for r in position if r.check.id != rep))
    return 0.0, start, met


def evidence(
    poses: Sequence[Pose | None],
    timestamps_s: Sequence[float],
    library: Mapping[str, Stretch],
    max_frames: int | None = 150,
    min_step_s: float = 0.0,
) -> Evidence:
    """Judge the frames with a person against every stretch.

    At most ``max_frames`` frames are used, evenly spread, and none closer
    than ``min_step_s`` to the previous one (a long recording need not be
    judged at its full frame rate).
    """
    frames = [(p, float(t)) for p, t in zip(poses, timestamps_s, strict=True) if p is not None]
    if min_step_s > 0:
        kept: list[tuple[Pose, float]] = []
        for p, t in frames:
            if not kept or t - kept[-1][1] >= min_step_s - 1e-6:
                kept.append((p, t))
        frames = kept
    if max_frames is not None and len(frames) > max_frames:
        frames = frames[:: -(-len(frames) // max_frames)]
    times = np.array([t for _, t in frames], dtype=float)
    match, start, met = {}, {}, {}
    ruled_out = [posture.ruled_out(p) for p, _ in frames]
    for stretch_id, stretch in library.items():
        checker = StretchChecker(stretch, smooth=False)
        rows = [_frame(checker, p, t) for p, t in frames]
        allowed = set(stretch.recognition.posture)
        if allowed:
            # A frame whose body rules out every posture the stretch allows counts for nothing.
            fits = [not allowed <= out for out in ruled_out]
            rows = [r if ok else (0.0, False, r[2]) for r, ok in zip(rows, fits, strict=True)]
        match[stretch_id] = np.array([r[0] for r in rows], dtype=float)
        start[stretch_id] = np.array([r[1] for r in rows], dtype=bool)
        met[stretch_id] = np.array([r[2] for r in rows], dtype=float)
    heights = {part: np.full(len(frames), np.nan) for part in posture.MOVING_PARTS}
    for i, (p, _) in enumerate(frames):
        for part, value in posture.part_heights(p).items():
            if value is not None:
                heights[part][i] = value
    return Evidence(times, match, start, met, heights)


def _longest_run_s(times_s: np.ndarray, on: np.ndarray) -> float:
    """The longest time ``on`` stays true, each frame lasting until the next."""
    if len(times_s) < 2:
        return 0.0
    step = float(np.median(np.diff(times_s)))
    best = run = 0.0
    for i in range(len(times_s)):
        if not on[i]:
            run = 0.0
            continue
        run = run + float(times_s[i] - times_s[i - 1]) if i > 0 and on[i - 1] else step
        best = max(best, run)
    return best


def moved(ev: Evidence, part: str, lo: int = 0, hi: int | None = None) -> bool | None:
    """Whether ``part`` moved over frames ``lo:hi``; None when that cannot be known."""
    hi = len(ev) if hi is None else hi
    values = ev.heights[part][lo:hi]
    values = values[~np.isnan(values)]
    duration = float(ev.times_s[hi - 1] - ev.times_s[lo]) if hi > lo else 0.0
    if len(values) < MIN_MOVEMENT_FRAMES or duration < MIN_MOVEMENT_S:
        return None
    low, high = np.percentile(values, [10, 90])
    return bool(high - low > STILL_MAX)


def decide(ev: Evidence, library: Mapping[str, Stretch], lo: int = 0,
           hi: int | None = None) -> Recognition:
    """The stretch frames ``lo:hi`` of the evidence show, or none."""
    hi = len(ev) if hi is None else hi
    if hi <= lo:
        return Recognition(None, {}, "nobody was seen")
    times = ev.times_s[lo:hi]
    single = hi - lo == 1 or float(times[-1] - times[0]) < MIN_MOVEMENT_S
    window_s = float(times[-1] - times[0]) if len(times) > 1 else 0.0
    need_held_s = min(MIN_HELD_S, 0.5 * window_s)
    scores: dict[str, float] = {}
    own: dict[str, float] = {}
    tiebreak: dict[str, float] = {}
    why_out: dict[str, str] = {}
    for stretch_id, stretch in library.items():
        match = ev.match[stretch_id][lo:hi]
        start = ev.start[stretch_id][lo:hi]
        own[stretch_id] = float(match.mean())
        tiebreak[stretch_id] = float(ev.met[stretch_id][lo:hi].mean())
        scores[stretch_id] = 0.0
        if own[stretch_id] == 0.0:
            continue
        if not single and _longest_run_s(times, match > 0) < need_held_s:
            why_out[stretch_id] = "its position was never held"
            continue
        moving = [p for p in stretch.recognition.still if moved(ev, p, lo, hi)]
        if moving:
            why_out[stretch_id] = f"the {' and '.join(moving)} moved"
            continue
        scores[stretch_id] = float(np.maximum(match, start).mean())
    ranked = sorted(scores, key=lambda s: (scores[s], own[s], tiebreak[s]), reverse=True)
    best = ranked[0]
    second = ranked[1] if len(ranked) > 1 else None
    lead = scores[best] - (scores[second] if second else 0.0)
    confidence = round(lead * (SINGLE_FRAME_CONFIDENCE if single else 1.0), 3)
    if scores[best] < MIN_SHARE:
        closest = max(own, key=lambda s: (own[s], tiebreak[s]))
        note = f"; {closest}: {why_out[closest]}" if closest in why_out else ""
        return Recognition(None, scores, f"no stretch matched well enough (closest: {closest}, "
                           f"{own[closest]:.0%} of the time{note})", 0.0, closest)
    if second is not None and lead < MIN_LEAD and tiebreak[best] - tiebreak[second] < 0.05:
        return Recognition(None, scores, f"{best} and {second} match about equally",
                           0.0, second)
    how = "in one picture" if single else "of the time"
    return Recognition(best, scores, f"{best} matched {scores[best]:.0%} {how}",
                       confidence, second)


def recognize(
    poses: Sequence[Pose | None],
    timestamps_s: Sequence[float],
    library: Mapping[str, Stretch],
    max_frames: int = 150,
    min_step_s: float = FRAME_STEP_S,
) -> Recognition:
    """The library stretch these poses show, or none.

    Uses at most ``max_frames`` frames, at most one every ``min_step_s``:
    stretches are slow, ten frames a second show their movement.
    """
    ev = evidence(poses, timestamps_s, library, max_frames, min_step_s)
    if len(ev) == 0:
        return Recognition(None, {}, "nobody was seen")
    return decide(ev, library)
