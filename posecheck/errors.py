"""Exceptions for mistakes a user can make: each carries a message fit to print."""

from __future__ import annotations

from pathlib import Path


class PosecheckError(Exception):
    """Base class for errors reported to the user without a traceback."""


class ReferenceError_(PosecheckError):
    """A reference file (or a profile) is malformed.

    ``path`` is the file, ``field`` the dotted path of the offending field.
    """

    def __init__(self, path: str, field: str, problem: str) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        where = f"{path}: {field}" if field else path
        super().__init__(f"{where}: {problem}")


# Public name; the trailing underscore above avoids shadowing the builtin
# ReferenceError inside this module.
ReferenceFileError = ReferenceError_
del ReferenceError_


class UnknownStretchError(PosecheckError):
    """A stretch id that is not in the library."""


class AnalysisError(PosecheckError):
    """A video cannot be analysed as asked (no stretch recognised, outputs exist, ...)."""


class StretchNotRecognizedError(AnalysisError):
    """``--stretch auto`` found no library stretch in the recording.

    Carries the closest stretch so each front end can say it in its own words.
    """

    def __init__(self, video: Path, reason: str, closest_id: str | None,
                 closest_score: float | None) -> None:
        self.video = Path(video)
        self.reason = reason
        self.closest_id = closest_id
        self.closest_score = closest_score
        why = f": {reason}" if reason else ""
        super().__init__(f"could not recognise the stretch in {video}{why}; pass --stretch ID")
