"""What to say aloud, and when: the timing policy of the spoken cues.

Lying face down or on your back, you cannot read a screen, so the cues are
also spoken. This module decides what is said and when, with time passed in;
the page hands the words to the browser's own speech synthesis.

The rules:

* one utterance at a time: nothing new starts while the last one is still
  being said (its length is estimated from its words);
* a correction is said only once the same cue has held for ``settle_s``, and
  the same words are not said again within ``cooldown_s``;
* a good-form hold is not talked over: while the form counts, only the hold's
  milestones are said (hold started, "10 seconds left"), never a tip;
* what happened (hold started, set done and rest, switch sides, all done,
  the routine's next stretch) is said in order, and dropped when it is stale.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from posecheck.engine import FrameResult, Status
from posecheck.reference import Dosage

SETTLE_S = 1.5  # a correction must hold this long before it is said
COOLDOWN_S = 10.0  # the same words are not said again within this time
TIME_LEFT_S = 10.0  # "10 seconds left" when a hold has this much to go ...
TIME_LEFT_MIN_HOLD_S = 20.0  # ... in holds at least this long
STALE_S = 6.0  # news not said within this time is dropped
WORDS_PER_S = 2.5  # speaking rate, to know when an utterance is over
PAUSE_S = 0.6  # silence after each utterance
LASTING = ("routine", "done")  # kinds of news that never go stale

# Statuses whose cue asks the person to change something.
CORRECTING = (Status.ADJUST, Status.GET_IN_POSITION, Status.NOT_VISIBLE, Status.WRONG_VIEW,
              Status.NO_PERSON)


@dataclass(frozen=True)
class CueInput:
    """What the checker shows in one frame, as far as speech cares."""

    status: Status
    cue: str
    events: tuple[str, ...] = ()
    hold_s: float = 0.0
    hold_target_s: float = 0.0
    reps: int = 0
    rest_s: float = 0.0  # the rest after a set (from the dosage)
    side_part: str = "side"  # "leg", "arm", "side"
    complete: bool = False


def cue_input(result: FrameResult, rest_s: float, side_part: str = "side") -> CueInput:
    """The speech input of one checker frame."""
    p = result.progress
    return CueInput(result.status, result.cue, result.events, p.hold_s, p.hold_target_s,
                    p.reps, rest_s, side_part, p.complete)


@dataclass(frozen=True)
class Utterance:
    seq: int  # increasing; the page speaks each number once
    t_s: float
    text: str
    kind: str  # correction | hold | time_left | rep | set | side | done | routine

    def duration_s(self) -> float:
        return len(self.text.split()) / WORDS_PER_S + PAUSE_S


def _seconds(value: float) -> str:
    n = round(value)
    return "1 second" if n == 1 else f"{n} seconds"


class SpeechPolicy:
    """Turns a stream of checker frames (and routine news) into utterances."""

    def __init__(self, *, settle_s: float = SETTLE_S, cooldown_s: float = COOLDOWN_S,
                 time_left_s: float = TIME_LEFT_S, done_text: str = "All done. Well done!"
                 ) -> None:
        self.settle_s = settle_s
        self.done_text = done_text  # said when the dosage is complete
        self.cooldown_s = cooldown_s
        self.time_left_s = time_left_s
        self._seq = 0
        self._busy_until_s = float("-inf")
        self._news: deque[tuple[float, str, str]] = deque()  # (t_s, text, kind)
        self._said: dict[str, float] = {}  # text -> when it was last said
        self._cue: str | None = None
        self._cue_since_s = 0.0
        self._last_hold_s = 0.0
        self._resting = False

    # ------------------------------------------------------------ news
    def announce(self, t_s: float, text: str, kind: str = "routine") -> None:
        """Queue something that happened (e.g. the routine's next stretch) to be said."""
        if text and not any(n[1] == text for n in self._news):
            self._news.append((t_s, text, kind))

    def clear(self) -> None:
        """Forget what was queued (the person moved on, e.g. skipped a step)."""
        self._news.clear()
        self._cue = None

    def _news_from(self, t_s: float, c: CueInput) -> None:
        sides = [e.split(":", 1)[1] for e in c.events if e.startswith("switch_side:")]
        if "hold_started" in c.events and c.hold_target_s > 0:
            self.announce(t_s, f"Good. Hold for {_seconds(c.hold_target_s)}", "hold")
        if "rep" in c.events:
            self.announce(t_s, str(c.reps), "rep")
        if "complete" in c.events:
            self.announce(t_s, self.done_text, "done")
        elif any(e.startswith("set_done") for e in c.events):
            text = "Set done."
            if c.rest_s > 0:
                text += f" Rest for {_seconds(c.rest_s)}"
                text += f", then switch to your {sides[0]} {c.side_part}." if sides else "."
            elif sides:
                text += f" Now switch to your {sides[0]} {c.side_part}."
            self.announce(t_s, text, "set")
        # The hold's milestone: "10 seconds left", once, as the hold passes it.
        left_before = c.hold_target_s - self._last_hold_s
        left_now = c.hold_target_s - c.hold_s
        self._last_hold_s = c.hold_s
        if (c.status == Status.GOOD and c.hold_target_s >= TIME_LEFT_MIN_HOLD_S
                and left_before > self.time_left_s >= left_now > 0):
            self.announce(t_s, f"{_seconds(self.time_left_s)} left", "time_left")
        resting = c.status == Status.REST
        if self._resting and not resting and not c.complete:
            self.announce(t_s, "Rest over. Back into position.", "set")
        self._resting = resting

    # ------------------------------------------------------------ the frame
    def update(self, t_s: float, c: CueInput | None = None) -> Utterance | None:
        """Advance to ``t_s`` with this frame's checker output; the utterance to start now."""
        if c is not None:
            self._news_from(t_s, c)
        # Moment-to-moment news goes stale; the routine's and "done" are always said.
        self._news = deque(n for n in self._news
                           if n[2] in LASTING or t_s - n[0] <= STALE_S)
        candidate = self._pick(t_s, c)
        if t_s < self._busy_until_s or candidate is None:
            return None
        text, kind = candidate
        if self._news and self._news[0][1] == text:
            self._news.popleft()
        self._seq += 1
        utterance = Utterance(self._seq, t_s, text, kind)
        self._said[text] = t_s
        self._busy_until_s = t_s + utterance.duration_s()
        return utterance

    def _recent(self, text: str, t_s: float) -> bool:
        said = self._said.get(text)
        return said is not None and t_s - said < self.cooldown_s

    def _pick(self, t_s: float, c: CueInput | None) -> tuple[str, str] | None:
        if self._news:
            _, text, kind = self._news[0]
            return text, kind
        if c is None:
            return None
        # A correction: only once it has held, and not again within the cooldown.
        if c.status not in CORRECTING or not c.cue:
            self._cue = None
            return None
        if c.cue != self._cue:
            self._cue, self._cue_since_s = c.cue, t_s
            return None
        if t_s - self._cue_since_s < self.settle_s or self._recent(c.cue, t_s):
            return None
        return c.cue, "correction"


# ---------------------------------------------------------------- words for a routine


def spoken_dosage(dosage: Dosage) -> str:
    """A dosage as it is said: "3 holds of 30 seconds each side", "10 repetitions"."""
    side = " each side" if dosage.per_side else ""
    if dosage.kind == "hold":
        holds = "1 hold" if dosage.sets == 1 else f"{dosage.sets} holds"
        return f"{holds} of {_seconds(dosage.hold_s)}{side}"
    sets = f"{dosage.sets} sets of " if dosage.sets > 1 else ""
    return f"{sets}{dosage.reps} repetitions{side}"


def camera_hint(setup: str) -> str:
    """The first sentence of a stretch's camera setup: where the camera goes."""
    first = setup.split(". ", 1)[0].strip()
    return first if first.endswith(".") else first + "."


def say_step(name: str, dosage: Dosage, first: bool) -> str:
    """What is said as a routine's step begins."""
    lead = "First" if first else "Now"
    return f"{lead}: {name}, {spoken_dosage(dosage)}."


def say_rest(rest_s: float, next_name: str, setup: str, skipped: bool) -> str:
    """What is said as the rest before the next step begins."""
    lead = "Skipped." if skipped else "Stretch done."
    return (f"{lead} Rest for {_seconds(rest_s)}. Next: {next_name}. {camera_hint(setup)}")
