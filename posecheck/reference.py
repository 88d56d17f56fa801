"""Stretch reference files: load, validate, and describe.

A stretch is data, not code: one TOML file per stretch in ``reference_poses/``
holds its name, setup, dosage, safety notes, phases and checks. This module
turns such a file into typed, validated objects, and refuses a malformed file
with a message naming the file, the field and, for a misspelling, the closest
valid name. ``reference_poses/README.md`` documents the format.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from posecheck.errors import ReferenceFileError, UnknownStretchError
from posecheck.pose import LANDMARK_NAMES, PAIRED_PARTS

LIBRARY_DIR = Path(__file__).resolve().parent.parent / "reference_poses"

MEASURE_KINDS = ("angle", "inclination", "elevation", "lean", "height", "length")
MEASURE_POINTS = {"angle": 3, "inclination": 2, "elevation": 2, "lean": 2, "height": 3,
                  "length": 2}
MEASURE_UNITS = {"height": "%", "length": "%"}  # everything else is in degrees
SIDES = ("facing", "far", "left", "right", "mid", "active", "other")
ROLES = ("position", "form", "safety", "view")
# How the body is placed in a stretch, and the parts recognition can ask to
# stay still (posecheck/posture.py measures both).
POSTURES = ("standing", "sitting", "kneeling", "lying_back", "lying_front")
MOVING_PARTS = ("hips", "knees")
VIEWS = ("side", "front")
DOSAGE_KINDS = ("hold", "reps")
# Unsided body-part names usable in ``points`` (resolved with the check's side).
PART_NAMES = tuple(sorted(set(PAIRED_PARTS) | {"nose"}))
POINT_NAMES = tuple(sorted(set(LANDMARK_NAMES) | set(PART_NAMES)))


def alternatives(point: str) -> tuple[str, ...]:
    """The body parts a point may stand for: "ankle|heel|foot_index" is three."""
    return tuple(point.split("|"))


@dataclass(frozen=True)
class Measure:
    """What a check measures. See reference_poses/README.md for conventions."""

    kind: str
    points: tuple[str, ...]
    side: str = "facing"
    reference: str = "horizontal"  # inclination only: horizontal | vertical
    toward: str = "back"  # lean only: back | front
    # A far-side joint the camera cannot see, lying just behind its near-side
    # twin, is taken to be there: the near limb hides it because they overlap.
    hidden_behind_near: bool = False

    @property
    def unit(self) -> str:
        return MEASURE_UNITS.get(self.kind, "deg")


@dataclass(frozen=True)
class Check:
    id: str
    label: str
    measure: Measure
    min: float | None
    max: float | None
    cue_low: str | None
    cue_high: str | None
    priority: int
    role: str = "form"
    required: bool = True
    hysteresis: float = 3.0
    # Judge the change from the person's own resting value (the median over the
    # first BASELINE_S seconds the measure is seen) instead of the raw value.
    relative: bool = False

    def with_range(self, low: float | None, high: float | None) -> Check:
        return replace(self, min=low, max=high)


@dataclass(frozen=True)
class Dosage:
    kind: str  # hold | reps
    sets: int
    hold_s: float = 0.0
    reps: int = 0
    rest_s: float = 10.0
    per_side: bool = False
    alternate: bool = False  # switch side after every hold or set, not after all of them
    label: str = ""

    def describe(self) -> str:
        side = " each side" if self.per_side else ""
        if self.kind == "hold":
            text = f"{self.sets} x {self.hold_s:g} s hold{side}"
        else:
            sets = f"{self.sets} x " if self.sets > 1 else ""
            text = f"{sets}{self.reps} repetitions{side}"
        # A label that only names the kind ("Holds") would say it twice.
        if not self.label or self.label.lower().rstrip("s") in text.lower():
            return text
        return f"{self.label}: {text}"


@dataclass(frozen=True)
class Reps:
    """How a repetition is counted: into the check's range, then back past return_at.

    ``defined_by`` names every check whose movement the repetition is (``check``
    first): a repetition counts only when all of them are met together, even
    those that are advice for the form frame by frame. Between repetitions
    they are the start position, not a fault.
    """

    check: str
    return_at: float
    defined_by: tuple[str, ...] = ()

    @property
    def defining(self) -> tuple[str, ...]:
        return (self.check, *(c for c in self.defined_by if c != self.check))


@dataclass(frozen=True)
class SideRule:
    """Which side is working: the side whose measure is smallest or largest."""

    measure: Measure
    pick: str  # min | max
    label: str = "side"


@dataclass(frozen=True)
class Recognizable:
    """What tells the stretch apart when recognising it (the file's [recognition] table)."""

    posture: tuple[str, ...] = ()  # how the body may be placed; empty: any
    still: tuple[str, ...] = ()  # parts that barely move during the stretch


@dataclass(frozen=True)
class Stretch:
    id: str
    name: str
    summary: str
    view: str
    setup: str
    visible: tuple[str, ...]
    instructions: tuple[str, ...]
    safety: tuple[str, ...]
    dosages: tuple[Dosage, ...]
    phases: Mapping[str, str]
    checks: tuple[Check, ...]
    reps: Reps | None = None
    sides: SideRule | None = None
    min_visibility: float = 0.5
    recognition: Recognizable = field(default_factory=Recognizable)
    source: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dosage(self) -> Dosage:
        return self.dosages[0]

    @property
    def has_sides(self) -> bool:
        return any(d.per_side for d in self.dosages) or self.sides is not None

    def check(self, check_id: str) -> Check:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)


