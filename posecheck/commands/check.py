"""``posecheck check``: judge photos against a stretch and print the verdicts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from posecheck.image_check import ImageVerdict, choose_stretch, format_verdict, judge_pose
from posecheck.profiles import resolve_stretch
from posecheck.reference import LIBRARY_DIR, load_library


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="check photos against a stretch",
        description="Run the pose model on photos and print each check's verdict and the cue.")
    p.add_argument("images", nargs="+", help="image files (jpg, png, ...)")
    p.add_argument("--stretch", default="auto", help="stretch id, or 'auto' to recognise it")
    p.add_argument("--model", default="full", help="lite, full, heavy or a .task file")
    p.add_argument("--profile", default=None, help="tuned ranges to use (see posecheck tune)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posecheck.estimator import PoseEstimator
    from posecheck.video_io import read_image_rgb

    library = load_library(LIBRARY_DIR)
    fixed = None if args.stretch == "auto" else resolve_stretch(args.stretch, args.profile)
    images = [(Path(p), read_image_rgb(p)) for p in args.images]  # fail early on a bad file
    out = []
    with PoseEstimator(args.model, mode="image") as estimator:
        for path, rgb in images:
            pose = estimator.estimate(rgb)
            recognition = None
            stretch = fixed
            if stretch is None:
                recognition = choose_stretch(pose, library)
                if recognition.stretch_id is None:
                    print(f"{path}: no library stretch recognised ({recognition.reason})")
                    continue
                stretch = resolve_stretch(recognition.stretch_id, args.profile)
            verdict = ImageVerdict(path, stretch, pose, judge_pose(pose, stretch),
                                   estimator.people_note(), recognition)
            out.append(verdict)
            if not args.json:
                print(format_verdict(verdict))
    if args.json:
        print(json.dumps([_as_dict(v) for v in out], indent=2))
    return 0


def _as_dict(v: ImageVerdict) -> dict:
    return {
        "image": str(v.path),
        "stretch": v.stretch.id,
        "status": v.result.status.value,
        "cue": v.result.cue,
        "checks": {c.check.id: {"value": c.value, "verdict": c.verdict.value}
                   for c in v.result.checks},
    }
