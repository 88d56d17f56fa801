"""Every check's range in plain words: every shipped stretch, every measure kind."""

from __future__ import annotations

import re

import pytest

from posecheck.range_words import (
    describe,
    plain_range,
    range_detail,
    trunk_fraction,
    value_words,
)
from posecheck.reference import MEASURE_KINDS, Check, Measure, load_library

LIBRARY = load_library()
ALL_CHECKS = [(s.id, c) for s in LIBRARY.values() for c in s.checks]


def test_the_library_uses_every_measure_kind() -> None:
    assert {c.measure.kind for _, c in ALL_CHECKS} == set(MEASURE_KINDS)


@pytest.mark.parametrize("stretch_id,check", ALL_CHECKS,
                         ids=[f"{s}.{c.id}" for s, c in ALL_CHECKS])
def test_every_check_has_a_plain_phrase(stretch_id: str, check: Check) -> None:
    words = plain_range(check)
    assert len(words.split()) >= 3, words
    assert not re.search(r"-\s*\d", words), words  # no negative numbers
    assert "%" not in words, words  # torso percentages become fractions of the trunk
    assert "_" not in words, words  # no raw ids (hips_down) or landmark names (foot_index)
    assert "torso" not in words and "None" not in words, words
    # The physiotherapist's numbers stay beside the words.
    assert describe(check) == f"{words} ({range_detail(check)})"


def _check(kind: str, points: tuple[str, ...], low: float | None, high: float | None,
           side: str = "facing", **measure: str) -> Check:
    return Check("c", "C", Measure(kind, points, side, **measure), low, high,
                 "up" if low is not None else None, "down" if high is not None else None, 1)


def test_heights_read_as_fractions_of_the_trunk() -> None:
    hips = LIBRARY["prone_press_up"].check("hips_down")
    assert plain_range(hips) == ("Hips no higher than about a third of your trunk length "
                                 "above the line from your hands to your feet")
    assert range_detail(hips) == "at most 35% of torso length"
    below = _check("height", ("hip", "wrist", "ankle|heel|foot_index"), None, -15)
    assert plain_range(below) == ("Hips at least about a sixth of your trunk length below "
                                  "the line from your hands to your feet")


def test_angles_read_as_how_far_the_joint_bends() -> None:
    assert plain_range(_check("angle", ("shoulder", "elbow", "wrist"), None, 160)) == \
        "Elbow bent at least 20°"
    assert plain_range(LIBRARY["standing_extension"].check("knees_straight")) == \
        "Knee nearly straight, bent no more than 30°"
    assert plain_range(LIBRARY["pelvic_tilt"].check("knees_bent")) == \
        "Knee bent between 60° and 145°"
    both = _check("angle", ("hip", "knee", "ankle"), 150, None, side="mid")
    assert plain_range(both).startswith("Knees nearly straight")


def test_levels_sides_and_leans() -> None:
    leg = LIBRARY["bird_dog"].check("leg_level")
    assert plain_range(leg) == "Working knee between 25° below and 20° above the level of your hips"
    assert plain_range(LIBRARY["kneeling_hip_hinge"].check("hinge")) == \
        "Trunk leaning forward at least 15° from upright"
    assert plain_range(LIBRARY["pelvic_tilt"].check("tilt")) == \
        "Hip opening at least 2° from its resting angle"
    assert range_detail(LIBRARY["pelvic_tilt"].check("tilt")) == \
        "at least 2° change from your resting position"
    assert plain_range(LIBRARY["back_over_pillow"].check("head_back")) == \
        "Ear at least 5° below the level of your shoulders"


def test_unknown_points_still_read_as_words() -> None:
    odd = _check("inclination", ("left_eye", "right_wrist"), None, 20)
    assert plain_range(odd) == "The line from your left eye to your right hand within 20° of level"


@pytest.mark.parametrize("pct,words", [(25, "a quarter"), (35, "about a third"), (50, "half"),
                                       (3, "a little"), (-12, "an eighth"), (-20, "a fifth")])
def test_trunk_fractions(pct: float, words: str) -> None:
    assert trunk_fraction(pct) == words


def test_more_than_a_trunk_reads_in_trunk_lengths() -> None:
    high = _check("height", ("knee", "hip", "shoulder"), 150, None, side="mid")
    assert plain_range(high) == ("Knees at least 1.5 trunk lengths above the line from your "
                                 "hips to your shoulders")
    long = _check("length", ("hip", "ankle"), 100, None)
    assert plain_range(long).endswith("it looks at least about as long as your trunk")


def test_measured_values_read_in_the_same_terms() -> None:
    from posecheck.range_words import value_words

    sit_back = LIBRARY["kneeling_lumbar_flexion"].check("sit_back")
    assert plain_range(sit_back) == "Knee bent at least 120°"
    assert range_detail(sit_back) == "joint angle at most 60°"
    assert value_words(sit_back, 102) == "bent 78°"
    hips = LIBRARY["pelvic_tilt"].check("hips_down")
    assert value_words(hips, 20) == "a fifth of your trunk length above the line"
    assert value_words(hips, -10) == "a tenth of your trunk length below the line"
    tilt = LIBRARY["pelvic_tilt"].check("tilt")
    assert value_words(tilt, -2) == "closed 2° from rest"
    # A level says what it is the level of, as the range does.
    hips_up = LIBRARY["kneeling_lumbar_flexion"].check("kneeling")
    assert plain_range(hips_up).endswith("above the level of your knee")
    assert value_words(hips_up, 57) == "57° above the level of your knee"
    assert value_words(hips_up, -4) == "4° below the level of your knee"
    for _, check in ALL_CHECKS:
        # Joint angles and inclinations are never negative; heights, levels and leans can be.
        signed = check.relative or check.measure.kind not in ("angle", "inclination")
        for value in (-30.0, 0.0, 45.0, 170.0) if signed else (0.0, 45.0, 170.0):
            words = value_words(check, value)
            assert words and not re.search(r"-\s*\d", words) and "%" not in words, words


def test_a_measured_value_just_below_zero_never_reads_minus_zero() -> None:
    library = load_library()
    words = [value_words(c, -0.3) for s in library.values() for c in s.checks]
    assert not any(re.search(r"-0(?!\.\d*[1-9])\b", w) for w in words), words
