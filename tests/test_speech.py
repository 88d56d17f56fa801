"""The spoken-cue policy: what is said, when, and how often, with time passed in."""

from __future__ import annotations

import itertools

from synthetic import CORRECT, PRESS_UP_HIPS_LIFTED

from posecheck.engine import Status, StretchChecker
from posecheck.reference import load_library
from posecheck.speech import CueInput, SpeechPolicy, Utterance, cue_input

FPS = 15.0
FIX_HIPS = "Keep your hips on the floor"


def _run(policy: SpeechPolicy, start_s: float, end_s: float, c: CueInput
         ) -> list[Utterance]:
    out = []
    n = round((end_s - start_s) * FPS)
    for i in range(n):
        u = policy.update(start_s + i / FPS, c)
        if u is not None:
            out.append(u)
    return out


def test_a_correction_is_said_only_once_it_has_held() -> None:
    policy = SpeechPolicy(settle_s=1.5)
    flicker = CueInput(Status.ADJUST, FIX_HIPS)
    assert _run(policy, 0.0, 1.0, flicker) == []  # a second of it: not yet
    assert _run(policy, 1.0, 1.4, CueInput(Status.GOOD, "Good, hold it there")) == []
    said = _run(policy, 1.4, 3.5, flicker)  # the clock started again at 1.4 s
    assert [u.text for u in said] == [FIX_HIPS]
    assert said[0].t_s >= 2.9 and said[0].kind == "correction"


def test_the_same_words_are_not_repeated_within_the_cooldown() -> None:
    policy = SpeechPolicy(settle_s=1.0, cooldown_s=10.0)
    said = _run(policy, 0.0, 25.0, CueInput(Status.ADJUST, FIX_HIPS))
    times = [round(u.t_s, 1) for u in said]
    assert len(said) == 3 and times[0] == 1.0
    assert all(b - a >= 10.0 for a, b in itertools.pairwise(times))


def test_one_utterance_at_a_time() -> None:
    policy = SpeechPolicy(settle_s=0.0)
    policy.announce(0.0, "Next: Prone press-up. Camera at floor level, side-on.")
    policy.announce(0.0, "Set done. Rest for 10 seconds.")
    first = policy.update(0.0, None)
    assert first is not None and first.text.startswith("Next")
    busy_until = first.t_s + first.duration_s()
    assert busy_until > 3.0  # nine words take a few seconds to say
    said = [u for t in range(1, 80) if (u := policy.update(t / 10, None)) is not None]
    assert [u.text for u in said] == ["Set done. Rest for 10 seconds."]
    assert said[0].t_s >= busy_until
    assert said[0].seq == first.seq + 1


def test_stale_news_is_dropped() -> None:
    policy = SpeechPolicy()
    policy.announce(0.0, "Good. Hold for 30 seconds", "hold")
    assert policy.update(7.0, None) is None


def test_a_good_form_hold_is_not_talked_over_except_for_its_milestones() -> None:
    policy = SpeechPolicy(settle_s=1.0)
    said: list[Utterance] = []
    hold_s = 0.0
    t = 0.0
    first = True
    while t < 35.0:
        events = ("hold_started",) if first else ()
        first = False
        c = CueInput(Status.GOOD, "Good form. Tip: Let your elbows sit under your shoulders",
                     events, hold_s=hold_s, hold_target_s=30.0)
        if (u := policy.update(t, c)) is not None:
            said.append(u)
        t += 1 / FPS
        hold_s = min(30.0, hold_s + 1 / FPS)
    assert [u.text for u in said] == ["Good. Hold for 30 seconds", "10 seconds left"]
    assert 19.9 <= said[1].t_s <= 20.2


def test_set_done_rest_and_switch_sides_are_said() -> None:
    policy = SpeechPolicy()
    done = CueInput(Status.REST, "Rest for 5 s, then the right side",
                    ("hold_done", "set_done:left", "switch_side:right"), rest_s=5.0,
                    side_part="leg")
    u = policy.update(0.0, done)
    assert u is not None
    assert u.text == "Set done. Rest for 5 seconds, then switch to your right leg."
    rest = CueInput(Status.REST, "Rest for 4 s", rest_s=5.0)
    assert _run(policy, 0.1, 6.0, rest) == []
    back = CueInput(Status.GET_IN_POSITION, "Lie face down")
    u = policy.update(6.0, back)
    assert u is not None and u.text == "Rest over. Back into position."
    u = policy.update(6.1, CueInput(Status.DONE, "All done. Well done!", ("complete",),
                                    complete=True))
    assert u is None  # still saying the last one
    assert policy.update(9.0, None).text == "All done. Well done!"


def test_repetitions_are_counted_aloud() -> None:
    policy = SpeechPolicy()
    assert policy.update(0.0, CueInput(Status.GOOD, "Good, now come back", ("rep",),
                                       reps=3)).text == "3"


def test_spoken_from_the_real_engine_a_hold_then_a_correction() -> None:
    stretch = load_library()["prone_press_up"]
    checker = StretchChecker(stretch, smooth=False)
    policy = SpeechPolicy(settle_s=1.5)
    said = []
    for i in range(int(40 * FPS)):
        t = i / FPS
        pose = CORRECT["prone_press_up"] if t < 12 else PRESS_UP_HIPS_LIFTED.build()
        result = checker.update(pose, t)
        u = policy.update(t, cue_input(result, checker.dosage.rest_s))
        if u is not None:
            said.append((round(t, 1), u.text))
    texts = [text for _, text in said]
    assert texts[0] == "Good. Hold for 30 seconds"
    correction = checker.stretch.check("hips_down").cue_high
    assert correction in texts
    when = dict((text, t) for t, text in reversed(said))
    assert when[correction] >= 13.5  # hips lifted at 12 s, said after it held 1.5 s
    assert "10 seconds left" not in texts  # the hold never got that far
