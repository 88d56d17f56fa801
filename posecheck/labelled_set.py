"""Labelled sets of photos and clips: what posecheck should answer on each.

A labelled set is one TOML file of ``[[item]]`` tables. Each item names a
photo or a clip, the stretch it is judged against and the expected answer,
decided by a person looking at the picture:

* ``good``: the stretch with correct form, so it must be accepted;
* ``fault``: the stretch with a named form fault, so it must be rejected;
* ``lookalike``: a different pose resembling the stretch, so it must be rejected;
* ``abstain``: the stretch seen from a view it cannot be judged from, so
  posecheck must ask for a better view instead of judging.

A clip carries time segments, each with its own expected answer. Items keep
their provenance (repository, commit, path, sha256, licence) so the set can
be rebuilt and audited. ``devset/README.md`` describes the project's own set.
This module only reads and validates; it imports no model.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from posecheck.errors import PosecheckError

# The project's own development set (see devset/README.md).
DEVSET_LABELS = Path(__file__).resolve().parent.parent / "devset" / "labels.toml"

EXPECTS = ("good", "fault", "lookalike", "abstain")
KINDS = ("photo", "clip")
VIEWS = ("side", "front", "back", "three_quarter", "overhead", "high")


class LabelsError(PosecheckError):
    """A labels file that cannot be read or has a malformed item."""


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    expect: str
    fault: str = ""
    pose: str = ""
    shows: str = ""  # a look-alike that is another library stretch: its id ("" outside it)


@dataclass(frozen=True)
class Item:
    id: str
    stretch: str
    kind: str
    media: str  # relative to the set's media folder
    expect: str  # one of EXPECTS, or "segments" for a clip
    fault: str = ""
    pose: str = ""
    shows: str = ""
    view: str = ""
    note: str = ""
    sha256: str = ""
    segments: tuple[Segment, ...] = ()
    provenance: dict = field(default_factory=dict)

    @property
    def answers(self) -> tuple[Segment, ...]:
        """Every expected answer: one whole-item segment for a photo, the segments for a clip."""
        if self.segments:
            return self.segments
        return (Segment(0.0, float("inf"), self.expect, self.fault, self.pose, self.shows),)


@dataclass(frozen=True)
class LabelledSet:
    path: Path
    items: tuple[Item, ...]

    @property
    def photos(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind == "photo")

    @property
    def clips(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind == "clip")


def _text(table: dict, key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if value is None:
        raise LabelsError(f"{where}: '{key}' is required but missing")
    if not isinstance(value, str):
        raise LabelsError(f"{where}: '{key}' must be text, got {type(value).__name__}")
    return value


def _choice(value: str, options: tuple[str, ...], where: str, key: str) -> str:
    if value not in options:
        raise LabelsError(f"{where}: '{key}' is '{value}', not one of {', '.join(options)}")
    return value


def _shows(table: dict, where: str, expect: str, known_stretches: set[str] | None) -> str:
    """The library stretch a look-alike is (a bridge judged against the pelvic tilt)."""
    shows = _text(table, "shows", where, "")
    if shows and expect != "lookalike":
        raise LabelsError(f"{where}: 'shows' is for look-alikes, not '{expect}'")
    if shows and known_stretches is not None and shows not in known_stretches:
        raise LabelsError(f"{where}: 'shows' names unknown stretch '{shows}'")
    return shows


def _segment(table: object, where: str, known_stretches: set[str] | None = None) -> Segment:
    if not isinstance(table, dict):
        raise LabelsError(f"{where}: a segment must be a table")
    try:
        start, end = float(table["start_s"]), float(table["end_s"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LabelsError(f"{where}: a segment needs numeric start_s and end_s") from exc
    if end <= start:
        raise LabelsError(f"{where}: segment end_s {end} is not after start_s {start}")
    expect = _choice(_text(table, "expect", where), EXPECTS, where, "expect")
    return Segment(start, end, expect, _text(table, "fault", where, ""),
                   _text(table, "pose", where, ""),
                   _shows(table, where, expect, known_stretches))


_PROVENANCE_KEYS = ("repo", "commit", "path", "licence")


def parse_item(table: object, where: str, known_stretches: set[str] | None) -> Item:
    if not isinstance(table, dict):
        raise LabelsError(f"{where}: an item must be a table")
    item_id = _text(table, "id", where)
    where = f"{where} ({item_id})"
    stretch = _text(table, "stretch", where)
    if known_stretches is not None and stretch not in known_stretches:
        raise LabelsError(f"{where}: unknown stretch '{stretch}'")
    kind = _choice(_text(table, "kind", where, "photo"), KINDS, where, "kind")
    expect = _text(table, "expect", where)
    segments: tuple[Segment, ...] = ()
    if kind == "clip":
        raw = table.get("segments")
        if not isinstance(raw, list) or not raw:
            raise LabelsError(f"{where}: a clip needs a non-empty 'segments' list")
        segments = tuple(_segment(s, where, known_stretches) for s in raw)
        expect = "segments"
    else:
        _choice(expect, EXPECTS, where, "expect")
    view = _text(table, "view", where, "")
    if view:
        _choice(view, VIEWS, where, "view")
    return Item(
        id=item_id,
        stretch=stretch,
        kind=kind,
        media=_text(table, "media", where),
        expect=expect,
        fault=_text(table, "fault", where, ""),
        pose=_text(table, "pose", where, ""),
        shows=_shows(table, where, expect, known_stretches) if kind == "photo" else "",
        view=view,
        note=_text(table, "note", where, ""),
        sha256=_text(table, "sha256", where, ""),
        segments=segments,
        provenance={k: table[k] for k in _PROVENANCE_KEYS if k in table},
    )


def load_labelled_set(path: Path | str, known_stretches: set[str] | None = None) -> LabelledSet:
    """Read and validate a labels file; a mistake raises :class:`LabelsError` naming the item."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LabelsError(f"{path}: no such labels file") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LabelsError(f"{path}: not a readable TOML labels file: {exc}") from exc
    raw = data.get("item")
    if not isinstance(raw, list) or not raw:
        raise LabelsError(f"{path}: no [[item]] tables")
    items = tuple(parse_item(t, f"{path}: item {n + 1}", known_stretches)
                  for n, t in enumerate(raw))
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise LabelsError(f"{path}: item id '{item.id}' appears twice")
        seen.add(item.id)
    return LabelledSet(path, items)
