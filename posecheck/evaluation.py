"""How often posecheck gives the expected answer on a labelled set.

Pure logic over poses: a labelled set's items, their stored landmarks and the
stretch library in, one :class:`Outcome` per expected answer and the metrics
out. Nothing here runs the model.

posecheck's answer on a photo, or on each frame of a clip, is one of:

* ``accepted``: the form counts (status "good"; an optional tip may show);
* ``rejected``: a fault or "get into position";
* ``abstained``: it asked for a better view or could not see enough.

A ``good`` item agrees when accepted; a ``fault`` item when rejected (the
fault must be named, not just a better view asked for); a ``lookalike`` when
it is not accepted (rejected, or a better view asked for: either way the hold
timer does not run for a pose that is not the stretch); an ``abstain`` item
when abstained. A clip segment's answer is the answer most of its frames got.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from posecheck.engine import FrameResult, Status, StretchChecker
from posecheck.labelled_set import Item, LabelledSet, Segment
from posecheck.landmark_cache import PoseSequence
from posecheck.pose import Pose
from posecheck.reference import Dosage, Stretch
from posecheck.verdicts import CheckResult

ACCEPTED, REJECTED, ABSTAINED, NO_LANDMARKS = "accepted", "rejected", "abstained", "no landmarks"
AGREEING = {"good": {ACCEPTED}, "fault": {REJECTED}, "lookalike": {REJECTED, ABSTAINED},
            "abstain": {ABSTAINED}}
_ANSWER_OF_STATUS = {
    Status.GOOD: ACCEPTED,
    Status.ADJUST: REJECTED,
    Status.GET_IN_POSITION: REJECTED,
    Status.NO_PERSON: ABSTAINED,
    Status.NOT_VISIBLE: ABSTAINED,
    Status.WRONG_VIEW: ABSTAINED,
}
# A dosage that never completes or rests, so a clip's verdicts are about form only.
_ENDLESS = Dosage(kind="hold", sets=1, hold_s=1e9, rest_s=0.0)


@dataclass(frozen=True)
class Outcome:
    item: Item
    segment: Segment
    answer: str
    status: str  # the engine status (the most common one, for a clip segment)
    cue: str
    reason: str  # the check and value behind the answer

    @property
    def expected(self) -> str:
        return self.segment.expect

    @property
    def agrees(self) -> bool:
        return self.answer in AGREEING[self.expected]

    @property
    def label(self) -> str:
        return answer_label(self.item, self.segment)


def answer_label(item: Item, segment: Segment) -> str:
    """The item id, with the segment's times for a clip."""
    if item.kind == "clip":
        return f"{item.id}@{segment.start_s:g}-{segment.end_s:g}s"
    return item.id


def segment_frames(times_s: Sequence[float], segment: Segment) -> list[int]:
    """Indices of the frames on screen during ``segment``.

    A frame is on screen from its timestamp until the next one: a slow GIF's
    frame at 0 s still shows at 0.5 s.
    """
    if not times_s:
        return []
    step = (times_s[-1] - times_s[0]) / (len(times_s) - 1) if len(times_s) > 1 else 0.0
    shown_until = [*times_s[1:], times_s[-1] + step]
    return [i for i, (t, until) in enumerate(zip(times_s, shown_until, strict=True))
            if t <= segment.end_s and (until > segment.start_s or t >= segment.start_s)]


def answer_of(result: FrameResult) -> str:
    return _ANSWER_OF_STATUS.get(result.status, ABSTAINED)


def _describe(r: CheckResult) -> str:
    unit = "%" if r.check.measure.unit == "%" else "°"
    if r.value is None:
        seen = ", ".join(r.missing) if r.missing else "not measured yet"
        return f"{r.check.id} unknown ({seen})"
    low = "" if r.check.min is None else f"{r.check.min:g}"
    high = "" if r.check.max is None else f"{r.check.max:g}"
    return f"{r.check.id}={r.value:.0f}{unit} (allowed {low}..{high}{unit}, {r.verdict.value})"


def explain(result: FrameResult) -> str:
    """The check and value that decided this answer, in one line."""
    answer = answer_of(result)
    if answer == REJECTED and result.cue_check is not None:
        failing = [r for r in result.checks if r.verdict.is_fault and r.check.required]
        return "; ".join(_describe(r) for r in failing) or result.cue_check
    if answer == ABSTAINED and result.cue_check is not None:
        return f"{result.status.value}: " + "; ".join(
            _describe(r) for r in result.checks if r.check.id == result.cue_check)
    if answer == ABSTAINED:
        unknown = [r for r in result.checks if r.check.required and r.value is None]
        return result.status.value + (": " + "; ".join(_describe(r) for r in unknown)
                                      if unknown else "")
    # Accepted: what the defining checks read, to see how near an edge they were.
    return "; ".join(_describe(r) for r in result.checks if r.check.required)


