"""The session history: a local SQLite database of numbers, never pictures.

One file, ``<history dir>/history.sqlite3``; the history dir is
``$POSECHECK_HISTORY_DIR`` when set, else ``<user data dir>/posecheck/history``
(beside the profiles). Each :class:`~posecheck.session_record.SessionRecord`
is one row in ``sessions`` with its fault episodes and per-check ranges in two
child tables. A save replaces the session's rows in one transaction (an
upsert), so a live session saved every few seconds is always whole on disk:
a crash loses at most the time since the last save.

The schema carries its version in SQLite's ``user_version``; :data:`MIGRATIONS`
takes a database from any older version to the current one, each step in its
own transaction. A database written by a newer posecheck is refused, not
touched.

History can be turned off (``POSECHECK_HISTORY=off``, or the switch on the
Progress page, kept in ``settings.json`` beside the database).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import platformdirs

from posecheck.errors import PosecheckError
from posecheck.session_record import CheckRange, FaultRecord, SessionRecord

logger = logging.getLogger(__name__)

HISTORY_DIR_ENV = "POSECHECK_HISTORY_DIR"
HISTORY_SWITCH_ENV = "POSECHECK_HISTORY"  # "off" (or 0/no/false) turns saving off
DB_NAME = "history.sqlite3"
SETTINGS_NAME = "settings.json"
_OFF = {"off", "0", "no", "false"}
# The profile column for sessions done without a profile (SQL has no NULL in a key).
NO_PROFILE = ""


class HistoryError(PosecheckError):
    """The history cannot be read or written as asked."""


class UnknownHistoryProfileError(HistoryError):
    """A profile with no sessions in the history."""


# ---------------------------------------------------------------- locations and the switch


def history_dir(override: str | Path | None = None) -> Path:
    """The folder holding the database and its settings (not created here)."""
    if override is not None:
        return Path(override)
    env = os.environ.get(HISTORY_DIR_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("posecheck")) / "history"


def database_path(override: str | Path | None = None) -> Path:
    return history_dir(override) / DB_NAME


def _settings_path(folder: str | Path | None) -> Path:
    return history_dir(folder) / SETTINGS_NAME


def switched_off_by_env() -> bool:
    return os.environ.get(HISTORY_SWITCH_ENV, "").strip().lower() in _OFF


def history_enabled(folder: str | Path | None = None) -> bool:
    """Whether sessions are saved: on unless the environment or the saved setting says off."""
    if switched_off_by_env():
        return False
    path = _settings_path(folder)
    if not path.is_file():
        return True
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("history", True))
    except (OSError, ValueError, AttributeError):
        logger.warning("could not read %s; history stays on", path)
        return True


def set_history_enabled(enabled: bool, folder: str | Path | None = None) -> None:
    """Save the on/off setting (written atomically)."""
    path = _settings_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"history": bool(enabled)}), encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------- schema


_V1 = (
    """CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        profile TEXT NOT NULL,
        stretch_id TEXT NOT NULL,
        stretch_name TEXT NOT NULL,
        routine TEXT,
        source TEXT NOT NULL CHECK (source IN ('live', 'file')),
        source_name TEXT,
        started_at TEXT NOT NULL,       -- ISO 8601 with the UTC offset
        started_day TEXT NOT NULL,      -- local calendar day, YYYY-MM-DD
        duration_s REAL NOT NULL,
        dosage_text TEXT NOT NULL,
        dosage_kind TEXT NOT NULL,
        sets_target INTEGER NOT NULL,
        hold_target_s REAL NOT NULL,
        reps_target INTEGER NOT NULL,
        per_side INTEGER NOT NULL,
        holds_done INTEGER NOT NULL,
        holds_target INTEGER NOT NULL,
        reps_done INTEGER NOT NULL,
        reps_with_fault INTEGER NOT NULL,
        sets_done INTEGER NOT NULL,
        complete INTEGER NOT NULL,
        seen_s REAL NOT NULL,
        in_position_s REAL NOT NULL,
        correct_s REAL NOT NULL,
        finished INTEGER NOT NULL
    )""",
    "CREATE INDEX sessions_by_profile_day ON sessions (profile, started_day)",
    """CREATE TABLE faults (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        check_id TEXT NOT NULL,
        label TEXT NOT NULL,
        start_s REAL NOT NULL,
        duration_s REAL NOT NULL,
        worst_value REAL NOT NULL,
        unit TEXT NOT NULL,
        cue TEXT NOT NULL
    )""",
    "CREATE INDEX faults_by_session ON faults (session_id)",
    """CREATE TABLE check_ranges (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        check_id TEXT NOT NULL,
        label TEXT NOT NULL,
        role TEXT NOT NULL,
        unit TEXT NOT NULL,
        low REAL,
        high REAL,
        frames INTEGER NOT NULL,
        p5 REAL NOT NULL,
        median REAL NOT NULL,
        p95 REAL NOT NULL,
        reach REAL NOT NULL,
        reach_end TEXT NOT NULL CHECK (reach_end IN ('high', 'low')),
        headline INTEGER NOT NULL,
        PRIMARY KEY (session_id, check_id)
    )""",
)

# MIGRATIONS[i] takes a database from version i to version i + 1: SQL statements run in
# one transaction (a new version appends a step; an old step is never edited).
Migration = Sequence[str]
MIGRATIONS: tuple[Migration, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the schema to the newest version, one transaction per step; returns it.

    Each step re-reads the version once it holds the write lock, so two
    programs opening a new database at once do not both create it.
    """
    if _version(conn) > len(migrations):
        raise HistoryError(
            f"the history database was written by a newer posecheck (schema version "
            f"{_version(conn)}, this one knows up to {len(migrations)}); update posecheck "
            "to read it"
        )
    while _version(conn) < len(migrations):
        conn.execute("BEGIN IMMEDIATE")
        try:
            step = _version(conn)
            if step < len(migrations):
                for statement in migrations[step]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        logger.info("history schema at version %d", _version(conn))
    return len(migrations)


