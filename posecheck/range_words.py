"""A check's allowed range in words a patient understands.

``plain_range(check)`` says what the range asks of the body ("knee bent at
least 60°", "hips no higher than about a quarter of your trunk length above
the line from shoulders to feet"); ``range_detail(check)`` keeps the numbers
as the file holds them, for the physiotherapist ("at most 25% of torso
length"). Both are pure: they read only the check.

The words come from the measure's kind and its points: a joint angle becomes
how far the joint bends (180° is straight), a height in torso lengths becomes
a fraction of the trunk, an inclination how far a body segment is from level
or upright. Points the vocabulary below does not know still get a readable
phrase built from the body-part names.
"""

from __future__ import annotations

from collections.abc import Callable

from posecheck.reference import Check, alternatives

# (singular, plural) for a body part named in a check's points.
_PARTS = {
    "shoulder": ("shoulder", "shoulders"),
    "elbow": ("elbow", "elbows"),
    "wrist": ("hand", "hands"),
    "hip": ("hip", "hips"),
    "knee": ("knee", "knees"),
    "ankle": ("foot", "feet"),
    "heel": ("heel", "heels"),
    "foot_index": ("toes", "toes"),
    "ear": ("ear", "ears"),
    "eye": ("eye", "eyes"),
    "nose": ("nose", "nose"),
    "mouth": ("mouth", "mouth"),
    "pinky": ("little finger", "little fingers"),
    "index": ("index finger", "index fingers"),
    "thumb": ("thumb", "thumbs"),
}
# Parts at the middle of the body: seen side-on, the near one stands for both.
_CENTRAL = {"shoulder", "hip"}
# Body segments, by their two end points (in either order).
_SEGMENTS = {
    frozenset(("hip", "shoulder")): "trunk",
    frozenset(("hip", "knee")): "thigh",
    frozenset(("knee", "ankle")): "shin",
    frozenset(("shoulder", "elbow")): "upper arm",
    frozenset(("elbow", "wrist")): "forearm",
    frozenset(("shoulder", "wrist")): "arm",
    frozenset(("hip", "ankle")): "leg",
}
# Fractions of the trunk, for heights and lengths in % of torso length.
_FRACTIONS = (
    (0.1, "a tenth"), (0.125, "an eighth"), (1 / 6, "a sixth"), (0.2, "a fifth"),
    (0.25, "a quarter"), (1 / 3, "a third"), (0.4, "two fifths"), (0.5, "half"),
    (2 / 3, "two thirds"), (0.75, "three quarters"),
)
WHOLE_SHARE = 0.875  # from here on, whole trunk lengths
_SIDE_WORDS = {"far": "far", "other": "other", "active": "working", "left": "left",
               "right": "right"}
STRAIGHT_BEND_DEG = 40.0  # bent no more than this: "nearly straight"


def _bare(point: str) -> tuple[str | None, str]:
    """('left', 'ear') for 'left_ear', (None, 'foot') for 'ankle|heel|foot_index'."""
    first = alternatives(point)[0]
    for side in ("left", "right"):
        if first.startswith(side + "_"):
            return side, first.removeprefix(side + "_")
    return None, first


def _part(point: str, side: str, *, joint: bool = False) -> str:
    """A body part as a person says it: 'knee', 'far knee', 'hips', 'left ear'.

    Seen side-on, a central part (hips, shoulders) reads as both, except as a
    joint that bends ('hip bent'), and a limb as the one nearer the camera.
    """
    named_side, part = _bare(point)
    if len(alternatives(point)) > 1 and part in ("ankle", "heel", "foot_index"):
        part = "ankle"  # "ankle|heel|foot_index": whatever of the foot touches the floor
    one, many = _PARTS.get(part, (part.replace("_", " "), part.replace("_", " ") + "s"))
    if named_side is not None:
        return f"{named_side} {one}"
    if side == "mid":
        return many
    if side in _SIDE_WORDS:
        return f"{_SIDE_WORDS[side]} {one}"
    # The side facing the camera: central parts read as both, limbs as one.
    return many if part in _CENTRAL and not joint else one


