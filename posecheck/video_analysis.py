"""Analysing a video file: the pipeline behind ``posecheck analyze`` and the page.

Landmarks (from the cache when possible), the engine
(:mod:`posecheck.summarize`), then the outputs in one folder: annotated MP4,
per-frame CSV, JSON summary, Markdown report and plot.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from posecheck.errors import AnalysisError, StretchNotRecognizedError
from posecheck.frames_csv import write_csv
from posecheck.pose import Pose
from posecheck.reference import Stretch
from posecheck.summarize import analyze_sequence, check_dosage_index
from posecheck.summary import Analysis

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
