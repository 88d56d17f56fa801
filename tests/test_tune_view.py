"""The tuning page, driven headless with Streamlit's AppTest on a landmark cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthetic import Limbs, SidePose

from posecheck import profiles
from posecheck.landmark_cache import PoseSequence, landmark_cache_dir, save_sequence

STRETCH = "kneeling_lumbar_flexion"
SCRIPT = """
from posecheck.ui import tune_view
tune_view.render()
"""


def _child_pose(wobble_deg: float) -> SidePose:
    """Kneeling, sitting back on the heels, chest low, arms forward (facing image-right)."""
    return SidePose(
        trunk=15 + wobble_deg,
        near=Limbs(thigh=300, shin=180, foot=180, upper_arm=10, forearm=5),
    )


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POSECHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(profiles.PROFILES_ENV, str(tmp_path / "profiles"))
    t = np.arange(0, 8, 1 / 15)
    poses = [_child_pose(2 * np.sin(x)).build() for x in t]
    seq = PoseSequence(
        timestamps_s=t, poses=poses, frame_size=poses[0].image_size, model_id="synthetic",
        from_cache=False, source=tmp_path / "gone.mp4", fingerprint="x",
        analysis_size=poses[0].image_size,
    )
    save_sequence(seq, landmark_cache_dir() / "demo-0123456789abcdef.npz")
    script = tmp_path / "tune_app.py"
    script.write_text(SCRIPT)
    return script


def test_tune_view_loads_a_cache_compares_and_saves(env: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(env), default_timeout=60)
    at.run()
    assert not at.exception
    at.selectbox(key="tune_stretch").set_value(STRETCH)
    at.selectbox(key="tune_profile").set_value("New profile…").run()
    at.text_input(key="tune_new_profile").input("clinic_a").run()
    caches = at.multiselect(key="tune_caches")
    assert len(caches.options) == 1 and "demo" in caches.options[0]
    caches.select(caches.options[0]).run()
    assert not at.exception, [e.value for e in at.exception]

    sliders = {s.key: s for s in at.slider}
    key = f"tune_range_{STRETCH}_clinic_a_sit_back"
    assert key in sliders
    assert len(at.dataframe) == 2
    table = at.dataframe[0].value
    assert list(table["ranges"])[:2] == ["standard", "current edit"]
    # The same ranges judged on the labelled set of real footage.
    labelled = at.dataframe[1].value
    assert list(labelled["ranges"])[:2] == ["standard", "current edit"]
    agree, items = (int(x) for x in labelled["agreement"][0].split("/"))
    assert 0 < agree <= items
    # The heading counts the same answers as the table.
    heading = next(m.value for m in at.markdown if "On the labelled set" in m.value)
    assert f"({items} answers in all;" in heading, heading
    # The page speaks of checks by their names, not by the ids in the files.
    words = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "`sit_back`" not in words and "shipped" not in words
    assert "landmark cache" not in " ".join(str(c.label) for c in at.multiselect)
    shipped_max = profiles.resolve_stretch(STRETCH).check("sit_back").max
    assert shipped_max is not None
    sliders[key].set_value(shipped_max + 7).run()
    assert not at.exception
    at.checkbox(key=f"{key}_worst").check().run()
    assert not at.exception
    assert any("Worst frame" in c.value for c in at.caption)

    at.button(key="tune_save").click().run()
    assert not at.exception and not at.error
    assert any("Saved to profile 'clinic_a'" in s.value for s in at.success)
    tuned = profiles.resolve_stretch(STRETCH, "clinic_a")
    assert tuned.check("sit_back").max == shipped_max + 7

    at.button(key="tune_reset").click().run()
    assert not at.exception
    assert profiles.profile_overrides("clinic_a", STRETCH) == {}


def _open_with_demo(env: Path, stretch_id: str):
    """The tuning page on ``stretch_id`` with the cached demonstration loaded."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(env), default_timeout=60)
    at.run()
    at.selectbox(key="tune_stretch").set_value(stretch_id)
    caches = at.multiselect(key="tune_caches")
    caches.select(caches.options[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_tune_view_shows_an_invalid_edit_as_an_error(env: Path) -> None:
    at = _open_with_demo(env, "pelvic_tilt")
    profile_key = at.selectbox(key="tune_profile").value
    key = f"tune_range_pelvic_tilt_{'' if profile_key == 'New profile…' else profile_key}_tilt"
    at.slider(key=key).set_value(0.5).run()
    assert any("return_at" in e.value for e in at.error)
    assert at.button(key="tune_save").disabled


def test_each_range_shows_what_the_patient_reads(env: Path) -> None:
    """Degrees for the physiotherapist, and beside each slider the words the patient gets."""
    at = _open_with_demo(env, "pelvic_tilt")
    captions = [c.value for c in at.caption]
    assert ("The patient reads: Hips no higher than a quarter of your trunk length above "
            "the line from your shoulders to your feet") in captions
    assert "The patient reads: Hip opening at least 2° from its resting angle" in captions
    profile_key = at.selectbox(key="tune_profile").value
    key = f"tune_range_pelvic_tilt_{'' if profile_key == 'New profile…' else profile_key}_tilt"
    at.slider(key=key).set_value(3.0).run()
    assert "The patient reads: Hip opening at least 3° from its resting angle" in [
        c.value for c in at.caption]


def test_a_demonstration_of_another_stretch_offers_to_switch(env: Path) -> None:
    at = _open_with_demo(env, "back_over_pillow")
    warning = " ".join(w.value for w in at.warning)
    assert "looks like Kneeling lumbar flexion (child's pose)" in warning
    at.button(key="tune_switch").click().run()
    assert not at.exception
    assert at.selectbox(key="tune_stretch").value == STRETCH
    assert not [w for w in at.warning if "looks like" in w.value]