def _for_evaluation(stretch: Stretch) -> Stretch:
    return replace(stretch, dosages=(_ENDLESS,))


def judge_photo(item: Item, pose: Pose | None, stretch: Stretch) -> Outcome:
    result = StretchChecker(_for_evaluation(stretch), smooth=False).update(pose, 0.0)
    segment = item.answers[0]
    return Outcome(item, segment, answer_of(result), result.status.value, result.cue,
                   explain(result))


def judge_clip(item: Item, sequence: PoseSequence, stretch: Stretch) -> list[Outcome]:
    """One outcome per labelled segment, from the frames inside it (smoothing on)."""
    checker = StretchChecker(_for_evaluation(stretch))
    times = [float(t) for t in sequence.timestamps_s]
    frames = [checker.update(p, t) for p, t in zip(sequence.poses, times, strict=True)]
    out = []
    for segment in item.segments:
        inside = [frames[i] for i in segment_frames(times, segment)]
        if not inside:
            out.append(Outcome(item, segment, NO_LANDMARKS, "", "", "no frames in this segment"))
            continue
        answers = Counter(answer_of(r) for r in inside)
        answer, count = answers.most_common(1)[0]
        typical = [r for r in inside if answer_of(r) == answer]
        reasons = Counter(explain(r).split(" (")[0] for r in typical)
        cue = Counter(r.cue for r in typical).most_common(1)[0][0]
        status = Counter(r.status.value for r in typical).most_common(1)[0][0]
        share = f"{count}/{len(inside)} frames {answer}"
        out.append(Outcome(item, segment, answer, status, cue,
                           f"{share}; mostly {reasons.most_common(1)[0][0]}"))
    return out


def evaluate(
    labels: LabelledSet,
    library: Mapping[str, Stretch],
    photo_poses: Mapping[str, Pose | None],
    clips: Mapping[str, PoseSequence],
) -> list[Outcome]:
    """Every item's outcome; items without stored landmarks answer "no landmarks"."""
    outcomes: list[Outcome] = []
    for item in labels.items:
        stretch = library[item.stretch]
        if item.kind == "photo":
            if item.id not in photo_poses:
                outcomes.append(Outcome(item, item.answers[0], NO_LANDMARKS, "", "",
                                        "no stored landmarks"))
                continue
            outcomes.append(judge_photo(item, photo_poses[item.id], stretch))
        elif item.id in clips:
            outcomes.extend(judge_clip(item, clips[item.id], stretch))
        else:
            outcomes.extend(Outcome(item, s, NO_LANDMARKS, "", "", "no stored landmarks")
                            for s in item.segments)
    return outcomes


@dataclass(frozen=True)
class Metrics:
    """Counts for one stretch (or all of them). Rates are None when there is nothing to count."""

    items: int
    agree: int
    good: int
    false_alarms: int  # correct form rejected
    good_abstained: int
    bad: int  # fault and look-alike items
    misses: int  # a fault or look-alike accepted
    bad_abstained: int
    abstain: int  # items labelled "abstain"
    abstain_agree: int
    no_landmarks: int

    @staticmethod
    def of(outcomes: list[Outcome]) -> Metrics:
        judged = [o for o in outcomes if o.answer != NO_LANDMARKS]
        good = [o for o in judged if o.expected == "good"]
        bad = [o for o in judged if o.expected in ("fault", "lookalike")]
        abstain = [o for o in judged if o.expected == "abstain"]
        return Metrics(
            items=len(judged),
            agree=sum(o.agrees for o in judged),
            good=len(good),
            false_alarms=sum(o.answer == REJECTED for o in good),
            good_abstained=sum(o.answer == ABSTAINED for o in good),
            bad=len(bad),
            misses=sum(o.answer == ACCEPTED for o in bad),
            bad_abstained=sum(o.answer == ABSTAINED for o in bad),
            abstain=len(abstain),
            abstain_agree=sum(o.agrees for o in abstain),
            no_landmarks=len(outcomes) - len(judged),
        )

    @staticmethod
    def _rate(n: int, d: int) -> float | None:
        return n / d if d else None

    @property
    def agreement(self) -> float | None:
        return self._rate(self.agree, self.items)

    @property
    def false_alarm_rate(self) -> float | None:
        return self._rate(self.false_alarms, self.good)

    @property
    def good_abstention_rate(self) -> float | None:
        return self._rate(self.good_abstained, self.good)

    @property
    def miss_rate(self) -> float | None:
        return self._rate(self.misses, self.bad)

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        out.update(agreement=self.agreement, false_alarm_rate=self.false_alarm_rate,
                   good_abstention_rate=self.good_abstention_rate, miss_rate=self.miss_rate)
        return out


