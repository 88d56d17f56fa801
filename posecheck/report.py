"""The analysis summary as a JSON-ready dict and as a Markdown report for people.

:func:`summary_dict` turns an :class:`~posecheck.summary.Summary` plus what
is known about the run (video, model, cache, recognition) into plain data;
:func:`render_markdown` writes that data as a short report a patient or a
physiotherapist can read: what was done against the dosage, how much of the
time the form was right, and each moment the form broke, with its cue and
by how much.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posecheck.analysis_rate import rate_words
from posecheck.model import describe_model_id
from posecheck.range_words import plain_range, range_detail, value_words
from posecheck.summary import Summary

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ReportContext:
    """Facts about the run that the summary itself does not hold."""

    video: Path | str
    model_id: str
    from_cache: bool
    multi_person_frames: int | None = None
    profile: str | None = None
    auto: bool = False
    recognized_id: str | None = None
    recognition_scores: Mapping[str, float] | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)
    frame_size: tuple[int, int] | None = None
    # The model ran at most this many times per second of video; None: every frame.
    analysis_fps: float | None = None
    # Stretches of the video with no picture: DecodeGap.to_dict() each.
    gaps: tuple[Mapping[str, Any], ...] = ()


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _unit(unit: str) -> str:
    return "°" if unit == "deg" else "% of torso length"


def format_value(value: float, unit: str) -> str:
    """``34°`` or ``12% of torso length``."""
    return f"{value:.0f}°" if unit == "deg" else f"{value:.0f}% of torso length"


def multi_person_note(frames: int | None, total: int) -> str | None:
    if not frames:
        return None
    return (
        f"More than one person was seen in {frames} of {total} frames; "
        "the analysis followed one person throughout."
    )


def _check_words(summary: Summary) -> dict[str, tuple[str, str]]:
    """Each check's range in plain words, and as numbers for the physiotherapist."""
    return {c.id: (plain_range(c), range_detail(c)) for c in summary.checks}


def summary_dict(summary: Summary, ctx: ReportContext) -> dict[str, Any]:
    """Plain data for ``summary.json`` (seconds, degrees or % of torso length)."""
    s = summary
    words = _check_words(summary)
    by_id = {c.id: c for c in summary.checks}
    stretch: dict[str, Any] = {"id": s.stretch_id, "name": s.stretch_name, "chosen": "given"}
    if ctx.auto:
        scores = dict(ctx.recognition_scores or {})
        stretch.update(
            chosen="recognized",
            recognized=ctx.recognized_id,
            score=_r(scores.get(ctx.recognized_id or ""), 3),
            scores={k: _r(v, 3) for k, v in sorted(scores.items(), key=lambda kv: -kv[1])[:5]},
        )
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "video": str(ctx.video),
        "stretch": stretch,
        "profile": ctx.profile,
        "dosage": {
            "option": s.dosage_index + 1,
            "text": s.dosage_text,
            "kind": s.dosage_kind,
            "per_side": s.per_side,
        },
        "range": {"start_s": _r(s.start_s, 3), "end_s": _r(s.end_s, 3), "frames": s.frames},
        "time": {
            "total_s": _r(s.total_s),
            "visible_s": _r(s.visible_s),
            "in_position_s": _r(s.in_position_s),
            "correct_form_s": _r(s.correct_s),
            "correct_share_of_position": _r(s.correct_share_of_position, 3),
            "correct_share_of_total": _r(s.correct_share_of_total, 3),
            "no_person_s": _r(s.no_person_s),
            "joints_not_visible_s": _r(s.not_visible_s),
            "wrong_view_s": _r(s.wrong_view_s),
        },
        "complete": s.complete,
        "faults": [
            {
                "check": e.check_id,
                "label": e.label,
                "role": e.role,
                "required": e.required,
                "start_s": _r(e.start_s),
                "end_s": _r(e.end_s),
                "duration_s": _r(e.duration_s),
                "cue": e.cue,
                "worst_value": _r(e.worst_value, 1),
                "limit": _r(e.limit, 1),
                "excess": _r(e.excess, 1),
                "unit": e.unit,
                "needs": words[e.check_id][0],
                "worst_words": value_words(by_id[e.check_id], e.worst_value),
            }
            for e in s.faults
        ],
        "out_of_position": [
            {
                "check": b.check_id,
                "label": b.label,
                "cue": b.cue,
                "seconds": _r(b.seconds),
                "first_s": _r(b.first_s),
                "last_s": _r(b.last_s),
                "typical_value": _r(b.typical_value, 1),
                "min": b.low,
                "max": b.high,
                "unit": b.unit,
                "needs": words[b.check_id][0],
                "needs_detail": words[b.check_id][1],
                "typical_words": value_words(by_id[b.check_id], b.typical_value),
            }
            for b in s.position_blockers
        ],
        "checks": [
            {
                "id": c.id,
                "label": c.label,
                "role": c.role,
                "required": c.required,
                "min": c.min,
                "max": c.max,
                "unit": c.measure.unit,
                "relative": c.relative,
                "defines_rep": c.id in s.rep_checks,
                "words": words[c.id][0],
                "detail": words[c.id][1],
            }
            for c in s.checks
        ],
        "people": {
            "multi_person_frames": ctx.multi_person_frames,
            "note": multi_person_note(ctx.multi_person_frames, s.frames),
        },
        "landmarks": {
            "model_id": ctx.model_id,
            "from_cache": ctx.from_cache,
            "frame_size": list(ctx.frame_size) if ctx.frame_size else None,
            "analysis_fps": ctx.analysis_fps,
        },
        "outputs": dict(ctx.outputs),
        "gaps": [dict(g) for g in ctx.gaps],
    }
    if s.dosage_kind == "hold":
        data["holds"] = {
            "target": s.holds_target,
            "hold_s": s.hold_target_s,
            "completed": s.holds_completed,
            "text": s.holds_text(),
            "attempts": [
                {
                    "side": h.side,
                    "start_s": _r(h.start_s),
                    "end_s": _r(h.end_s),
                    "held_s": _r(h.held_s),
                    "completed": h.completed,
                }
                for h in s.holds
            ],
        }
    else:
        data["reps"] = {
            "target": s.reps_target * (len(s.sides) if s.per_side and s.sides else 1),
            "total": s.reps_total,
            "good": s.reps_good,
            "with_fault": s.reps_with_fault,
            "text": s.reps_text(),
            "times_s": [{"t_s": _r(t), "good": good} for t, good in s.rep_times_s],
        }
    return data


