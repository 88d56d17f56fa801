"""The physiotherapist's report: one printable, self-contained HTML page from the history.

Per stretch: the prescribed dosage, adherence against the schedule (with a
calendar), the range reached over time (with plots), the corrections that
came up, and notes where the picture could not be judged; then every session
in a table. Plots are embedded as PNG (``data:`` URLs), so the file can be
mailed or printed on its own. Built from
:mod:`posecheck.history_stats`, the same figures as the Progress page.

Not a diagnosis: the numbers are what a camera measured of the stretch's shape.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from posecheck import history_plots
from posecheck import history_stats as stats
from posecheck.session_record import SessionRecord

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #222; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #2ca25f; padding-bottom: 0.2rem;
     margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.4rem; text-align: left;
         vertical-align: top; }
th { background: #f2f2f2; }
.meta, .caveat { color: #555; font-size: 0.9rem; }
.note { background: #fff5e6; border-left: 4px solid #fdae6b; padding: 0.3rem 0.6rem;
        margin: 0.3rem 0; font-size: 0.9rem; }
img { max-width: 100%; }
section.stretch { page-break-inside: avoid; }
@media print {
  body { margin: 0; max-width: none; }
  h2 { page-break-after: avoid; }
  section.stretch { page-break-before: always; }
  .noprint { display: none; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _img(fig: object, alt: str) -> str:
    data = base64.b64encode(history_plots.png_bytes(fig)).decode("ascii")  # type: ignore[arg-type]
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _share(values: Sequence[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{sum(known) / len(known):.0%}" if known else "not judged"


def _allowed(t: stats.RangeTrend) -> str:
    allowed = []
    if t.low is not None:
        allowed.append(f"at least {stats.format_value(t.low, t.unit)}")
    if t.high is not None:
        allowed.append(f"at most {stats.format_value(t.high, t.unit)}")
    return " and ".join(allowed)


def _trend_text(t: stats.RangeTrend) -> str:
    end = "highest" if t.reach_end == "high" else "lowest"
    last = t.points[-1]
    return (f"{t.label}: {end} value reached, per session. Allowed: {_allowed(t)}. "
            f"{stats.format_value(last.reach, t.unit)} in the latest session "
            f"({last.started_at.date().isoformat()}): {t.change_text()}.")


def _stretch_section(sp: stats.StretchProgress) -> str:
    parts = [f'<section class="stretch"><h2>{_e(sp.stretch_name)}</h2>']
    dosages = sorted({r.dosage_text for r in sp.sessions})
    complete = sum(1 for r in sp.sessions if r.complete)
    parts.append(
        f"<p>Prescribed: {_e('; '.join(dosages))}. {len(sp.sessions)} session(s), "
        f"{complete} with the dosage completed. Time in correct form (while in position): "
        f"{_share([r.correct_share for r in sp.sessions])} on average.</p>")
    parts.append(f"<h3>Adherence</h3><p>{_e(sp.adherence.text())}.</p>")
    parts.append(_img(history_plots.adherence_calendar(sp.adherence),
                      f"adherence calendar, {sp.stretch_name}"))
    parts.append("<h3>Range reached over time</h3>")
    main, others = stats.split_trends(sp.trends)
    if not sp.trends:
        parts.append("<p>Not measured: the joints were never seen long enough.</p>")
    for t in main:
        parts.append(f"<p>{_e(_trend_text(t))}</p>")
        if len(t.points) > 1:
            parts.append(_img(history_plots.range_figure(t), f"{t.label} over time"))
    if others:
        parts.append("<p>The other checks (form and safety details), first and latest:</p>")
        parts.append(_table(
            ("check", "end", "allowed", "first", "latest", "sessions"),
            [(t.label, "highest" if t.reach_end == "high" else "lowest", _allowed(t),
              stats.format_value(t.points[0].reach, t.unit),
              stats.format_value(t.points[-1].reach, t.unit), len(t.points))
             for t in others]))
    parts.append("<h3>Corrections</h3>")
    if sp.corrections:
        parts.append(_table(
            ("correction", "times", "in sessions", "time in all", "cue given"),
            [(c.label, c.episodes, f"{c.sessions} of {len(sp.sessions)}",
              stats.format_duration(c.total_s), c.cue) for c in sp.corrections]))
    else:
        parts.append("<p>No corrections were needed.</p>")
    if sp.notes:
        parts.append("<h3>What could not be judged</h3>")
        parts.extend(f'<p class="note">{_e(n)}</p>' for n in sp.notes)
    parts.append("</section>")
    return "\n".join(parts)


def _routines_section(records: Sequence[SessionRecord], today: date,
                      since: date | None, names: Mapping[str, str]) -> str:
    routines = sorted({r.routine for r in records if r.routine})
    if not routines:
        return ""
    rows = []
    for name in routines:
        a = stats.routine_adherence(records, name, today=today, since=since)
        stretch_names = sorted({r.stretch_name for r in records if r.routine == name})
        rows.append((names.get(name, name), ", ".join(stretch_names), a.done, a.partial,
                     a.missed))
    return ("<h2>Routines</h2><p>A day counts as done when every stretch of the routine "
            "completed its dosage that day.</p>"
            + _table(("routine", "stretches", "days done", "partly", "missed"), rows))


def render_report(records: Sequence[SessionRecord], *, profile: str, today: date,
                  generated_at: datetime, since: date | None = None,
                  per_day: int = 1, routine_names: Mapping[str, str] | None = None) -> str:
    """The whole report as one HTML document (``routine_names``: a routine's name by id)."""
    names = routine_names or {}
    progress = stats.progress_by_stretch(records, today=today, since=since, per_day=per_day)
    first = min((r.started_at.date() for r in records), default=None)
    start = since or first
    period = (f"{start.isoformat()} to {today.isoformat()}" if start
              else f"up to {today.isoformat()}")
    times = "once a day" if per_day == 1 else f"{per_day} times a day"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Stretching report: {_e(profile)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Stretching report: {_e(profile)}</h1>",
        f'<p class="meta">Period: {_e(period)}. {len(records)} session(s) of '
        f"{len(progress)} stretch(es). Schedule assumed: each stretch's dosage {_e(times)}. "
        f"Made by posecheck on {_e(generated_at.strftime('%Y-%m-%d %H:%M'))}.</p>",
        '<p class="caveat">posecheck measures the shape of a stretch from a camera picture; '
        "it does not diagnose anything. Angles are measured in the picture, so the camera "
        "position matters: compare sessions filmed the same way. Values are robust ends of "
        "what was measured (the 5th or 95th percentile), not single frames.</p>",
    ]
    if not records:
        out.append("<p>No sessions in this period.</p>")
    else:
        out.append("<h2>Overview</h2>")
        out.append(_table(
            ("stretch", "sessions", "days done", "partly", "missed", "dosage completed",
             "correct form", "corrections"),
            [(sp.stretch_name, len(sp.sessions), sp.adherence.done, sp.adherence.partial,
              sp.adherence.missed, sum(1 for r in sp.sessions if r.complete),
              _share([r.correct_share for r in sp.sessions]),
              sum(len(r.faults) for r in sp.sessions)) for sp in progress]))
        out.append(_routines_section(records, today, since, names))
        out.extend(_stretch_section(sp) for sp in progress)
        rows = stats.table_rows(records, names)
        columns = [c for c in stats.TABLE_COLUMNS if c != "profile"
                   and not (c == "routine" and not any(r[c] for r in rows))]
        out.append('<section class="stretch"><h2>Every session</h2>')
        out.append(_table(columns, [[r[c] for c in columns] for r in rows]))
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)
