"""How fast ``posecheck analyze`` runs, as a multiple of real time, beside the raw landmarker.

For each phone video in ../shared/footage and a 1280x720 30 fps clip made from
one of them, this runs the whole analysis (empty landmark cache, full model
unless ``--model``) four ways: with and without the annotated video, at every
frame and at an analysis rate (``--analysis-fps``, default 15). Beside each it
times, on the same frames and the same machine, what the analysis cannot do
without: decoding every frame, and the landmarker alone on the frames the
model sees. What is left is the cost of everything else (engine, overlay,
encoding, CSV, plot, report) that the pipeline did not hide behind the model.

It also prints what each run concluded (holds, repetitions, fault episodes,
time in correct form), so the effect of the analysis rate on the real model
shows beside its speed.

    .venv/bin/python benchmarks/bench_analyze.py [--model lite|full|heavy] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
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
    """What no analysis of this video can go below: decoding, and the model on its frames."""

    frames: int
    decode_s: float
    model_s: float
    model_frames: int


def floor(video: Path, model: str, rate: float | None) -> Floor:
    """Decode every frame (as the analysis does), then time the landmarker alone on them."""
    from posecheck.analysis_rate import SparsePoses
    from posecheck.estimator import EstimatorSettings, PoseEstimator
    from posecheck.video_io import DEFAULT_ANALYSIS_MAX_SIDE_PX, iter_video_frames, probe_video

    tick = time.perf_counter()
    frames = list(iter_video_frames(video, max_side_px=DEFAULT_ANALYSIS_MAX_SIDE_PX))
    decode_s = time.perf_counter() - tick
    fps = probe_video(video).fps
    model_s = [0.0]
    with PoseEstimator(model, mode="video", settings=EstimatorSettings(analysis_fps=rate)) as est:

        def timed(rgb, t_s):  # type: ignore[no-untyped-def]
            tick = time.perf_counter()
            pose = est.estimate(rgb, round(t_s * 1000))
            model_s[0] += time.perf_counter() - tick
            return pose

        sparse = SparsePoses(timed, rate, 1.0 / fps if fps else None)
        for rgb, t_s in frames:
            sparse.add(rgb, t_s)
        sparse.finish()
    return Floor(len(frames), decode_s, model_s[0], sparse.model_frames)


def analyse(video: Path, stretch: str, work: Path, model: str, rate: float | None,
            write_video: bool) -> tuple[float, float, tuple]:  # type: ignore[type-arg]
    """Wall seconds of a whole analysis, the video's length, and what it concluded."""
    from posecheck.video_analysis import analyze_video

    tag = f"{video.stem}-{rate or 'all'}-{'video' if write_video else 'novideo'}"
    tick = time.perf_counter()
    result = analyze_video(video, stretch, work / "out" / tag, model=model,
                           cache_dir=work / f"cache-{tag}", overwrite=True,
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
    args = parser.parse_args()
    os.environ.setdefault("POSECHECK_OFFLINE", "1")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-analyze-"))
    work.mkdir(parents=True, exist_ok=True)
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
    print(f"model {args.model}; ms per video frame; rest = wall - decode - model, "
          "as a share of wall")
    print(f"{'video':28} {'rate':>5} {'video?':>6} {'x real':>6} {'wall':>6} {'decode':>6} "
          f"{'model':>6} {'rest':>6} {'rest%':>5}  holds/reps/faults/correct s")
    for name, path, stretch in cases:
        for rate in (None, args.analysis_fps):
            f = floor(path, args.model, rate)
            for write_video in (True, False):
                wall_s, video_s, outcome = analyse(path, stretch, work, args.model, rate,
                                                   write_video)
                per = 1000.0 / f.frames
                rest_s = wall_s - f.decode_s - f.model_s
                print(f"{name:28} {rate or 'all'!s:>5} {'yes' if write_video else 'no':>6} "
                      f"{video_s / wall_s:6.2f} {wall_s * per:6.1f} {f.decode_s * per:6.1f} "
                      f"{f.model_s * per:6.1f} {rest_s * per:6.1f} "
                      f"{100 * rest_s / wall_s:4.0f}%  {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
