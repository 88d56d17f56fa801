"""What the history says, per stretch: adherence, range over time, corrections, a table.

Pure: takes :class:`~posecheck.session_record.SessionRecord` lists (from the
database or built in a test) and returns plain values for the Progress page,
``posecheck history`` and the clinician's report. "Today" is an argument.

Adherence is judged against a schedule: the stretch's dosage done
``per_day`` times a day (once, unless the physiotherapist says otherwise).
A day is *done* when that many sessions completed the dosage, *partial* when
something was done but not all of it, *missed* when nothing was recorded.
For a routine, a day is done when every stretch of the routine completed its
dosage that day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from posecheck.errors import PosecheckError
from posecheck.session_record import CheckRange, SessionRecord

DONE, PARTIAL, MISSED = "done", "partial", "missed"
# Below this share of a session with the person in view, its numbers say little.
MIN_SEEN_SHARE = 0.5
# Checks measured in fewer frames than this in a session give no range worth plotting.
MIN_RANGE_FRAMES = 15


@dataclass(frozen=True)
class DayAdherence:
    day: date
    sessions: int
    complete: int
    status: str  # done | partial | missed


@dataclass(frozen=True)
class Adherence:
    per_day: int
    days: tuple[DayAdherence, ...]

    @property
    def done(self) -> int:
        return sum(1 for d in self.days if d.status == DONE)

    @property
    def partial(self) -> int:
        return sum(1 for d in self.days if d.status == PARTIAL)

    @property
    def missed(self) -> int:
        return sum(1 for d in self.days if d.status == MISSED)

    @property
    def share(self) -> float | None:
        """Days done over days in the period (None for an empty period)."""
        return self.done / len(self.days) if self.days else None

    def text(self) -> str:
        if not self.days:
            return "no days in the period"
        times = "once a day" if self.per_day == 1 else f"{self.per_day} times a day"
        return (f"{self.done} of {len(self.days)} days done as prescribed ({times}), "
                f"{self.partial} partly, {self.missed} missed")


@dataclass(frozen=True)
class RangePoint:
    started_at: datetime
    reach: float
    p5: float
    p95: float
    session_id: str


@dataclass(frozen=True)
class RangeTrend:
    """One check's range reached, session by session."""

    check_id: str
    label: str
    role: str
    unit: str
    reach_end: str  # high | low
    low: float | None  # the allowed range in the latest session
    high: float | None
    points: tuple[RangePoint, ...]
    headline: bool = False  # the check that counts repetitions

    @property
    def change(self) -> float | None:
        """Latest reach minus the first (None with fewer than two sessions)."""
        if len(self.points) < 2:
            return None
        return self.points[-1].reach - self.points[0].reach

    def change_text(self) -> str:
        """The change since the first session in words: how much further, or less far."""
        change = self.change
        if change is None:
            return "one session, no trend yet"
        further = change > 0 if self.reach_end == "high" else change < 0
        if abs(change) < 0.5:
            return f"no change over {len(self.points)} sessions"
        return (f"{format_value(abs(change), self.unit)} {'further' if further else 'less far'} "
                f"than the first of {len(self.points)} sessions "
                f"({self.points[0].started_at.date().isoformat()})")


@dataclass(frozen=True)
class Correction:
    """A correction that came up, and how often."""

    check_id: str
    label: str
    cue: str
    episodes: int
    sessions: int
    total_s: float


@dataclass(frozen=True)
class StretchProgress:
    stretch_id: str
    stretch_name: str
    sessions: tuple[SessionRecord, ...]
    adherence: Adherence
    trends: tuple[RangeTrend, ...]
    corrections: tuple[Correction, ...]
    notes: tuple[str, ...]


# ---------------------------------------------------------------- helpers


