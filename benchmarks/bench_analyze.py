"""How fast ``posecheck analyze`` runs, as a multiple of real time, and where the time goes.

For each phone video in ../shared/footage and a 1280x720 30 fps clip made from
one of them, runs the full analysis (full model, annotated video on) with an
empty landmark cache, and splits the time per frame into decoding, the pose
model, and everything else (engine, overlay, encoding, CSV, plot, report).

    .venv/bin/python benchmarks/bench_analyze.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
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


def decode_time_s(video: Path) -> tuple[float, int]:
    """Time to decode (and shrink, as the analysis does) every frame."""
    from posecheck.video_io import DEFAULT_ANALYSIS_MAX_SIDE_PX, iter_video_frames

    tick = time.perf_counter()
    n = sum(1 for _ in iter_video_frames(video, max_side_px=DEFAULT_ANALYSIS_MAX_SIDE_PX))
    return time.perf_counter() - tick, n


def bench(video: Path, stretch: str, work: Path) -> dict[str, float]:
    from posecheck.video_analysis import analyze_video

    cache = work / f"cache-{video.stem}"
    tick = time.perf_counter()
    result = analyze_video(video, stretch, work / "out" / video.stem, cache_dir=cache,
                           overwrite=True)
    total_s = time.perf_counter() - tick
    t = result.timings_s
    decode_s, frames = decode_time_s(video)
    model_s = max(t["landmarks_s"] - decode_s, 0.0)
    video_decode_s = t.get("video_decode_wait_s", 0.0)
    other_s = total_s - t["landmarks_s"] - video_decode_s
    duration_s = result.analysis.summary.total_s
    return {
        "frames": frames,
        "duration_s": duration_s,
        "total_s": total_s,
        "speed_x": duration_s / total_s,
        "decode_ms": 1000 * (decode_s + video_decode_s) / frames,
        "model_ms": 1000 * model_s / frames,
        "other_ms": 1000 * other_s / frames,
        "overlay_ms": 1000 * t.get("overlay_s", 0.0) / frames,
        "encode_ms": 1000 * t.get("encode_s", 0.0) / frames,
        "engine_ms": 1000 * t["engine_s"] / frames,
        "plot_ms": 1000 * t["plot_s"] / frames,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    print(f"{'video':28} {'frames':>6} {'video s':>7} {'wall s':>7} {'x real':>6} "
          f"{'decode':>7} {'model':>7} {'other':>7} {'other%':>6}  (ms/frame; other = "
          "engine+overlay+encode+csv+plot)")
    for name, path, stretch in cases:
        r = bench(path, stretch, work)
        per = r["decode_ms"] + r["model_ms"] + r["other_ms"]
        print(f"{name:28} {r['frames']:6d} {r['duration_s']:7.1f} {r['total_s']:7.1f} "
              f"{r['speed_x']:6.2f} {r['decode_ms']:7.1f} {r['model_ms']:7.1f} "
              f"{r['other_ms']:7.1f} {100 * r['other_ms'] / per:5.0f}%  "
              f"[overlay {r['overlay_ms']:.1f}, encode {r['encode_ms']:.1f}, "
              f"engine {r['engine_ms']:.1f}, plot {r['plot_ms']:.1f}]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
