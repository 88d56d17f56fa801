"""``posecheck report``: the physiotherapist's printable report of a profile's history."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from posecheck import history_stats as stats
from posecheck import history_store
from posecheck.errors import PosecheckError


class ReportUsageError(PosecheckError):
    """The report cannot be written as asked."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write a printable HTML report of a profile's history for the physiotherapist",
        description=(
            "Write one self-contained HTML file from the saved sessions of a profile: "
            "adherence against the prescribed dosage, the range reached over time with "
            "plots, the corrections per stretch, and notes where the picture could not be "
            "judged. Open it in a browser; print it (or print to PDF) from there."
        ),
    )
    p.add_argument("--profile", required=True, metavar="NAME", help="whose sessions")
    p.add_argument("--since", default=None, metavar="YYYY-MM-DD",
                   help="only sessions from this day on")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="the HTML file to write (default: posecheck-report-NAME-DATE.html)")
    p.add_argument("--per-day", type=int, default=1, metavar="N",
                   help="prescribed sessions of each stretch per day (default: 1)")
    p.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from posecheck.clinician_report import render_report
    from posecheck.profiles import write_text_atomically

    since = stats.parse_day(args.since) if args.since is not None else None
    if args.per_day < 1:
        raise ReportUsageError("--per-day must be at least 1")
    now = datetime.now().astimezone()
    out = Path(args.out) if args.out else Path(
        f"posecheck-report-{args.profile}-{now.date().isoformat()}.html")
    if out.suffix.lower() == ".pdf":
        raise ReportUsageError("the report is HTML: name the file .html, open it in a browser "
                               "and print it to PDF from there")
    if out.is_dir():
        raise ReportUsageError(f"{out} is a folder; give a file name, e.g. {out / 'report.html'}")
    if out.exists() and not args.overwrite:
        raise ReportUsageError(f"{out} already exists; pass --overwrite to replace it")
    path = history_store.database_path()
    if not path.is_file():
        raise history_store.UnknownHistoryProfileError(
            f"no sessions saved yet (no history database at {path})")
    with history_store.HistoryStore(path) as store:
        store.require_profile(args.profile)
        records = store.sessions(args.profile, since=since)
    from posecheck.routines import routine_names

    html = render_report(records, profile=args.profile, today=now.date(), generated_at=now,
                         since=since, per_day=args.per_day,
                         routine_names=routine_names(args.profile))
    try:
        write_text_atomically(out, html)
    except OSError as exc:
        raise ReportUsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"Wrote the report of {len(records)} session(s) of '{args.profile}' to {out}")
    return 0