# ---------------------------------------------------------------- validation


def _closest(word: str, options: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


class _Reader:
    """Reads one table of a parsed file, tracking which keys were used."""

    def __init__(self, path: str, where: str, table: Any) -> None:
        self.path = path
        self.where = where
        if not isinstance(table, dict):
            raise ReferenceFileError(path, where, f"must be a table, got {_type(table)}")
        self.table = table
        self.seen: set[str] = set()

    def _field(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, problem: str) -> ReferenceFileError:
        return ReferenceFileError(self.path, self._field(key), problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.seen.add(key)
        if key not in self.table:
            if default is ...:
                raise self.fail(key, "is required but missing")
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(key, f"must be {_names(kinds)}, got a boolean")
        if not isinstance(value, kinds):
            raise self.fail(key, f"must be {_names(kinds)}, got {_type(value)}")
        return value

    def text(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if isinstance(value, str) and not value.strip():
            raise self.fail(key, "must not be empty")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if value is not None and value not in options:
            raise self.fail(
                key, f"'{value}' is not one of {', '.join(options)}{_closest(value, options)}"
            )
        return value

    def strings(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(key, list, default)
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{key}[{i}]", "must be a non-empty string")
        return tuple(value)

    def expect(self, *keys: str) -> None:
        """Refuse unknown keys up front, so a misspelling is named as one."""
        for key in self.table:
            if key not in keys:
                raise self.fail(key, f"unknown key{_closest(key, keys)}")

    def finish(self) -> None:
        for key in self.table:
            if key not in self.seen:
                raise self.fail(key, f"unknown key{_closest(key, self.seen)}")


def _type(value: Any) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join(_type(k()) if k is not dict else "a table" for k in kinds)


def _check_point(r: _Reader, key: str, point: str) -> None:
    """Refuse a point naming an unknown landmark, in any of its alternatives."""
    for part in alternatives(point):
        if part not in POINT_NAMES:
            raise r.fail(key, f"unknown landmark '{part}'{_closest(part, POINT_NAMES)}")


def _measure(r: _Reader, default_side: str) -> Measure:
    kind = r.choice("measure", MEASURE_KINDS)
    points = r.strings("points")
    if len(points) != MEASURE_POINTS[kind]:
        raise r.fail("points", f"a '{kind}' measure takes {MEASURE_POINTS[kind]} points, "
                     f"got {len(points)}")
    for i, point in enumerate(points):
        _check_point(r, f"points[{i}]", point)
    side = r.choice("side", SIDES, default_side)
    reference = r.choice("reference", ("horizontal", "vertical"), "horizontal")
    toward = r.choice("toward", ("back", "front"), "back")
    if kind != "inclination" and "reference" in r.table:
        raise r.fail("reference", "only an 'inclination' measure takes a reference")
    if kind != "lean" and "toward" in r.table:
        raise r.fail("toward", "only a 'lean' measure takes 'toward'")
    behind = r.get("hidden_behind_near", bool, False)
    return Measure(kind, points, side, reference, toward, behind)


CHECK_KEYS = ("id", "label", "role", "measure", "points", "side", "reference", "toward", "min",
              "max", "cue_low", "cue_high", "priority", "required", "hysteresis", "relative",
              "hidden_behind_near")
DOSAGE_KEYS = ("kind", "sets", "hold_s", "reps", "rest_s", "per_side", "alternate", "label")
TOP_KEYS = ("id", "name", "summary", "view", "setup", "visible", "instructions", "safety",
            "dosage", "phases", "checks", "reps", "sides", "min_visibility", "recognition")


def _check(r: _Reader, default_side: str) -> Check:
    r.expect(*CHECK_KEYS)
    check_id = r.text("id")
    measure = _measure(r, default_side)
    low = r.get("min", float, None)
    high = r.get("max", float, None)
    if low is None and high is None:
        raise r.fail("min", "a check needs 'min', 'max' or both")
    if low is not None and high is not None and low >= high:
        raise r.fail("min", f"range is empty: min {low:g} is not below max {high:g}")
    cue_low = r.text("cue_low", None)
    cue_high = r.text("cue_high", None)
    if low is not None and cue_low is None:
        raise r.fail("cue_low", "is required when 'min' is set (what to say below the range)")
    if high is not None and cue_high is None:
        raise r.fail("cue_high", "is required when 'max' is set (what to say above the range)")
    if low is None and cue_low is not None:
        raise r.fail("cue_low", "is given but there is no 'min'")
    if high is None and cue_high is not None:
        raise r.fail("cue_high", "is given but there is no 'max'")
    relative = r.get("relative", bool, False)
    if measure.unit == "deg" and not relative:
        limit = 180.0 if measure.kind == "angle" else 90.0
        lowest = 0.0 if measure.kind in ("angle", "inclination") else -limit
        for key, value in (("min", low), ("max", high)):
            if value is not None and not lowest <= value <= limit:
                raise r.fail(key, f"{value:g} is outside what a '{measure.kind}' measure can "
                             f"reach ({lowest:g} to {limit:g} degrees)")
    priority = r.get("priority", int)
    if priority < 1:
        raise r.fail("priority", "must be 1 or more (1 is the most important)")
    hysteresis = r.get("hysteresis", float, 3.0)
    if hysteresis < 0:
        raise r.fail("hysteresis", "must not be negative")
    check = Check(
        id=check_id,
        label=r.text("label"),
        measure=measure,
        min=low,
        max=high,
        cue_low=cue_low,
        cue_high=cue_high,
        priority=priority,
        role=r.choice("role", ROLES, "form"),
        required=r.get("required", bool, True),
        hysteresis=hysteresis,
        relative=relative,
    )
    r.finish()
    return check


def _dosage(r: _Reader) -> Dosage:
    r.expect(*DOSAGE_KEYS)
    kind = r.choice("kind", DOSAGE_KINDS)
    sets = r.get("sets", int, 1)
    if sets < 1:
        raise r.fail("sets", "must be at least 1")
    hold_s = r.get("hold_s", float, 0.0)
    reps = r.get("reps", int, 0)
    if kind == "hold" and hold_s <= 0:
        raise r.fail("hold_s", "a hold dosage needs a positive 'hold_s'")
    if kind == "reps" and reps < 1:
        raise r.fail("reps", "a repetition dosage needs 'reps' of at least 1")
    rest_s = r.get("rest_s", float, 10.0)
    if rest_s < 0:
        raise r.fail("rest_s", "must not be negative")
    dosage = Dosage(
        kind=kind,
        sets=sets,
        hold_s=hold_s,
        reps=reps,
        rest_s=rest_s,
        per_side=r.get("per_side", bool, False),
        alternate=r.get("alternate", bool, False),
        label=r.get("label", str, ""),
    )
    r.finish()
    return dosage


def parse_stretch(data: Mapping[str, Any], path: str) -> Stretch:
    """Validate a parsed reference file and build its :class:`Stretch`."""
    r = _Reader(path, "", dict(data))
    r.expect(*TOP_KEYS)
    stretch_id = r.text("id")
    view = r.choice("view", VIEWS)
    default_side = "facing" if view == "side" else "mid"
    visible = r.strings("visible")
    for i, part in enumerate(visible):
        _check_point(r, f"visible[{i}]", part)

    dosage_list = r.get("dosage", list)
    if not dosage_list:
        raise r.fail("dosage", "needs at least one dosage")
    dosages = tuple(_dosage(_Reader(path, f"dosage[{i}]", d)) for i, d in enumerate(dosage_list))

    phases_r = _Reader(path, "phases", r.get("phases", dict))
    phases = {"start": phases_r.text("start"), "stretch": phases_r.text("stretch")}
    phases_r.finish()

    check_list = r.get("checks", list)
    if not check_list:
        raise r.fail("checks", "needs at least one check")
    checks = []
    seen_ids: set[str] = set()
    for i, c in enumerate(check_list):
        check = _check(_Reader(path, f"checks[{i}]", c), default_side)
        if check.id in seen_ids:
            raise ReferenceFileError(path, f"checks[{i}].id", f"duplicate check id '{check.id}'")
        seen_ids.add(check.id)
        checks.append(check)
    if not any(c.role == "position" for c in checks):
        raise r.fail("checks", "at least one check must have role = \"position\" "
                     "(it says when the person is in the stretch)")

    reps = None
    if "reps" in r.table:
        rr = _Reader(path, "reps", r.get("reps", dict))
        rep_check = rr.text("check")
        if rep_check not in seen_ids:
            raise rr.fail("check", f"no check '{rep_check}'{_closest(rep_check, seen_ids)}")
        return_at = rr.get("return_at", float)
        target = next(c for c in checks if c.id == rep_check)
        if target.min is not None and target.max is None and return_at >= target.min:
            raise rr.fail("return_at", f"must be below the check's min ({target.min:g})")
        if target.max is not None and target.min is None and return_at <= target.max:
            raise rr.fail("return_at", f"must be above the check's max ({target.max:g})")
        if target.min is not None and target.max is not None:
            raise rr.fail("check", "repetitions need a check with only 'min' or only 'max'")
        defined_by = rr.strings("defined_by", [])
        for i, defining in enumerate(defined_by):
            if defining not in seen_ids:
                raise rr.fail(f"defined_by[{i}]",
                              f"no check '{defining}'{_closest(defining, seen_ids)}")
        rr.finish()
        reps = Reps(rep_check, return_at, tuple(defined_by))
    if any(d.kind == "reps" for d in dosages) and reps is None:
        raise r.fail("reps", "a repetition dosage needs a [reps] table saying how a rep is counted")

    sides = None
    if "sides" in r.table:
        sr = _Reader(path, "sides", r.get("sides", dict))
        measure = _measure(sr, "left")
        if any(p.startswith(("left_", "right_")) for p in measure.points):
            raise sr.fail("points", "side-choosing points must be unsided (e.g. 'knee')")
        sides = SideRule(measure, sr.choice("pick", ("min", "max")), sr.get("label", str, "side"))
        sr.finish()
    for c in checks:
        if c.measure.side in ("active", "other") and sides is None:
            raise ReferenceFileError(path, f"checks.{c.id}.side",
                                     f"'{c.measure.side}' needs a [sides] table")

    recognition = Recognizable()
    if "recognition" in r.table:
        rr = _Reader(path, "recognition", r.get("recognition", dict))
        posture = rr.strings("posture", ())
        still = rr.strings("still", ())
        for key, values, options in (("posture", posture, POSTURES),
                                     ("still", still, MOVING_PARTS)):
            for i, value in enumerate(values):
                if value not in options:
                    raise rr.fail(f"{key}[{i}]", f"'{value}' is not one of {', '.join(options)}"
                                  f"{_closest(value, options)}")
        rr.finish()
        recognition = Recognizable(posture, still)
    min_vis = r.get("min_visibility", float, 0.5)
    if not 0 <= min_vis <= 1:
        raise r.fail("min_visibility", "must be between 0 and 1")
    safety = r.strings("safety")
    if not safety:
        raise r.fail("safety", "needs at least one safety note")

    stretch = Stretch(
        id=stretch_id,
        name=r.text("name"),
        summary=r.text("summary"),
        view=view,
        setup=r.text("setup"),
        visible=visible,
        instructions=r.strings("instructions"),
        safety=safety,
        dosages=dosages,
        phases=phases,
        checks=tuple(checks),
        reps=reps,
        sides=sides,
        min_visibility=min_vis,
        recognition=recognition,
        source=path,
    )
    r.finish()
    return stretch


def load_stretch_file(path: str | Path) -> Stretch:
    """Load and validate one reference file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReferenceFileError(str(path), "", "file not found") from None
    except UnicodeDecodeError:
        raise ReferenceFileError(str(path), "", "is not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ReferenceFileError(str(path), "", f"is not valid TOML: {exc}") from None
    stretch = parse_stretch(data, str(path))
    if stretch.id != path.stem:
        raise ReferenceFileError(str(path), "id", f"'{stretch.id}' must match the file name "
                                 f"'{path.stem}'")
    return stretch


def library_files(directory: str | Path = LIBRARY_DIR) -> list[Path]:
    return sorted(Path(directory).glob("*.toml"))


def load_library(directory: str | Path = LIBRARY_DIR) -> dict[str, Stretch]:
    """Every stretch in a folder, by id. A malformed file refuses the whole load."""
    return {s.id: s for s in (load_stretch_file(p) for p in library_files(directory))}


def load_stretch(stretch_id: str, directory: str | Path = LIBRARY_DIR) -> Stretch:
    path = Path(directory) / f"{stretch_id}.toml"
    if not path.exists():
        known = [p.stem for p in library_files(directory)]
        raise UnknownStretchError(
            f"no stretch '{stretch_id}'{_closest(stretch_id, known)}; "
            f"known stretches: {', '.join(known)}"
        )
    return load_stretch_file(path)
