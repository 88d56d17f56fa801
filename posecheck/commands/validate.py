"""``posecheck validate``: check reference files and routines, and report every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from posecheck.errors import PosecheckError, ReferenceFileError
from posecheck.reference import LIBRARY_DIR, library_files, load_library, load_stretch_file


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check reference files and routines for mistakes",
                       description="Check stretch reference files and routine files (default: "
                       "the whole library, the shipped routines and every profile's routines). "
                       "Exits non-zero if any file is malformed.")
    p.add_argument("paths", nargs="*", help="stretch or routine files, or folders of them")
    p.set_defaults(func=run)


def _default_files() -> list[Path]:
    from posecheck import profiles, routines

    files = library_files(LIBRARY_DIR) + library_files(routines.ROUTINES_DIR)
    try:
        names = profiles.list_profiles()
    except OSError:
        names = []
    for name in names:
        files.extend(library_files(routines.profile_routines_dir(name)))
    return files


def _expand(raw: str) -> list[Path]:
    path = Path(raw)
    if not path.is_dir():
        return [path]
    files = library_files(path)
    if (path / "routines").is_dir():
        files.extend(library_files(path / "routines"))
    return files


def run(args: argparse.Namespace) -> int:
    from posecheck import routines

    files: list[Path] = []
    if args.paths:
        for raw in args.paths:
            files.extend(_expand(raw))
    else:
        files = _default_files()
    if not files:
        print("posecheck: error: no reference files found")
        return 1
    library = None
    failed = 0
    for path in files:
        try:
            if routines.is_routine_file(path):
                if library is None:
                    library = load_library()
                routine = routines.load_routine_file(path, library)
                print(f"ok   {path}  (routine: {routine.name}, {len(routine.steps)} steps)")
            else:
                stretch = load_stretch_file(path)
                print(f"ok   {path}  ({stretch.name}, {len(stretch.checks)} checks)")
        except ReferenceFileError as exc:
            failed += 1
            print(f"FAIL {exc}")
        except PosecheckError as exc:  # the library itself is broken: routines cannot be checked
            failed += 1
            print(f"FAIL {path}: {exc}")
    print(f"{len(files) - failed} valid, {failed} invalid")
    return 1 if failed else 0
