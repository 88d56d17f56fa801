"""Split a recording of a whole routine into its stretches.

Recognition (:func:`posecheck.recognize.recognize`) scores short, overlapping
windows of the recording against the routine's own stretches. Each window is
then given to one step, in the routine's order (a step may be missing, none
comes back after a later one), choosing the assignment with the highest total
score (a small dynamic programme). A step's part of the recording runs from
the first to the last of its windows that recognition matched well enough;
a step with no such window is reported as not found, never guessed.

The windows are a few seconds long, so a boundary is placed to within about a
window's hop (2 s), and a stretch done for less than a window is likely
missed. The split itself is pure (poses and timestamps in);
:func:`analyze_routine_video` adds the files: one folder of the usual outputs
per step found, and ``routine.json`` / ``routine.md`` for the whole.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from posecheck.pose import Pose
from posecheck.recognize import MIN_SHARE, recognize
from posecheck.reference import Stretch
from posecheck.routines import Routine
from posecheck.summary import Analysis

logger = logging.getLogger(__name__)

WINDOW_S = 4.0
HOP_S = 2.0
WINDOW_FRAMES = 40  # frames recognition looks at per window (evenly spread)


@dataclass(frozen=True)
class WindowScore:
    center_s: float
    scores: Mapping[str, float]  # share of the window's frames matching, per stretch


@dataclass(frozen=True)
class RoutineSegment:
    step_index: int
    stretch_id: str
    start_s: float | None  # None: not found in the recording
    end_s: float | None
    score: float  # mean share of frames matching, over the step's matched windows

    @property
    def found(self) -> bool:
        return self.start_s is not None


def window_scores(
    timestamps_s: Sequence[float] | np.ndarray,
    poses: Sequence[Pose | None],
    stretches: Mapping[str, Stretch],
    *,
    window_s: float = WINDOW_S,
    hop_s: float = HOP_S,
) -> list[WindowScore]:
    """Recognition's score of each stretch in windows of ``window_s``, every ``hop_s``."""
    t = np.asarray(timestamps_s, dtype=np.float64)
    if len(t) == 0:
        return []
    out = []
    center = float(t[0]) + hop_s / 2
    end = float(t[-1])
    while center <= end + hop_s / 2:
        lo, hi = np.searchsorted(t, [center - window_s / 2, center + window_s / 2])
        frames = list(poses[lo:hi])
        scores = {sid: 0.0 for sid in stretches}
        if any(p is not None for p in frames):
            found = recognize(frames, list(t[lo:hi]), stretches, WINDOW_FRAMES)
            scores.update({k: float(v) for k, v in found.scores.items() if k in scores})
        out.append(WindowScore(center, scores))
        center += hop_s
    return out


def assign_windows(windows: Sequence[WindowScore], step_ids: Sequence[str]) -> list[int]:
    """The step (index into ``step_ids``) of each window: in order, best total score."""
    n, m = len(windows), len(step_ids)
    if n == 0:
        return []
    value = np.array([[w.scores.get(s, 0.0) for s in step_ids] for w in windows])
    best = np.zeros((n, m))
    came = np.zeros((n, m), dtype=int)
    best[0] = value[0]
    for i in range(1, n):
        # the best step at or before k for window i - 1 (steps never go back)
        run_best = np.maximum.accumulate(best[i - 1])
        run_arg = np.array([int(np.argmax(best[i - 1][: k + 1])) for k in range(m)])
        best[i] = value[i] + run_best
        came[i] = run_arg
    steps = [0] * n
    # Ties go to the earliest step: a stretch is not taken as done before it is seen.
    steps[-1] = int(np.argmax(best[-1]))
    for i in range(n - 1, 0, -1):
        steps[i - 1] = int(came[i][steps[i]])
    return steps


