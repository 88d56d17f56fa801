"""``posecheck eval``: how often the checks give the expected answer on a labelled set."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from posecheck.errors import PosecheckError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="measure the checks on a labelled set of photos and clips",
        description="Judge every item of a labelled set (see devset/README.md) and print, per "
        "stretch, agreement, false alarms (correct form rejected), misses (a fault or "
        "look-alike accepted), abstentions (asked for a better view) and every "
        "disagreement with the check and value behind it. Runs from the landmarks stored "
        "beside the labels; --build estimates missing ones from the media.")
    p.add_argument("labels", help="labels file (TOML with [[item]] tables)")
    p.add_argument("--landmarks", default=None,
                   help="folder of stored landmarks (default: landmarks/ beside the labels)")
    p.add_argument("--media", default=None,
                   help="folder the items' media paths are relative to, for --build "
                   "(default: media/ beside the labels)")
    p.add_argument("--build", action="store_true",
                   help="run the model on items whose landmarks are missing or stale")
    p.add_argument("--model", default="full", help="model for --build: lite, full, heavy or PATH")
    p.add_argument("--profile", default=None, help="evaluate a profile's tuned ranges")
    p.add_argument("--stretch", action="append", default=None,
                   help="only this stretch (repeatable)")
    p.add_argument("--recognition", action="store_true",
                   help="also measure which stretch '--stretch auto' names for each item "
                   "(slower: every item is judged against the whole library)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--no-disagreements", action="store_true",
                   help="print only the tables, not every disagreement")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posecheck import evaluation, set_landmarks
    from posecheck.labelled_set import LabelledSet, load_labelled_set
    from posecheck.profiles import resolve_stretch
    from posecheck.reference import LIBRARY_DIR, load_library

    library = load_library(LIBRARY_DIR)
    labels = load_labelled_set(args.labels, set(library))
    store = Path(args.landmarks) if args.landmarks else set_landmarks.default_store(labels)
    if args.build:
        media = Path(args.media) if args.media else labels.path.parent / "media"
        if not media.is_dir():
            raise PosecheckError(f"media folder {media} not found (give it with --media)")
        report = set_landmarks.build_landmarks(
            labels, media, store, args.model,
            progress=lambda item_id: print(f"estimated {item_id}", flush=True)
            if not args.json else None)
        if not args.json:
            print(f"landmarks: {len(report.estimated)} estimated, {len(report.kept)} kept, "
                  f"{len(report.missing_media)} without media")
    wanted = set(args.stretch) if args.stretch else None
    if wanted is not None and (unknown := wanted - set(library)):
        raise PosecheckError(f"unknown stretch {', '.join(sorted(unknown))}")
    stretches = {s: resolve_stretch(s, args.profile) for s in library
                 if wanted is None or s in wanted}
    items = tuple(i for i in labels.items if i.stretch in stretches)
    if not items:
        raise PosecheckError(f"{labels.path}: no items for the stretches asked for")
    labels = LabelledSet(labels.path, items)
    photo_poses, clips = set_landmarks.load_all(labels, store)
    outcomes = evaluation.evaluate(labels, stretches, photo_poses, clips)
    recognition = (evaluation.recognition_outcomes(labels, stretches, photo_poses, clips)
                   if args.recognition else None)
    if args.json:
        data = evaluation.summary(outcomes)
        if recognition is not None:
            data["recognition"] = evaluation.recognition_summary(recognition)
        print(json.dumps(data, indent=2))
    else:
        print(evaluation.format_table(outcomes, disagreements=not args.no_disagreements))
        if recognition is not None:
            print()
            print(evaluation.format_recognition(recognition))
    return 0

