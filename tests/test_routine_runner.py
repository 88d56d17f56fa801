"""The routine runner: steps in order, rest between, skip, and the switch of position."""

from __future__ import annotations

from posecheck.reference import Dosage
from posecheck.routine_runner import RoutinePhase, RoutineRunner, Switch
from posecheck.routines import Routine, RoutineStep

HOLD = Dosage("hold", sets=1, hold_s=5)


def _routine(*ids: str, rest_s: float = 10.0) -> Routine:
    return Routine("r", "R", "", tuple(RoutineStep(i, HOLD, 0, rest_s) for i in ids))


def test_a_routine_runs_its_steps_in_order_with_rest_between() -> None:
    runner = RoutineRunner(_routine("a", "b", "c"))
    s = runner.update(0.0, step_complete=False)
    assert (s.phase, s.step_index, s.events) == (RoutinePhase.STRETCH, 0, ("step_started:a",))
    assert runner.next_step().stretch_id == "b"
    s = runner.update(1.0, step_complete=False)
    assert s.events == () and s.phase == RoutinePhase.STRETCH
    s = runner.update(6.0, step_complete=True)
    assert s.phase == RoutinePhase.REST and s.step_index == 1  # resting before b
    assert s.events == ("step_done:a", "rest:b") and s.rest_left_s == 10.0
    assert runner.update(12.0, step_complete=False).rest_left_s == 4.0
    s = runner.update(16.0, step_complete=False)
    assert (s.phase, s.step_index, s.events) == (RoutinePhase.STRETCH, 1, ("step_started:b",))
    assert s.done_steps == (0,)
    runner.update(20.0, step_complete=True)
    runner.update(30.0, step_complete=False)
    s = runner.update(35.0, step_complete=True)
    assert s.phase == RoutinePhase.DONE and s.events == ("step_done:c", "routine_done")
    assert s.done_steps == (0, 1, 2) and runner.next_step() is None
    assert runner.update(40.0, step_complete=True).events == ()  # done stays done


def test_step_completion_during_the_rest_counts_for_nothing() -> None:
    runner = RoutineRunner(_routine("a", "b"))
    runner.update(0.0, step_complete=True)
    s = runner.update(1.0, step_complete=True)  # the old checker still says complete
    assert s.phase == RoutinePhase.REST and s.done_steps == (0,)


def test_skip_moves_to_the_rest_and_a_second_skip_ends_the_rest() -> None:
    runner = RoutineRunner(_routine("a", "b", "c"))
    runner.update(0.0, step_complete=False)
    s = runner.skip(2.0)
    assert s.events == ("step_skipped:a", "rest:b") and s.skipped_steps == (0,)
    assert s.phase == RoutinePhase.REST and s.rest_left_s == 10.0
    s = runner.skip(3.0)
    assert (s.phase, s.step_index, s.events) == (RoutinePhase.STRETCH, 1, ("step_started:b",))
    runner.skip(4.0)
    runner.skip(4.5)
    s = runner.skip(5.0)  # the last step skipped: done
    assert s.phase == RoutinePhase.DONE and s.skipped_steps == (0, 1, 2)
    assert s.done_steps == ()


def test_no_rest_after_a_step_goes_straight_on() -> None:
    runner = RoutineRunner(_routine("a", "b", rest_s=0.0))
    runner.update(0.0, step_complete=False)
    s = runner.update(5.0, step_complete=True)
    assert s.phase == RoutinePhase.STRETCH and s.step_index == 1
    assert s.events == ("step_done:a", "step_started:b")


def test_the_switch_is_confirmed_by_holding_the_position_or_by_recognition() -> None:
    runner = RoutineRunner(_routine("a", "b", rest_s=0.0), confirm_s=1.0)
    runner.update(0.0, step_complete=False)
    assert runner.update(0.5, step_complete=False, in_position=True).switch == Switch.UNKNOWN
    runner.update(1.0, step_complete=False, in_position=False)  # a break starts again
    runner.update(1.2, step_complete=False, in_position=True)
    assert runner.update(2.0, step_complete=False, in_position=True).switch == Switch.UNKNOWN
    s = runner.update(2.2, step_complete=False, in_position=True)
    assert s.switch == Switch.CONFIRMED and s.events == ("position_confirmed:a",)
    s = runner.update(5.0, step_complete=True)
    assert s.switch == Switch.UNKNOWN  # a new step: not yet seen in it
    # recognition sees the previous stretch: the person has not switched yet
    s = runner.update(5.5, step_complete=False, recognized="a")
    assert s.switch == Switch.STILL_PREVIOUS
    s = runner.update(6.0, step_complete=False, recognized=None)
    assert s.switch == Switch.STILL_PREVIOUS  # recognition cannot tell: no change
    s = runner.update(6.5, step_complete=False, recognized="b")
    assert s.switch == Switch.CONFIRMED and s.events == ("position_confirmed:b",)
    s = runner.update(7.0, step_complete=False, recognized="a")
    assert s.switch == Switch.CONFIRMED  # once confirmed, it stays for the step


def test_the_same_stretch_twice_in_a_row_is_never_still_previous() -> None:
    runner = RoutineRunner(_routine("a", "a", rest_s=0.0))
    runner.update(0.0, step_complete=True)
    assert runner.update(1.0, step_complete=False, recognized="a").switch == Switch.CONFIRMED
