"""``posecheck validate``: check reference files and report every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from posecheck.errors import ReferenceFileError
from posecheck.reference import LIBRARY_DIR, library_files, load_stretch_file


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check reference files for mistakes",
                       description="Check reference files (default: the whole library). "
                       "Exits non-zero if any file is malformed.")
    p.add_argument("paths", nargs="*", help="reference files or folders")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files: list[Path] = []
    for raw in args.paths or [str(LIBRARY_DIR)]:
        path = Path(raw)
        files.extend(library_files(path) if path.is_dir() else [path])
    if not files:
        print("posecheck: error: no reference files found")
        return 1
    failed = 0
    for path in files:
        try:
            stretch = load_stretch_file(path)
        except ReferenceFileError as exc:
            failed += 1
            print(f"FAIL {exc}")
        else:
            print(f"ok   {path}  ({stretch.name}, {len(stretch.checks)} checks)")
    print(f"{len(files) - failed} valid, {failed} invalid")
    return 1 if failed else 0
