"""Profiles: tuned angle ranges per patient or clinic, kept apart from the library.

A profile is a folder ``<profiles dir>/<NAME>/`` holding one small TOML file
per tuned stretch, ``<stretch_id>.toml``, with only what differs from the
shipped reference file::

    [checks.sit_back]
    max = 70.0

    [reps]              # optional: where a repetition counts as "back"
    return_at = 1.0

The profiles dir is ``$POSECHECK_PROFILES_DIR`` when set, else
``<user data dir>/posecheck/profiles``. :func:`resolve_stretch` builds the
stretch a checker uses: the shipped one with the profile applied. Every edit is
validated with the same rules as ``posecheck validate`` (the merged data goes
through :func:`posecheck.reference.parse_stretch`) before anything is written,
so a profile can never make a check impossible.

:func:`save_to_library` writes ranges into the shipped reference file itself,
editing only the ``min``/``max`` values so comments and order survive.
"""

from __future__ import annotations

import copy
import difflib
import logging
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import platformdirs
import tomlkit

from posecheck.errors import PosecheckError, ReferenceFileError
from posecheck.reference import LIBRARY_DIR, Stretch, load_stretch, parse_stretch

logger = logging.getLogger(__name__)

PROFILES_ENV = "POSECHECK_PROFILES_DIR"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# {check_id: (min, max)}; None where the check has no bound on that side.
Ranges = Mapping[str, tuple[float | None, float | None]]


class ProfileError(PosecheckError):
    """A profile name or profile operation that cannot be done."""


class UnknownProfileError(ProfileError):
    """A profile name with no saved profile."""


# ---------------------------------------------------------------- locations


def profiles_root(override: str | Path | None = None) -> Path:
    """The folder holding all profiles (not created here)."""
    if override is not None:
        return Path(override)
    env = os.environ.get(PROFILES_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("posecheck")) / "profiles"


def validate_profile_name(name: str) -> str:
    """``name`` if it is usable as a folder name, else a clear error."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or ".." in name:
        raise ProfileError(
            f"profile name {name!r} is not allowed: use 1 to 64 letters, digits, '_', '-' "
            "or '.', starting with a letter or digit (e.g. 'clinic_a' or 'jane-doe')"
        )
    return name


def profile_path(profile: str, stretch_id: str, profiles_dir_: str | Path | None = None) -> Path:
    """The file holding ``profile``'s overrides for one stretch."""
    validate_profile_name(profile)
    return profiles_root(profiles_dir_) / profile / f"{stretch_id}.toml"


def list_profiles(profiles_dir_: str | Path | None = None) -> list[str]:
    """Names of the saved profiles, sorted."""
    base = profiles_root(profiles_dir_)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and _NAME_RE.match(p.name))


def profile_stretches(profile: str, profiles_dir_: str | Path | None = None) -> list[str]:
    """Ids of the stretches a profile tunes."""
    folder = profiles_root(profiles_dir_) / validate_profile_name(profile)
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def require_profile(profile: str, profiles_dir_: str | Path | None = None) -> None:
    """Nothing when ``profile`` was saved; else an error naming the closest saved one."""
    folder = profiles_root(profiles_dir_) / validate_profile_name(profile)
    if folder.is_dir():
        return
    known = list_profiles(profiles_dir_)
    match = difflib.get_close_matches(profile, known, n=1, cutoff=0.5)
    hint = f" (did you mean '{match[0]}'?)" if match else ""
    listing = f"; saved profiles: {', '.join(known)}" if known else "; no profiles saved yet"
    raise UnknownProfileError(f"no profile '{profile}'{hint}{listing}")


# ---------------------------------------------------------------- reading


def _library_data(stretch_id: str, library_dir: str | Path) -> tuple[Stretch, dict[str, Any]]:
    """The validated shipped stretch and its raw parsed data."""
    shipped = load_stretch(stretch_id, library_dir)
    data = tomllib.loads(Path(shipped.source).read_text(encoding="utf-8"))
    return shipped, data


