"""Analysing a video file: the pipeline behind ``posecheck analyze`` and the page.

Landmarks (from the cache when possible), the engine
(:mod:`posecheck.summarize`), then the outputs in one folder: annotated MP4,
per-frame CSV, JSON summary, Markdown report and plot.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from posecheck.engine import FrameResult
from posecheck.errors import AnalysisError, StretchNotRecognizedError
from posecheck.frames_csv import write_csv
from posecheck.pose import Pose
from posecheck.pose_stages import close_all, pose_stages, run_sharing_frames
from posecheck.reference import Stretch
from posecheck.stages import SKIP, run_stages
from posecheck.summarize import analyze_sequence, check_dosage_index, summarize
from posecheck.summary import Analysis

if TYPE_CHECKING:
    from posecheck.landmark_cache import LandmarkJob, PoseSequence

logger = logging.getLogger(__name__)

# Longest side of the annotated video.
DEFAULT_VIDEO_MAX_SIDE_PX = 1280

OUTPUT_NAMES: dict[str, str] = {
    "video": "annotated.mp4",
    "csv": "frames.csv",
    "json": "summary.json",
    "markdown": "report.md",
    "plot": "plot.png",
}

# Called as progress(stage, done, total_or_None); stage is "landmarks" or "video".
StageProgress = Callable[[str, int, int | None], None]


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
    from posecheck.recognize import recognize
    from posecheck.reference import load_library

    out = recognize(list(poses), list(timestamps_s), load_library())
    return Recognized(out.stretch_id, dict(out.scores), out.reason)


def _drawing(stretch: Stretch, size_px: tuple[int, int] | None) -> Callable[[Any], Any]:
    """A stage drawing a result on its frame (resized first when the video is smaller)."""
    import cv2

    from posecheck.overlay import draw_feedback
    from posecheck.video_io import pixels

    def draw(item: tuple[np.ndarray, float, FrameResult]) -> tuple[np.ndarray, float]:
        frame, t_s, result = item
        rgb = pixels(frame)
        if size_px is not None and (rgb.shape[1], rgb.shape[0]) != size_px:
            rgb = cv2.resize(rgb, size_px, interpolation=cv2.INTER_AREA)
        return draw_feedback(rgb, result, stretch), t_s

    return draw


def _timed(fn: Callable[[Any], Any], timings: dict[str, float], key: str) -> Callable[[Any], Any]:
    """``fn``, adding the seconds spent in it to ``timings[key]``."""
    def run(item: Any) -> Any:
        tick = time.perf_counter()
        try:
            return fn(item)
        finally:
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - tick
    run.__name__ = getattr(fn, "__name__", key)
    return run


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
    decoder with the same range, so they line up one to one. Decoding,
    drawing and encoding run on their own threads.
    """
    from posecheck.video_io import Mp4Writer, iter_video_frames

    frames = analysis.frames
    total = len(frames)
    t0 = analysis.timestamps_s[0] if total else 0.0
    uniform = fps is not None and total > 1 and _is_uniform(analysis.timestamps_s, fps)
    writer = Mp4Writer(out_path, fps=fps if uniform else None, preset=preset)
    timings = timings_s if timings_s is not None else {}
    matched = iter(frames)

    def match(item: tuple[np.ndarray, float]) -> tuple[np.ndarray, float, FrameResult]:
        rgb, t_s = item
        result = next(matched, None)
        if result is None:
            raise AnalysisError(
                f"{video_path}: more frames decoded for the video than analysed; "
                "the file may have changed during analysis")
        return rgb, t_s, result

    def encode(item: tuple[np.ndarray, float]) -> None:
        img, t_s = item
        writer.write(img, None if uniform else float(t_s - t0))
        if progress is not None:
            progress("video", writer.frames_written, total)

    try:
        run_stages(
            iter_video_frames(video_path, start_s=start_s, end_s=end_s, max_side_px=max_side_px),
            [match, _timed(_drawing(analysis.stretch, None), timings, "overlay_s")],
            _timed(encode, timings, "encode_s"),
        )
        tick = time.perf_counter()
        writer.close()
        timings["encode_s"] = timings.get("encode_s", 0.0) + time.perf_counter() - tick
    except BaseException:
        writer.abort()
        raise
    written = writer.frames_written
    if written != total:
        logger.warning("%s: wrote %d annotated frames for %d analysed", video_path, written, total)
    return written


