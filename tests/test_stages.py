"""The threaded stage chain: order, dropping items, bounded queues, errors and clean shutdown."""

from __future__ import annotations

import threading
import time

import pytest

from posecheck.stages import SKIP, Batch, Parallel, run_stages


def _stage_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("stage-")]


def test_items_arrive_in_order_through_every_stage() -> None:
    out: list[int] = []
    run_stages(range(200), [lambda x: x * 2, lambda x: x + 1], out.append, depth=3)
    assert out == [x * 2 + 1 for x in range(200)]
    assert _stage_threads() == []


def test_a_stage_can_drop_items() -> None:
    out: list[int] = []
    run_stages(range(10), [lambda x: SKIP if x % 2 else x], out.append)
    assert out == [0, 2, 4, 6, 8]


def test_the_source_never_runs_far_ahead_of_a_slow_sink() -> None:
    produced: list[int] = []
    lead: list[int] = []

    def source():
        for i in range(60):
            produced.append(i)
            yield i

    def slow_sink(item: int) -> None:
        lead.append(len(produced) - item)
        time.sleep(0.002)

    run_stages(source(), [lambda x: x, lambda x: x], slow_sink, depth=2)
    # Two queues between the stages, one before the sink, each of depth 2,
    # plus one item held by each thread.
    assert max(lead) <= 3 * 2 + 4


@pytest.mark.parametrize("where", ["source", "stage", "sink"])
def test_the_first_error_is_raised_and_no_thread_is_left(where: str) -> None:
    def source():
        for i in range(1000):
            if where == "source" and i == 50:
                raise ValueError("bad frame at 50")
            yield i

    def stage(x: int) -> int:
        if where == "stage" and x == 50:
            raise ValueError("bad frame at 50")
        return x

    def sink(x: int) -> None:
        if where == "sink" and x == 50:
            raise ValueError("bad frame at 50")

    with pytest.raises(ValueError, match="bad frame at 50"):
        run_stages(source(), [stage, lambda x: x], sink, depth=2)
    assert _stage_threads() == []


def test_an_empty_source_finishes() -> None:
    out: list[int] = []
    run_stages([], [lambda x: x], out.append)
    assert out == []


def test_a_stage_can_hold_items_back_and_release_them_later() -> None:
    class Pairs:
        def __init__(self) -> None:
            self.held: list[int] = []

        def __call__(self, x: int) -> Batch:
            self.held.append(x)
            if len(self.held) < 2:
                return Batch()
            out, self.held = Batch(self.held), []
            return out

        def flush(self) -> list[int]:
            return self.held

    out: list[int] = []
    run_stages(range(7), [Pairs(), lambda x: x * 10], out.append)
    assert out == [0, 10, 20, 30, 40, 50, 60]


def test_parallel_copies_take_the_items_in_turn_and_the_order_is_kept() -> None:
    seen: dict[int, list[int]] = {0: [], 1: [], 2: []}

    def copy(k: int):
        def work(x: int) -> int:
            seen[k].append(x)
            time.sleep(0.001 * ((x * 7) % 3))  # copies finish out of step
            return x * 10
        return work

    out: list[int] = []
    run_stages(range(100), [lambda x: x, Parallel([copy(0), copy(1), copy(2)]), lambda x: x + 1],
               out.append, depth=2)
    assert out == [x * 10 + 1 for x in range(100)]
    assert seen == {k: list(range(k, 100, 3)) for k in range(3)}
    assert _stage_threads() == []


def test_parallel_copies_overlap_in_time() -> None:
    running = [0]
    most = [0]
    lock = threading.Lock()

    def work(x: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return x

    run_stages(range(20), [Parallel([work, work])], lambda _: None)
    assert most[0] == 2


def test_a_parallel_copy_can_drop_or_split_items() -> None:
    def work(x: int):
        return SKIP if x % 3 == 0 else Batch([x, x])

    out: list[int] = []
    run_stages(range(7), [Parallel([work, work])], out.append)
    assert out == [1, 1, 2, 2, 4, 4, 5, 5]


def test_an_error_in_a_parallel_copy_is_raised_and_no_thread_is_left() -> None:
    def work(x: int) -> int:
        if x == 31:
            raise ValueError("bad frame at 31")
        return x

    with pytest.raises(ValueError, match="bad frame at 31"):
        run_stages(range(1000), [Parallel([work, work, work])], lambda _: None, depth=2)
    assert _stage_threads() == []
    with pytest.raises(ValueError, match="at least one"):
        Parallel([])