def metrics_by_stretch(outcomes: list[Outcome]) -> dict[str, Metrics]:
    stretches = sorted({o.item.stretch for o in outcomes})
    return {s: Metrics.of([o for o in outcomes if o.item.stretch == s]) for s in stretches}


def named_faults(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    """'stretch/fault' -> (caught, items) for every named fault in the set."""
    out: dict[str, tuple[int, int]] = {}
    for o in outcomes:
        if o.expected != "fault" or not o.segment.fault or o.answer == NO_LANDMARKS:
            continue
        key = f"{o.item.stretch}/{o.segment.fault}"
        caught, n = out.get(key, (0, 0))
        out[key] = (caught + (o.answer == REJECTED), n + 1)
    return dict(sorted(out.items()))


def summary(outcomes: list[Outcome]) -> dict:
    """Everything ``posecheck eval --json`` prints and the CI gate compares."""
    return {
        "overall": Metrics.of(outcomes).as_dict(),
        "photos": Metrics.of([o for o in outcomes if o.item.kind == "photo"]).as_dict(),
        "clips": Metrics.of([o for o in outcomes if o.item.kind == "clip"]).as_dict(),
        "stretches": {s: m.as_dict() for s, m in metrics_by_stretch(outcomes).items()},
        "named_faults": {k: {"caught": c, "items": n} for k, (c, n) in
                         named_faults(outcomes).items()},
        "disagreements": [
            {"item": o.label, "stretch": o.item.stretch, "expected": o.expected,
             "answer": o.answer, "status": o.status, "cue": o.cue, "reason": o.reason,
             "fault": o.segment.fault, "pose": o.segment.pose}
            for o in outcomes if not o.agrees and o.answer != NO_LANDMARKS
        ],
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def format_table(outcomes: list[Outcome], *, disagreements: bool = True) -> str:
    """The per-stretch table, named faults and every disagreement, as Markdown."""
    rows = ["| stretch | items | agreement | false alarms | abstained (good) | misses |",
            "|---|---|---|---|---|---|"]
    per = metrics_by_stretch(outcomes)
    for name, m in [*per.items(), ("all", Metrics.of(outcomes))]:
        label = f"**{name}**" if name == "all" else name
        rows.append(
            f"| {label} | {m.items} | {_pct(m.agreement)} ({m.agree}) | "
            f"{_pct(m.false_alarm_rate)} ({m.false_alarms}/{m.good}) | "
            f"{_pct(m.good_abstention_rate)} ({m.good_abstained}/{m.good}) | "
            f"{_pct(m.miss_rate)} ({m.misses}/{m.bad}) |")
    lines = rows
    faults = named_faults(outcomes)
    if faults:
        lines += ["", "| named fault | caught |", "|---|---|"]
        lines += [f"| {k} | {c}/{n} ({_pct(c / n)}) |" for k, (c, n) in faults.items()]
    missing = [o for o in outcomes if o.answer == NO_LANDMARKS]
    if missing:
        lines += ["", f"{len(missing)} item(s) without landmarks: "
                  + ", ".join(o.label for o in missing[:10])
                  + (" ..." if len(missing) > 10 else "")]
    if disagreements:
        wrong = [o for o in outcomes if not o.agrees and o.answer != NO_LANDMARKS]
        lines += ["", f"Disagreements ({len(wrong)}):", "", format_disagreements(outcomes)]
    return "\n".join(lines)


def format_disagreements(outcomes: list[Outcome]) -> str:
    """One Markdown line per disagreement: expected, answer, and the check behind it."""
    wrong = [o for o in outcomes if not o.agrees and o.answer != NO_LANDMARKS]
    lines = []
    for o in sorted(wrong, key=lambda o: (o.item.stretch, o.label)):
        what = o.segment.fault or o.segment.pose
        expected = f"{o.expected} ({what})" if what else o.expected
        lines.append(f"- {o.label} [{o.item.stretch}]: expected {expected}, got "
                     f"{o.answer} ({o.status}): {o.reason}")
    return "\n".join(lines)


# ---------------------------------------------------------------- recognition


@dataclass(frozen=True)
class RecognitionOutcome:
    """Which stretch ``--stretch auto`` names for one expected answer."""

    item: Item
    segment: Segment
    recognized: str | None  # None: no library stretch
    confidence: float = 0.0

    @property
    def label(self) -> str:
        return answer_label(self.item, self.segment)

    @property
    def right_answer(self) -> str | None:
        """Correct form: its stretch; a look-alike: the stretch it shows, or none."""
        if self.segment.expect == "good":
            return self.item.stretch
        return self.segment.shows or None

    @property
    def agrees(self) -> bool:
        return self.recognized == self.right_answer

    @property
    def taken_for_the_stretch(self) -> bool:
        """A look-alike named as the stretch it resembles (what a user would be told)."""
        return self.segment.expect == "lookalike" and self.recognized == self.item.stretch


def recognition_outcomes(
    labels: LabelledSet,
    library: Mapping[str, Stretch],
    photo_poses: Mapping[str, Pose | None],
    clips: Mapping[str, PoseSequence],
) -> list[RecognitionOutcome]:
    """Recognition on correct-form and look-alike items (faults and abstentions left out)."""
    from posecheck.recognize import recognize

    out: list[RecognitionOutcome] = []
    for item in labels.items:
        for segment in item.answers:
            if segment.expect not in ("good", "lookalike"):
                continue
            if item.kind == "photo":
                if item.id not in photo_poses:
                    continue
                poses, times = [photo_poses[item.id]], [0.0]
            else:
                if item.id not in clips:
                    continue
                seq = clips[item.id]
                all_times = [float(t) for t in seq.timestamps_s]
                inside = segment_frames(all_times, segment)
                if not inside:
                    continue
                poses, times = [seq.poses[i] for i in inside], [all_times[i] for i in inside]
            found = recognize(poses, times, library)
            out.append(RecognitionOutcome(item, segment, found.stretch_id, found.confidence))
    return out


def _rate(right: int, n: int) -> float | None:
    return right / n if n else None


def recognition_summary(outcomes: list[RecognitionOutcome]) -> dict:
    """Top-1 on correct form (photos, clips), look-alikes, and the confusion of correct form."""
    def top1(kind: str) -> dict:
        good = [o for o in outcomes if o.segment.expect == "good" and o.item.kind == kind]
        right = sum(o.agrees for o in good)
        return {"items": len(good), "named_right": right, "top1": _rate(right, len(good))}

    alike = [o for o in outcomes if o.segment.expect == "lookalike"]
    outside = [o for o in alike if not o.segment.shows]
    other = [o for o in alike if o.segment.shows]
    none = sum(o.recognized is None for o in outside)
    named = sum(o.agrees for o in other)
    confusion: dict[str, dict[str, int]] = {}
    for o in outcomes:
        if o.segment.expect == "good":
            row = confusion.setdefault(o.item.stretch, {})
            row[o.recognized or "none"] = row.get(o.recognized or "none", 0) + 1
    return {
        "photos": top1("photo"),
        "clips": top1("clip"),
        "lookalikes_outside_library": {"items": len(outside), "none": none,
                                       "none_rate": _rate(none, len(outside))},
        "lookalikes_of_other_stretches": {"items": len(other), "named_right": named,
                                          "rate": _rate(named, len(other))},
        "lookalikes_taken_for_the_stretch": sum(o.taken_for_the_stretch for o in alike),
        "confusion": {k: dict(sorted(v.items())) for k, v in sorted(confusion.items())},
        "items": [{"item": o.label, "stretch": o.item.stretch, "expected": o.segment.expect,
                   "right_answer": o.right_answer, "recognized": o.recognized,
                   "confidence": o.confidence, "agrees": o.agrees} for o in outcomes],
    }


def format_recognition(outcomes: list[RecognitionOutcome]) -> str:
    """Top-1 on correct form, look-alikes, the confusion table and every miss, as Markdown."""
    m = recognition_summary(outcomes)
    photos, clips = m["photos"], m["clips"]
    outside, other = m["lookalikes_outside_library"], m["lookalikes_of_other_stretches"]
    lines = [
        f"Recognition: correct form named right on clips {clips['named_right']}/"
        f"{clips['items']} ({_pct(clips['top1'])}), on photos {photos['named_right']}/"
        f"{photos['items']} ({_pct(photos['top1'])}); look-alikes outside the library "
        f"answered 'none' {outside['none']}/{outside['items']} ({_pct(outside['none_rate'])}); "
        f"look-alikes that are another stretch named as it {other['named_right']}/"
        f"{other['items']} ({_pct(other['rate'])}); look-alikes taken for the stretch they "
        f"resemble: {m['lookalikes_taken_for_the_stretch']}.",
        "", "| correct form of | named as | items |", "|---|---|---|",
    ]
    for expected, row in m["confusion"].items():
        for got, n in row.items():
            mark = "" if expected == got else " ✗"
            lines.append(f"| {expected} | {got}{mark} | {n} |")
    wrong = [o for o in outcomes if o.segment.expect == "lookalike" and not o.agrees]
    if wrong:
        lines += ["", "Look-alikes not answered right:", ""]
        lines += [f"- {o.label} [{o.item.stretch}]: {o.segment.pose or 'look-alike'}: named "
                  f"{o.recognized or 'none'}, right: {o.right_answer or 'none'}"
                  for o in sorted(wrong, key=lambda o: (o.item.stretch, o.label))]
    return "\n".join(lines)