def split_routine(
    windows: Sequence[WindowScore],
    routine: Routine,
    *,
    hop_s: float = HOP_S,
    min_share: float = MIN_SHARE,
    start_s: float = 0.0,
    end_s: float | None = None,
) -> list[RoutineSegment]:
    """Each step's part of the recording, in the routine's order; pure."""
    ids = [s.stretch_id for s in routine.steps]
    steps = assign_windows(windows, ids)
    segments = []
    for k, sid in enumerate(ids):
        mine = [w for w, s in zip(windows, steps, strict=True)
                if s == k and w.scores.get(sid, 0.0) >= min_share]
        if not mine:
            segments.append(RoutineSegment(k, sid, None, None, 0.0))
            continue
        lo = max(start_s, mine[0].center_s - hop_s / 2)
        hi = mine[-1].center_s + hop_s / 2
        if end_s is not None:
            hi = min(hi, end_s)
        score = float(np.mean([w.scores[sid] for w in mine]))
        segments.append(RoutineSegment(k, sid, lo, hi, score))
    return segments


# ---------------------------------------------------------------- files


@dataclass(frozen=True)
class RoutineAnalysis:
    video: Path
    out_dir: Path
    routine: Routine
    segments: tuple[RoutineSegment, ...]
    step_dirs: Mapping[int, Path]  # the output folder of each step found
    summaries: Mapping[int, dict[str, Any]]  # each step's summary.json content
    from_cache: bool
    analyses: Mapping[int, Analysis] = field(default_factory=dict)  # each step found


def _clock(t_s: float) -> str:
    return f"{int(t_s // 60)}:{t_s % 60:04.1f}"


def _result_text(summary: Mapping[str, Any]) -> str:
    done = summary["holds"]["text"] if "holds" in summary else summary["reps"]["text"]
    share = summary["time"]["correct_share_of_position"]
    return f"{done}; correct form {'n/a' if share is None else f'{share:.0%}'} in position"


def render_markdown(result: RoutineAnalysis, stretches: Mapping[str, Stretch]) -> str:
    lines = [f"# {result.routine.name}: routine report", "",
             f"Video: `{result.video.name}`", "",
             "| # | stretch | found | from | to | result |", "|---|---|---|---|---|---|"]
    for seg in result.segments:
        name = stretches[seg.stretch_id].name
        if not seg.found:
            lines.append(f"| {seg.step_index + 1} | {name} | no | | | not seen in the "
                         "recording |")
            continue
        summary = result.summaries[seg.step_index]
        folder = result.step_dirs[seg.step_index].name
        lines.append(
            f"| {seg.step_index + 1} | {name} | yes ({seg.score:.0%} of frames match) | "
            f"{_clock(seg.start_s or 0.0)} | {_clock(seg.end_s or 0.0)} | "
            f"{_result_text(summary)}; [report]({folder}/report.md) |")
    lines += ["", "Each stretch's part was found by recognising the stretch in 4 s windows, "
              "in the routine's order; boundaries are accurate to about 2 s. A stretch not "
              "found is not judged."]
    return "\n".join(lines) + "\n"


