"""Native chatter is kept off descriptor 2, and the descriptor always comes back."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from posecheck import native_stderr

QUIET = logging.getLogger("posecheck.test.quiet")
QUIET.setLevel(logging.WARNING)


@contextmanager
def fd2_into_file() -> Iterator[tempfile._TemporaryFileWrapper]:  # type: ignore[type-arg]
    """Point descriptor 2 at a temporary file for the test; put it back after."""
    with tempfile.TemporaryFile() as f:
        saved = os.dup(2)
        os.dup2(f.fileno(), 2)
        try:
            yield f
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def written(f) -> bytes:  # type: ignore[no-untyped-def]
    f.seek(0)
    return f.read()


def test_lines_inside_are_dropped_and_lines_after_arrive() -> None:
    with fd2_into_file() as f:
        with native_stderr.quiet(QUIET):
            os.write(2, b"chatter\n")
        os.write(2, b"after\n")
        assert written(f) == b"after\n"


def test_overlapping_quiets_on_two_threads_give_descriptor_2_back() -> None:
    # Thread A enters, B enters, A leaves, B leaves: the order that, with a
    # save-and-restore per call, would leave descriptor 2 on /dev/null for good.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a() -> None:
        with native_stderr.quiet(QUIET):
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with native_stderr.quiet(QUIET):
            b_in.set()
            a_out.wait(5)
            os.write(2, b"still quiet\n")

    with fd2_into_file() as f:
        threads = [threading.Thread(target=a), threading.Thread(target=b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        os.write(2, b"after both\n")
        assert written(f) == b"after both\n"


def test_verbose_lets_lines_through() -> None:
    verbose = logging.getLogger("posecheck.test.verbose")
    verbose.setLevel(logging.INFO)
    with fd2_into_file() as f:
        with native_stderr.quiet(verbose):
            os.write(2, b"diagnostic\n")
        assert written(f) == b"diagnostic\n"
