"""Per-check verdicts with hysteresis, and the choice of the one cue to show."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from posecheck.reference import Check


class Verdict(enum.Enum):
    OK = "ok"
    TOO_LOW = "too_low"
    TOO_HIGH = "too_high"
    UNKNOWN = "unknown"

    @property
    def is_fault(self) -> bool:
        return self in (Verdict.TOO_LOW, Verdict.TOO_HIGH)


def judge(check: Check, value: float | None, previous: Verdict | None = None) -> Verdict:
    """The verdict for ``value``, sticky within ``check.hysteresis`` of each edge.

    A value must go ``hysteresis`` past an edge to change the verdict from the
    previous frame's, so a reading hovering at the edge does not flicker.
    """
    if value is None:
        return Verdict.UNKNOWN
    h = check.hysteresis if previous not in (None, Verdict.UNKNOWN) else 0.0
    low, high = check.min, check.max
    if previous == Verdict.TOO_LOW and low is not None and value < low + h:
        return Verdict.TOO_LOW
    if previous == Verdict.TOO_HIGH and high is not None and value > high - h:
        return Verdict.TOO_HIGH
    if previous == Verdict.OK:
        if low is not None and value < low - h:
            return Verdict.TOO_LOW
        if high is not None and value > high + h:
            return Verdict.TOO_HIGH
        return Verdict.OK
    if low is not None and value < low:
        return Verdict.TOO_LOW
    if high is not None and value > high:
        return Verdict.TOO_HIGH
    return Verdict.OK


@dataclass(frozen=True)
class CheckResult:
    check: Check
    value: float | None
    verdict: Verdict
    landmarks: tuple[str, ...]
    missing: tuple[str, ...] = ()

    @property
    def cue(self) -> str | None:
        if self.verdict == Verdict.TOO_LOW:
            return self.check.cue_low
        if self.verdict == Verdict.TOO_HIGH:
            return self.check.cue_high
        return None


def first_fault(results: Sequence[CheckResult], roles: tuple[str, ...]) -> CheckResult | None:
    """The most important failing check among ``roles``: lowest priority number first."""
    faults = [r for r in results if r.verdict.is_fault and r.check.role in roles]
    if not faults:
        return None
    return min(faults, key=lambda r: r.check.priority)
