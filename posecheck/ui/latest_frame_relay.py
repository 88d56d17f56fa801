"""Live video that keeps only the newest camera frame instead of queueing them.

streamlit-webrtc hands each incoming camera track to the frame callback
through one shared aiortc ``MediaRelay``, subscribed with a buffer: every
frame waits in an unbounded queue until the outgoing video asks for the
next one. When the server cannot keep up with the camera (a slow computer,
several sessions at once), that queue grows without end: the server's memory
climbs by megabytes a second, and the video and the cues fall further and
further behind the person. A relay without the buffer hands over the newest
frame and drops the rest, so a loaded server checks fewer frames per second
but stays current.
"""

from __future__ import annotations

from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack


class LatestFrameRelay(MediaRelay):
    """A ``MediaRelay`` whose consumers always get the newest frame, never a backlog."""

    def subscribe(self, track: MediaStreamTrack, buffered: bool = True) -> MediaStreamTrack:
        return super().subscribe(track, buffered=False)


def install() -> LatestFrameRelay:
    """Make the server's shared relay a :class:`LatestFrameRelay` (once; idempotent).

    Streams started before keep the relay they were given.
    """
    from streamlit_webrtc import relay

    runtime = relay.Runtime.instance()
    name = relay._SERVER_GLOBAL_RELAY_ATTR_NAME_
    current = getattr(runtime, name, None)
    if isinstance(current, LatestFrameRelay):
        return current
    latest = LatestFrameRelay()
    setattr(runtime, name, latest)
    return latest
