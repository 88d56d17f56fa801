"""The history database: real SQLite files in temporary folders."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from history_records import knees_fault, lean, record

from posecheck import history_store
from posecheck.history_store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    HistoryError,
    HistoryStore,
    UnknownHistoryProfileError,
    history_enabled,
    migrate,
    save_if_enabled,
    set_history_enabled,
)


@pytest.fixture
def store(tmp_path: Path):
    with HistoryStore(tmp_path / "h.sqlite3") as s:
        yield s


def test_a_saved_session_reads_back_the_same(store: HistoryStore) -> None:
    rec = record(28, faults=2, routine="extension routine", source="file",
                 source_name="monday.mp4")
    store.save(rec)
    assert store.sessions("jane") == [rec]
    assert store.profiles() == ["jane"]


def test_saving_again_replaces_the_session_and_its_faults(store: HistoryStore) -> None:
    store.save(record(28, faults=3, finished=False, duration_s=10.0))
    store.save(record(28, faults=1, duration_s=60.0, ranges=(lean(25.0),)))
    (got,) = store.sessions("jane")
    assert got.duration_s == 60.0 and got.finished
    assert len(got.faults) == 1 and got.ranges[0].reach == 25.0
    rows = store._conn.execute("SELECT COUNT(*) FROM faults").fetchone()[0]
    assert rows == 1


def test_a_save_that_fails_half_way_leaves_the_last_good_one(store: HistoryStore) -> None:
    good = record(28, faults=1)
    store.save(good)
    # Two ranges for the same check break the primary key after the session row was
    # updated and the old faults deleted: the whole save must roll back.
    bad = replace(good, duration_s=999.0, faults=(knees_fault(), knees_fault(9.0)),
                  ranges=(lean(30.0), lean(31.0)))
    with pytest.raises(HistoryError, match="could not save"):
        store.save(bad)
    assert store.sessions("jane") == [good]


def test_sessions_by_profile_and_since(store: HistoryStore) -> None:
    for day in (20, 25, 29):
        store.save(record(day))
    store.save(record(26, profile="tom"))
    store.save(record(27, profile=None))
    assert [r.started_at.day for r in store.sessions("jane", since=date(2026, 11, 25))] == [
        25, 29]
    assert [r.profile for r in store.sessions(any_profile=True)] == [
        "jane", "jane", "tom", None, "jane"]
    assert [r.started_at.day for r in store.sessions(None)] == [27]
    assert store.profiles() == [None, "jane", "tom"]


def test_unknown_profile_names_the_closest(store: HistoryStore) -> None:
    store.save(record(28, profile="jane-doe"))
    with pytest.raises(UnknownHistoryProfileError, match="did you mean 'jane-doe'"):
        store.require_profile("jane_doe")
    store.require_profile("jane-doe")


def test_deleting_a_profile_removes_only_its_sessions(store: HistoryStore) -> None:
    store.save(record(28, faults=2))
    store.save(record(29, faults=1))
    store.save(record(28, profile="tom", faults=1))
    assert store.delete_profile("jane") == 2
    assert store.sessions("jane") == []
    assert len(store.sessions("tom")) == 1
    faults = store._conn.execute("SELECT COUNT(*) FROM faults").fetchone()[0]
    ranges = store._conn.execute("SELECT COUNT(*) FROM check_ranges").fetchone()[0]
    assert (faults, ranges) == (1, 1)


def test_a_new_database_has_the_current_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    HistoryStore(path).close()  # opening again runs nothing twice


def test_migrations_run_in_order_from_any_older_version(tmp_path: Path) -> None:
    steps = (*MIGRATIONS, ("ALTER TABLE sessions ADD COLUMN note TEXT",),
             ("CREATE TABLE extra (x INTEGER)",))
    conn = sqlite3.connect(tmp_path / "h.sqlite3", isolation_level=None)
    assert migrate(conn, steps[:1]) == 1
    conn.execute("INSERT INTO sessions (id, profile, stretch_id, stretch_name, source, "
                 "started_at, started_day, duration_s, dosage_text, dosage_kind, sets_target, "
                 "hold_target_s, reps_target, per_side, holds_done, holds_target, reps_done, "
                 "reps_with_fault, sets_done, complete, seen_s, in_position_s, correct_s, "
                 "finished) VALUES ('a', 'jane', 's', 'S', 'live', '2026-11-28T09:00:00+01:00', "
                 "'2026-11-28', 1, 'd', 'hold', 1, 30, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1)")
    assert migrate(conn, steps) == 3
    assert conn.execute("SELECT id, note FROM sessions").fetchall() == [("a", None)]
    conn.execute("SELECT x FROM extra")
    # A step that fails leaves the database at the last good version.
    broken = (*steps, ("CREATE TABLE ok (x)", "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'ok'").fetchall()
    conn.close()


def test_a_database_from_a_newer_posecheck_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer posecheck"):
        HistoryStore(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0


def test_a_damaged_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="cannot open the history database"):
        HistoryStore(path)
    assert path.read_bytes().startswith(b"this is not a database")


def test_two_threads_saving_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    errors: list[BaseException] = []

    def work(profile: str) -> None:
        try:
            for i in range(15):
                with HistoryStore(path) as s:
                    s.save(record(1 + i, profile=profile, faults=1))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in ("jane", "tom", "ann")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    with HistoryStore(path) as s:
        assert len(s.sessions(any_profile=True)) == 45


def test_history_can_be_turned_off_by_setting_or_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "hist"
    assert history_enabled(folder)
    assert save_if_enabled(record(28), folder)
    set_history_enabled(False, folder)
    assert not history_enabled(folder)
    assert not save_if_enabled(record(29), folder)
    set_history_enabled(True, folder)
    monkeypatch.setenv(history_store.HISTORY_SWITCH_ENV, "off")
    assert not history_enabled(folder)
    assert not save_if_enabled(record(30), folder)
    monkeypatch.delenv(history_store.HISTORY_SWITCH_ENV)
    with HistoryStore(history_store.database_path(folder)) as s:
        assert [r.started_at.day for r in s.sessions("jane")] == [28]


def test_the_database_holds_only_numbers_and_words(store: HistoryStore) -> None:
    store.save(record(28, faults=2))
    types = set()
    for table in ("sessions", "faults", "check_ranges"):
        for row in store._conn.execute(f"SELECT * FROM {table}"):
            types.update(type(v) for v in row)
    assert types <= {str, int, float, type(None)}  # no blobs: no picture can hide here


def test_a_deleted_profile_leaves_no_trace_in_the_files(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryStore(path) as store:
        for day in range(1, 15):  # the deleted rows share pages with rows that stay
            store.save(record(day, profile="tom", faults=1))
        store.save(record(28, profile="zebediah-quist", faults=2))
        for day in range(15, 29):
            store.save(record(day, profile="tom", faults=1))
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.delete_profile("zebediah-quist")
        on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"zebediah-quist" not in on_disk
    assert b"tom" in on_disk