def analyze_routine_video(
    video_path: Path | str,
    routine: Routine,
    out_dir: Path | str,
    *,
    model: str = "full",
    profile: str | None = None,
    cache_dir: Path | str | None = None,
    write_video: bool = True,
    overwrite: bool = False,
    progress: Any = None,
    analysis_fps: float | None = None,
) -> RoutineAnalysis:
    """Split a recording of ``routine`` and analyse each stretch found in its own folder.

    ``analysis_fps`` runs the model on at most that many frames per second, as
    :func:`posecheck.video_analysis.analyze_video` does.
    """
    from posecheck import plots, report
    from posecheck.errors import AnalysisError
    from posecheck.estimator import EstimatorSettings
    from posecheck.frames_csv import write_csv
    from posecheck.landmark_cache import load_or_estimate
    from posecheck.profiles import resolve_stretch
    from posecheck.summarize import analyze_sequence
    from posecheck.video_analysis import output_paths, write_annotated_video

    video_path = Path(video_path)
    out_dir = Path(out_dir)
    overview = out_dir / "routine.md"
    if overview.exists() and not overwrite:
        raise AnalysisError(f"{overview} already exists; pass --overwrite to replace the "
                            f"outputs in {out_dir}")
    stretches = {s.stretch_id: resolve_stretch(s.stretch_id, profile) for s in routine.steps}

    def landmark_progress(done: int, total: int | None) -> None:
        if progress is not None:
            progress("landmarks", done, total)

    sequence = load_or_estimate(video_path, model, cache_dir=cache_dir,
                                settings=EstimatorSettings(analysis_fps=analysis_fps),
                                progress=landmark_progress)
    if len(sequence) == 0:
        raise AnalysisError(f"no frames to analyse in {video_path}")
    t = np.asarray(sequence.timestamps_s, dtype=np.float64)
    windows = window_scores(t, sequence.poses, stretches)
    durations = np.diff(t)
    end_s = float(t[-1] + (np.median(durations) if len(durations) else 0.0))
    segments = split_routine(windows, routine, start_s=float(t[0]), end_s=end_s)

    out_dir.mkdir(parents=True, exist_ok=True)
    step_dirs: dict[int, Path] = {}
    summaries: dict[int, dict[str, Any]] = {}
    analyses: dict[int, Analysis] = {}
    for seg in segments:
        if not seg.found:
            continue
        stretch, dosage_index = routine.stretch_for(seg.step_index, stretches)
        mask = (t >= seg.start_s) & (t < seg.end_s)
        part = replace(sequence, timestamps_s=t[mask],
                       poses=[p for p, keep in zip(sequence.poses, mask, strict=True) if keep])
        analysis = analyze_sequence(part, stretch, dosage_index=dosage_index)
        folder = out_dir / f"{seg.step_index + 1:02d}_{seg.stretch_id}"
        folder.mkdir(parents=True, exist_ok=True)
        paths = output_paths(folder, video=write_video)
        write_csv(analysis, paths["csv"])
        if write_video:
            write_annotated_video(video_path, analysis, paths["video"], start_s=seg.start_s,
                                  end_s=seg.end_s, fps=sequence.video_fps, progress=progress)
        plots.plot_analysis(analysis, paths["plot"])
        context = report.ReportContext(
            video=video_path, model_id=sequence.model_id, from_cache=sequence.from_cache,
            multi_person_frames=None, profile=profile,
            outputs={k: p.name for k, p in paths.items()}, frame_size=sequence.frame_size,
            analysis_fps=analysis_fps)
        summary = report.summary_dict(analysis.summary, context)
        report.write_json(summary, paths["json"])
        paths["markdown"].write_text(report.render_markdown(summary), encoding="utf-8")
        step_dirs[seg.step_index] = folder
        summaries[seg.step_index] = summary
        analyses[seg.step_index] = analysis
    result = RoutineAnalysis(video_path, out_dir, routine, tuple(segments), step_dirs,
                             summaries, sequence.from_cache, analyses)
    data = {
        "routine": {"id": routine.id, "name": routine.name, "profile": routine.profile},
        "video": str(video_path),
        "steps": [
            {"step": s.step_index + 1, "stretch": s.stretch_id, "found": s.found,
             "start_s": None if s.start_s is None else round(s.start_s, 2),
             "end_s": None if s.end_s is None else round(s.end_s, 2),
             "match_share": round(s.score, 3),
             "outputs": step_dirs[s.step_index].name if s.found else None}
            for s in segments],
        "windows": [{"center_s": round(w.center_s, 2),
                     "scores": {k: round(v, 3) for k, v in w.scores.items()}}
                    for w in windows],
    }
    (out_dir / "routine.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    overview.write_text(render_markdown(result, stretches), encoding="utf-8")
    return result
