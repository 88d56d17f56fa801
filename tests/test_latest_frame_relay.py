"""The live relay hands the frame callback the newest camera frame, never a backlog."""

from __future__ import annotations

import asyncio
import fractions

import av
import numpy as np
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from posecheck.ui.latest_frame_relay import LatestFrameRelay, install


class Camera(MediaStreamTrack):
    """A camera that sends ``count`` numbered frames as fast as it can, then waits."""

    kind = "video"

    def __init__(self, count: int) -> None:
        super().__init__()
        self.sent = 0
        self.count = count

    async def recv(self) -> av.VideoFrame:
        if self.sent == self.count:
            await asyncio.Event().wait()  # until the test's loop ends
        frame = av.VideoFrame.from_ndarray(np.zeros((8, 8, 3), np.uint8), format="rgb24")
        frame.pts, frame.time_base = self.sent, fractions.Fraction(1, 30)
        self.sent += 1
        await asyncio.sleep(0.001)
        return frame


async def _slow_reader(relay: MediaRelay) -> tuple[list[int], int]:
    """Read like an overloaded server: one frame, then a long pause; (pts read, sent)."""
    camera = Camera(count=60)
    track = relay.subscribe(camera)
    read = [(await track.recv()).pts]
    await asyncio.sleep(0.3)  # the camera sends every frame meanwhile
    read.append((await track.recv()).pts)
    return read, camera.sent


def test_a_slow_reader_gets_the_newest_frame_not_the_next_queued() -> None:
    read, sent = asyncio.run(_slow_reader(LatestFrameRelay()))
    assert sent == 60
    assert read == [0, 59]
    # The buffered relay it replaces hands over the queue in order, however old.
    read, _ = asyncio.run(_slow_reader(MediaRelay()))
    assert read == [0, 1]


def test_install_replaces_the_shared_relay_once(monkeypatch) -> None:
    from streamlit_webrtc import relay

    class Runtime:  # stands in for Streamlit's server singleton
        @classmethod
        def instance(cls):
            return cls

    monkeypatch.setattr(relay, "Runtime", Runtime)
    setattr(Runtime, relay._SERVER_GLOBAL_RELAY_ATTR_NAME_, MediaRelay())
    first = install()
    assert isinstance(first, LatestFrameRelay)
    assert install() is first
    assert relay.get_global_relay() is first