# ---------------------------------------------------------------- the store


class HistoryStore:
    """Reads and writes the history database. One connection per store; use one per thread."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else database_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: transactions are begun and ended here, explicitly.
            self._conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA foreign_keys = ON")
            # Deleted sessions are overwritten, not left readable in free pages.
            self._conn.execute("PRAGMA secure_delete = ON")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            migrate(self._conn)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"cannot open the history database {self.path}: {exc}") from exc

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # ------------------------------------------------------------ writing
    def save(self, record: SessionRecord) -> None:
        """Insert or replace one session, its faults and its ranges, all or nothing."""
        row = {
            "id": record.session_id,
            "profile": record.profile or NO_PROFILE,
            "stretch_id": record.stretch_id,
            "stretch_name": record.stretch_name,
            "routine": record.routine,
            "source": record.source,
            "source_name": record.source_name,
            "started_at": record.started_at.isoformat(timespec="seconds"),
            "started_day": record.started_at.date().isoformat(),
            "duration_s": record.duration_s,
            "dosage_text": record.dosage_text,
            "dosage_kind": record.dosage_kind,
            "sets_target": record.sets_target,
            "hold_target_s": record.hold_target_s,
            "reps_target": record.reps_target,
            "per_side": int(record.per_side),
            "holds_done": record.holds_done,
            "holds_target": record.holds_target,
            "reps_done": record.reps_done,
            "reps_with_fault": record.reps_with_fault,
            "sets_done": record.sets_done,
            "complete": int(record.complete),
            "seen_s": record.seen_s,
            "in_position_s": record.in_position_s,
            "correct_s": record.correct_s,
            "finished": int(record.finished),
        }
        columns = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        updates = ", ".join(f"{k} = excluded.{k}" for k in row if k != "id")
        try:
            with self._transaction() as conn:
                conn.execute(
                    f"INSERT INTO sessions ({columns}) VALUES ({marks}) "
                    f"ON CONFLICT (id) DO UPDATE SET {updates}",
                    row,
                )
                conn.execute("DELETE FROM faults WHERE session_id = ?", (record.session_id,))
                conn.execute("DELETE FROM check_ranges WHERE session_id = ?",
                             (record.session_id,))
                conn.executemany(
                    "INSERT INTO faults VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(record.session_id, f.check_id, f.label, f.start_s, f.duration_s,
                      f.worst_value, f.unit, f.cue) for f in record.faults],
                )
                conn.executemany(
                    "INSERT INTO check_ranges VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(record.session_id, r.check_id, r.label, r.role, r.unit, r.low, r.high,
                      r.frames, r.p5, r.median, r.p95, r.reach, r.reach_end, int(r.headline))
                     for r in record.ranges],
                )
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"could not save the session to {self.path}: {exc}") from exc

    def delete_profile(self, profile: str | None) -> int:
        """Remove every session of ``profile`` (faults and ranges with them); returns how many."""
        with self._transaction() as conn:
            cur = conn.execute("DELETE FROM sessions WHERE profile = ?", (profile or NO_PROFILE,))
        # Move the change out of the write-ahead log into the (zeroed) database pages.
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cur.rowcount

    # ------------------------------------------------------------ reading
    def profiles(self) -> list[str | None]:
        """Profiles with at least one session (None: sessions without a profile)."""
        rows = self._conn.execute("SELECT DISTINCT profile FROM sessions ORDER BY profile")
        return [r["profile"] or None for r in rows]

    def require_profile(self, profile: str | None) -> None:
        """Nothing when ``profile`` has sessions; else an error naming the closest one."""
        known = self.profiles()
        if profile in known:
            return
        names = [p for p in known if p]
        match = difflib.get_close_matches(profile or "", names, n=1, cutoff=0.5)
        hint = f" (did you mean '{match[0]}'?)" if match else ""
        listing = (f"; profiles with sessions: {', '.join(names)}" if names
                   else "; no sessions under any profile yet")
        raise UnknownHistoryProfileError(f"no sessions for profile '{profile}'{hint}{listing}")

    def sessions(self, profile: str | None = None, *, since: date | None = None,
                 any_profile: bool = False) -> list[SessionRecord]:
        """Sessions in time order: of ``profile`` (or of every profile with
        ``any_profile``), from the day ``since`` on."""
        where, args = [], []
        if not any_profile:
            where.append("profile = ?")
            args.append(profile or NO_PROFILE)
        if since is not None:
            where.append("started_day >= ?")
            args.append(since.isoformat())
        sql = "SELECT * FROM sessions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started_at, id"
        rows = self._conn.execute(sql, args).fetchall()
        faults: dict[str, list[FaultRecord]] = {}
        ranges: dict[str, list[CheckRange]] = {}
        ids = [r["id"] for r in rows]
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            marks = ", ".join("?" * len(chunk))
            for f in self._conn.execute(
                    f"SELECT * FROM faults WHERE session_id IN ({marks}) ORDER BY start_s",
                    chunk):
                faults.setdefault(f["session_id"], []).append(FaultRecord(
                    f["check_id"], f["label"], f["start_s"], f["duration_s"],
                    f["worst_value"], f["unit"], f["cue"]))
            for c in self._conn.execute(
                    f"SELECT * FROM check_ranges WHERE session_id IN ({marks}) ORDER BY rowid",
                    chunk):
                ranges.setdefault(c["session_id"], []).append(CheckRange(
                    c["check_id"], c["label"], c["role"], c["unit"], c["low"], c["high"],
                    c["frames"], c["p5"], c["median"], c["p95"], c["reach"], c["reach_end"],
                    bool(c["headline"])))
        return [_record(r, faults.get(r["id"], []), ranges.get(r["id"], [])) for r in rows]


def _record(row: sqlite3.Row, faults: list[FaultRecord],
            ranges: list[CheckRange]) -> SessionRecord:
    return SessionRecord(
        session_id=row["id"], profile=row["profile"] or None, stretch_id=row["stretch_id"],
        stretch_name=row["stretch_name"], source=row["source"],
        started_at=datetime.fromisoformat(row["started_at"]), duration_s=row["duration_s"],
        dosage_text=row["dosage_text"], dosage_kind=row["dosage_kind"],
        sets_target=row["sets_target"], hold_target_s=row["hold_target_s"],
        reps_target=row["reps_target"], per_side=bool(row["per_side"]),
        holds_done=row["holds_done"], holds_target=row["holds_target"],
        reps_done=row["reps_done"], reps_with_fault=row["reps_with_fault"],
        sets_done=row["sets_done"], complete=bool(row["complete"]), seen_s=row["seen_s"],
        in_position_s=row["in_position_s"], correct_s=row["correct_s"],
        finished=bool(row["finished"]), routine=row["routine"], source_name=row["source_name"],
        faults=tuple(faults), ranges=tuple(ranges),
    )


def save_if_enabled(record: SessionRecord, folder: str | Path | None = None) -> bool:
    """Save ``record`` unless history is off; True when it was saved.

    Opens and closes its own connection, so any thread may call it.
    """
    if not history_enabled(folder):
        return False
    with HistoryStore(database_path(folder)) as store:
        store.save(record)
    return True
