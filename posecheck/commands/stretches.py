"""``posecheck stretches``: list the stretch library."""

from __future__ import annotations

import argparse

from posecheck.reference import LIBRARY_DIR, load_library


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stretches", help="list the stretches in the library",
                       description="List the stretch library: id, name, camera view, dosage.")
    p.add_argument("--library", default=str(LIBRARY_DIR), help="folder of reference files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    library = load_library(args.library)
    rows = [(s.id, s.name, f"{s.view} view", " | ".join(d.describe() for d in s.dosages))
            for s in library.values()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3])
    return 0
