"""Keep a native library's start-up chatter off the user's terminal.

MediaPipe's C++ core writes lines such as "GPU suport is not available" and
"Feedback manager requires a model with a single signature" straight to file
descriptor 2 while a landmarker starts and on its first frames. Python's
``sys.stderr`` cannot catch them (nor "DestroyAccelerator" as a landmarker
closes), so :func:`quiet` points the descriptor at ``/dev/null`` for the
duration, unless posecheck's logging shows INFO
(``posecheck --verbose``), where they may help to diagnose a problem.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator

# Descriptor 2 is one per process: nested or concurrent quiet() calls (two
# live sessions starting their models at once) share one redirection, made by
# the first to enter and undone by the last to leave.
_lock = threading.Lock()
_depth = 0
_saved: int | None = None


def _enter() -> bool:
    global _depth, _saved
    with _lock:
        if _depth == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):  # no usable descriptor 2 (some embedded hosts)
                return False
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
            _saved = saved
        _depth += 1
        return True


def _leave() -> None:
    global _depth, _saved
    with _lock:
        _depth -= 1
        if _depth == 0 and _saved is not None:
            os.dup2(_saved, 2)
            os.close(_saved)
            _saved = None


@contextlib.contextmanager
def quiet(logger: logging.Logger) -> Iterator[None]:
    if logger.isEnabledFor(logging.INFO) or not _enter():
        yield
        return
    try:
        yield
    finally:
        _leave()