def _is_uniform(timestamps_s: np.ndarray, fps: float) -> bool:
    gaps = np.diff(np.asarray(timestamps_s, dtype=np.float64))
    return bool(len(gaps) and np.max(np.abs(gaps - 1.0 / fps)) < 0.25 / fps)


@dataclass
class _OnePass:
    """What the single pass over a video collected."""

    sequence: PoseSequence
    frames: list[FrameResult]
    written: int


def _analyze_in_one_pass(
    job: LandmarkJob,
    stretch: Stretch,
    video_out: Path | None,
    *,
    dosage_index: int,
    video_max_side_px: int | None,
    preset: str,
    progress: StageProgress | None,
    timings: dict[str, float],
    model_threads: int | None,
) -> _OnePass:
    """Decode once; the model, the engine, the overlay and the encoder each on a thread.

    The poses and per-frame results are the same as estimating the landmarks
    first and running the engine over them afterwards: the same decoder feeds
    the model the same frames, and the engine sees the poses in order.
    """
    from posecheck.engine import StretchChecker
    from posecheck.landmark_cache import expected_frames
    from posecheck.video_io import Mp4Writer, iter_video_frames, scaled_size

    total = expected_frames(job.info, job.start_s, job.end_s)
    size = job.info.size_px
    video_size = scaled_size(size[0], size[1], video_max_side_px)

    def attempt(estimators: Sequence[Any]) -> _OnePass:
        timestamps: list[float] = []
        poses: list[Pose | None] = []
        results: list[FrameResult] = []
        gaps: list[Any] = []  # filled by the decoder: where the video had no picture
        checker = StretchChecker(stretch, dosage_index=dosage_index)
        writer = Mp4Writer(video_out, preset=preset) if video_out is not None else None
        t0: list[float] = []

        def judge(item: tuple[np.ndarray, float, Pose | None]) -> Any:
            rgb, t_s, pose = item
            result = checker.update(pose, float(t_s))
            timestamps.append(float(t_s))
            poses.append(pose)
            results.append(result)
            if progress is not None:
                progress("analysis", len(results), total)
            return (rgb, t_s, result) if writer is not None else SKIP

        def encode(item: tuple[np.ndarray, float]) -> None:
            img, t_s = item
            if not t0:
                t0.append(t_s)
            assert writer is not None
            writer.write(img, float(t_s - t0[0]))

        stages = pose_stages(estimators, rate_hz=job.settings.analysis_fps,
                             frame_interval_s=job.info.frame_interval_s,
                             frame_size_px=size)
        stages.append(_timed(judge, timings, "engine_s"))
        if writer is not None:
            stages.append(_timed(_drawing(stretch, video_size), timings, "overlay_s"))
        try:
            run_stages(
                iter_video_frames(job.video_path, start_s=job.start_s, end_s=job.end_s,
                                  max_side_px=job.max_side_px, gaps=gaps, lazy=True),
                stages,
                _timed(encode, timings, "encode_s") if writer is not None else (lambda _: None),
            )
            if writer is not None:
                writer.close()
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        sequence = job.sequence(timestamps, poses,
                                getattr(estimators[0], "multi_person_frames", None), gaps)
        return _OnePass(sequence, results, writer.frames_written if writer is not None else 0)

    estimators = job.estimators(model_threads)
    try:
        return run_sharing_frames(estimators, attempt, job.video_path)
    finally:
        close_all(estimators)


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
    analysis_fps: float | None = None,
    model_threads: int | None = None,
) -> VideoAnalysis:
    """Analyse one video file and write every output into ``out_dir``.

    ``stretch`` is a stretch id, ``"auto"`` (recognise it from the poses) or
    a :class:`Stretch`. Raises :class:`~posecheck.errors.PosecheckError`
    subclasses for user mistakes (unreadable video, unknown stretch, outputs
    already there without ``overwrite``).

    A video whose landmarks are not cached yet is decoded once, with the
    model, the engine, the overlay and the encoder running side by side.
    With ``"auto"`` the stretch is only known once every pose is in, so the
    video is decoded a second time to draw it; so it is when the landmarks
    come from the cache. ``analysis_fps`` runs the model on at most that many
    frames per second; the frames between get interpolated landmarks.
    ``model_threads`` landmarkers take the model frames in turn (default: one
    per core, at most four; see :func:`posecheck.estimator.model_threads`); the
    landmarks are the same whatever the number.
    """
    from posecheck import landmark_cache, plots, report

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
    if resolved is not None:
        check_dosage_index(resolved, dosage_index)

    from posecheck.estimator import EstimatorSettings

    if analysis_fps is not None and analysis_fps <= 0:
        raise AnalysisError(f"the analysis rate must be a positive number, got {analysis_fps:g}")
    settings = EstimatorSettings(analysis_fps=analysis_fps)
    job = landmark_cache.landmark_job(video_path, model, cache_dir=cache_dir,
                                      start_s=start_s, end_s=end_s, settings=settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = output_paths(out_dir, video=write_video)
    tick = time.perf_counter()
    sequence = landmark_cache.load_cached(job)
    analysis: Analysis | None = None
    if sequence is None and resolved is not None:
        one = _analyze_in_one_pass(
            job, resolved, paths["video"] if write_video else None,
            dosage_index=dosage_index, video_max_side_px=video_max_side_px,
            preset=video_preset, progress=progress, timings=timings,
            model_threads=model_threads)
        sequence = landmark_cache.store(job, one.sequence)
        if len(sequence) == 0:
            raise AnalysisError(f"no frames to analyse in {video_path} for the range given")
        summary = summarize(one.frames, resolved, sequence.timestamps_s,
                            dosage_index=dosage_index)
        analysis = Analysis(resolved, sequence.timestamps_s, list(sequence.poses), one.frames,
                            summary)
        timings["one_pass_s"] = time.perf_counter() - tick
    elif sequence is None:
        sequence = landmark_cache.load_or_estimate(
            video_path, model, cache_dir=cache_dir, start_s=start_s, end_s=end_s,
            settings=settings, model_threads=model_threads,
            progress=(lambda done, total: progress("landmarks", done, total))
            if progress is not None else None)
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

    if analysis is None:
        tick = time.perf_counter()
        analysis = analyze_sequence(sequence, resolved, dosage_index=dosage_index)
        timings["engine_s"] = time.perf_counter() - tick
        if write_video:
            tick = time.perf_counter()
            written = write_annotated_video(
                video_path, analysis, paths["video"], start_s=start_s, end_s=end_s,
                fps=sequence.video_fps, max_side_px=video_max_side_px, progress=progress,
                preset=video_preset, timings_s=timings)
            timings["video_s"] = time.perf_counter() - tick
            if written != len(analysis.frames):
                raise AnalysisError(
                    f"{video_path}: decoded {written} frames for the video but analysed "
                    f"{len(analysis.frames)}; the file may have changed during analysis"
                )
    tick = time.perf_counter()
    write_csv(analysis, paths["csv"])
    timings["csv_s"] = time.perf_counter() - tick
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
        analysis_fps=analysis_fps,
        gaps=tuple(g.to_dict() for g in landmark_cache.decode_gaps(sequence)),
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
