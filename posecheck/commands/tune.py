"""``posecheck tune``: propose a stretch's ranges from demonstration recordings."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

from posecheck import profiles, tuning
from posecheck.errors import PosecheckError
from posecheck.reference import LIBRARY_DIR, Stretch

logger = logging.getLogger(__name__)


class RecordingError(PosecheckError):
    """A demonstration recording that cannot be used."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tune",
        help="propose a stretch's angle ranges from demonstration recordings",
        description=(
            "Replay demonstration recordings of a stretch through the checker, measure every "
            "check over the part where the stretch is held, and propose ranges (5th-95th "
            "percentile widened by a margin). Prints current and proposed ranges with how "
            "many frames pass each; writes nothing unless --write is given."
        ),
    )
    p.add_argument("stretch", metavar="STRETCH", help="stretch id (see 'posecheck stretches')")
    p.add_argument("recordings", metavar="RECORDING", nargs="+", type=Path,
                   help="a video, or a landmark cache (.npz) made from one")
    p.add_argument("--profile", metavar="NAME",
                   help="tune this profile's ranges (created on --write if new)")
    p.add_argument("--write", action="store_true",
                   help="save the proposed ranges (into --profile, or with --to-library)")
    p.add_argument("--to-library", action="store_true",
                   help="with --write: save into the shipped reference file itself")
    p.add_argument("--margin", type=float, default=tuning.DEFAULT_MARGIN,
                   help="widen the demonstrated range by this much on each side, in the "
                   "check's unit (default %(default)s)")
    p.add_argument("--widen-only", action="store_true",
                   help="only loosen ranges: keep a bound the demonstration stays inside")
    p.add_argument("--model", default="full", help="pose model: lite, full, heavy or a path")
    p.add_argument("--cache-dir", type=Path, help="where models and landmarks are cached")
    p.add_argument("--library", type=Path, default=LIBRARY_DIR, help="folder of reference files")
    p.set_defaults(func=run)


def load_recording(path: Path, model: str = "full", cache_dir: Path | None = None):
    """A recording's pose sequence: a landmark cache as is, a video estimated (cached)."""
    from posecheck.landmark_cache import load_or_estimate, load_sequence

    if not path.is_file():
        raise RecordingError(f"{path}: file not found")
    if path.suffix.lower() == ".npz":
        try:
            return load_sequence(path)
        except ValueError as exc:
            text = str(exc)
            if str(path) not in text:
                text = f"{path}: not a readable landmark cache ({text})"
            raise RecordingError(text) from None
    logger.info("reading poses from %s", path)
    return load_or_estimate(path, model, cache_dir=cache_dir)


def _counts(n: int, total: int) -> str:
    return f"{n}/{total}" if total else "—"


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _progress_line(label: str, ev: tuning.Evaluation) -> str:
    good = f"in the stretch with good form {_counts(ev.frames_good, ev.frames)} frames"
    if ev.kind == "hold":
        return (f"  {label:<9} {good}; holds of {ev.hold_target_s:g} s done: {ev.holds_done}, "
                f"longest {ev.longest_hold_s:.1f} s")
    return f"  {label:<9} {good}; repetitions: {ev.reps_good} good of {ev.reps_total}"


def report(stretch: Stretch, shipped: Stretch, proposals: dict[str, tuning.Proposal],
           current: tuning.Evaluation, proposed: tuning.Evaluation, profile: str | None,
           n_recordings: int) -> str:
    """The comparison printed by ``posecheck tune``."""
    show_shipped = tuning.ranges_of(stretch) != tuning.ranges_of(shipped)
    head = ["check", "role"] + (["shipped"] if show_shipped else []) + [
        "current", "frames ok", "proposed", "frames ok", "held", "note"]
    rows = [head]
    for c in stretch.checks:
        p = proposals[c.id]
        cur, new = current.checks[c.id], proposed.checks[c.id]
        unit = c.measure.unit
        role = c.role + ("" if c.required else "*")
        note = p.reason
        if p.ok and p.percentiles is not None:
            note = f"shown {p.percentiles[0]:.0f} to {p.percentiles[1]:.0f}"
        row = [c.id, role]
        if show_shipped:
            s = shipped.check(c.id)
            row.append(tuning.format_range(s.min, s.max, unit))
        row += [
            tuning.format_range(c.min, c.max, unit),
            _counts(cur.frames_ok, cur.frames_known),
            tuning.format_range(p.min, p.max, unit) if p.ok else "(none)",
            _counts(new.frames_ok, new.frames_known) if p.ok else "",
            str(p.samples),
            note,
        ]
        rows.append(row)
    where = f"profile '{profile}'" if profile else "shipped library"
    lines = [
        f"{stretch.name} [{stretch.id}], {where}: {n_recordings} recording(s), "
        f"{current.frames} frames, {current.frames_seen} with the person in view",
        "",
        _table(rows),
        "",
        "frames ok: frames within the range / frames the check was measured; held: frames "
        "in the held part used for the proposal; * optional check",
        _progress_line("current", current),
        _progress_line("proposed", proposed),
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.to_library and args.profile:
        raise PosecheckError("--to-library writes the shipped file; leave out --profile")
    if args.margin < 0:
        raise PosecheckError(f"--margin must not be negative (got {args.margin:g})")
    shipped = profiles.resolve_stretch(args.stretch, library_dir=args.library)
    stretch = shipped
    if args.profile:
        stretch = profiles.resolve_stretch(args.stretch, args.profile, library_dir=args.library,
                                           must_exist=False)
    sequences = [load_recording(p, args.model, args.cache_dir) for p in args.recordings]
    names = [p.name for p in args.recordings]
    runs = [tuning.run_engine(s, stretch, n) for s, n in zip(sequences, names, strict=True)]
    proposals = tuning.propose_all(runs, stretch, args.margin, widen_only=args.widen_only)
    overrides = tuning.proposal_overrides(proposals)
    current = tuning.evaluate_runs(runs, stretch)
    proposed = tuning.evaluate_ranges(sequences, stretch, overrides, names=names)
    print(report(stretch, shipped, proposals, current, proposed, args.profile, len(sequences)))
    print()
    if not overrides:
        print("No range could be proposed from these recordings; nothing to write.")
        return 0 if not args.write else 1
    if not args.write:
        target = f"--profile {args.profile}" if args.profile else "--profile NAME"
        print(f"Nothing written. To save the proposal: add --write {target}"
              " (or --write --to-library to change the shipped reference file).")
        return 0
    if args.to_library:
        path = profiles.save_to_library(args.stretch, overrides, library_dir=args.library)
        print(f"Saved the proposed ranges into {path}")
        return 0
    if not args.profile:
        raise PosecheckError(
            "--write needs --profile NAME (a profile keeps tuned ranges apart from the shipped "
            "library), or --to-library to change the shipped reference file"
        )
    path = profiles.save_overrides(args.profile, args.stretch, overrides,
                                   library_dir=args.library)
    if path is None:
        print(f"The proposal equals the shipped ranges; profile '{args.profile}' "
              f"keeps no overrides for {args.stretch}.")
    else:
        print(f"Saved the proposed ranges to profile '{args.profile}': {path}")
    return 0
