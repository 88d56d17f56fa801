"""Keep a native library's start-up chatter off the user's terminal.

MediaPipe's C++ core writes lines such as "GPU suport is not available" and
"Feedback manager requires a model with a single signature" straight to file
descriptor 2 while a landmarker starts and on its first frames. Python's
``sys.stderr`` cannot catch them, so :func:`quiet` points the descriptor at
``/dev/null`` for the duration, unless posecheck's logging shows INFO
(``posecheck --verbose``), where they may help to diagnose a problem.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet(logger: logging.Logger) -> Iterator[None]:
    if logger.isEnabledFor(logging.INFO):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable descriptor 2 (some embedded hosts)
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
