"""``posecheck history`` and ``posecheck report`` on real SQLite files, and a real analysis
of a shared video found again in the history."""

from __future__ import annotations

import base64
import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from history_records import record

from posecheck import history_store
from posecheck.cli import main
from posecheck.history_store import HistoryStore


@pytest.fixture
def filled(_isolated_history: Path) -> Path:
    with HistoryStore(history_store.database_path()) as store:
        store.save(record(24, reach=18.0, faults=2))
        store.save(record(25, reach=21.0, complete=False))
        store.save(record(27, reach=26.0, faults=1, source="file", source_name="thu.mp4"))
        store.save(record(26, profile="tom"))
    return history_store.database_path()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("command", ["history", "report"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "--profile" in capsys.readouterr().out


def test_history_prints_per_stretch_and_a_table(filled: Path, capsys) -> None:
    code, out, _ = _run(capsys, "history", "--profile", "jane")
    assert code == 0
    assert "History of profile 'jane', all saved sessions: 3 session(s)." in out
    assert "Standing back extension [standing_extension]: 3 session(s)" in out
    assert "Adherence: 2 of " in out  # the 24th and the 27th complete; today is later
    assert "Range, Leaning back (highest): 18° on 2026-11-24 -> 26° on 2026-11-27" in out
    assert "Knees straight: 3 time(s) in 2 session(s)" in out
    table = out[out.index("date "):].splitlines()
    assert len(table) == 4 and table[1].startswith("2026-11-27")
    assert "file thu.mp4" in table[1] and "tom" not in out


def test_history_since_and_csv(filled: Path, capsys) -> None:
    code, out, _ = _run(capsys, "history", "--since", "2026-11-25", "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["profile"], r["started_at"][:10]) for r in rows] == [
        ("jane", "2026-11-25"), ("tom", "2026-11-26"), ("jane", "2026-11-27")]
    assert rows[2]["fault_episodes"] == "1" and rows[2]["ranges"] == "lean_back=26.0"


@pytest.mark.parametrize(("argv", "message"), [
    (["history", "--since", "30/11/2026"], "--since '30/11/2026' is not a date: use YYYY-MM-DD"),
    (["history", "--profile", "jnae"], "no sessions for profile 'jnae' (did you mean 'jane'?)"),
    (["report", "--profile", "bob"], "no sessions for profile 'bob'"),
    (["history", "--delete"], "--delete needs --profile NAME"),
    (["history", "--per-day", "0"], "--per-day must be at least 1"),
    (["analyze", "x.mp4", "--stretch", "bridge", "--out", "o", "--recorded", "monday"],
     "--recorded 'monday' is not a date"),
])
def test_mistakes_get_one_line(filled: Path, capsys, argv: list[str], message: str) -> None:
    code, _out, err = _run(capsys, *argv)
    assert code == 1
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_no_history_yet(capsys) -> None:
    code, out, _ = _run(capsys, "history")
    assert code == 0 and "No sessions saved yet" in out
    code, _, err = _run(capsys, "history", "--profile", "jane")
    assert code == 1 and "no sessions saved yet" in err


def test_delete_needs_confirmation_then_removes_one_profile(filled: Path, capsys,
                                                            monkeypatch) -> None:
    # Not a terminal and no --yes: refused, nothing removed.
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, _, err = _run(capsys, "history", "--delete", "--profile", "jane")
    assert code == 1 and "pass --yes" in err
    with HistoryStore(filled) as store:
        assert len(store.sessions("jane")) == 3

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty("n\n"))
    code, out, _ = _run(capsys, "history", "--delete", "--profile", "jane")
    assert code == 1 and "Nothing deleted" in out
    monkeypatch.setattr("sys.stdin", Tty("y\n"))
    code, out, _ = _run(capsys, "history", "--delete", "--profile", "jane")
    assert code == 0 and "Deleted 3 session(s) of profile 'jane'" in out
    code, out, _ = _run(capsys, "history", "--delete", "--profile", "tom", "--yes")
    assert code == 0 and "Deleted 1 session(s)" in out
    with HistoryStore(filled) as store:
        assert store.sessions(any_profile=True) == []


def test_history_off_still_shows_what_was_saved(filled: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(history_store.HISTORY_SWITCH_ENV, "off")
    code, out, err = _run(capsys, "history", "--profile", "jane")
    assert code == 0 and "3 session(s)" in out and "turned off" in err


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ("img", "meta", "br"):
            self.open.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (self.open[-3:], tag)
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_report_is_one_self_contained_html_file(filled: Path, tmp_path: Path,
                                                capsys) -> None:
    out_file = tmp_path / "jane.html"
    code, out, _ = _run(capsys, "report", "--profile", "jane", "--out", str(out_file))
    assert code == 0 and "3 session(s)" in out
    page = _Html()
    page.feed(out_file.read_text(encoding="utf-8"))
    assert page.open == []  # every tag closed
    text = " ".join(" ".join(page.text).split())
    assert "Stretching report: jane" in text
    assert "Standing back extension" in text and not re.search(r"\btom\b", text)
    assert "days done as prescribed (once a day)" in text
    assert "Leaning back: highest value reached" in text
    assert "26° in the latest session (2026-11-27): 8° further than the first of 3" in text
    assert re.search(r"Knees straight 3 2 of 3", text)  # the corrections table
    assert "does not diagnose" in text
    # Plots embedded as PNG: a calendar and a range plot, nothing fetched from elsewhere.
    assert len(page.images) >= 2
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http://" not in out_file.read_text() and "https://" not in out_file.read_text()

    # The file is kept unless --overwrite.
    before = out_file.read_bytes()
    code, _, err = _run(capsys, "report", "--profile", "jane", "--out", str(out_file))
    assert code == 1 and "already exists" in err and out_file.read_bytes() == before
    code, _, err = _run(capsys, "report", "--profile", "jane", "--out", str(tmp_path / "x.pdf"))
    assert code == 1 and "print it to PDF" in err
    code, _, _ = _run(capsys, "report", "--profile", "jane", "--since", "2026-11-26",
                      "--out", str(out_file), "--overwrite")
    assert code == 0 and "1 session(s)" in capsys.readouterr().out + out_file.read_text()


@pytest.mark.footage
def test_an_analysed_video_is_found_in_the_history(tmp_path: Path, capsys,
                                                   monkeypatch) -> None:
    from _footage import _isolated_cache, footage  # noqa: F401

    monkeypatch.setenv("POSECHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("POSECHECK_OFFLINE", "1")
    monkeypatch.setenv("POSECHECK_PROFILES_DIR", str(tmp_path / "profiles"))
    video = footage("kneeling_lumbar_flexion/polybag_child_pose.mp4")
    assert main(["profiles", "create", "ann"]) == 0
    code, out, err = _run(capsys, "analyze", str(video), "--stretch",
                          "kneeling_lumbar_flexion", "--out", str(tmp_path / "out"),
                          "--no-video", "--no-progress", "--profile", "ann",
                          "--recorded", "2026-11-20T18:00")
    assert code == 0, err
    code, out, _ = _run(capsys, "history", "--profile", "ann")
    assert code == 0
    assert "Kneeling lumbar flexion (child's pose) [kneeling_lumbar_flexion]: 1 session(s)" in out
    row = out.splitlines()[-1]
    assert row.startswith("2026-11-20  18:00")  # dated when it was recorded
    assert "file polybag_child_pose.mp4" in row and "13 s" in row  # 12.7 s long
    assert "0 of 3 holds of 30 s" in row  # one ~11 s hold, short of 30 s
    # The range reached: sitting back (hips toward the heels, at most 60 degrees).
    assert re.search(r"Range, Sitting back on the heels \(lowest\): \d+° \(one session\)", out)
    # The report from this real analysis.
    report = tmp_path / "ann.html"
    code, _, err = _run(capsys, "report", "--profile", "ann", "--out", str(report))
    assert code == 0, err
    page = _Html()
    page.feed(report.read_text(encoding="utf-8"))
    text = " ".join(" ".join(page.text).split())
    assert "Kneeling lumbar flexion (child's pose)" in text
    assert "Prescribed: 3 x 30 s hold. 1 session(s), 0 with the dosage completed" in text
    assert re.search(r"Sitting back on the heels: lowest value reached, per session\. "
                     r"Allowed: at most 60°\. \d+° in the latest session \(2026-11-20\)", text)
    assert "0 of " in text and "days done as prescribed" in text
    code, out, _ = _run(capsys, "analyze", str(video), "--stretch", "kneeling_lumbar_flexion",
                        "--out", str(tmp_path / "out2"), "--no-video", "--no-progress",
                        "--no-history")
    assert code == 0
    with HistoryStore(history_store.database_path()) as store:
        assert len(store.sessions(any_profile=True)) == 1
