"""How fast ``posecheck analyze`` runs, as a multiple of real time, beside the raw landmarker.

For each phone video in ../shared/footage and a 1280x720 30 fps clip made from
one of them, this runs the whole analysis (empty landmark cache, the model
already in its cache as after a first run, full model unless ``--model``) four
ways: with and without the annotated video, at every frame and at an analysis
rate (``--analysis-fps``, default 15). Beside each it times, on the same
frames and the same machine, what the analysis cannot do without: decoding
(every frame converted to RGB for the annotated video, only the model's frames
without it), and the landmarkers alone on the frames the model sees, shared
among them as the analysis shares them (one per core, at most four). What is
left is the cost of everything else (engine, overlay, encoding, CSV, plot,
report) that the pipeline did not hide behind them; it is negative where
decoding and the model ran side by side.

It also prints what each run concluded (holds, repetitions, fault episodes,
time in correct form), so the effect of the analysis rate on the real model
shows beside its speed.

    .venv/bin/python benchmarks/bench_analyze.py [--model lite|full|heavy] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

FOOTAGE = Path(__file__).resolve().parents[1].parent / "shared" / "footage"
VIDEOS = {
    "bird_dog": "bird_dog/polybag_bird_dog.mp4",
    "pelvic_tilt": "pelvic_tilt/polybag_pelvic_tilt.mp4",
    "kneeling_lumbar_flexion": "kneeling_lumbar_flexion/polybag_child_pose.mp4",
}


def make_720p(source: Path, dest: Path) -> Path:
    """A landscape 1280x720 30 fps H.264 clip: the portrait video scaled and padded."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-vf",
         "scale=-2:720,pad=1280:720:(ow-iw)/2:0,fps=30", "-c:v", "libx264", "-preset",
         "veryfast", "-pix_fmt", "yuv420p", "-an", str(dest)],
        check=True,
    )
    return dest


@dataclass
class Floor:
    """What the analysis of this video cannot do without: decoding, and the model."""

    frames: int
    decode_all_s: float  # decoding, every frame converted to RGB (for the annotated video)
    decode_model_s: float  # decoding, only the model's frames converted
    model_s: float  # the landmarkers alone on the model's frames, shared as the analysis does
    model_frames: int
    threads: int


def floor(video: Path, model: str, rate: float | None) -> Floor:
    """Time decoding as the analysis does, then the landmarkers alone on the model's frames."""
    from posecheck.analysis_rate import ModelFramePicker
    from posecheck.estimator import EstimatorSettings, video_estimators
    from posecheck.pose_stages import close_all
    from posecheck.stages import Parallel, run_stages
    from posecheck.video_io import DEFAULT_ANALYSIS_MAX_SIDE_PX, iter_video_frames, probe_video

    frame_interval_s = probe_video(video).frame_interval_s

    def decode(convert_all: bool) -> tuple[float, list[tuple], int]:  # type: ignore[type-arg]
        """Seconds, the model's frames (converted) with their timestamps, frames decoded."""
        picker = ModelFramePicker(rate, frame_interval_s)
        picked = []
        frames = 0
        tick = time.perf_counter()
        for pending, t_s in iter_video_frames(video, max_side_px=DEFAULT_ANALYSIS_MAX_SIDE_PX,
                                              lazy=True):
            frames += 1
            if picker.add(None, t_s) is not None:
                picked.append((pending.rgb(), round(t_s * 1000)))
            elif convert_all:
                pending.rgb()
        return time.perf_counter() - tick, picked, frames

    decode_all_s, _, _ = decode(True)
    decode_model_s, picked, frames = decode(False)
    estimators = video_estimators(model, settings=EstimatorSettings(analysis_fps=rate))
    try:
        copies = [lambda item, est=est: est.estimate_all(*item) for est in estimators]
        tick = time.perf_counter()
        run_stages(picked, [Parallel(copies) if len(copies) > 1 else copies[0]],
                   lambda _: None)
        model_s = time.perf_counter() - tick
    finally:
        close_all(estimators)
    return Floor(frames, decode_all_s, decode_model_s, model_s, len(picked), len(estimators))


