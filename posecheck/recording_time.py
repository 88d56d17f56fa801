"""When a recording was made: what the history dates an analysed video by.

A patient may film at home and the physiotherapist analyse the videos days
later, so "now" is the last resort. In order: a time given by the user; the
``creation_time`` a phone or camera writes into the container; else the time
passed in as now. Reads only the container's header (PyAV), never a frame.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import av

from posecheck.errors import PosecheckError

logger = logging.getLogger(__name__)


class BadRecordingTimeError(PosecheckError):
    """A recording time that cannot be read."""


def container_creation_time(path: Path | str) -> datetime | None:
    """The container's ``creation_time`` as an aware local time, or None when absent."""
    try:
        with av.open(str(path)) as container:
            tags = [dict(container.metadata)] + [dict(s.metadata) for s in container.streams]
    except (OSError, av.error.FFmpegError, ValueError) as exc:
        logger.debug("no creation time for %s: %s", path, exc)
        return None
    for tags_ in tags:
        text = tags_.get("creation_time")
        if not text:
            continue
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.year < 2000:  # an unset clock (1904 or 1970): no information
            continue
        return (when if when.tzinfo else when.astimezone()).astimezone()
    return None


def parse_recording_time(text: str) -> datetime:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` (local time) as an aware datetime."""
    try:
        when = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise BadRecordingTimeError(
            f"--recorded {text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM, "
            "e.g. 2026-11-30T18:15") from None
    return when if when.tzinfo else when.astimezone()


def recording_time(path: Path | str, now: datetime, given: datetime | None = None) -> datetime:
    """The time to date a recording by: ``given``, else the container's, else ``now``."""
    if given is not None:
        return given
    return container_creation_time(path) or now
