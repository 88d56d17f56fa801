"""``posecheck analyze --scheduler``: the same per-video jobs on a Dask cluster.

A real ``LocalCluster`` (two worker processes) stands in for a clinic's
cluster: the command connects to its scheduler address as it would to a
remote one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _footage import footage

from posecheck.cli import main

pytestmark = pytest.mark.footage

VIDEOS = {
    "kneeling_lumbar_flexion": "kneeling_lumbar_flexion/polybag_child_pose.mp4",
    "bird_dog": "bird_dog/polybag_bird_dog.mp4",
}


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    distributed = pytest.importorskip("distributed")
    # The workers are new processes: they see the environment as it is now.
    monkeypatch.setenv("POSECHECK_OFFLINE", "1")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", host="127.0.0.1",
                                  local_directory=str(tmp_path / "dask")) as c:
        yield c.scheduler_address


def test_a_folder_runs_on_the_cluster_and_a_bad_file_is_reported(
        cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    for rel in VIDEOS.values():
        (folder / Path(rel).name).symlink_to(footage(rel))
    (folder / "notes.mp4").write_text("not a video\n" * 50)
    out = tmp_path / "out"
    code = main(["analyze", str(folder), "--stretch", "auto", "--out", str(out),
                 "--no-video", "--no-history", "--no-progress", "--start", "0", "--end", "4",
                 "--scheduler", cluster])
    printed = capsys.readouterr()
    assert code == 1, printed  # one file failed: the exit code says so
    lines = printed.out.splitlines()
    assert sum(line.startswith("OK ") for line in lines) == 2, lines
    failed = [line for line in lines if line.startswith("FAILED ")]
    assert len(failed) == 1 and "notes.mp4" in failed[0], lines
    assert "2 of 3 videos analysed; 1 failed" in lines
    assert "Traceback" not in printed.err
    for rel in VIDEOS.values():
        summary = json.loads((out / Path(rel).stem / "summary.json").read_text())
        assert summary["time"]["total_s"] == pytest.approx(4.0, abs=0.2)
    child = json.loads((out / "polybag_child_pose" / "summary.json").read_text())
    assert child["stretch"]["id"] == "kneeling_lumbar_flexion"


def test_an_unreachable_scheduler_is_one_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("distributed")
    video = footage(VIDEOS["bird_dog"])
    code = main(["analyze", str(video), "--stretch", "bird_dog", "--out", str(tmp_path / "o"),
                 "--no-history", "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o" / video.stem / "summary.json").exists()
