"""How many camera frames per second the live page can check on this machine.

Drives the real per-frame work of the live page (``LiveSession.process``:
MediaPipe pose model, checking engine, overlay drawing) on 640x480 frames cut
from the phone videos in ../shared/footage, with the full model and the lite
one, and at a reduced analysis size. Prints processed frames per second and
mean / p95 milliseconds per frame, split into the model and the rest.

    .venv/bin/python benchmarks/bench_live.py [--frames 150] [--models full lite]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from posecheck.estimator import PoseEstimator
from posecheck.live import LiveSession
from posecheck.model import ModelUnavailableError, resolve_model
from posecheck.reference import load_stretch

FOOTAGE = Path(__file__).resolve().parents[1].parent / "shared" / "footage"
VIDEOS = {
    "kneeling_lumbar_flexion": "kneeling_lumbar_flexion/polybag_child_pose.mp4",
    "bird_dog": "bird_dog/polybag_bird_dog.mp4",
    "pelvic_tilt": "pelvic_tilt/polybag_pelvic_tilt.mp4",
}
SIZE = (640, 480)


def to_640x480(frame_rgb: np.ndarray) -> np.ndarray:
    """Fit a frame of any shape into 640x480 (letterboxed), as a webcam frame would be."""
    h, w = frame_rgb.shape[:2]
    scale = min(SIZE[0] / w, SIZE[1] / h)
    small = cv2.resize(frame_rgb, (round(w * scale), round(h * scale)),
                       interpolation=cv2.INTER_AREA)
    out = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    y0 = (SIZE[1] - small.shape[0]) // 2
    x0 = (SIZE[0] - small.shape[1]) // 2
    out[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return out


def load_frames(relative: str, count: int) -> list[np.ndarray]:
    """The first ``count`` frames of a footage video at 640x480 (RGB)."""
    cap = cv2.VideoCapture(str(FOOTAGE / relative))
    frames = []
    while len(frames) < count:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(to_640x480(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    cap.release()
    return frames


def run(stretch_id: str, frames: list[np.ndarray], model: object,
        max_side_px: int | None) -> dict[str, float]:
    """Process every frame once at 30 fps timestamps; returns the figures."""
    stretch = load_stretch(stretch_id)
    with PoseEstimator(model, mode="video") as est:
        session = LiveSession(stretch, est, mirror=True, max_side_px=max_side_px)
        session.process(frames[0], 0.0)  # warm-up (graph start)
        per_frame_ms, model_ms = [], []
        calls = 0
        start = time.perf_counter()
        for i, frame in enumerate(frames, start=1):
            before_model = session.model_ms_total
            t0 = time.perf_counter()
            session.process(frame, i / 30.0)
            per_frame_ms.append((time.perf_counter() - t0) * 1000)
            model_ms.append(session.model_ms_total - before_model)
            calls += 1
        wall_s = time.perf_counter() - start
        seen = session.snapshot()
    other = [a - b for a, b in zip(per_frame_ms, model_ms, strict=True)]
    return {
        "calls": calls,
        "fps": calls / wall_s,
        "mean_ms": statistics.fmean(per_frame_ms),
        "p95_ms": float(np.percentile(per_frame_ms, 95)),
        "model_mean_ms": statistics.fmean(model_ms),
        "model_p95_ms": float(np.percentile(model_ms, 95)),
        "other_mean_ms": statistics.fmean(other),
        "other_p95_ms": float(np.percentile(other, 95)),
        "person": 1.0 if seen.person_seen else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=150, help="frames per video (default 150)")
    parser.add_argument("--models", nargs="+", default=["full", "lite"],
                        help="model variants to time (default: full lite)")
    parser.add_argument("--small", type=int, default=384,
                        help="also time this analysis size (long side, px); 0 to skip")
    args = parser.parse_args(argv)
    if not FOOTAGE.is_dir():
        print(f"footage not found at {FOOTAGE}", file=sys.stderr)
        return 1
    clips = {sid: load_frames(rel, args.frames) for sid, rel in VIDEOS.items()
             if (FOOTAGE / rel).is_file()}
    print(f"{len(clips)} videos x {args.frames} frames at {SIZE[0]}x{SIZE[1]}; "
          "LiveSession.process = model + engine + overlay")
    header = (f"{'model':<6} {'analysed':>9} {'fps':>6} {'mean ms':>8} {'p95 ms':>7} "
              f"{'model ms':>9} {'m p95':>6} {'rest ms':>8} {'r p95':>6}")
    print(header, flush=True)
    models = {}
    for name in args.models:
        try:
            models[name] = resolve_model(name)
        except ModelUnavailableError as exc:
            print(f"{name}: not available here ({str(exc).splitlines()[0]})")
    settings: list[tuple[str, int | None]] = [(m, None) for m in models]
    if args.small:
        settings += [(m, args.small) for m in models]
    for name, max_side in settings:
        results = [run(sid, frames, models[name], max_side) for sid, frames in clips.items()]
        calls = sum(r["calls"] for r in results)
        seconds = sum(r["calls"] / r["fps"] for r in results)

        def avg(key: str, results: list[dict[str, float]] = results) -> float:
            return statistics.fmean(r[key] for r in results)

        size = f"{max_side}px" if max_side else "640x480"
        print(f"{name:<6} {size:>9} {calls / seconds:6.1f} {avg('mean_ms'):8.1f} "
              f"{avg('p95_ms'):7.1f} {avg('model_mean_ms'):9.1f} {avg('model_p95_ms'):6.1f} "
              f"{avg('other_mean_ms'):8.1f} {avg('other_p95_ms'):6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
