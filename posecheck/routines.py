"""Routines: several stretches in order, each with its dosage, with rest between.

A routine is a TOML file, like a stretch: the shipped ones live in
``reference_poses/routines/``, and a physiotherapist can keep routines for
one patient in that patient's profile, ``<profiles dir>/<NAME>/routines/``.
Each step names a stretch of the library and either picks one of that
stretch's dosages (``dosage = 2``) or sets one for this patient (a
``[steps.dosage]`` table with the same fields as a stretch's dosage). A file
is validated on load with the same rules as a stretch file; an error names
the file, the line and the field. ``reference_poses/routines/README.md``
documents the format.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from posecheck.errors import PosecheckError, ReferenceFileError
from posecheck.reference import (
    LIBRARY_DIR,
    Dosage,
    Stretch,
    _closest,
    _dosage,
    _Reader,
    library_files,
    load_library,
)

ROUTINES_DIR = LIBRARY_DIR / "routines"
DEFAULT_REST_S = 30.0
TOP_KEYS = ("id", "name", "summary", "rest_s", "notes", "steps")
STEP_KEYS = ("stretch", "dosage", "rest_after_s")


class UnknownRoutineError(PosecheckError):
    """A routine id that is neither shipped nor in the profile."""


@dataclass(frozen=True)
class RoutineStep:
    stretch_id: str
    dosage: Dosage
    dosage_index: int | None  # index into the stretch's dosages; None: set for this patient
    rest_after_s: float  # rest before the next step (unused after the last)

    @property
    def custom(self) -> bool:
        return self.dosage_index is None


@dataclass(frozen=True)
class Routine:
    id: str
    name: str
    summary: str
    steps: tuple[RoutineStep, ...]
    notes: tuple[str, ...] = ()
    source: str = ""
    profile: str | None = None  # the profile the routine was kept in, if any

    def stretch_for(self, index: int, library: Mapping[str, Stretch]) -> tuple[Stretch, int]:
        """Step ``index``'s stretch (from ``library``) and the dosage index to run it with.

        A dosage set for this patient becomes the stretch's first dosage.
        """
        step = self.steps[index]
        stretch = library[step.stretch_id]
        if step.dosage_index is not None:
            return stretch, step.dosage_index
        return replace(stretch, dosages=(step.dosage, *stretch.dosages)), 0

    def describe(self) -> str:
        return " -> ".join(s.stretch_id for s in self.steps)


# ---------------------------------------------------------------- line numbers

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\" -]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\"-]+)\s*=")


def field_lines(text: str) -> dict[str, int]:
    """Line number (from 1) of every table header and key, by dotted field name.

    ``steps[1].dosage.hold_s`` is the ``hold_s`` key of the second step's
    dosage table. Enough TOML for routine files: headers, arrays of tables and
    plain keys (an inline table is found by the line of its key).
    """
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    prefix = ""
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            name = header.group(1).replace('"', "").strip()
            if line.lstrip().startswith("[["):
                counts[name] = counts.get(name, 0) + 1
                prefix = f"{name}[{counts[name] - 1}]"
            else:
                parent, _, child = name.rpartition(".")
                prefix = f"{parent}[{counts[parent] - 1}].{child}" if parent in counts else name
            lines.setdefault(prefix, number)
            continue
        key = _KEY.match(line)
        if key:
            name = key.group(1).replace('"', "")
            lines.setdefault(f"{prefix}.{name}" if prefix else name, number)
    return lines


def _line_of(lines: Mapping[str, int], field: str) -> int | None:
    parts = field
    while parts:
        if parts in lines:
            return lines[parts]
        cut = max(parts.rfind("."), parts.rfind("["))
        parts = parts[:cut] if cut > 0 else ""
    return None


def _with_line(exc: ReferenceFileError, text: str) -> ReferenceFileError:
    """The same error, with the line of its field after the file name."""
    line = _line_of(field_lines(text), exc.field) if exc.field else None
    if line is None:
        return exc
    return ReferenceFileError(f"{exc.path}:{line}", exc.field, exc.problem)


# ---------------------------------------------------------------- parsing


def _step(r: _Reader, library: Mapping[str, Stretch], default_rest_s: float) -> RoutineStep:
    r.expect(*STEP_KEYS)
    stretch_id = r.text("stretch")
    if stretch_id not in library:
        raise r.fail("stretch", f"no stretch '{stretch_id}'{_closest(stretch_id, library)}; "
                     "see 'posecheck stretches'")
    stretch = library[stretch_id]
    raw = r.get("dosage", (int, dict), 1)
    if isinstance(raw, dict):
        dosage = _dosage(_Reader(r.path, f"{r.where}.dosage", raw))
        if dosage.kind == "reps" and stretch.reps is None:
            raise r.fail("dosage.kind", f"'{stretch_id}' has no way to count repetitions; "
                         "give it a hold dosage")
        index: int | None = None
    else:
        count = len(stretch.dosages)
        if not 1 <= raw <= count:
            options = "; ".join(f"{i} = {d.describe()}" for i, d in enumerate(stretch.dosages, 1))
            raise r.fail("dosage", f"'{stretch_id}' has {count} dosage(s), so 'dosage' must be "
                         f"1 to {count} ({options}), or a table setting one for this patient")
        index = raw - 1
        dosage = stretch.dosages[index]
    rest = r.get("rest_after_s", float, default_rest_s)
    if rest < 0:
        raise r.fail("rest_after_s", "must not be negative")
    r.finish()
    return RoutineStep(stretch_id, dosage, index, rest)


def parse_routine(data: Mapping[str, Any], path: str, library: Mapping[str, Stretch]
                  ) -> Routine:
    """Validate a parsed routine file against ``library`` and build its :class:`Routine`."""
    r = _Reader(path, "", dict(data))
    r.expect(*TOP_KEYS)
    routine_id = r.text("id")
    name = r.text("name")
    summary = r.get("summary", str, "")
    rest_s = r.get("rest_s", float, DEFAULT_REST_S)
    if rest_s < 0:
        raise r.fail("rest_s", "must not be negative")
    notes = r.strings("notes", [])
    raw_steps = r.get("steps", list)
    if not raw_steps:
        raise r.fail("steps", "needs at least one step ([[steps]] with a 'stretch')")
    steps = tuple(_step(_Reader(path, f"steps[{i}]", s), library, rest_s)
                  for i, s in enumerate(raw_steps))
    r.finish()
    return Routine(routine_id, name, summary, steps, tuple(notes), path)


def load_routine_file(path: str | Path, library: Mapping[str, Stretch] | None = None,
                      profile: str | None = None) -> Routine:
    """Load and validate one routine file; errors name the file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReferenceFileError(str(path), "", "file not found") from None
    except IsADirectoryError:
        raise ReferenceFileError(str(path), "", "is a folder, not a routine file") from None
    except UnicodeDecodeError:
        raise ReferenceFileError(str(path), "", "is not a UTF-8 text file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ReferenceFileError(str(path), "", f"is not valid TOML: {exc}") from None
    lib = load_library() if library is None else library
    try:
        routine = parse_routine(data, str(path), lib)
        if routine.id != path.stem:
            raise ReferenceFileError(str(path), "id", f"'{routine.id}' must match the file "
                                     f"name '{path.stem}'")
    except ReferenceFileError as exc:
        raise _with_line(exc, text) from None
    return replace(routine, profile=profile)


def is_routine_file(path: str | Path) -> bool:
    """Whether a TOML file is a routine (it has steps) rather than a stretch."""
    path = Path(path)
    if path.parent.name == "routines":
        return True
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return "steps" in data and "checks" not in data


# ---------------------------------------------------------------- where routines are kept


def profile_routines_dir(profile: str, profiles_dir: str | Path | None = None) -> Path:
    from posecheck.profiles import profiles_dir_of

    return profiles_dir_of(profile, profiles_dir) / "routines"


def routine_files(profile: str | None = None, *, routines_dir: str | Path = ROUTINES_DIR,
                  profiles_dir: str | Path | None = None) -> dict[str, tuple[Path, str | None]]:
    """Routine id -> (file, profile or None): shipped ones, then the profile's (which win)."""
    found: dict[str, tuple[Path, str | None]] = {
        p.stem: (p, None) for p in library_files(routines_dir)
    }
    if profile is not None:
        from posecheck.profiles import require_profile

        require_profile(profile, profiles_dir)
        for p in library_files(profile_routines_dir(profile, profiles_dir)):
            found[p.stem] = (p, profile)
    return dict(sorted(found.items()))


def load_routines(profile: str | None = None, *, library: Mapping[str, Stretch] | None = None,
                  routines_dir: str | Path = ROUTINES_DIR,
                  profiles_dir: str | Path | None = None) -> dict[str, Routine]:
    """Every routine available (shipped, and the profile's), by id; a bad file refuses all."""
    lib = load_library() if library is None else library
    return {rid: load_routine_file(path, lib, owner)
            for rid, (path, owner) in routine_files(
                profile, routines_dir=routines_dir, profiles_dir=profiles_dir).items()}


def routine_names(profile: str | None = None) -> dict[str, str]:
    """Each available routine's name by id, for display; empty if a routine file is bad
    (the ids then stand in for the names)."""
    try:
        return {rid: r.name for rid, r in load_routines(profile).items()}
    except (PosecheckError, OSError):
        return {}


def load_routine(routine: str, profile: str | None = None, *,
                 library: Mapping[str, Stretch] | None = None,
                 routines_dir: str | Path = ROUTINES_DIR,
                 profiles_dir: str | Path | None = None) -> Routine:
    """A routine by id (shipped or the profile's), or from a file path."""
    lib = load_library() if library is None else library
    if routine.endswith(".toml") or "/" in routine:
        return load_routine_file(routine, lib, None)
    files = routine_files(profile, routines_dir=routines_dir, profiles_dir=profiles_dir)
    if routine not in files:
        where = f" or in profile '{profile}'" if profile else ""
        raise UnknownRoutineError(
            f"no routine '{routine}'{_closest(routine, files)} among the shipped routines"
            f"{where}; known routines: {', '.join(files) or 'none'}")
    path, owner = files[routine]
    return load_routine_file(path, lib, owner)


def save_to_profile(profile: str, source: str | Path, *, overwrite: bool = False,
                    library: Mapping[str, Stretch] | None = None,
                    profiles_dir: str | Path | None = None) -> Path:
    """Keep a routine file in a patient's profile, after validating it.

    The file keeps its name (which is the routine id) and comments. An
    existing routine of that id in the profile is kept unless ``overwrite``.
    """
    from posecheck.profiles import create_profile

    routine = load_routine_file(source, library)
    folder = profile_routines_dir(profile, profiles_dir)
    dest = folder / f"{routine.id}.toml"
    if dest.exists() and not overwrite:
        raise PosecheckError(f"{dest} already exists; pass --overwrite to replace it")
    create_profile(profile, profiles_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=folder)
    try:
        with open(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
        Path(tmp).replace(dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def remove_from_profile(profile: str, routine_id: str,
                        profiles_dir: str | Path | None = None) -> Path:
    """Delete one routine kept in a profile; the shipped routines cannot be removed."""
    from posecheck.profiles import require_profile

    require_profile(profile, profiles_dir)
    path = profile_routines_dir(profile, profiles_dir) / f"{routine_id}.toml"
    if not path.is_file():
        raise UnknownRoutineError(f"profile '{profile}' keeps no routine '{routine_id}'")
    path.unlink()
    return path