def _segment(a: str, b: str, side: str) -> str:
    """'trunk', 'far shin', or 'the line from your ear to your nose'."""
    sa, pa = _bare(a)
    sb, pb = _bare(b)
    if len(alternatives(b)) > 1:
        pb = "ankle"
    name = _SEGMENTS.get(frozenset((pa, pb)))
    if name is None:
        return f"the line from your {_part(a, side)} to your {_part(b, side)}"
    named = sa if sa is not None and sa == sb else None
    if name == "trunk" or (side == "mid" and named is None):
        return name
    if named is not None:
        return f"{named} {name}"
    return f"{_SIDE_WORDS[side]} {name}" if side in _SIDE_WORDS else name


def _deg(value: float) -> str:
    return f"{abs(value):.0f}°"


def _between(low: float, high: float, word: Callable[[float], str]) -> str:
    return f"between {word(low)} and {word(high)}"


def trunk_fraction(pct: float) -> str:
    """'about a third', 'a quarter', 'a little': a share (below a whole) of the trunk."""
    share = abs(pct) / 100.0
    if share < 0.07:
        return "a little" if share > 0.005 else "nothing"
    value, words = min(_FRACTIONS, key=lambda f: abs(f[0] - share))
    return words if abs(value - share) < 0.01 else f"about {words}"


def _trunks(pct: float) -> str:
    """'1.5' for 150%: whole trunk lengths, to the half."""
    n = round(abs(pct) / 50.0) / 2
    return f"{n:g}"


def trunk_amount(pct: float) -> str:
    """A height in words: 'a quarter of your trunk length', 'about 1.5 trunk lengths'."""
    if abs(pct) / 100.0 >= WHOLE_SHARE:
        n = _trunks(pct)
        about = "" if abs(abs(pct) - 100 * float(n)) < 1 else "about "
        return f"{about}one trunk length" if n == "1" else f"{about}{n} trunk lengths"
    share = trunk_fraction(pct)
    return share if share == "a little" else f"{share} of your trunk length"


def as_long_as_trunk(pct: float) -> str:
    """A length in words: 'about half as long as your trunk', 'about 1.5 times as long'."""
    if abs(pct) / 100.0 >= WHOLE_SHARE:
        n = _trunks(pct)
        if n == "1":
            return "about as long as your trunk"
        return f"about {n} times as long as your trunk"
    return f"{trunk_fraction(pct)} as long as your trunk"


# ------------------------------------------------------------------ per kind


def _bound_words(check: Check, word: Callable[[float], str], at_least: str = "at least",
                 at_most: str = "no more than") -> str:
    if check.min is not None and check.max is not None:
        return _between(check.min, check.max, word)
    if check.min is not None:
        return f"{at_least} {word(check.min)}"
    return f"{at_most} {word(check.max)}"  # type: ignore[arg-type]


def _angle(check: Check) -> str:
    a, b, c = check.measure.points
    side = check.measure.side
    parts = [_bare(p)[1] for p in (a, b, c)]
    if check.relative:
        joint = _part(b, side, joint=True)
        low, high = check.min, check.max
        if low is not None and low >= 0 and high is None:
            return f"{joint} opening at least {_deg(low)} from its resting angle"
        if high is not None and high <= 0 and low is None:
            return f"{joint} closing at least {_deg(high)} from its resting angle"
        return f"{joint} angle {_bound_words(check, _deg)} away from its resting angle"
    if parts[0] == "ear" and parts[1] == "ear" and parts[2] == "nose":
        toward = _bare(b)[0] or "one side"
        if check.max is not None and check.min is None:
            return f"face turned to the {toward} less than side-on"
        return f"nose {_bound_words(check, _deg)} round from the line between the ears"
    if parts[1] == "shoulder" and parts[0] == "hip" and parts[2] == "elbow":
        arm = _part(b, side).replace("shoulders", "arms").replace("shoulder", "arm")
        return (f"{arm} raised {_bound_words(check, _deg)} from the side of the body "
                "(90° is level with the shoulder)")
    # Everything else: how far the joint bends, 0° straight.
    if parts == ["ear", "shoulder", "hip"]:
        joint = "head and trunk in line,"
        subject = "head bent forward from the line of the trunk"
    else:
        joint = _part(b, side, joint=True)
        subject = f"{joint} bent"
    low_bend = None if check.max is None else 180.0 - check.max
    high_bend = None if check.min is None else 180.0 - check.min
    if low_bend is not None and high_bend is not None:
        return f"{subject} {_between(low_bend, high_bend, _deg)}"
    if low_bend is not None:
        return f"{subject} at least {_deg(low_bend)}"
    assert high_bend is not None
    if high_bend <= STRAIGHT_BEND_DEG:
        if parts == ["ear", "shoulder", "hip"]:
            return f"{joint} the head bent forward no more than {_deg(high_bend)}"
        return f"{joint} nearly straight, bent no more than {_deg(high_bend)}"
    return f"{subject} no more than {_deg(high_bend)}"


