"""Pictures of the history: an adherence calendar and the range reached over time.

Shared by the Progress page and the clinician's report, so both show the same
figures. Built on :class:`matplotlib.figure.Figure` directly (no pyplot state),
which is safe on Streamlit's threads; :func:`png_bytes` renders one to PNG.
"""

from __future__ import annotations

import io
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from posecheck.history_stats import DONE, MISSED, PARTIAL, Adherence, RangeTrend

STATUS_COLOURS = {DONE: "#2ca25f", PARTIAL: "#fdae6b", MISSED: "#e5e5e5"}
OUTSIDE_COLOUR = "#ffffff"
BAND_COLOUR = "#2ca25f"
LINE_COLOUR = "#3182bd"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def adherence_calendar(adherence: Adherence, title: str = "") -> Figure:
    """Weeks across, weekdays down: done green, partly done orange, missed grey."""
    codes = {None: 0, MISSED: 1, PARTIAL: 2, DONE: 3}
    cmap = ListedColormap([OUTSIDE_COLOUR, STATUS_COLOURS[MISSED], STATUS_COLOURS[PARTIAL],
                           STATUS_COLOURS[DONE]])
    days = adherence.days
    if not days:
        fig = Figure(figsize=(4, 1.2))
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, "no days in the period", ha="center", va="center")
        return fig
    last_monday = days[-1].day - timedelta(days=days[-1].day.weekday())
    # The period's weeks only: weeks before it would read as weeks missed.
    first_monday = days[0].day - timedelta(days=days[0].day.weekday())
    weeks = (last_monday - first_monday).days // 7 + 1
    grid = [[0] * weeks for _ in range(7)]
    for d in days:
        week = (d.day - first_monday).days // 7
        grid[d.day.weekday()][week] = codes[d.status]
    fig = Figure(figsize=(max(3.0, 0.42 * weeks + 1.6), 2.6), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(grid, cmap=cmap, vmin=0, vmax=3, aspect="equal")
    for d in days:  # the day of the month in each day of the period
        ax.text((d.day - first_monday).days // 7, d.day.weekday(), str(d.day.day),
                ha="center", va="center", fontsize=6, color="#333333")
    ax.set_yticks(range(7), WEEKDAYS, fontsize=8)
    step = max(1, -(-weeks // 3))  # about three labels: they must not overlap
    ticks = list(range(0, weeks, step))
    ax.set_xticks(ticks, [(first_monday + timedelta(weeks=w)).strftime("%d %b") for w in ticks],
                  fontsize=8)
    ax.set_xticks([x - 0.5 for x in range(weeks + 1)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(8)], minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="both", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.legend(handles=[Patch(color=STATUS_COLOURS[s], label=s) for s in (DONE, PARTIAL, MISSED)],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return fig


def _unit(unit: str) -> str:
    return "degrees" if unit == "deg" else "% of torso length"


def range_figure(trend: RangeTrend, title: str | None = None) -> Figure:
    """The range reached per session: a dot per session, its 5th-95th percentile as a bar,
    the allowed range shaded."""
    fig = Figure(figsize=(6.0, 2.6), layout="constrained")
    ax = fig.add_subplot()
    x = [p.started_at for p in trend.points]
    y = [p.reach for p in trend.points]
    lows = [p.reach - p.p5 for p in trend.points]
    highs = [p.p95 - p.reach for p in trend.points]
    lo, hi = min(p.p5 for p in trend.points), max(p.p95 for p in trend.points)
    bounds = [b for b in (trend.low, trend.high) if b is not None]
    span_lo, span_hi = min([lo, *bounds]), max([hi, *bounds])
    pad = max(2.0, 0.1 * (span_hi - span_lo))
    ax.set_ylim(span_lo - pad, span_hi + pad)
    band_lo = trend.low if trend.low is not None else span_lo - pad
    band_hi = trend.high if trend.high is not None else span_hi + pad
    ax.axhspan(band_lo, band_hi, color=BAND_COLOUR, alpha=0.15, label="allowed range")
    ax.errorbar(x, y, yerr=[lows, highs], fmt="o-", color=LINE_COLOUR, ecolor="#9ecae1",
                capsize=3, markersize=4, linewidth=1.2,
                label=f"{'highest' if trend.reach_end == 'high' else 'lowest'} reached")
    ax.set_ylabel(_unit(trend.unit), fontsize=8)
    ax.tick_params(labelsize=8)
    locator = mdates.AutoDateLocator(minticks=1, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if len(x) == 1:
        ax.set_xlim(x[0] - timedelta(days=1), x[0] + timedelta(days=1))
    ax.set_title(title or trend.label, fontsize=10, loc="left")
    ax.legend(fontsize=7, loc="best", frameon=False)
    return fig


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