def local_day(record: SessionRecord) -> date:
    """The calendar day the session started, in the time zone it was recorded in."""
    return record.started_at.date()


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def stretches(records: Iterable[SessionRecord]) -> list[tuple[str, str]]:
    """(id, name) of every stretch in the records, in the order first done."""
    seen: dict[str, str] = {}
    for r in sorted(records, key=lambda r: r.started_at):
        seen.setdefault(r.stretch_id, r.stretch_name)
    return list(seen.items())


def done_text(record: SessionRecord) -> str:
    """What was done against the dosage, in a few words."""
    if record.dosage_kind == "hold":
        return f"{record.holds_done} of {record.holds_target} holds of {record.hold_target_s:g} s"
    sides = 2 if record.per_side else 1
    target = record.reps_target * record.sets_target * sides
    fault = f" ({record.reps_with_fault} with a fault)" if record.reps_with_fault else ""
    return f"{record.reps_done} of {target} good repetitions{fault}"


def format_value(value: float, unit: str) -> str:
    shown = round(value)  # an int: never "-0"
    return f"{shown}°" if unit == "deg" else f"{shown}%"


def format_duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {round(seconds % 60):02d} s"


# ---------------------------------------------------------------- adherence


def _period(records: Sequence[SessionRecord], since: date | None, today: date) -> list[date]:
    if since is None:
        if not records:
            return []
        since = min(local_day(r) for r in records)
    return days_between(since, today) if since <= today else []


def adherence(records: Sequence[SessionRecord], *, today: date, since: date | None = None,
              per_day: int = 1) -> Adherence:
    """Day by day, from ``since`` (else the first session) to ``today``, for one stretch."""
    if per_day < 1:
        raise ValueError("per_day must be at least 1")
    by_day: dict[date, list[SessionRecord]] = {}
    for r in records:
        by_day.setdefault(local_day(r), []).append(r)
    days = []
    for day in _period(records, since, today):
        todays = by_day.get(day, [])
        complete = sum(1 for r in todays if r.complete)
        status = DONE if complete >= per_day else PARTIAL if todays else MISSED
        days.append(DayAdherence(day, len(todays), complete, status))
    return Adherence(per_day, tuple(days))


def routine_adherence(records: Sequence[SessionRecord], routine: str,
                      stretch_ids: Sequence[str] | None = None, *, today: date,
                      since: date | None = None) -> Adherence:
    """Day by day for a routine: done when every one of its stretches completed its dosage.

    ``stretch_ids`` are the routine's stretches; when not known, the stretches
    ever recorded under this routine stand in for them.
    """
    mine = [r for r in records if r.routine == routine]
    expected = set(stretch_ids) if stretch_ids else {r.stretch_id for r in mine}
    by_day: dict[date, list[SessionRecord]] = {}
    for r in mine:
        by_day.setdefault(local_day(r), []).append(r)
    days = []
    for day in _period(mine, since, today):
        todays = by_day.get(day, [])
        completed = {r.stretch_id for r in todays if r.complete}
        status = (DONE if expected and expected <= completed
                  else PARTIAL if todays else MISSED)
        days.append(DayAdherence(day, len(todays), len(completed & expected), status))
    return Adherence(1, tuple(days))


# ---------------------------------------------------------------- ranges and corrections


def range_trends(records: Sequence[SessionRecord]) -> list[RangeTrend]:
    """Per check, the range reached in each session with enough frames, in time order."""
    points: dict[str, list[RangePoint]] = {}
    latest: dict[str, CheckRange] = {}
    for r in sorted(records, key=lambda r: r.started_at):
        for c in r.ranges:
            if c.frames < MIN_RANGE_FRAMES:
                continue
            points.setdefault(c.check_id, []).append(
                RangePoint(r.started_at, c.reach, c.p5, c.p95, r.session_id))
            latest[c.check_id] = c
    order = {"position": 1, "form": 2, "safety": 3, "view": 4}
    headline = {c.check_id for r in records for c in r.ranges if c.headline}
    out = []
    for check_id, pts in points.items():
        c = latest[check_id]
        out.append(RangeTrend(check_id, c.label, c.role, c.unit, c.reach_end, c.low, c.high,
                              tuple(pts), check_id in headline))
    out.sort(key=lambda t: (0 if t.check_id in headline else order.get(t.role, 9), t.label))
    return out


