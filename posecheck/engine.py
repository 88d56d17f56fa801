"""The checking engine: one pose (or none) in, verdicts, one cue and progress out.

:class:`StretchChecker` is stateful across frames (smoothing, hysteresis,
sticky side choices, the hold timer) and takes each frame's timestamp as an
argument. It imports no model, camera or UI library.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from posecheck import measures
from posecheck.measures import SideContext
from posecheck.pose import Pose
from posecheck.progress import FormState, Progress, ProgressTracker
from posecheck.reference import Check, Measure, Stretch
from posecheck.smoothing import PoseSmoother
from posecheck.verdicts import CheckResult, Verdict, first_fault, judge


class Status(enum.Enum):
    NO_PERSON = "no_person"
    NOT_VISIBLE = "not_visible"
    WRONG_VIEW = "wrong_view"
    GET_IN_POSITION = "get_in_position"
    ADJUST = "adjust"
    GOOD = "good"
    REST = "rest"
    DONE = "done"


# Shoulder width over torso length: small side-on, large facing the camera.
# The shoulders are about 0.8 torso lengths apart; seen within about 35° of
# side-on they look at most 0.8 * sin(35°) ~ 0.45 apart, and within about 50°
# of facing the camera at least 0.8 * cos(50°) ~ 0.5 apart.
SIDE_VIEW_MAX_RATIO = 0.45
FRONT_VIEW_MIN_RATIO = 0.5
SIDE_SWITCH_MARGIN_DEG = 10.0
# How long a relative check watches the resting position before judging, and
# how far back its resting value looks.
BASELINE_S = 1.5
BASELINE_WINDOW_S = 15.0
# A cue from an optional check, while the form counts: advice, never a fault.
TIP_PREFIX = "Good form. Tip: "


@dataclass(frozen=True)
class FrameResult:
    t_s: float
    pose: Pose | None  # smoothed; what the checks were computed on
    status: Status
    cue: str
    cue_check: str | None  # id of the check the cue comes from
    checks: tuple[CheckResult, ...]
    progress: Progress
    facing: str | None
    active_side: str | None
    events: tuple[str, ...] = ()

    @property
    def in_position(self) -> bool:
        """Every required position check met (the person is in the stretch)."""
        position = [r for r in self.checks if r.check.role == "position" and r.check.required]
        return bool(position) and all(r.verdict == Verdict.OK for r in position)

    def result(self, check_id: str) -> CheckResult:
        for r in self.checks:
            if r.check.id == check_id:
                return r
        raise KeyError(check_id)


def _part_label(landmark: str) -> str:
    return landmark.replace("_", " ").replace("foot index", "toes")


def _plural(landmarks: tuple[str, ...]) -> str:
    parts = sorted({_part_label(n).removeprefix("left ").removeprefix("right ") for n in landmarks})
    return " and ".join(parts)


class StretchChecker:
    """Judges a stream of poses against one stretch."""

    def __init__(
        self,
        stretch: Stretch,
        dosage_index: int = 0,
        smooth: bool = True,
        grace_s: float = 1.0,
    ) -> None:
        self.stretch = stretch
        self.dosage = stretch.dosages[dosage_index]
        self._smoother = PoseSmoother() if smooth else None
        self._previous: dict[str, Verdict] = {}
        self._facing: str | None = None
        self._active: str | None = None
        self._view_wrong = False
        self._rep_phase: str | None = None
        self._baseline_samples: dict[str, list[tuple[float, float]]] = {}
        self._baseline_start: dict[str, float] = {}
        sides: tuple[str, ...] = ("",)
        if self.dosage.per_side:
            sides = ("left", "right") if stretch.sides is not None else ("first", "second")
        self.progress = ProgressTracker(self.dosage, sides=sides, grace_s=grace_s)

    # ------------------------------------------------------------ per-frame parts
    def _choose_active(self, pose: Pose, ctx: SideContext) -> str | None:
        rule = self.stretch.sides
        if rule is None:
            return None
        values = {}
        for side in ("left", "right"):
            m = measures.compute(
                pose, _with_side(rule.measure, side), ctx, self.stretch.min_visibility * 0.5
            )
            values[side] = m.value
        if values["left"] is None or values["right"] is None:
            return self._active
        diff = values["left"] - values["right"]
        if rule.pick == "max":
            diff = -diff
        # diff < 0: left is the pick.
        if self._active is not None and abs(diff) < SIDE_SWITCH_MARGIN_DEG:
            return self._active
        return "left" if diff < 0 else "right"

    def view_ok(self, pose: Pose) -> bool:
        """Whether the person faces the camera the way the stretch needs (sticky)."""
        torso = measures.torso_length_px(pose)
        width = float(
            ((pose.point("left_shoulder") - pose.point("right_shoulder")) ** 2).sum() ** 0.5
        )
        ratio = width / torso
        margin = 0.1 if self._view_wrong else 0.0
        if self.stretch.view == "side":
            self._view_wrong = ratio > SIDE_VIEW_MAX_RATIO - margin
        else:
            self._view_wrong = ratio < FRONT_VIEW_MIN_RATIO + margin
        return not self._view_wrong

    def _not_visible(self, pose: Pose, ctx: SideContext) -> tuple[str, ...]:
        names = []
        for part in self.stretch.visible:
            names.extend(measures.point_landmarks(pose, part, ctx.facing,
                                                   self.stretch.min_visibility))
        return tuple(
            n for n in names if not measures.is_visible(pose, n, self.stretch.min_visibility)
        )

    def _relative(self, check: Check, m: measures.MeasureValue, t_s: float
                  ) -> measures.MeasureValue:
        """The change from the person's resting value; unknown until it is known.

        The resting value is a low percentile of the last BASELINE_WINDOW_S of
        readings (a high one for a check with only a maximum): the position
        the movement starts from and returns to, robust to settling in at the
        start and to slow drift.
        """
        if m.value is None:
            return m
        samples = self._baseline_samples.setdefault(check.id, [])
        samples.append((t_s, m.value))
        while samples and t_s - samples[0][0] > BASELINE_WINDOW_S:
            samples.pop(0)
        if t_s - self._baseline_start.setdefault(check.id, t_s) < BASELINE_S:
            return measures.MeasureValue(None, m.landmarks, ())
        values = sorted(v for _, v in samples)
        q = 0.2 if check.min is not None else 0.8
        baseline = values[min(len(values) - 1, int(q * len(values)))]
        return measures.MeasureValue(m.value - baseline, m.landmarks)

    def evaluate(self, pose: Pose, ctx: SideContext, t_s: float = 0.0
                 ) -> tuple[CheckResult, ...]:
        """Every check's value and verdict on one pose (updates hysteresis state)."""
        results = []
        for check in self.stretch.checks:
            m = measures.compute(pose, check.measure, ctx, self.stretch.min_visibility)
            if check.relative:
                m = self._relative(check, m, t_s)
            verdict = judge(check, m.value, self._previous.get(check.id))
            self._previous[check.id] = verdict
            results.append(CheckResult(check, m.value, verdict, m.landmarks, m.missing))
        return tuple(results)

    def _update_rep_phase(self, results: tuple[CheckResult, ...]) -> str | None:
        reps = self.stretch.reps
        if reps is None:
            return None
        r = next(x for x in results if x.check.id == reps.check)
        if r.value is None:
            return None  # unknown: neither in nor out
        # The repetition is the movement of every defining check together: the
        # rep check in range alone (a chest lift on the forearms for a press-up)
        # is not one. An unseen defining check is not met.
        defining = set(reps.defining)
        if all(x.verdict == Verdict.OK for x in results if x.check.id in defining):
            self._rep_phase = "stretch"
        elif (r.check.min is not None and r.value <= reps.return_at) or (
            r.check.max is not None and r.value >= reps.return_at
        ):
            self._rep_phase = "start"
        else:
            return None  # between the thresholds: wobble here changes nothing
        return self._rep_phase

    def judge(self, pose: Pose, t_s: float) -> tuple[tuple[CheckResult, ...], SideContext]:
        """Choose the sides and evaluate every check on one pose; no progress is counted."""
        self._facing = measures.facing_side(pose, self._facing)
        ctx = SideContext(self._facing, None, measures.facing_direction_x(pose, self._facing))
        self._active = self._choose_active(pose, ctx)
        ctx = SideContext(ctx.facing, self._active, ctx.facing_x)
        return self.evaluate(pose, ctx, t_s), ctx

    # ------------------------------------------------------------ the frame
    def update(self, pose: Pose | None, t_s: float) -> FrameResult:
        """Judge one frame taken at ``t_s`` seconds. ``pose`` None: nobody in view."""
        if self._smoother is not None:
            pose = self._smoother(pose, t_s)
        if pose is None:
            return self._finish(t_s, None, Status.NO_PERSON, "Step into the picture",
                                None, (), FormState.UNKNOWN, None)

        results, ctx = self.judge(pose, t_s)
        rep_phase = self._update_rep_phase(results)

        hidden = self._not_visible(pose, ctx)
        if hidden:
            cue = f"I can't see your {_plural(hidden)}: move so your whole body is in view"
            return self._finish(t_s, pose, Status.NOT_VISIBLE, cue, None, results,
                                FormState.UNKNOWN, rep_phase)
        if not self.view_ok(pose):
            cue = ("Turn side-on to the camera" if self.stretch.view == "side"
                   else "Face the camera")
            return self._finish(t_s, pose, Status.WRONG_VIEW, cue, None, results,
                                FormState.UNKNOWN, rep_phase)

        # A "view" check says whether the camera sees the body well enough to
        # judge it (a leg folded to a stub by the picture): failing, it asks for
        # a better view instead of judging.
        view = first_fault([r for r in results if r.check.required], ("view",))
        if view is not None:
            return self._finish(t_s, pose, Status.WRONG_VIEW, view.cue or "", view.check.id,
                                results, FormState.UNKNOWN, rep_phase)

        # The cue comes from the most important failing check of any kind; only
        # required checks decide whether the form counts.
        fault = first_fault(results, ("position", "form", "safety"))
        required = [r for r in results if r.check.required]
        out_of_position = any(r.verdict.is_fault and r.check.role == "position" for r in required)
        required_fault = any(r.verdict.is_fault for r in required)
        if required_fault and fault is not None:
            if out_of_position and fault.check.role == "position":
                status = Status.GET_IN_POSITION
            else:
                status = Status.ADJUST
            form = FormState.OUT if out_of_position else FormState.FAULT
            return self._finish(t_s, pose, status, fault.cue or "", fault.check.id, results,
                                form, rep_phase)
        required_unknown = [r for r in required if r.value is None]
        if required_unknown:
            missing = tuple(n for r in required_unknown for n in r.missing)
            far = "right_" if self._facing == "left" else "left_"
            if missing and all(n.startswith(far) for n in missing):
                cue = (f"I can't see your other {_plural(missing)}: turn a little so the "
                       "camera sees both sides")
            elif missing:
                cue = f"I can't see your {_plural(missing)} clearly"
            else:
                cue = "Hold still a moment while I measure your resting position"
            return self._finish(t_s, pose, Status.NOT_VISIBLE, cue, None, results,
                                FormState.UNKNOWN, rep_phase)
        if fault is not None:  # only optional checks fail: say so, but the form counts
            return self._finish(t_s, pose, Status.GOOD, f"{TIP_PREFIX}{fault.cue or ''}",
                                fault.check.id, results, FormState.GOOD, rep_phase)
        cue = "Good, hold it there" if self.dosage.kind == "hold" else "Good, now come back"
        return self._finish(t_s, pose, Status.GOOD, cue, None, results, FormState.GOOD, rep_phase)

    def _finish(
        self,
        t_s: float,
        pose: Pose | None,
        status: Status,
        cue: str,
        cue_check: str | None,
        results: tuple[CheckResult, ...],
        form: FormState,
        rep_phase: str | None,
    ) -> FrameResult:
        progress = self.progress.update(t_s, form, self._active, rep_phase)
        events = tuple(self.progress.events)
        if progress.complete:
            status, cue = Status.DONE, "All done. Well done!"
        elif progress.rest_left_s > 0:
            nxt = f", then the {progress.side} side" if progress.side and self.dosage.per_side \
                else ""
            status, cue = Status.REST, f"Rest for {progress.rest_left_s:.0f} s{nxt}"
        elif (
            self.stretch.sides is not None
            and self.dosage.per_side
            and self._active is not None
            and progress.side is not None
            and self._active != progress.side
            and status == Status.GOOD
        ):
            cue = f"Now switch to your {progress.side} {self.stretch.sides.label}"
            status = Status.GET_IN_POSITION
        return FrameResult(
            t_s=t_s,
            pose=pose,
            status=status,
            cue=cue,
            cue_check=cue_check,
            checks=results,
            progress=progress,
            facing=self._facing,
            active_side=self._active,
            events=events,
        )


def _with_side(measure: Measure, side: str) -> Measure:
    return replace(measure, side=side)
