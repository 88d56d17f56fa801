"""A chain of stages, each on its own thread, joined by bounded queues.

``run_stages(source, [f, g], sink)`` calls ``sink(g(f(item)))`` for every
item of ``source``, in order, with the source and each stage on their own
threads and the sink on the caller's. The model, drawing and encoding release the GIL in native
code, so on several cores they overlap; the bounded queues keep a fast stage
from running ahead and filling memory with frames.

A stage may return :data:`SKIP` to drop an item, or a :class:`Batch` to pass
on several (or none); a stage with a ``flush`` method has it called after the
last item, and what it returns (an iterable) is passed on. The first exception in any
thread stops every other thread and is raised in the caller, and so is a
KeyboardInterrupt in the caller; no thread is left running.

A :class:`Parallel` stage is several copies of one stage, each on its own
thread: item ``i`` goes to copy ``i % n`` and the results leave in the order
the items came, so each copy sees every n-th item, in order. This is for
work that holds its own state per copy (a landmarker each) and gives the
same answer whichever copy does it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

SKIP = object()
_END = object()
DEFAULT_DEPTH = 8


class Batch(list):  # type: ignore[type-arg]
    """Several items a stage passes on for one it received."""


class Parallel(list):  # type: ignore[type-arg]
    """Copies of one stage that share its items in turn (one item in, one out, each)."""

    def __init__(self, copies: Iterable[Callable[[Any], Any]], name: str = "parallel") -> None:
        super().__init__(copies)
        if not self:
            raise ValueError("a parallel stage needs at least one copy")
        self.__name__ = name


class _Stopped(Exception):
    """Raised inside a thread when another thread failed."""


def run_stages(
    source: Iterable[Any],
    stages: list[Callable[[Any], Any] | Parallel],
    sink: Callable[[Any], None],
    *,
    depth: int = DEFAULT_DEPTH,
) -> None:
    """Run ``source`` through ``stages`` into ``sink``; returns when all items are done."""
    stop = threading.Event()
    queues: list[queue.Queue[Any]] = [queue.Queue(maxsize=depth) for _ in range(len(stages) + 1)]
    failures: queue.Queue[BaseException] = queue.Queue()

    def put(q: queue.Queue[Any], item: Any) -> None:
        while True:
            if stop.is_set():
                raise _Stopped
            try:
                q.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def get(q: queue.Queue[Any]) -> Any:
        while True:
            if stop.is_set():
                raise _Stopped
            try:
                return q.get(timeout=0.05)
            except queue.Empty:
                continue

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except _Stopped:
                pass
            except BaseException as exc:  # handed to the caller
                failures.put(exc)
                stop.set()
        return run

    def produce() -> None:
        for item in source:
            put(queues[0], item)
        put(queues[0], _END)

    def pass_on(outbox: queue.Queue[Any], out: Any) -> None:
        """What a stage returned: a Batch item by item, SKIP as nothing."""
        if isinstance(out, Batch):
            for one in out:
                put(outbox, one)
        elif out is not SKIP:
            put(outbox, out)

    def stage_worker(fn: Callable[[Any], Any], inbox: queue.Queue[Any],
                     outbox: queue.Queue[Any]) -> Callable[[], None]:
        def work() -> None:
            while (item := get(inbox)) is not _END:
                pass_on(outbox, fn(item))
            flush = getattr(fn, "flush", None)
            for one in flush() if flush is not None else ():
                put(outbox, one)
            put(outbox, _END)
        return work

    def deal(inbox: queue.Queue[Any], outboxes: list[queue.Queue[Any]]) -> Callable[[], None]:
        def work() -> None:
            turn = 0
            while (item := get(inbox)) is not _END:
                put(outboxes[turn], item)
                turn = (turn + 1) % len(outboxes)
            for box in outboxes:
                put(box, _END)
        return work

    def gather(inboxes: list[queue.Queue[Any]], outbox: queue.Queue[Any]) -> Callable[[], None]:
        def work() -> None:
            turn = 0
            while (item := get(inboxes[turn])) is not _END:
                pass_on(outbox, item)
                turn = (turn + 1) % len(inboxes)
            put(outbox, _END)
        return work

    def one_item_each(fn: Callable[[Any], Any], inbox: queue.Queue[Any],
                      outbox: queue.Queue[Any]) -> Callable[[], None]:
        def work() -> None:
            while (item := get(inbox)) is not _END:
                put(outbox, fn(item))
            put(outbox, _END)
        return work

    def spawn(work: Callable[[], None], name: str) -> threading.Thread:
        return threading.Thread(target=guarded(work), name=f"stage-{name}", daemon=True)

    threads = [spawn(produce, "source")]
    for i, fn in enumerate(stages):
        name = str(getattr(fn, "__name__", i))
        if not isinstance(fn, Parallel):
            threads.append(spawn(stage_worker(fn, queues[i], queues[i + 1]), name))
            continue
        ins: list[queue.Queue[Any]] = [queue.Queue(maxsize=depth) for _ in fn]
        outs: list[queue.Queue[Any]] = [queue.Queue(maxsize=depth) for _ in fn]
        threads.append(spawn(deal(queues[i], ins), f"{name}-deal"))
        threads += [spawn(one_item_each(copy, ins[k], outs[k]), f"{name}-{k}")
                    for k, copy in enumerate(fn)]
        threads.append(spawn(gather(outs, queues[i + 1]), f"{name}-gather"))
    for thread in threads:
        thread.start()
    try:
        inbox = queues[-1]
        while True:
            try:
                item = get(inbox)
            except _Stopped:
                break
            if item is _END:
                break
            sink(item)
    except BaseException:
        stop.set()
        raise
    finally:
        if not failures.empty():
            stop.set()
        for thread in threads:
            thread.join()
    if not failures.empty():
        raise failures.get()