def analyse(video: Path, stretch: str, work: Path, model: str, rate: float | None,
            write_video: bool) -> tuple[float, float, tuple]:  # type: ignore[type-arg]
    """Wall seconds of a whole analysis, the video's length, and what it concluded."""
    from posecheck.video_analysis import analyze_video

    tag = f"{video.stem}-{rate or 'all'}-{'video' if write_video else 'novideo'}"
    shutil.rmtree(work / "cache" / "landmarks", ignore_errors=True)  # estimate afresh
    tick = time.perf_counter()
    result = analyze_video(video, stretch, work / "out" / tag, model=model,
                           cache_dir=work / "cache", overwrite=True,
                           write_video=write_video, analysis_fps=rate)
    wall_s = time.perf_counter() - tick
    s = result.analysis.summary
    return wall_s, s.total_s, (s.holds_completed, s.reps_total, len(s.faults),
                               round(s.correct_s, 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="full", help="lite, full or heavy (default: full)")
    parser.add_argument("--analysis-fps", type=float, default=15.0,
                        help="the lower analysis rate to compare (default: 15)")
    parser.add_argument("--keep", default=None, help="keep outputs in this folder")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each measurement; the median is shown (default: 3)")
    args = parser.parse_args()
    os.environ.setdefault("POSECHECK_OFFLINE", "1")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-analyze-"))
    work.mkdir(parents=True, exist_ok=True)
    from posecheck.model import resolve_model

    resolve_model(args.model, cache_dir=work / "cache")  # assembled once, as after a first run
    cases: list[tuple[str, Path, str]] = []
    for stretch, rel in VIDEOS.items():
        path = FOOTAGE / rel
        if path.is_file():
            cases.append((path.name, path, stretch))
    if not cases:
        print(f"no footage in {FOOTAGE}", file=sys.stderr)
        return 1
    clip = make_720p(cases[0][1], work / "bird_dog_1280x720.mp4")
    cases.append((clip.name, clip, "bird_dog"))
    from posecheck.estimator import EstimatorSettings, model_threads

    print(f"model {args.model}, {model_threads(EstimatorSettings())} landmarker(s) sharing the "
          "frames; ms per video frame; rest = wall - decode - model, as a share of wall")
    print(f"{'video':28} {'rate':>5} {'video?':>6} {'x real':>6} {'wall':>6} {'decode':>6} "
          f"{'model':>6} {'rest':>6} {'rest%':>5}  holds/reps/faults/correct s")
    for name, path, stretch in cases:
        for rate in (None, args.analysis_fps):
            floors = [floor(path, args.model, rate) for _ in range(args.repeat)]
            f = Floor(floors[0].frames, statistics.median([x.decode_all_s for x in floors]),
                      statistics.median([x.decode_model_s for x in floors]),
                      statistics.median([x.model_s for x in floors]), floors[0].model_frames,
                      floors[0].threads)
            for write_video in (True, False):
                runs = [analyse(path, stretch, work, args.model, rate, write_video)
                        for _ in range(args.repeat)]
                wall_s, video_s = statistics.median([r[0] for r in runs]), runs[0][1]
                outcome = runs[0][2] if len({r[2] for r in runs}) == 1 else "differed!"
                per = 1000.0 / f.frames
                decode_s = f.decode_all_s if write_video else f.decode_model_s
                rest_s = wall_s - decode_s - f.model_s
                print(f"{name:28} {rate or 'all'!s:>5} {'yes' if write_video else 'no':>6} "
                      f"{video_s / wall_s:6.2f} {wall_s * per:6.1f} {decode_s * per:6.1f} "
                      f"{f.model_s * per:6.1f} {rest_s * per:6.1f} "
                      f"{100 * rest_s / wall_s:4.0f}%  {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