def _inclination(check: Check) -> str:
    a, b = check.measure.points
    side = check.measure.side
    pa, pb = _bare(a)[1], _bare(b)[1]
    if {pa, pb} == {"ear"}:
        if check.min is not None and check.max is None:
            return f"head tilted at least {_deg(check.min)} toward a shoulder"
        return f"head tilted {_bound_words(check, _deg)} toward a shoulder"
    if {pa, pb} == {"shoulder"}:
        if check.max is not None and check.min is None:
            return f"shoulders level, within {_deg(check.max)}"
        return f"shoulders tilted {_bound_words(check, _deg)} from level"
    what = _segment(a, b, side)
    if check.measure.reference == "horizontal":
        level, away = "level", "raised"
    else:
        level, away = ("upright" if what == "trunk" else "vertical"), "tilted"
    if check.max is not None and check.min is None:
        return f"{what} within {_deg(check.max)} of {level}"
    if check.min is not None and check.max is None:
        return f"{what} {away} at least {_deg(check.min)} from {level}"
    return f"{what} {away} {_between(check.min, check.max, _deg)} from {level}"  # type: ignore[arg-type]


def _level_of(check: Check) -> str:
    """What an elevation is measured from: 'the level of your knee'."""
    a = check.measure.points[0]
    side = check.measure.side
    # The subject names the side; the part it is measured from is on the same side.
    return f"the level of your {_part(a, 'facing' if side in _SIDE_WORDS else side)}"


def _elevation(check: Check) -> str:
    a, b = check.measure.points
    side = check.measure.side
    base = _level_of(check)
    subject = _part(b, side)
    if _bare(a)[1] == "ear" and _bare(b)[1] == "nose":
        subject = "face up: nose"
    low, high = check.min, check.max

    def way(value: float) -> str:
        return "above" if value >= 0 else "below"

    if low is not None and high is not None:
        if (low < 0) == (high < 0):
            return (f"{subject} between {_deg(low)} and {_deg(high)} {way(low)} {base}")
        return f"{subject} between {_deg(low)} below and {_deg(high)} above {base}"
    if low is not None:
        if low >= 0:
            return f"{subject} at least {_deg(low)} above {base}"
        return f"{subject} no lower than {_deg(low)} below {base}"
    assert high is not None
    if high <= 0:
        return f"{subject} at least {_deg(high)} below {base}"
    return f"{subject} no more than {_deg(high)} above {base}"


def _lean(check: Check) -> str:
    a, b = check.measure.points
    what = _segment(a, b, check.measure.side)
    way = "back" if check.measure.toward == "back" else "forward"
    other = "forward" if way == "back" else "back"
    low, high = check.min, check.max
    if low is not None and high is not None and low >= 0:
        return f"{what} leaning {way} {_between(low, high, _deg)} from upright"
    if low is not None and high is None:
        if low >= 0:
            return f"{what} leaning {way} at least {_deg(low)} from upright"
        return f"{what} leaning {other} no more than {_deg(low)} from upright"
    if high is not None and low is None:
        if high >= 0:
            return f"{what} leaning {way} no more than {_deg(high)} from upright"
        return f"{what} leaning {other} at least {_deg(high)} from upright"
    return f"{what} {_between(low, high, _deg)} from upright, leaning {way}"  # type: ignore[arg-type]


