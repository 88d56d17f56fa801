"""Adherence, range over time, corrections and the table, from hand-made records."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from history_records import lean, record

from posecheck import history_stats as stats


def test_adherence_day_by_day_against_once_a_day() -> None:
    records = [record(24), record(25, complete=False), record(27), record(27, hour=18)]
    a = stats.adherence(records, today=date(2026, 11, 28))
    assert [(d.day.day, d.status) for d in a.days] == [
        (24, "done"), (25, "partial"), (26, "missed"), (27, "done"), (28, "missed")]
    assert (a.done, a.partial, a.missed) == (2, 1, 2)
    assert a.share == pytest.approx(2 / 5)
    assert a.text() == "2 of 5 days done as prescribed (once a day), 1 partly, 2 missed"


def test_adherence_twice_a_day_and_a_period_given() -> None:
    records = [record(24), record(27), record(27, hour=18)]
    a = stats.adherence(records, today=date(2026, 11, 27), since=date(2026, 11, 26),
                        per_day=2)
    assert [(d.day.day, d.sessions, d.status) for d in a.days] == [
        (26, 0, "missed"), (27, 2, "done")]
    assert "2 times a day" in a.text()
    with pytest.raises(ValueError):
        stats.adherence(records, today=date(2026, 11, 27), per_day=0)
    assert stats.adherence([], today=date(2026, 11, 27)).days == ()


def test_a_routine_day_is_done_only_when_every_stretch_completed() -> None:
    r = "extension"
    records = [
        record(24, routine=r), record(24, stretch_id="prone_press_up", routine=r),
        record(25, routine=r), record(25, stretch_id="prone_press_up", routine=r,
                                      complete=False),
        record(26, routine=None),  # not part of the routine
    ]
    a = stats.routine_adherence(records, r, ["standing_extension", "prone_press_up"],
                                today=date(2026, 11, 26))
    assert [d.status for d in a.days] == ["done", "partial", "missed"]
    # Without the routine's list, the stretches seen under it stand in.
    b = stats.routine_adherence(records, r, today=date(2026, 11, 25))
    assert [d.status for d in b.days] == ["done", "partial"]


def test_range_trend_in_time_order_skipping_sessions_measured_too_little() -> None:
    records = [record(26, reach=24.0), record(24, reach=18.0),
               record(25, ranges=(lean(40.0, frames=3),)), record(27, reach=27.0)]
    (trend,) = stats.range_trends(records)
    assert trend.check_id == "lean_back" and trend.reach_end == "high"
    assert [p.reach for p in trend.points] == [18.0, 24.0, 27.0]
    assert trend.change == pytest.approx(9.0)
    assert (trend.low, trend.high) == (10.0, 90.0)


def test_corrections_most_frequent_first() -> None:
    records = [record(24, faults=3), record(25, faults=1), record(26)]
    (c,) = stats.corrections(records)
    assert (c.check_id, c.episodes, c.sessions) == ("knees_straight", 4, 2)
    assert c.total_s == pytest.approx(8.0)
    assert "knees straight" in c.cue


def test_notes_say_what_could_not_be_judged() -> None:
    records = [
        record(24, finished=False),
        record(25, seen_s=20.0),
        record(26, in_position_s=0.0, correct_s=0.0, ranges=()),
    ]
    notes = " ".join(stats.judgement_notes(records))
    assert "1 live session(s) ended without being stopped" in notes
    assert "in view less than half" in notes
    assert "never reached the stretch position" in notes
    assert "have no range reached" in notes
    assert stats.judgement_notes([record(24), record(25)]) == []
    assert "no trend" in " ".join(stats.judgement_notes([record(24)]))


def test_progress_by_stretch_and_table_rows() -> None:
    records = [record(24, faults=1), record(25, stretch_id="prone_press_up"),
               record(26, reach=25.0, source="file", source_name="a.mp4", complete=False)]
    progress = stats.progress_by_stretch(records, today=date(2026, 11, 26))
    assert [p.stretch_id for p in progress] == ["standing_extension", "prone_press_up"]
    ext = progress[0]
    assert len(ext.sessions) == 2 and ext.adherence.done == 1
    rows = stats.table_rows(records)
    assert [r["date"] for r in rows] == ["2026-11-26", "2026-11-25", "2026-11-24"]
    assert rows[0]["source"] == "file a.mp4"
    assert rows[0]["done"] == "1 of 3 holds of 30 s"
    assert rows[2]["done"] == "3 of 3 holds of 30 s - complete"
    assert rows[2]["corrections"] == "Knees straight x1"
    assert rows[0]["correct form"] == "90% in position"
    assert rows[0]["range reached"] == "Leaning back 25°"
    assert set(rows[0]) == set(stats.TABLE_COLUMNS)


def test_reps_and_unjudged_sessions_in_words() -> None:
    reps = record(24, dosage_kind="reps", dosage_text="10 repetitions", reps_target=10,
                  sets_target=1, reps_done=7, reps_with_fault=2, holds_target=0)
    assert stats.done_text(reps) == "7 of 10 good repetitions (2 with a fault)"
    never = record(24, in_position_s=0.0, correct_s=0.0, ranges=())
    row = stats.table_rows([never])[0]
    assert row["correct form"] == "not in position" and row["range reached"] == "not measured"


def test_csv_rows_keep_numbers() -> None:
    (row,) = stats.csv_rows([record(24, faults=2)])
    assert tuple(row) == stats.CSV_COLUMNS
    assert row["correct_share"] == 0.9 and row["fault_episodes"] == 2
    assert row["corrections"] == "knees_straight=2" and row["ranges"] == "lean_back=20.0"
    assert row["started_at"] == "2026-11-24T09:30:00+01:00"


@pytest.mark.parametrize("text", ["2026-13-01", "yesterday", "", "30/11/2026"])
def test_bad_dates_are_refused_in_plain_words(text: str) -> None:
    with pytest.raises(stats.BadDateError, match="is not a date: use YYYY-MM-DD"):
        stats.parse_day(text)
    assert stats.parse_day("2026-11-30") == date(2026, 11, 30)


def test_change_in_words_knows_which_way_is_further() -> None:
    (up,) = stats.range_trends([record(24, reach=18.0), record(25, reach=26.0)])
    assert up.change_text().startswith("8° further than the first of 2 sessions")
    capped = [replace(record(d, reach=r), ranges=(replace(lean(r), reach_end="low",
                                                          check_id="sit_back"),))
              for d, r in ((24, 30.0), (25, 44.0))]
    (down,) = stats.range_trends(capped)
    assert down.change_text().startswith("14° less far than the first")
    (one,) = stats.range_trends([record(24)])
    assert one.change_text() == "one session, no trend yet"
    main, others = stats.split_trends([up, replace(up, check_id="x", role="form")])
    assert [t.check_id for t in main] == ["lean_back"] and [t.check_id for t in others] == ["x"]


def test_a_value_just_below_zero_reads_as_zero() -> None:
    assert stats.format_value(-0.3, "deg") == "0°"
    assert stats.format_value(-0.4, "%") == "0%"
    assert stats.format_value(-0.6, "deg") == "-1°"


def test_the_table_names_a_routine_by_its_name() -> None:
    rows = stats.table_rows([record(24, routine="extension_rotation"), record(25)],
                            {"extension_rotation": "Extension and rotation"})
    assert [r["routine"] for r in rows] == ["", "Extension and rotation"]
    # An id with no name known (a routine since deleted) is shown as it is.
    assert stats.table_rows([record(24, routine="gone")], {})[0]["routine"] == "gone"


def test_shipped_routines_have_names_for_the_table() -> None:
    from posecheck.routines import routine_names

    assert routine_names()["extension_rotation"] == "Extension and rotation"


def test_the_calendar_shows_the_weeks_of_the_period_and_no_earlier_ones() -> None:
    from datetime import date, timedelta

    from posecheck.history_plots import adherence_calendar
    from posecheck.history_stats import DONE, MISSED, Adherence, DayAdherence

    one_day = Adherence(1, (DayAdherence(date(2026, 12, 2), 1, 1, DONE),))
    grid = adherence_calendar(one_day).axes[0].images[0].get_array()
    assert grid.shape == (7, 1)  # one week: the period's (Mon 30 Nov to Sun 6 Dec)
    start = date(2026, 11, 25)  # a Wednesday, to a Tuesday 13 days later: three weeks
    days = tuple(DayAdherence(start + timedelta(days=i), 0, 0, MISSED) for i in range(14))
    grid = adherence_calendar(Adherence(1, days)).axes[0].images[0].get_array()
    assert grid.shape == (7, 3)
    assert grid[0][0] == 0 and grid[1][0] == 0  # Mon 23 and Tue 24 Nov: before the period
    assert grid[2][0] == 1  # Wed 25 Nov: the first day, missed
