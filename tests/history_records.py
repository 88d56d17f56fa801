"""Session records built by hand, for the history's unit tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from posecheck.session_record import CheckRange, FaultRecord, SessionRecord

TZ = timezone(timedelta(hours=1))


def lean(reach: float, frames: int = 200) -> CheckRange:
    return CheckRange("lean_back", "Leaning back", "position", "deg", 10.0, 90.0, frames,
                      reach - 8.0, reach - 3.0, reach, reach, "high")


def knees_fault(start_s: float = 4.0, duration_s: float = 2.0) -> FaultRecord:
    return FaultRecord("knees_straight", "Knees straight", start_s, duration_s, 140.0, "deg",
                       "Keep your knees straight and lean back from your hips")


def record(day: int, *, hour: int = 9, session_id: str | None = None,
           profile: str | None = "jane", stretch_id: str = "standing_extension",
           complete: bool = True, reach: float = 20.0, faults: int = 0,
           **changes: object) -> SessionRecord:
    """A standing extension on 2026-11-``day`` (3 x 30 s), complete unless told."""
    base = SessionRecord(
        session_id=session_id or f"{profile}-{stretch_id}-{day}-{hour}",
        profile=profile, stretch_id=stretch_id,
        stretch_name="Standing back extension" if stretch_id == "standing_extension"
        else stretch_id.replace("_", " ").capitalize(),
        source="live", started_at=datetime(2026, 11, day, hour, 30, tzinfo=TZ),
        duration_s=120.0, dosage_text="3 x 30 s hold", dosage_kind="hold", sets_target=3,
        hold_target_s=30.0, reps_target=0, per_side=False,
        holds_done=3 if complete else 1, holds_target=3, reps_done=0, reps_with_fault=0,
        sets_done=3 if complete else 1, complete=complete, seen_s=115.0,
        in_position_s=100.0, correct_s=90.0, finished=True,
        faults=tuple(knees_fault(4.0 + 10 * i) for i in range(faults)),
        ranges=(lean(reach),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]