def _height(check: Check) -> str:
    p, a, b = check.measure.points
    side = check.measure.side
    subject = _part(p, side)
    a_many = _PARTS.get(_bare(a)[1], (None, _part(a, side)))[1]
    b_name = "feet" if len(alternatives(b)) > 1 else _PARTS.get(
        _bare(b)[1], (None, _part(b, side)))[1]
    line = f"the line from your {a_many} to your {b_name}"

    def where(pct: float) -> str:
        if abs(pct) < 0.5:
            return f"on {line}"
        return f"{trunk_amount(pct)} {'above' if pct > 0 else 'below'} {line}"

    low, high = check.min, check.max
    if low is not None and high is not None:
        return f"{subject} between {where(low)} and {where(high)}"
    if high is not None:
        if high > 0:
            return f"{subject} no higher than {where(high)}"
        return f"{subject} at least {where(high)}"
    assert low is not None
    if low >= 0:
        return f"{subject} at least {where(low)}"
    return f"{subject} no lower than {where(low)}"


def _length(check: Check) -> str:
    a, b = check.measure.points
    what = _segment(a, b, check.measure.side)

    share = as_long_as_trunk
    seen = f"{what} seen side-on by the camera:"
    if check.min is not None and check.max is None:
        return f"{seen} it looks at least {share(check.min)}"
    if check.max is not None and check.min is None:
        return f"{what} looks no longer than {share(check.max)}"
    return f"{what} looks between {share(check.min)} and {share(check.max)}"  # type: ignore[arg-type]


_KINDS: dict[str, Callable[[Check], str]] = {
    "angle": _angle,
    "inclination": _inclination,
    "elevation": _elevation,
    "lean": _lean,
    "height": _height,
    "length": _length,
}


def plain_range(check: Check) -> str:
    """What the check's range asks of the body, in plain words."""
    words = _KINDS[check.measure.kind](check)
    return words[0].upper() + words[1:]


def range_detail(check: Check) -> str:
    """The range as the file holds it: 'at least 30°', 'joint angle 35 to 120°', 'at most
    25% of torso length', with 'change from your resting position' for a relative check.

    A joint angle is named as one: the words give how far the joint bends
    (0° straight), the file the angle at the joint (180° straight).
    """
    unit = "°" if check.measure.unit == "deg" else "% of torso length"
    if check.min is not None and check.max is not None:
        text = f"{check.min:g} to {check.max:g}{unit}"
    elif check.min is not None:
        text = f"at least {check.min:g}{unit}"
    else:
        text = f"at most {check.max:g}{unit}"
    if check.relative:
        return text + " change from your resting position"
    return f"joint angle {text}" if _reads_as_bend(check) else text


def _reads_as_bend(check: Check) -> bool:
    """Whether the plain words give the angle as a bend (180 minus the joint angle)."""
    if check.measure.kind != "angle" or check.relative:
        return False
    a, b, c = (_bare(p)[1] for p in check.measure.points)
    return not ((a, b, c) == ("ear", "ear", "nose") or (a, b, c) == ("hip", "shoulder", "elbow"))


def value_words(check: Check, value: float) -> str:
    """A measured value in the same terms as :func:`plain_range`: 'bent 78°', 'a fifth of
    your trunk length above the line', '12° below the level'."""
    kind = check.measure.kind
    if check.relative:
        if kind == "angle":
            return f"{'opened' if value >= 0 else 'closed'} {abs(value):.0f}° from rest"
        return f"{abs(value):.0f}° {'more' if value >= 0 else 'less'} than at rest"
    if kind == "angle":
        if _reads_as_bend(check):
            return f"bent {max(0.0, 180.0 - value):.0f}°"
        return f"{round(value)}°"  # an int: never "-0°"
    if kind == "height":
        if abs(value) < 0.5:
            return "on the line"
        return f"{trunk_amount(value)} {'above' if value > 0 else 'below'} the line"
    if kind == "length":
        return as_long_as_trunk(value)
    if kind == "elevation":
        return f"{abs(value):.0f}° {'above' if value >= 0 else 'below'} {_level_of(check)}"
    if kind == "lean":
        way = check.measure.toward if value >= 0 else (
            "front" if check.measure.toward == "back" else "back")
        return f"leaning {'back' if way == 'back' else 'forward'} {abs(value):.0f}°"
    return f"{round(value)}°"


def describe(check: Check) -> str:
    """Plain words with the numbers after them: 'Knee bent at least 60° (at most 120°)'."""
    return f"{plain_range(check)} ({range_detail(check)})"