def split_trends(trends: Sequence[RangeTrend]) -> tuple[list[RangeTrend], list[RangeTrend]]:
    """(the depth of the stretch, the rest): the check that counts repetitions when there
    is one, else the position checks; the rest are form and safety details."""
    main = [t for t in trends if t.headline] or [t for t in trends if t.role == "position"]
    return main, [t for t in trends if t not in main]


def corrections(records: Sequence[SessionRecord], top_n: int | None = None) -> list[Correction]:
    """The corrections that came up, most episodes first."""
    episodes: Counter[str] = Counter()
    sessions: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    label: dict[str, str] = {}
    cues: dict[str, Counter[str]] = {}
    for r in records:
        for f in r.faults:
            episodes[f.check_id] += 1
            seconds[f.check_id] += f.duration_s
            label[f.check_id] = f.label
            cues.setdefault(f.check_id, Counter())[f.cue] += 1
        for check_id in {f.check_id for f in r.faults}:
            sessions[check_id] += 1
    out = [
        Correction(cid, label[cid], cues[cid].most_common(1)[0][0], n, sessions[cid],
                   seconds[cid])
        for cid, n in episodes.items()
    ]
    out.sort(key=lambda c: (-c.episodes, -c.total_s, c.check_id))
    return out[:top_n] if top_n is not None else out


# ---------------------------------------------------------------- what could not be judged


def judgement_notes(records: Sequence[SessionRecord]) -> list[str]:
    """Plain sentences on where the numbers cannot be trusted, or are missing."""
    notes = []
    unfinished = [r for r in records if not r.finished]
    if unfinished:
        notes.append(f"{len(unfinished)} live session(s) ended without being stopped (the page "
                     "was closed or the program stopped); they are kept up to the last save.")
    poorly_seen = [r for r in records
                   if r.duration_s > 0 and r.seen_s / r.duration_s < MIN_SEEN_SHARE]
    if poorly_seen:
        notes.append(f"In {len(poorly_seen)} session(s) the person was in view less than half "
                     "of the time; their form and range figures rest on little.")
    never = [r for r in records if r.seen_s > 0 and r.in_position_s <= 0]
    if never:
        notes.append(f"{len(never)} session(s) never reached the stretch position, so no form "
                     "or hold could be judged in them.")
    no_range = [r for r in records
                if not any(c.frames >= MIN_RANGE_FRAMES for c in r.ranges)]
    if no_range:
        notes.append(f"{len(no_range)} session(s) have no range reached: the joints were not "
                     "seen long enough to measure it.")
    trends = range_trends(records)
    if records and trends and all(len(t.points) < 2 for t in trends):
        notes.append("Only one session with a measured range: no trend can be shown yet.")
    return notes


# ---------------------------------------------------------------- per stretch


def progress_by_stretch(records: Sequence[SessionRecord], *, today: date,
                        since: date | None = None, per_day: int = 1,
                        top_n: int = 5) -> list[StretchProgress]:
    """Adherence, range trends, corrections and notes for each stretch in the records."""
    out = []
    for stretch_id, name in stretches(records):
        mine = tuple(sorted((r for r in records if r.stretch_id == stretch_id),
                            key=lambda r: r.started_at))
        out.append(StretchProgress(
            stretch_id=stretch_id,
            stretch_name=name,
            sessions=mine,
            adherence=adherence(mine, today=today, since=since, per_day=per_day),
            trends=tuple(range_trends(mine)),
            corrections=tuple(corrections(mine, top_n)),
            notes=tuple(judgement_notes(mine)),
        ))
    return out


