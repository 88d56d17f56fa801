"""Exceptions for mistakes a user can make: each carries a message fit to print."""

from __future__ import annotations


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
