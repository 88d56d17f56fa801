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


class _Stopped(Exception):
    """Raised inside a thread when another thread failed."""


def run_stages(
    source: Iterable[Any],
    stages: list[Callable[[Any], Any]],
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

    def stage_worker(fn: Callable[[Any], Any], inbox: queue.Queue[Any],
                     outbox: queue.Queue[Any]) -> Callable[[], None]:
        def work() -> None:
            while (item := get(inbox)) is not _END:
                out = fn(item)
                if isinstance(out, Batch):
                    for one in out:
                        put(outbox, one)
                elif out is not SKIP:
                    put(outbox, out)
            flush = getattr(fn, "flush", None)
            for one in flush() if flush is not None else ():
                put(outbox, one)
            put(outbox, _END)
        return work

    threads = [threading.Thread(target=guarded(produce), name="stage-source", daemon=True)]
    for i, fn in enumerate(stages):
        threads.append(threading.Thread(
            target=guarded(stage_worker(fn, queues[i], queues[i + 1])),
            name=f"stage-{getattr(fn, '__name__', i)}", daemon=True))
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
