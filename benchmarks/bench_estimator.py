"""Frames per second of the pose estimator on this machine.

Real footage frames (the bird-dog phone video) are resized to 640x480 and
1280x720 and fed through :class:`posecheck.estimator.PoseEstimator` in VIDEO
mode, for every model variant that can be had (offline: only those the
mediapipe wheel ships). After ``bash .ci/setup``, run it with
``.venv/bin/python benchmarks/bench_estimator.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from posecheck.estimator import PoseEstimator
from posecheck.model import VARIANTS, ModelUnavailableError, resolve_model
from posecheck.video_io import iter_video_frames

FOOTAGE = Path(__file__).resolve().parents[1].parent / "shared" / "footage"
VIDEO = FOOTAGE / "bird_dog" / "polybag_bird_dog.mp4"
SIZES_PX: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720))


def _frames(count: int, size_px: tuple[int, int]) -> list[np.ndarray]:
    """``count`` consecutive real frames, stretched to ``size_px`` (width, height)."""
    frames = []
    for rgb, _ in iter_video_frames(VIDEO, max_side_px=1280):
        frames.append(cv2.resize(rgb, size_px, interpolation=cv2.INTER_AREA))
        if len(frames) == count:
            break
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--online", action="store_true", help="allow downloading models")
    args = parser.parse_args()
    if not VIDEO.is_file():
        raise SystemExit(f"benchmark footage not found: {VIDEO}")
    cache_dir = os.environ.get("POSECHECK_CACHE_DIR") or tempfile.mkdtemp(prefix="posecheck-")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus")
    print(f"{args.frames} frames per run after {args.warmup} warm-up frames, VIDEO mode")
    for variant in VARIANTS:
        try:
            model = resolve_model(variant, cache_dir=cache_dir, allow_download=args.online)
        except ModelUnavailableError as exc:
            print(f"{variant:5s}: unavailable offline ({str(exc).split('. Tried')[0]})")
            continue
        for size_px in SIZES_PX:
            frames = _frames(args.frames + args.warmup, size_px)
            with PoseEstimator(model, mode="video") as est:
                for i, frame in enumerate(frames[: args.warmup]):
                    est.estimate(frame, i * 33)
                found = 0
                start = time.perf_counter()
                for i, frame in enumerate(frames[args.warmup :], start=args.warmup):
                    found += est.estimate(frame, i * 33) is not None
                elapsed_s = time.perf_counter() - start
            n = len(frames) - args.warmup
            print(
                f"{variant:5s} ({model.model_id}) {size_px[0]}x{size_px[1]}: "
                f"{n / elapsed_s:6.1f} frames/s ({1000 * elapsed_s / n:.1f} ms/frame, "
                f"person in {found}/{n})"
            )


if __name__ == "__main__":
    main()
