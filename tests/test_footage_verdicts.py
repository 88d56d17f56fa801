"""Verdicts on real photos nobody on the team took, against a table reviewed by eye."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import pytest
from _footage import FOOTAGE_DIR, footage, shared_model

from posecheck.engine import Status
from posecheck.image_check import judge_pose
from posecheck.pose import Pose
from posecheck.recognize import recognize
from posecheck.reference import load_library

TABLE = tomllib.loads((Path(__file__).parent / "data" / "footage_verdicts.toml").read_text())
LIBRARY = load_library()

pytestmark = pytest.mark.footage


@cache
def estimate(relative: str) -> Pose | None:
    from posecheck.estimator import PoseEstimator
    from posecheck.video_io import read_image_rgb

    with PoseEstimator(shared_model(), mode="image") as estimator:
        return estimator.estimate(read_image_rgb(FOOTAGE_DIR / relative))


@pytest.mark.parametrize("entry", TABLE["image"], ids=[e["file"] for e in TABLE["image"]])
def test_verdicts_match_the_reviewed_table(entry: dict) -> None:
    footage(entry["file"])
    result = judge_pose(estimate(entry["file"]), LIBRARY[entry["stretch"]])
    got = {r.check.id: r.verdict.value for r in result.checks}
    for check_id, expected in entry.get("checks", {}).items():
        assert got.get(check_id) == expected, (entry["note"], check_id, got, result.cue)
    if "in_stretch" in entry:
        assert result.in_position == entry["in_stretch"], (entry["note"], result.status, got)
        if not entry["in_stretch"]:
            assert result.status != Status.GOOD


@pytest.mark.parametrize("relative", TABLE["recognise"]["expect_none"])
def test_poses_outside_the_library_are_not_recognised(relative: str) -> None:
    footage(relative)
    assert recognize([estimate(relative)], [0.0], LIBRARY).stretch_id is None


@pytest.mark.parametrize(("relative", "stretch_id"), TABLE["recognise"]["expect"])
def test_stretch_photos_are_recognised(relative: str, stretch_id: str) -> None:
    footage(relative)
    assert recognize([estimate(relative)], [0.0], LIBRARY).stretch_id == stretch_id