def main_range(record: SessionRecord) -> str:
    """The range reached, as text: the check that counts repetitions when there is one
    (how deep the stretch went), else every position check."""
    measured = [c for c in record.ranges if c.frames >= MIN_RANGE_FRAMES]
    shown = ([c for c in measured if c.headline]
             or [c for c in measured if c.role == "position"])
    if not shown:
        return "not measured"
    return ", ".join(f"{c.label} {format_value(c.reach, c.unit)}" for c in shown)


TABLE_COLUMNS = ("date", "time", "profile", "stretch", "routine", "source", "length",
                 "dosage", "done", "correct form", "corrections", "range reached")


def table_rows(records: Sequence[SessionRecord],
               routine_names: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """One row per session, newest first, as text (the page table and the CSV).

    ``routine_names`` gives a routine's name for its id; an id not there is shown as is.
    """
    names = routine_names or {}
    rows = []
    for r in sorted(records, key=lambda r: r.started_at, reverse=True):
        share = r.correct_share
        faults = Counter(f.label for f in r.faults)
        rows.append({
            "date": r.started_at.date().isoformat(),
            "time": r.started_at.strftime("%H:%M"),
            "profile": r.profile or "(none)",
            "stretch": r.stretch_name,
            "routine": names.get(r.routine, r.routine) if r.routine else "",
            "source": ("live" if r.finished else "live (not stopped)") if r.source == "live"
            else f"file {r.source_name}" if r.source_name else "file",
            "length": format_duration(r.duration_s),
            "dosage": r.dosage_text,
            "done": done_text(r) + (" - complete" if r.complete else ""),
            "correct form": "not in position" if share is None else f"{share:.0%} in position",
            "corrections": "; ".join(f"{k} x{n}" for k, n in faults.most_common()) or "none",
            "range reached": main_range(r),
        })
    return rows


CSV_COLUMNS = ("session_id", "started_at", "profile", "stretch_id", "stretch_name", "routine",
               "source", "source_name", "duration_s", "dosage", "holds_done", "holds_target",
               "reps_done", "reps_with_fault", "sets_done", "complete", "seen_s",
               "in_position_s", "correct_s", "correct_share", "fault_episodes", "corrections",
               "ranges", "finished")


def csv_rows(records: Sequence[SessionRecord]) -> list[dict[str, object]]:
    """One row per session, oldest first, with the numbers as numbers (for a spreadsheet).

    ``ranges`` lists every check as ``id=reach`` (the end that counts as further).
    """
    rows = []
    for r in sorted(records, key=lambda r: r.started_at):
        share = r.correct_share
        rows.append({
            "session_id": r.session_id,
            "started_at": r.started_at.isoformat(timespec="seconds"),
            "profile": r.profile or "",
            "stretch_id": r.stretch_id,
            "stretch_name": r.stretch_name,
            "routine": r.routine or "",
            "source": r.source,
            "source_name": r.source_name or "",
            "duration_s": round(r.duration_s, 1),
            "dosage": r.dosage_text,
            "holds_done": r.holds_done,
            "holds_target": r.holds_target,
            "reps_done": r.reps_done,
            "reps_with_fault": r.reps_with_fault,
            "sets_done": r.sets_done,
            "complete": int(r.complete),
            "seen_s": round(r.seen_s, 1),
            "in_position_s": round(r.in_position_s, 1),
            "correct_s": round(r.correct_s, 1),
            "correct_share": "" if share is None else round(share, 3),
            "fault_episodes": len(r.faults),
            "corrections": "; ".join(f"{k}={n}" for k, n in
                                     Counter(f.check_id for f in r.faults).most_common()),
            "ranges": "; ".join(f"{c.check_id}={c.reach:.1f}" for c in r.ranges),
            "finished": int(r.finished),
        })
    return rows


class BadDateError(PosecheckError):
    """A date that cannot be read."""


def parse_day(text: str, *, option: str = "--since") -> date:
    """``YYYY-MM-DD`` as a date, else an error that says what is expected."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise BadDateError(
            f"{option} {text!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-30") from None
