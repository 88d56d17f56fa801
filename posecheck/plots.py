"""One picture of a session: each check's measure over time against its allowed band.

One small panel per check, titled with the check's label: the measured value
as a line (gaps where it could not be measured), the allowed range shaded
green, form faults as red spans, and counted holds (or repetitions) marked in
blue, so a physiotherapist can see at a glance where and how far the form
left its range. Uses matplotlib's Agg backend: no display needed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from posecheck.reference import Check
from posecheck.summarize import check_series, in_position
from posecheck.summary import Analysis

BAND_COLOUR = "#2ca25f"
FAULT_COLOUR = "#e34a33"
TIP_COLOUR = "#f5a623"  # an advice-only check not met: the form still counted
HOLD_COLOUR = "#3182bd"
LINE_COLOUR = "#222222"


def _unit_label(check: Check) -> str:
    unit = "degrees" if check.measure.unit == "deg" else "% of torso length"
    return f"change, {unit}" if check.relative else unit


def _limits(values: np.ndarray, check: Check) -> tuple[float, float]:
    known = values[~np.isnan(values)]
    points = [*known.tolist(), *(v for v in (check.min, check.max) if v is not None)]
    if not points:
        return 0.0, 1.0
    lo, hi = min(points), max(points)
    pad = max((hi - lo) * 0.12, 2.0)
    return lo - pad, hi + pad


def _role_text(check: Check, rep_checks: tuple[str, ...] = ()) -> str:
    if check.role == "position":
        return "position"
    if check.id in rep_checks:
        return check.role + ", each repetition needs it"
    return check.role + ("" if check.required else ", advice")


def plot_analysis(analysis: Analysis, path: Path | str, *, dpi: int = 110) -> Path:
    """Write the per-check plot of ``analysis`` to ``path`` (PNG)."""
    path = Path(path)
    stretch = analysis.stretch
    summary = analysis.summary
    t = analysis.timestamps_s
    checks = stretch.checks
    n = len(checks)
    height_in = 1.9 * n + 1.2
    fig, axes = plt.subplots(n, 1, figsize=(9.5, height_in), sharex=True, squeeze=False)
    axes = axes[:, 0]
    positioned = np.array([in_position(f) for f in analysis.frames], dtype=bool)
    t_end = summary.end_s
    for ci, (ax, check) in enumerate(zip(axes, checks, strict=True)):
        values, faults = check_series(analysis.frames, ci)
        lo, hi = _limits(values, check)
        band_lo = check.min if check.min is not None else lo
        band_hi = check.max if check.max is not None else hi
        ax.axhspan(band_lo, band_hi, color=BAND_COLOUR, alpha=0.15, lw=0)
        for edge in (check.min, check.max):
            if edge is not None:
                ax.axhline(edge, color=BAND_COLOUR, lw=0.8, ls="--")
        for h in summary.holds:
            ax.axvspan(h.start_s, h.end_s, color=HOLD_COLOUR, alpha=0.10, lw=0)
        colour = FAULT_COLOUR if check.required else TIP_COLOUR
        for e in summary.faults:
            if e.check_id == check.id:
                ax.axvspan(e.start_s, e.end_s, color=colour, alpha=0.28, lw=0)
        ax.plot(t, values, color=LINE_COLOUR, lw=1.3)
        # Short of its range, a check that defines a repetition is between repetitions.
        if check.role != "position" and check.id not in summary.rep_checks:
            faulty = faults & positioned
            ax.plot(t[faulty], values[faulty], ".", color=colour, ms=2.5)
        for t_rep, good in summary.rep_times_s if ci == 0 else ():
            ax.axvline(t_rep, color=HOLD_COLOUR if good else FAULT_COLOUR, lw=1.0, alpha=0.7)
        ax.set_ylim(lo, hi)
        ax.set_xlim(summary.start_s, t_end)
        ax.set_title(f"{check.label}  ({_role_text(check, summary.rep_checks)})", loc="left",
                     fontsize=10)
        ax.set_ylabel(_unit_label(check), fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.25, lw=0.5)
    axes[-1].set_xlabel("time in the video (seconds)")
    handles = [
        Patch(color=BAND_COLOUR, alpha=0.3, label="allowed range"),
        Patch(color=FAULT_COLOUR, alpha=0.45, label="form fault (in position)"),
    ]
    if any(not c.required for c in checks):
        handles.append(Patch(color=TIP_COLOUR, alpha=0.45, label="tip (advice only)"))
    if summary.dosage_kind == "hold":
        handles.append(
            Patch(color=HOLD_COLOUR, alpha=0.25, label="hold under way (timer pauses on faults)")
        )
    else:
        handles.append(Patch(color=HOLD_COLOUR, alpha=0.7, label="repetition counted"))
    result = (
        summary.holds_text() if summary.dosage_kind == "hold" else summary.reps_text()
    )
    # The title, then the legend on a line of its own below it: a long title never
    # runs into the legend.
    fig.suptitle(f"{stretch.name}: {result}", fontsize=12, x=0.01, y=1 - 0.08 / height_in,
                 ha="left", va="top")
    fig.legend(handles=handles, loc="upper left", fontsize=8, ncol=len(handles),
               frameon=False, bbox_to_anchor=(0.005, 1 - 0.36 / height_in))
    fig.text(0.01, 0.003, "Gaps in a line: the joints could not be seen.", fontsize=7,
             color="#555555")
    fig.tight_layout(rect=(0, 0.01, 1, 1 - 0.5 / height_in))
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
