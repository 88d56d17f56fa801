"""``posecheck profiles``: list, show and reset tuned-range profiles."""

from __future__ import annotations

import argparse
from pathlib import Path

from posecheck import profiles
from posecheck.reference import LIBRARY_DIR, load_stretch
from posecheck.tuning import format_range


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "profiles",
        help="list, show or reset tuned-range profiles",
        description=(
            "Profiles keep tuned angle ranges per patient or clinic apart from the shipped "
            f"library (folder: ${profiles.PROFILES_ENV}, else the user data folder). "
            "Make or change one with 'posecheck tune --write --profile NAME'."
        ),
    )
    p.add_argument("action", choices=("list", "show", "reset", "create"), nargs="?",
                   default="list",
                   help="list profiles (default), show one's ranges, reset it to shipped, or "
                        "create an empty one (a patient, with the shipped ranges)")
    p.add_argument("name", nargs="?", metavar="NAME", help="profile name (show, reset)")
    p.add_argument("stretch", nargs="?", metavar="STRETCH",
                   help="only this stretch (reset: the whole profile when left out)")
    p.add_argument("--library", type=Path, default=LIBRARY_DIR, help="folder of reference files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        names = profiles.list_profiles()
        if not names:
            print(f"No profiles saved yet (in {profiles.profiles_root()}).")
        for name in names:
            tuned = profiles.profile_stretches(name)
            print(f"{name}: {', '.join(tuned) if tuned else '(no tuned stretches)'}")
        return 0
    if not args.name:
        raise profiles.ProfileError(f"'posecheck profiles {args.action}' needs a profile NAME")
    if args.action == "create":
        existed = args.name in profiles.list_profiles()
        folder = profiles.create_profile(args.name)
        print(f"Profile '{args.name}' {'already exists' if existed else 'created'} ({folder}); "
              "it uses the shipped ranges until tuned.")
        return 0
    if args.action == "reset":
        removed = profiles.reset(args.name, args.stretch)
        what = args.stretch or "every stretch"
        print(f"Profile '{args.name}' reset to the shipped ranges for {what} "
              f"({len(removed)} file(s) removed).")
        return 0
    profiles.require_profile(args.name)
    stretch_ids = [args.stretch] if args.stretch else profiles.profile_stretches(args.name)
    if not stretch_ids:
        print(f"Profile '{args.name}' tunes no stretch: it uses the shipped ranges.")
    for sid in stretch_ids:
        shipped = load_stretch(sid, args.library)
        changed = profiles.profile_overrides(args.name, sid, library_dir=args.library)
        print(f"{shipped.name} [{sid}]")
        if not changed:
            print("  shipped ranges")
        for cid, (low, high) in changed.items():
            c = shipped.check(cid)
            print(f"  {cid}: {format_range(low, high, c.measure.unit)} "
                  f"(shipped {format_range(c.min, c.max, c.measure.unit)})")
    return 0
