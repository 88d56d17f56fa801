"""Tuning logic: proposals on known distributions, held parts, worst frames."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck import tuning
from posecheck.reference import LIBRARY_DIR, load_stretch
from posecheck.verdicts import judge

STRETCH = load_stretch("kneeling_lumbar_flexion", LIBRARY_DIR)
SIT_BACK = STRETCH.check("sit_back")  # max only, knee angle
KNEES = load_stretch("pelvic_tilt", LIBRARY_DIR).check("knees_bent")  # min and max


def test_normal_values_give_percentiles_plus_margin() -> None:
    values = np.random.default_rng(1).normal(45.0, 2.0, 5000)
    p = tuning.propose_range(values, SIT_BACK, margin=5.0)
    assert p.ok and p.min is None  # only the side the check has
    assert p.max == pytest.approx(45 + 1.645 * 2 + 5, abs=0.5)
    assert p.samples == 5000 and not p.reason


def test_uniform_values_on_a_two_sided_check() -> None:
    values = np.random.default_rng(2).uniform(50.0, 90.0, 4000)
    p = tuning.propose_range(values, KNEES, margin=3.0)
    assert p.min == pytest.approx(52 - 3, abs=0.6)
    assert p.max == pytest.approx(88 + 3, abs=0.6)


def test_a_few_outliers_do_not_move_the_range() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(45.0, 1.0, 1000), [170.0, 175.0, 0.0, np.nan]])
    p = tuning.propose_range(values, SIT_BACK, margin=5.0)
    assert p.max is not None and p.max < 55


def test_too_few_samples_give_no_proposal_with_a_reason() -> None:
    p = tuning.propose_range([44.0, 45.0, np.nan], SIT_BACK)
    assert not p.ok and p.min is None and p.max is None
    assert "only 2 held frame(s)" in p.reason


def test_proposal_is_clipped_to_what_the_measure_can_reach() -> None:
    p = tuning.propose_range(np.full(100, 178.0), KNEES, margin=10.0)
    assert p.max == 180.0 and p.min == 168.0
    lying = load_stretch("pelvic_tilt", LIBRARY_DIR).check("lying")  # inclination <= 90
    assert tuning.propose_range(np.full(100, 88.0), lying, margin=10.0).max == 90.0


def test_widen_only_keeps_a_bound_the_demonstration_stays_inside() -> None:
    inside = np.random.default_rng(4).normal(40.0, 1.0, 500)
    assert tuning.propose_range(inside, SIT_BACK, widen_only=True).max == SIT_BACK.max
    outside = inside + 30
    assert tuning.propose_range(outside, SIT_BACK, widen_only=True).max > SIT_BACK.max


def test_rep_return_point_must_stay_outside_the_range() -> None:
    tilt = load_stretch("pelvic_tilt", LIBRARY_DIR).check("tilt")  # min only
    p = tuning.propose_range(np.full(50, 1.0), tilt, margin=0.5, return_at=0.8)
    assert not p.ok and "return point" in p.reason
    p = tuning.propose_range(np.full(50, 4.0), tilt, margin=0.5, return_at=0.8)
    assert p.min == 3.5


def test_a_margin_wider_than_the_repetitions_is_named_as_the_reason() -> None:
    """Tilts of 4° with the default 5° margin: the movement is there, the margin is too wide."""
    tilt = load_stretch("pelvic_tilt", LIBRARY_DIR).check("tilt")
    p = tuning.propose_range(np.full(50, 4.0), tilt, margin=5, return_at=0.8)
    assert not p.ok and "a smaller margin gives a proposal" in p.reason
    assert "too small" not in p.reason
    p = tuning.propose_range(np.full(50, 0.5), tilt, margin=5, return_at=0.8)
    assert "the repetitions shown are too small" in p.reason


def test_negative_margin_is_refused() -> None:
    with pytest.raises(ValueError):
        tuning.propose_range(np.zeros(50), SIT_BACK, margin=-1)


def test_apply_overrides_changes_only_the_named_checks() -> None:
    edited = tuning.apply_overrides(STRETCH, {"sit_back": (None, 70.0)})
    assert edited.check("sit_back").max == 70
    assert edited.check("chest_down") == STRETCH.check("chest_down")
    assert STRETCH.check("sit_back").max == SIT_BACK.max  # the original is untouched


def test_still_mask_leaves_out_movement() -> None:
    t = np.arange(0, 6, 0.1)
    values = np.where(t < 2, t * 30, 60.0)  # moving for 2 s, then still
    still = tuning.still_mask(t, [values], window_s=1.0, tolerance=5.0)
    assert not still[t < 1.5].any() and still[t > 2.6].all()
    unknown = np.full_like(t, np.nan)
    assert not tuning.still_mask(t, [unknown]).any()


def _fake_run(stretch, values: dict[str, np.ndarray], t: np.ndarray) -> tuning.Run:
    verdicts = {}
    for c in stretch.checks:
        v = values.get(c.id, np.full(len(t), np.nan))
        values[c.id] = v
        verdicts[c.id] = tuple(judge(c, None if np.isnan(x) else float(x)) for x in v)
    n = len(t)
    return tuning.Run("fake", t, values, verdicts, np.ones(n, bool), np.ones(n, bool),
                      np.zeros(n, bool), 0, 0.0, 0, 0)


def test_held_part_needs_the_other_position_checks_and_stillness() -> None:
    t = np.arange(0, 10, 0.1)
    n = len(t)
    kneeling = np.full(n, 50.0)
    chest = np.where(t < 5, 60.0, 25.0)  # chest high first: not in the stretch
    sit = np.full(n, 70.0)  # outside the shipped max, but within the search window
    run = _fake_run(STRETCH, {"kneeling": kneeling, "chest_down": chest, "sit_back": sit,
                              "arms_forward": np.full(n, 120.0)}, t)
    held = tuning.held_mask(run, STRETCH, "sit_back")
    assert not held[t < 5].any() and held[t > 5.6].all()
    values = tuning.held_values([run], STRETCH, "sit_back")
    assert np.all(values == 70.0)
    p = tuning.propose_range(values, SIT_BACK, margin=5)
    assert p.max == 75.0
    # the start position, far beyond the range, is not taken for the stretch
    far = _fake_run(STRETCH, {"kneeling": kneeling, "chest_down": np.full(n, 20.0),
                              "sit_back": np.full(n, SIT_BACK.max + tuning.SEARCH + 15)}, t)
    assert not tuning.held_mask(far, STRETCH, "sit_back").any()


def test_worst_frame_is_farthest_outside_the_range() -> None:
    t = np.arange(0, 5, 0.1)
    n = len(t)
    sit = np.full(n, 50.0)
    sit[30] = 58.0  # still inside the shipped range, but closest to its edge
    run = _fake_run(STRETCH, {"kneeling": np.full(n, 50.0), "chest_down": np.full(n, 20.0),
                              "sit_back": sit}, t)
    w = tuning.worst_frame([run], STRETCH, "sit_back", held_only=False)
    assert w is not None and w.frame_index == 30
    assert w.excess == pytest.approx(58.0 - SIT_BACK.max)
    w = tuning.worst_frame([run], STRETCH, "sit_back", (None, 55.0), held_only=False)
    assert w is not None and w.excess == pytest.approx(3.0)
    assert tuning.worst_frame([run], STRETCH, "arms_forward") is None


def test_format_range() -> None:
    assert tuning.format_range(None, 60, "deg") == "≤ 60°"
    assert tuning.format_range(35, 120, "deg") == "35–120°"
    assert tuning.format_range(-15, None, "%") == "≥ -15 %"
