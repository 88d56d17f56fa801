"""The Streamlit page under AppTest, with the WebRTC component replaced by a stub.

The real ``webrtc_streamer`` needs a browser; the stub records the frame
callback the page passes it, and the test calls that callback on a real photo
the way the video worker thread would.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import av
import numpy as np
import pytest
from _footage import _isolated_cache, footage, shared_model  # noqa: F401

from posecheck.reference import load_library

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CHILDS_POSE_PHOTO = "kneeling_lumbar_flexion/fedb_Childs_Pose_1.jpg"
TIMEOUT_S = 60


class FakeWebrtc:
    """Stands in for ``webrtc_streamer``: remembers its arguments, reports a playing state."""

    def __init__(self) -> None:
        self.playing = False
        self.calls: list[dict[str, Any]] = []

    def __call__(self, key: str, **kwargs: Any) -> SimpleNamespace:
        self.calls.append({"key": key, **kwargs})
        return SimpleNamespace(state=SimpleNamespace(playing=self.playing, signalling=False))

    @property
    def callback(self):
        return self.calls[-1]["video_frame_callback"]


@pytest.fixture
def fake_webrtc(monkeypatch: pytest.MonkeyPatch) -> FakeWebrtc:
    import streamlit_webrtc

    from posecheck.estimator import PoseEstimator
    from posecheck.ui import live_view

    fake = FakeWebrtc()
    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", fake)
    monkeypatch.setattr(live_view, "webrtc_streamer", fake)
    monkeypatch.setattr(
        live_view, "_estimator_factory", lambda model: PoseEstimator(shared_model(), mode="video")
    )
    return fake


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


def _all_text(at) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.warning]
    parts += [e.value for e in at.info] + [e.value for e in at.success]
    parts += [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def test_page_lists_every_stretch_and_shows_the_safety_note(fake_webrtc: FakeWebrtc) -> None:
    at = _app()
    picker = at.selectbox(key="live_stretch")
    names = {s.name for s in load_library().values()}
    assert len(names) == 17
    assert set(picker.options) == names
    assert any("Stop if you feel sharp pain" in w.value for w in at.warning)
    # The camera setup and steps for the chosen stretch are spelled out.
    text = _all_text(at)
    assert "Camera:" in text and "Steps" in text and "Dose:" in text
    # Same machine / LAN by default: no ICE servers.
    assert fake_webrtc.calls[-1]["rtc_configuration"] == {"iceServers": []}


def test_ice_servers_come_from_the_environment(
    fake_webrtc: FakeWebrtc, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSECHECK_ICE_SERVERS", '[{"urls": "stun:stun.example.org:3478"}]')
    _app()
    assert fake_webrtc.calls[-1]["rtc_configuration"] == {
        "iceServers": [{"urls": "stun:stun.example.org:3478"}]
    }


def test_bad_ice_setting_is_a_one_line_error(
    fake_webrtc: FakeWebrtc, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSECHECK_ICE_SERVERS", "not json")
    at = _app()
    assert any("POSECHECK_ICE_SERVERS" in e.value for e in at.error)
    assert fake_webrtc.calls[-1]["rtc_configuration"] == {"iceServers": []}


def test_frame_callback_annotates_a_real_frame_and_updates_the_panel(
    fake_webrtc: FakeWebrtc,
) -> None:
    from posecheck.live import LiveStream
    from posecheck.ui import live_view
    from posecheck.video_io import read_image_rgb

    photo = read_image_rgb(footage(CHILDS_POSE_PHOTO))
    at = _app()
    stretches = load_library()
    at.selectbox(key="live_stretch").set_value("kneeling_lumbar_flexion").run()
    fake_webrtc.playing = True
    at.run()
    assert not at.exception, at.exception

    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(photo), format="rgb24")
    out: list[av.VideoFrame] = []
    # The callback runs on a worker thread in the real page.
    worker = threading.Thread(target=lambda: out.append(fake_webrtc.callback(frame)))
    worker.start()
    worker.join(TIMEOUT_S)
    assert out, "the frame callback did not return"
    annotated = out[0].to_ndarray(format="rgb24")
    assert annotated.shape == photo.shape
    # Mirrored by default, with the banner drawn on top.
    banner = (slice(0, 20), slice(None))
    assert not np.array_equal(annotated[banner], photo[:, ::-1][banner])

    stream: LiveStream = at.session_state[live_view.STREAM_KEY]
    snap = stream.session.snapshot()
    assert snap.stretch_name == stretches["kneeling_lumbar_flexion"].name
    assert snap.frames == 1 and snap.person_seen and snap.cue

    at.run()  # the panel shows what the callback saw
    text = _all_text(at)
    assert "Person in view: **yes**" in text
    # The cue is shown under the headline; a tip drops its "Good form." lead.
    assert snap.cue.removeprefix("Good form. ") in text
    # What was measured in the words of the ranges; where a check is not met, what it
    # asks for in plain words.
    line = next(c for c in snap.checks if c.label == "Sitting back on the heels")
    assert line.measured.startswith("bent ") and f"| {line.measured} |" in text
    for c in snap.checks:
        if c.is_tip or c.verdict.is_fault:
            assert f"{'tip' if c.is_tip else 'needs'}: {c.aim} |" in text
        else:
            assert c.aim not in text

    fake_webrtc.playing = False  # STOP: the summary appears
    at.run()
    assert "Your session" in _all_text(at)
    assert "Holds completed: 0 of 3" in _all_text(at)
