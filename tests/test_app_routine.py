"""Routine mode of the live page under AppTest (the WebRTC component stubbed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _footage import _isolated_cache  # noqa: F401
from test_app import _all_text, _app, fake_webrtc

from posecheck import profiles
from posecheck.routines import ROUTINES_DIR

__all__ = ["fake_webrtc"]


@pytest.fixture
def profile_with_routines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profiles"
    monkeypatch.setenv(profiles.PROFILES_ENV, str(folder))
    routines = folder / "jane" / "routines"
    routines.mkdir(parents=True)
    text = (ROUTINES_DIR / "flexion.toml").read_text()
    (routines / "jane_daily.toml").write_text(
        text.replace('id = "flexion"', 'id = "jane_daily"').replace(
            'name = "Flexion in lying and kneeling"', 'name = "Jane daily"'))
    (routines / "broken.toml").write_text(
        text.replace('id = "flexion"', 'id = "broken"').replace("dosage = 2", "dosage = 7"))
    return routines


def test_routine_mode_lists_the_profiles_routines_and_names_a_broken_one(
        fake_webrtc, profile_with_routines: Path) -> None:
    at = _app()
    at.radio(key="live_mode").set_value("Routine").run()
    assert not at.exception, at.exception
    assert at.toggle(key="live_sound").value is True  # sound is on by default
    picker = at.selectbox(key="live_routine")
    assert picker.options == ["Extension and rotation", "Flexion in lying and kneeling"]
    at.selectbox(key="live_profile").set_value("jane").run()
    picker = at.selectbox(key="live_routine")
    assert "Jane daily (jane's)" in picker.options
    errors = [e.value for e in at.error]
    assert any(str(profile_with_routines / "broken.toml") in e and "steps[2].dosage" in e
               for e in errors), errors
    picker.set_value("jane_daily").run()
    text = _all_text(at)
    assert "**Pelvic tilt**: 10 repetitions; side-on to the camera" in text
    assert "then rest 20 s" in text
    settings = at.session_state["posecheck_live_stream"]._settings
    assert settings.routine.id == "jane_daily"
    assert list(settings.routine_stretches) == ["pelvic_tilt", "knee_to_chest",
                                                "double_knee_to_chest",
                                                "kneeling_lumbar_flexion"]
