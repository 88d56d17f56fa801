"""``posecheck routines``: list and show routines, keep one in a patient's profile."""

from __future__ import annotations

import argparse

from posecheck import routines
from posecheck.errors import PosecheckError
from posecheck.reference import load_library


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "routines",
        help="list or show routines; keep one in a patient's profile",
        description=(
            "Routines are several stretches in order, each with its dosage, with rest "
            "between (format: reference_poses/routines/README.md). 'list' shows the shipped "
            "routines and, with --profile, the profile's; 'show ID' prints one; 'add FILE "
            "--profile NAME' validates a routine file and keeps it in that profile; 'remove "
            "ID --profile NAME' deletes it from the profile."
        ),
    )
    p.add_argument("action", choices=("list", "show", "add", "remove"), nargs="?",
                   default="list", help="what to do (default: list)")
    p.add_argument("target", nargs="?", metavar="ID|FILE",
                   help="routine id (show, remove) or routine file (add)")
    p.add_argument("--profile", default=None, metavar="NAME",
                   help="the patient's profile (its routines, and where 'add' keeps one)")
    p.add_argument("--overwrite", action="store_true",
                   help="add: replace a routine of the same id in the profile")
    p.set_defaults(func=run)


def _show(routine: routines.Routine, library: dict) -> None:
    owner = f" (profile {routine.profile})" if routine.profile else ""
    print(f"{routine.name} [{routine.id}]{owner}")
    if routine.summary:
        print(f"  {routine.summary}")
    for i, step in enumerate(routine.steps, 1):
        stretch = library[step.stretch_id]
        how = "set for this patient" if step.custom else f"dosage {step.dosage_index + 1}"
        rest = f"; then rest {step.rest_after_s:g} s" if i < len(routine.steps) else ""
        print(f"  {i}. {stretch.name} [{stretch.id}]: {step.dosage.describe()} ({how}); "
              f"camera {stretch.view} view{rest}")
    for note in routine.notes:
        print(f"  - {note}")


def run(args: argparse.Namespace) -> int:
    library = load_library()
    if args.action == "list":
        found = routines.load_routines(args.profile, library=library)
        for routine in found.values():
            owner = f"  (profile {routine.profile})" if routine.profile else ""
            print(f"{routine.id}  {routine.name}: {routine.describe()}{owner}")
        return 0
    if not args.target:
        raise PosecheckError(f"'posecheck routines {args.action}' needs "
                             f"{'a routine FILE' if args.action == 'add' else 'a routine ID'}")
    if args.action == "show":
        _show(routines.load_routine(args.target, args.profile, library=library), library)
        return 0
    if not args.profile:
        raise PosecheckError(f"'posecheck routines {args.action}' needs --profile NAME")
    if args.action == "add":
        dest = routines.save_to_profile(args.profile, args.target, overwrite=args.overwrite,
                                        library=library)
        print(f"Routine kept in profile '{args.profile}': {dest}")
        return 0
    path = routines.remove_from_profile(args.profile, args.target)
    print(f"Removed {path}")
    return 0