def _closest_hint(word: str, options: list[str]) -> str:
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _number(path: str, field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "a boolean" if isinstance(value, bool) else type(value).__name__
        raise ReferenceFileError(path, field, f"must be a number, got {kind}")
    return float(value)


def _parse_profile_file(
    path: Path, shipped: Stretch
) -> tuple[dict[str, dict[str, float]], float | None]:
    """Overrides read from one profile file: ({check_id: {min|max: v}}, return_at)."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ReferenceFileError(where, "", "is not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ReferenceFileError(where, "", f"is not valid TOML: {exc}") from None
    for key in data:
        if key not in ("checks", "reps"):
            raise ReferenceFileError(
                where, key, f"unknown key{_closest_hint(key, ['checks', 'reps'])}; a profile "
                "holds only [checks.<id>] tables with min/max and an optional [reps] return_at"
            )
    checks = data.get("checks", {})
    if not isinstance(checks, dict):
        raise ReferenceFileError(where, "checks", "must be a table of [checks.<id>] tables")
    ids = [c.id for c in shipped.checks]
    out: dict[str, dict[str, float]] = {}
    for check_id, table in checks.items():
        field = f"checks.{check_id}"
        if check_id not in ids:
            raise ReferenceFileError(
                where, field, f"no check '{check_id}' in stretch '{shipped.id}'"
                f"{_closest_hint(check_id, ids)}; its checks are: {', '.join(ids)}"
            )
        if not isinstance(table, dict):
            raise ReferenceFileError(where, field, "must be a table with 'min' and/or 'max'")
        values: dict[str, float] = {}
        for key, value in table.items():
            if key not in ("min", "max"):
                raise ReferenceFileError(
                    where, f"{field}.{key}",
                    f"unknown key{_closest_hint(key, ['min', 'max'])}; only 'min' and 'max' "
                    "can be tuned",
                )
            values[key] = _number(where, f"{field}.{key}", value)
        out[check_id] = values
    return_at = None
    if "reps" in data:
        reps = data["reps"]
        if not isinstance(reps, dict):
            raise ReferenceFileError(where, "reps", "must be a table with 'return_at'")
        for key in reps:
            if key != "return_at":
                raise ReferenceFileError(where, f"reps.{key}",
                                         "unknown key; only 'return_at' can be tuned")
        if "return_at" in reps:
            return_at = _number(where, "reps.return_at", reps["return_at"])
    return out, return_at


def _merge(
    data: dict[str, Any],
    shipped: Stretch,
    overrides: Mapping[str, Mapping[str, float | None]],
    return_at: float | None,
    where: str,
) -> dict[str, Any]:
    """A copy of the raw library data with overrides applied, sides checked."""
    merged = copy.deepcopy(data)
    ids = [c.id for c in shipped.checks]
    for check_id, values in overrides.items():
        if check_id not in ids:
            raise ReferenceFileError(
                where, f"checks.{check_id}",
                f"no check '{check_id}' in stretch '{shipped.id}'{_closest_hint(check_id, ids)}"
                f"; its checks are: {', '.join(ids)}",
            )
        check = shipped.check(check_id)
        table = next(c for c in merged["checks"] if c.get("id") == check_id)
        for key, value in values.items():
            had = getattr(check, key) is not None
            if value is None and had:
                raise ReferenceFileError(
                    where, f"checks.{check_id}.{key}",
                    f"cannot remove the shipped '{key}' ({getattr(check, key):g}); "
                    "widen it instead",
                )
            if value is not None and not had:
                raise ReferenceFileError(
                    where, f"checks.{check_id}.{key}",
                    f"the shipped check has no '{key}' (and no cue for it), so a profile "
                    "cannot add one",
                )
            if value is not None:
                table[key] = float(value)
    if return_at is not None:
        if "reps" not in merged:
            raise ReferenceFileError(where, "reps.return_at",
                                     f"stretch '{shipped.id}' is not counted in repetitions")
        merged["reps"]["return_at"] = float(return_at)
    return merged


def _field_label(field: str, shipped: Stretch) -> str:
    """``checks[2].min`` -> ``checks.sit_back.min`` for messages about a profile."""
    m = re.match(r"^checks\[(\d+)\](.*)$", field)
    if m and int(m.group(1)) < len(shipped.checks):
        return f"checks.{shipped.checks[int(m.group(1))].id}{m.group(2)}"
    return field


def _build(
    data: dict[str, Any],
    shipped: Stretch,
    overrides: Mapping[str, Mapping[str, float | None]],
    return_at: float | None,
    where: str,
) -> Stretch:
    """The merged stretch, validated like a library file; errors name ``where``."""
    merged = _merge(data, shipped, overrides, return_at, where)
    try:
        stretch = parse_stretch(merged, shipped.source)
    except ReferenceFileError as exc:
        raise ReferenceFileError(where, _field_label(exc.field, shipped), exc.problem) from None
    return stretch


def _as_sided(overrides: Ranges) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for check_id, pair in overrides.items():
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ProfileError(f"range for check '{check_id}' must be a (min, max) pair")
        out[check_id] = {"min": pair[0], "max": pair[1]}
    return out


def profile_overrides(
    profile: str,
    stretch_id: str,
    *,
    library_dir: str | Path = LIBRARY_DIR,
    profiles_dir: str | Path | None = None,
) -> dict[str, tuple[float | None, float | None]]:
    """The effective (min, max) of every check the profile changes for a stretch."""
    stretch = resolve_stretch(stretch_id, profile, library_dir=library_dir,
                              profiles_dir=profiles_dir, must_exist=False)
    path = profile_path(profile, stretch_id, profiles_dir)
    if not path.is_file():
        return {}
    shipped = load_stretch(stretch_id, library_dir)
    changed, _ = _parse_profile_file(path, shipped)
    return {cid: (stretch.check(cid).min, stretch.check(cid).max) for cid in changed}


def profile_return_at(
    profile: str,
    stretch_id: str,
    *,
    library_dir: str | Path = LIBRARY_DIR,
    profiles_dir: str | Path | None = None,
) -> float | None:
    """The profile's repetition ``return_at`` for a stretch, None when not changed."""
    path = profile_path(profile, stretch_id, profiles_dir)
    if not path.is_file():
        return None
    return _parse_profile_file(path, load_stretch(stretch_id, library_dir))[1]


def resolve_stretch(
    stretch_id: str,
    profile: str | None = None,
    *,
    library_dir: str | Path = LIBRARY_DIR,
    profiles_dir: str | Path | None = None,
    must_exist: bool = True,
) -> Stretch:
    """The stretch to check against: shipped, with ``profile``'s overrides when given.

    A profile that does not tune this stretch gives the shipped stretch. A
    profile name that was never saved is an error unless ``must_exist`` is
    False (a new profile being created). The result's ``extra`` holds
    ``profile`` and ``profile_path`` when a profile file was applied.
    """
    shipped = load_stretch(stretch_id, library_dir)
    if profile is None:
        return shipped
    validate_profile_name(profile)
    if must_exist:
        require_profile(profile, profiles_dir)
    path = profile_path(profile, stretch_id, profiles_dir)
    if not path.is_file():
        return shipped
    overrides, return_at = _parse_profile_file(path, shipped)
    data = tomllib.loads(Path(shipped.source).read_text(encoding="utf-8"))
    stretch = _build(data, shipped, overrides, return_at, str(path))
    extra = {**dict(shipped.extra), "profile": profile, "profile_path": str(path)}
    return replace(stretch, source=shipped.source, extra=extra)


# ---------------------------------------------------------------- writing


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a reader never sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _clean(value: float) -> float | int:
    """A value as written to a file: one decimal, integers without '.0'."""
    value = round(float(value), 1)
    return int(value) if value.is_integer() else value


def validate_overrides(
    stretch_id: str,
    overrides: Ranges,
    *,
    return_at: float | None = None,
    library_dir: str | Path = LIBRARY_DIR,
    label: str = "edit",
) -> Stretch:
    """The shipped stretch with ``overrides`` applied, refused with a reason if invalid."""
    shipped, data = _library_data(stretch_id, library_dir)
    where = f"{label} of {stretch_id}"
    return _build(data, shipped, _as_sided(overrides), return_at, where)


def save_overrides(
    profile: str,
    stretch_id: str,
    overrides: Ranges,
    *,
    return_at: float | None = None,
    library_dir: str | Path = LIBRARY_DIR,
    profiles_dir: str | Path | None = None,
) -> Path | None:
    """Set ranges for some checks in a profile (others keep their profile values).

    ``overrides`` maps check ids to (min, max), None where the shipped check
    has no bound. Values equal to the shipped ones are dropped, so the file
    holds only differences; when nothing differs the file is removed and None
    returned. Nothing is written unless the whole merged stretch validates.
    """
    validate_profile_name(profile)
    path = profile_path(profile, stretch_id, profiles_dir)
    shipped, data = _library_data(stretch_id, library_dir)
    current: dict[str, dict[str, float | None]] = {}
    current_return = None
    if path.is_file():
        existing, current_return = _parse_profile_file(path, shipped)
        current = {k: dict(v) for k, v in existing.items()}
    for check_id, values in _as_sided(overrides).items():
        current.setdefault(check_id, {}).update(values)
    if return_at is not None:
        current_return = return_at
    stretch = _build(data, shipped, current, current_return, str(path))

    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"posecheck profile '{profile}': tuned ranges for "
                            f"'{stretch_id}' ({shipped.name})."))
    doc.add(tomlkit.comment("Only values that differ from the shipped reference file."))
    checks = tomlkit.table(is_super_table=True)
    for check in shipped.checks:
        tuned = stretch.check(check.id)
        table = tomlkit.table()
        for key in ("min", "max"):
            new, old = getattr(tuned, key), getattr(check, key)
            if new is not None and old is not None and abs(new - old) > 1e-9:
                table[key] = _clean(new)
                table[key].comment(f"shipped: {old:g}")
        if table:
            checks[check.id] = table
    if checks:
        doc["checks"] = checks
    if (stretch.reps is not None and shipped.reps is not None
            and abs(stretch.reps.return_at - shipped.reps.return_at) > 1e-9):
        reps = tomlkit.table()
        reps["return_at"] = _clean(stretch.reps.return_at)
        reps["return_at"].comment(f"shipped: {shipped.reps.return_at:g}")
        doc["reps"] = reps
    if "checks" not in doc and "reps" not in doc:
        path.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)  # the profile itself stays listed
        logger.info("profile %s matches the shipped %s; removed %s", profile, stretch_id, path)
        return None
    write_text_atomically(path, tomlkit.dumps(doc))
    logger.info("saved profile %s for %s to %s", profile, stretch_id, path)
    return path