def write_json(data: Mapping[str, Any], path: Path | str) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _clock(t_s: float) -> str:
    minutes, seconds = divmod(max(t_s, 0.0), 60)
    return f"{int(minutes)}:{seconds:04.1f}"


_ROLE_WORDS = {"position": "getting into the stretch", "form": "form", "safety": "safety",
               "view": "what the camera must see"}


def _band(c: Mapping[str, Any]) -> str:
    """A check's range as numbers (summaries written before plain words carry only these)."""
    if c.get("detail"):
        return str(c["detail"])
    unit = _unit(c["unit"])
    rel = " change from your resting position" if c["relative"] else ""
    if c["min"] is not None and c["max"] is not None:
        return f"{c['min']:g} to {c['max']:g}{unit}{rel}"
    if c["min"] is not None:
        return f"at least {c['min']:g}{unit}{rel}"
    return f"at most {c['max']:g}{unit}{rel}"


def _worst_words(f: Mapping[str, Any]) -> str:
    words = f.get("worst_words")
    same = words == format_value(f["worst_value"], f["unit"])
    return f"{words}: " if words and not same else ""


def faults_and_tips(episodes: list[Mapping[str, Any]]
                    ) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The summary's fault episodes split into faults and tips (advice-only checks: the
    form still counted)."""
    return ([f for f in episodes if f["required"]], [f for f in episodes if not f["required"]])


def _fault_line(f: Mapping[str, Any]) -> str:
    direction = "below" if f["worst_value"] < f["limit"] else "above"
    return (
        f"| {_clock(f['start_s'])}–{_clock(f['end_s'])} | {f['duration_s']:.1f} s "
        f"| {f['label']} | {f.get('needs', '')} | {_worst_words(f)}"
        f"{format_value(f['worst_value'], f['unit'])} "
        f"({format_value(f['excess'], f['unit'])} {direction} the limit of "
        f"{format_value(f['limit'], f['unit'])}) | {f['cue']} |"
    )


def gaps_line(gaps: list[Mapping[str, Any]]) -> str | None:
    """'The video is damaged: no picture 4.60-4.70 s (3 frames); ...' or None."""
    if not gaps:
        return None
    parts = []
    for g in gaps:
        frames = "1 frame" if g["frames"] == 1 else f"{g['frames']} frames"
        why = "" if g["reason"] == "damaged" else ", the file ends early"
        parts.append(f"{_clock(g['start_s'])}–{_clock(g['end_s'])} ({frames}{why})")
    return ("The video is damaged; the analysis skips where it has no picture: "
            + "; ".join(parts) + ".")


def render_markdown(data: Mapping[str, Any]) -> str:
    """The report a person reads: results first, details after."""
    st = data["stretch"]
    tm = data["time"]
    lines = [f"# {st['name']}: session report", ""]
    lines.append(f"Video: `{Path(data['video']).name}`  ")
    rng = data["range"]
    lines.append(
        f"Analyzed: {_clock(rng['start_s'])} to {_clock(rng['end_s'])} "
        f"({tm['total_s']:.1f} s, {rng['frames']} frames)  "
    )
    if st["chosen"] == "recognized":
        score = st.get("score")
        score_text = (f" (its position seen in {score:.0%} of the frames)"
                      if score is not None else "")
        lines.append(f"Stretch: recognised automatically as **{st['name']}**{score_text}  ")
    if data.get("profile"):
        lines.append(f"Ranges: profile **{data['profile']}**  ")
    lines.append(f"Dosage: {data['dosage']['text']}")
    lines += [f"\n**{line}**" for line in [gaps_line(data.get("gaps", []))] if line]
    lines += ["", "## Result", ""]
    if "holds" in data:
        h = data["holds"]
        lines.append(f"- **Holds: {h['text']}**")
        for a in h["attempts"]:
            side = f"{a['side']} side, " if a["side"] else ""
            state = "completed" if a["completed"] else "not completed"
            lines.append(
                f"  - {side}from {_clock(a['start_s'])}: held {a['held_s']:.1f} s "
                f"of {h['hold_s']:g} s ({state})"
            )
        if not h["attempts"]:
            lines.append("  - no hold was started (the form was never right long enough)")
    else:
        r = data["reps"]
        lines.append(
            f"- **Repetitions: {r['good']} with good form, {r['with_fault']} with a fault** "
            f"(target {r['target']})"
        )
    lines.append(
        f"- Correct form: **{_pct(tm['correct_share_of_position'])} of the time in position** "
        f"({tm['correct_form_s']:.1f} of {tm['in_position_s']:.1f} s), "
        f"{_pct(tm['correct_share_of_total'])} of the whole recording"
    )
    if data["complete"]:
        lines.append("- The full dosage was completed.")
    blockers = data.get("out_of_position", [])
    if blockers:
        lines += ["", "## What kept you out of position", ""]
        for b in blockers:
            unit = _unit(b["unit"])
            typical = f"{b['typical_value']:.0f}{unit}"
            if "needs" in b:
                needs = f"{b['needs']} ({b['needs_detail']})"
                if b["typical_words"] != typical:
                    typical = f"{b['typical_words']} ({typical})"
            else:
                needs = (f"at least {b['min']:g}{unit}" if b["min"] is not None and
                         b["typical_value"] < b["min"] else f"at most {b['max']:g}{unit}"
                         if b["max"] is not None else "")
            lines.append(
                f"- **{b['label']}**: {b['seconds']:.1f} s between {_clock(b['first_s'])} and "
                f"{_clock(b['last_s'])}. Needs: {needs}; it was typically {typical}. "
                f"Cue: \"{b['cue']}\"")
    lines += ["", "## Where the form broke", ""]
    faults, tips = faults_and_tips(data["faults"])
    table_head = [
        "| When | How long | Check | What it needs | Worst (for your physiotherapist) "
        "| What to do |",
        "|---|---|---|---|---|---|",
    ]
    if faults:
        lines += [*table_head, *(_fault_line(f) for f in faults)]
    else:
        lines.append("No form faults while in position.")
    if tips:
        lines += ["", "## Tips", "",
                  "Advice only: your form still counted as correct while these came up.", "",
                  *table_head, *(_fault_line(f) for f in tips)]
    lines += ["", "## What could not be judged", ""]
    lines.append(f"- Nobody in the picture: {tm['no_person_s']:.1f} s")
    lines.append(f"- Body parts not visible: {tm['joints_not_visible_s']:.1f} s")
    lines.append(f"- Camera at the wrong angle: {tm['wrong_view_s']:.1f} s")
    note = data["people"]["note"]
    if note:
        lines.append(f"- {note}")
    lines += ["", "## Checks and allowed ranges", ""]
    for c in data["checks"]:
        kind = _ROLE_WORDS.get(c["role"], c["role"])
        if c.get("defines_rep"):
            optional = ", each repetition needs it"
        else:
            optional = "" if c["required"] else ", advice only"
        words = f"{c['words']} " if c.get("words") else ""
        lines.append(f"- **{c['label']}**: {words}({_band(c)}; {kind}{optional})")
    lm = data["landmarks"]
    lines += [
        "",
        "## Details",
        "",
        f"- Pose model: {describe_model_id(lm['model_id'])}, run on "
        f"{rate_words(lm.get('analysis_fps'))}",
        "- Landmarks: " + ("landmarks from cache (saved when this video was first "
                           "analysed with the same model and settings)"
                           if lm["from_cache"] else "estimated from the video for this report"),
    ]
    return "\n".join(lines) + "\n"
