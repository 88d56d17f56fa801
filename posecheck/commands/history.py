"""``posecheck history``: the saved sessions, per stretch, or deleting a profile's history."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, datetime

from posecheck import history_stats as stats
from posecheck import history_store
from posecheck.errors import PosecheckError


class HistoryUsageError(PosecheckError):
    """The command line asks for something the history cannot do."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "history",
        help="the saved sessions: adherence, range over time, corrections",
        description=(
            "Every live session and analysed recording is saved (numbers only, never video) "
            f"in a local database (folder: ${history_store.HISTORY_DIR_ENV}, else the user "
            "data folder). This prints, per stretch, the days done against the schedule, "
            "the range reached over time, the most common corrections and a table of "
            f"sessions. Turn saving off with {history_store.HISTORY_SWITCH_ENV}=off or on "
            "the Progress page."
        ),
    )
    p.add_argument("--profile", default=None, metavar="NAME",
                   help="only this profile's sessions (default: every profile)")
    p.add_argument("--since", default=None, metavar="YYYY-MM-DD",
                   help="only sessions from this day on")
    p.add_argument("--csv", action="store_true",
                   help="print one CSV row per session instead (numbers, for a spreadsheet)")
    p.add_argument("--per-day", type=int, default=1, metavar="N",
                   help="prescribed sessions of each stretch per day (default: 1)")
    p.add_argument("--delete", action="store_true",
                   help="delete every saved session of --profile (asks first unless --yes)")
    p.add_argument("--yes", action="store_true", help="do not ask before deleting")
    p.set_defaults(func=run)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise HistoryUsageError("not deleting without confirmation: pass --yes")
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _delete(store: history_store.HistoryStore, args: argparse.Namespace) -> int:
    if not args.profile:
        raise HistoryUsageError("--delete needs --profile NAME (whose history to delete)")
    store.require_profile(args.profile)
    count = len(store.sessions(args.profile))
    if not args.yes and not _confirm(
            f"Delete all {count} saved session(s) of profile '{args.profile}'? "
            "This cannot be undone."):
        print("Nothing deleted.")
        return 1
    removed = store.delete_profile(args.profile)
    print(f"Deleted {removed} session(s) of profile '{args.profile}' from {store.path}.")
    return 0


def _print_text(records: list, args: argparse.Namespace, since: date | None) -> None:
    today = datetime.now().astimezone().date()
    who = f"profile '{args.profile}'" if args.profile else "every profile"
    period = f"since {since.isoformat()}" if since else "all saved sessions"
    print(f"History of {who}, {period}: {len(records)} session(s).")
    for sp in stats.progress_by_stretch(records, today=today, since=since,
                                        per_day=args.per_day):
        print()
        print(f"{sp.stretch_name} [{sp.stretch_id}]: {len(sp.sessions)} session(s)")
        print(f"  Adherence: {sp.adherence.text()}")
        main, others = stats.split_trends(sp.trends)
        for t in main:
            first, last = t.points[0], t.points[-1]
            end = "highest" if t.reach_end == "high" else "lowest"
            if len(t.points) == 1:
                trend = f"{stats.format_value(last.reach, t.unit)} (one session)"
            else:
                trend = (f"{stats.format_value(first.reach, t.unit)} on "
                         f"{first.started_at.date()} -> {stats.format_value(last.reach, t.unit)} "
                         f"on {last.started_at.date()}: {t.change_text()}")
            print(f"  Range, {t.label} ({end}): {trend}")
        if others:
            print("  Other checks (first -> latest): " + "; ".join(
                f"{t.label} {stats.format_value(t.points[0].reach, t.unit)} -> "
                f"{stats.format_value(t.points[-1].reach, t.unit)}" for t in others))
        if sp.corrections:
            print("  Most common corrections:")
            for c in sp.corrections:
                print(f"    {c.label}: {c.episodes} time(s) in {c.sessions} session(s), "
                      f"{stats.format_duration(c.total_s)} in all - \"{c.cue}\"")
        else:
            print("  No corrections were needed.")
        for note in sp.notes:
            print(f"  Note: {note}")
    if records:
        print()
        from posecheck.routines import routine_names

        rows = stats.table_rows(records, routine_names(args.profile))
        columns = [c for c in stats.TABLE_COLUMNS
                   if c != "range reached"  # the ranges are listed per stretch above
                   and not (c == "profile" and args.profile)
                   and not (c == "routine" and not any(r[c] for r in rows))]
        widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
        print("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
        for r in rows:
            print("  ".join(r[c].ljust(widths[c]) for c in columns).rstrip())


def run(args: argparse.Namespace) -> int:
    since = stats.parse_day(args.since) if args.since is not None else None
    if args.per_day < 1:
        raise HistoryUsageError("--per-day must be at least 1")
    if args.delete and (args.csv or since is not None):
        raise HistoryUsageError("--delete removes a whole profile's history; "
                                "it takes no --since or --csv")
    path = history_store.database_path()
    if not path.is_file():
        if args.delete or args.profile:
            raise history_store.UnknownHistoryProfileError(
                f"no sessions saved yet (no history database at {path})")
        print(f"No sessions saved yet (the history will be kept in {path}).")
        return 0
    with history_store.HistoryStore(path) as store:
        if args.delete:
            return _delete(store, args)
        if args.profile:
            store.require_profile(args.profile)
        records = store.sessions(args.profile, since=since, any_profile=not args.profile)
    if not history_store.history_enabled():
        print("Note: saving history is turned off; these are the sessions saved before.",
              file=sys.stderr)
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=stats.CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(stats.csv_rows(records))
        return 0
    _print_text(records, args, since)
    return 0