def create_profile(profile: str, profiles_dir_: str | Path | None = None) -> Path:
    """Create an empty profile folder (a no-op when it exists)."""
    folder = profiles_root(profiles_dir_) / validate_profile_name(profile)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def reset(
    profile: str,
    stretch_id: str | None = None,
    *,
    profiles_dir: str | Path | None = None,
) -> list[Path]:
    """Back to shipped values: drop one stretch's overrides, or the whole profile.

    Returns the files removed. Resetting the whole profile removes its folder,
    unless it keeps routines (``routines/``): those are the patient's
    programme, not tuned ranges, and stay.
    """
    require_profile(profile, profiles_dir)
    folder = profiles_dir_of(profile, profiles_dir)
    if stretch_id is not None:
        path = folder / f"{stretch_id}.toml"
        if not path.is_file():
            return []
        path.unlink()
        return [path]
    removed = sorted(folder.glob("*.toml"))
    if (folder / "routines").is_dir():
        for path in removed:
            path.unlink()
        return removed
    shutil.rmtree(folder)
    return removed


def profiles_dir_of(profile: str, profiles_dir_: str | Path | None = None) -> Path:
    """The folder of one profile."""
    return profiles_root(profiles_dir_) / validate_profile_name(profile)


def save_to_library(
    stretch_id: str,
    overrides: Ranges,
    *,
    return_at: float | None = None,
    library_dir: str | Path = LIBRARY_DIR,
) -> Path:
    """Write ranges into the shipped reference file, keeping its comments and order.

    Only the ``min``/``max`` (and ``[reps] return_at``) values change. A bound
    cannot be added or removed here (its cue would be missing or orphaned);
    the edited file is validated before it replaces the original.
    """
    shipped, data = _library_data(stretch_id, library_dir)
    path = Path(shipped.source)
    sided = _as_sided(overrides)
    _build(data, shipped, sided, return_at, str(path))  # validate first

    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    for table in doc["checks"]:
        values = sided.get(str(table.get("id")))
        if not values:
            continue
        for key, value in values.items():
            if value is None:
                continue
            old = table[key]
            new = tomlkit.item(_clean(value))
            new.trivia.comment = old.trivia.comment
            new.trivia.comment_ws = old.trivia.comment_ws
            table[key] = new
    if return_at is not None:
        old = doc["reps"]["return_at"]
        new = tomlkit.item(_clean(return_at))
        new.trivia.comment = old.trivia.comment
        new.trivia.comment_ws = old.trivia.comment_ws
        doc["reps"]["return_at"] = new
    text = tomlkit.dumps(doc)
    parse_stretch(tomllib.loads(text), str(path))  # the file as written must validate
    write_text_atomically(path, text)
    logger.info("saved ranges for %s into %s", stretch_id, path)
    return path
