"""The tuning page: set a stretch's angle ranges from demonstration recordings.

A physiotherapist picks a stretch and a profile, loads recordings of the
stretch done the way they want it (videos, or landmark caches already made),
and for each check sees the distribution of its measure over the held part,
the shipped range, the current edit and a proposal; moving a slider shows at
once how many frames and holds pass under each. Edits are validated like a
reference file and saved into the profile, never into the shipped library.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from posecheck import evaluation, profiles, set_landmarks, tuning
from posecheck.errors import PosecheckError
from posecheck.labelled_set import DEVSET_LABELS, LabelledSet, load_labelled_set
from posecheck.range_words import plain_range
from posecheck.reference import Check, Stretch
from posecheck.ui import common

logger = logging.getLogger(__name__)

NEW_PROFILE = "New profile…"
_KEY = "tune"
# What each kind of check does, in the words of the page.
ROLE_WORDS = {
    "position": "position: met once the person is in the stretch",
    "form": "form: a fault while in the stretch",
    "safety": "safety: pushing too far",
    "view": "camera: whether the camera sees the body well enough",
}


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- recordings


def _cache_root() -> Path:
    from posecheck.landmark_cache import landmark_cache_dir

    return landmark_cache_dir()


def _cached_files() -> list[Path]:
    root = _cache_root()
    return sorted(root.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True) \
        if root.is_dir() else []


def _cache_label(path: Path) -> str:
    stem = path.stem.rsplit("-", 1)[0]
    return f"{stem} ({path.name})"


def _loaded() -> dict[str, Any]:
    """Recordings loaded this session: label -> PoseSequence."""
    return st.session_state.setdefault(f"{_KEY}_sequences", {})


def _load_cache(path: Path) -> Any:
    from posecheck.landmark_cache import load_sequence

    key = f"cache:{path}"
    store = _loaded()
    if key not in store:
        try:
            store[key] = load_sequence(path)
        except ValueError as exc:
            raise PosecheckError(str(exc)) from None
    return store[key]


def _load_upload(upload: Any) -> Any:
    """Save an uploaded video where its landmark cache stays valid, then estimate it."""
    from posecheck.landmark_cache import load_or_estimate

    data = upload.getbuffer()
    digest = hashlib.sha256(data).hexdigest()[:16]
    key = f"upload:{digest}"
    store = _loaded()
    if key not in store:
        folder = _cache_root().parent / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        video = folder / f"{digest}-{Path(upload.name).name}"
        if not video.is_file():
            video.write_bytes(data)
        bar = st.progress(0.0, text=f"Finding the body in {upload.name}…")

        def progress(done: int, total: int | None) -> None:
            if total:
                bar.progress(min(1.0, done / total), text=f"Finding the body in {upload.name}…")

        store[key] = load_or_estimate(video, progress=progress)
        bar.empty()
    return store[key]


def _recordings() -> tuple[list[Any], list[str]]:
    """The demonstration recordings chosen on the page, with their names."""
    st.subheader("1. Demonstration recordings")
    st.caption("Record the stretch done the way you want it, side-on or facing the camera as "
               "the stretch asks. Several recordings (or people) give a fairer range.")
    uploads = st.file_uploader(
        "Upload videos", type=["mp4", "mov", "m4v", "webm", "mkv", "avi"],
        accept_multiple_files=True, key=f"{_KEY}_upload",
    )
    caches = _cached_files()
    chosen = st.multiselect(
        "…or pick recordings already analysed on this computer", caches,
        format_func=_cache_label, key=f"{_KEY}_caches",
    )
    sequences, names = [], []
    for path in chosen:
        try:
            sequences.append(_load_cache(Path(path)))
            names.append(_cache_label(Path(path)).split(" (")[0])
        except PosecheckError as exc:
            st.error(f"{Path(path).name} could not be read: {exc}")
    for upload in uploads or []:
        try:
            sequences.append(_load_upload(upload))
            names.append(upload.name)
        except PosecheckError as exc:
            st.error(f"{upload.name} could not be used: {exc}")
    return sequences, names


# ---------------------------------------------------------------- profile


def _profile_picker() -> str | None:
    names = profiles.list_profiles()
    choice = st.selectbox("Profile to tune", [*names, NEW_PROFILE], key=f"{_KEY}_profile",
                          help="Tuned ranges are kept in a profile (one per patient or "
                          "clinic); the standard ranges that come with posecheck are not changed.")
    if choice != NEW_PROFILE:
        return choice
    name = st.text_input("New profile name", key=f"{_KEY}_new_profile",
                         placeholder="e.g. clinic_a or jane-doe").strip()
    if not name:
        st.info("Name the new profile to save edits into it.")
        return None
    try:
        return profiles.validate_profile_name(name)
    except PosecheckError as exc:
        st.error(str(exc))
        return None


# ---------------------------------------------------------------- per check


def _slider_bounds(check: Check, shipped: Check, values: np.ndarray,
                   proposal: tuning.Proposal) -> tuple[float, float]:
    low, high = tuning.measure_reach(check)
    known = [v for v in (check.min, check.max, shipped.min, shipped.max, proposal.min,
                         proposal.max) if v is not None]
    if values.size:
        known += [float(np.nanmin(values)), float(np.nanmax(values))]
    pad = 20.0 if check.measure.unit == "deg" and not check.relative else 5.0
    lo = min(known) - pad if low is None else max(low, min(known) - 2 * pad)
    hi = max(known) + pad if high is None else min(high, max(known) + 2 * pad)
    return float(np.floor(lo)), float(np.ceil(hi))


def _slider_key(stretch_id: str, profile: str | None, check_id: str) -> str:
    return f"{_KEY}_range_{stretch_id}_{profile or ''}_{check_id}"


def _range_slider(check: Check, base: Check, bounds: tuple[float, float], key: str
                  ) -> tuple[float | None, float | None]:
    lo, hi = bounds
    unit = "°" if check.measure.unit == "deg" else " %"
    if key not in st.session_state:
        if base.min is not None and base.max is not None:
            st.session_state[key] = (float(base.min), float(base.max))
        else:
            st.session_state[key] = float(base.min if base.min is not None else base.max)
    if base.min is not None and base.max is not None:
        a, b = st.slider(f"Range ({unit.strip()})", lo, hi, step=0.5, key=key)
        return float(a), float(b)
    label = f"Lowest allowed ({unit.strip()})" if base.min is not None \
        else f"Highest allowed ({unit.strip()})"
    value = float(st.slider(label, lo, hi, step=0.5, key=key))
    return (value, None) if base.min is not None else (None, value)


def _histogram(check: Check, values_by_run: Sequence[np.ndarray], names: Sequence[str],
               shipped: Check, edit: tuple[float | None, float | None],
               proposal: tuning.Proposal, bounds: tuple[float, float]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 2.2), dpi=100)
    lo, hi = bounds
    ax.axvspan(edit[0] if edit[0] is not None else lo, edit[1] if edit[1] is not None else hi,
               color="#2ca25f", alpha=0.18, label="current edit (allowed)")
    data = [v for v in values_by_run if v.size]
    if data:
        bins = np.linspace(lo, hi, max(10, min(60, int((hi - lo) / 1.0))))
        ax.hist(data, bins=bins, stacked=True, label=[n for n, v in zip(names, values_by_run,
                                                                          strict=True) if v.size],
                color=plt.cm.tab10.colors[: len(data)])
    else:
        ax.text(0.5, 0.5, "no held frames", transform=ax.transAxes, ha="center", va="center",
                color="#666")
    for value in (shipped.min, shipped.max):
        if value is not None:
            ax.axvline(value, color="#444", linestyle="--", linewidth=1.2)
    for value in (proposal.min, proposal.max):
        if value is not None:
            ax.axvline(value, color="#d95f02", linestyle=":", linewidth=2)
    ax.plot([], [], color="#444", linestyle="--", label="standard")
    if proposal.ok:
        ax.plot([], [], color="#d95f02", linestyle=":", linewidth=2, label="proposal")
    ax.set_xlim(lo, hi)
    ax.set_xlabel(f"{check.label} ({'degrees' if check.measure.unit == 'deg' else '% torso'})")
    ax.set_ylabel("held frames")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def _worst_image(sequences: Sequence[Any], stretch: Stretch, worst: tuning.WorstFrame
                 ) -> np.ndarray:
    """The worst frame with its feedback overlay; the skeleton on grey without the video."""
    from posecheck.engine import StretchChecker
    from posecheck.overlay import draw_feedback

    seq = sequences[worst.run_index]
    checker = StretchChecker(stretch)
    result = None
    for pose, t_s in zip(seq.poses[: worst.frame_index + 1],
                         seq.timestamps_s[: worst.frame_index + 1], strict=True):
        result = checker.update(pose, float(t_s))
    assert result is not None
    frame = None
    source = Path(getattr(seq, "source", ""))
    if source.is_file():
        from posecheck.video_io import iter_video_frames

        try:
            for rgb, _t in iter_video_frames(source, start_s=max(0.0, worst.t_s - 0.02),
                                             max_side_px=960):
                frame = rgb
                break
        except PosecheckError as exc:
            logger.warning("cannot re-read %s: %s", source, exc)
    if frame is None:
        w, h = seq.frame_size
        scale = min(1.0, 960 / max(w, h))
        frame = np.full((round(h * scale), round(w * scale), 3), 60, dtype=np.uint8)
    return draw_feedback(frame, result, stretch)


def _show_worst(sequences: Sequence[Any], names: Sequence[str], base: Stretch,
                runs: Sequence[tuning.Run], check: Check,
                rng: tuple[float | None, float | None]) -> None:
    """The held frame where ``check`` is farthest outside ``rng``, with its overlay."""
    edited = tuning.apply_overrides(base, {check.id: rng})
    w = tuning.worst_frame(runs, base, check.id, rng)
    if w is None:
        st.caption("This check was never measured in these recordings.")
        return
    unit = "°" if check.measure.unit == "deg" else " %"
    where = "outside the range by" if w.excess > 0 else "inside the range, by"
    st.caption(f"Worst frame: {names[w.run_index]} at {w.t_s:.1f} s, "
               f"{w.value:.1f}{unit}, {where} {abs(w.excess):.1f}{unit}")
    try:
        st.image(_png_data_url(_worst_image(sequences, edited, w)), width=480)
    except (PosecheckError, ImportError, ValueError) as exc:
        st.caption(f"The frame cannot be shown: {exc}")


def _png_data_url(image: Any) -> str:
    """A matplotlib figure or RGB array as an inline PNG.

    Inline data keeps the page working where the media file server cannot
    deliver files (seen with some Streamlit/Starlette versions).
    """
    buf = io.BytesIO()
    if isinstance(image, np.ndarray):
        from PIL import Image

        Image.fromarray(image).save(buf, format="PNG")
    else:
        import matplotlib.pyplot as plt

        image.savefig(buf, format="png")
        plt.close(image)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _slider_value(p: tuning.Proposal) -> Any:
    if p.min is not None and p.max is not None:
        return (p.min, p.max)
    return p.min if p.min is not None else p.max


def _set_state(values: dict[str, Any]) -> None:
    for key, value in values.items():
        st.session_state[key] = value


# ---------------------------------------------------------------- comparison


def _comparison_rows(evaluations: dict[str, tuning.Evaluation], stretch: Stretch
                     ) -> list[dict[str, str]]:
    rows = []
    for label, ev in evaluations.items():
        row = {"ranges": label}
        for c in stretch.checks:
            cc = ev.checks[c.id]
            row[c.label] = f"{cc.frames_ok}/{cc.frames_known}" if cc.frames_known else "—"
        row["good form (frames)"] = f"{ev.frames_good}/{ev.frames}"
        if ev.kind == "hold":
            row[f"holds of {ev.hold_target_s:g} s"] = str(ev.holds_done)
            row["longest hold"] = f"{ev.longest_hold_s:.1f} s"
        else:
            row["good reps"] = f"{ev.reps_good} of {ev.reps_total}"
        rows.append(row)
    return rows


# ---------------------------------------------------------------- page


def _switch_stretch(stretch_id: str) -> None:
    st.session_state[f"{_KEY}_stretch"] = stretch_id


def _suggest_other_stretch(sequences: Sequence[Any], names: Sequence[str],
                           stretch_id: str) -> None:
    """No held frame at all: say which stretch the recordings look like, offer to switch."""
    from posecheck.video_analysis import recognize_poses

    library = common.library()
    for sequence, name in zip(sequences, names, strict=True):
        seen = recognize_poses(sequence.timestamps_s, sequence.poses)
        if seen.stretch_id is not None and seen.stretch_id != stretch_id:
            other = library[seen.stretch_id].name
            st.warning(f"\"{name}\" is never in the position of {library[stretch_id].name}: "
                       f"it looks like {other}.")
            st.button(f"Switch to {other}", key=f"{_KEY}_switch", on_click=_switch_stretch,
                      args=(seen.stretch_id,))
            return
    st.warning(f"The recordings are never in the position of {library[stretch_id].name}, so "
               "there is nothing to propose from. Check the stretch chosen above.")


@st.cache_resource(show_spinner=False)
def _devset() -> tuple[LabelledSet, dict, dict] | None:
    """The project's labelled set and its stored landmarks, loaded once per server."""
    if not DEVSET_LABELS.is_file():
        return None
    labels = load_labelled_set(DEVSET_LABELS)
    photos, clips = set_landmarks.load_all(labels)
    return labels, photos, clips


def _labelled_set_section(shipped: Stretch,
                          configs: dict[str, dict[str, tuple[float | None, float | None]]]
                          ) -> None:
    """Agreement on the labelled photos and clips under each set of ranges."""
    loaded = _devset()
    if loaded is None:
        return
    labels, photos, clips = loaded
    items = tuple(i for i in labels.items if i.stretch == shipped.id)
    if not items:
        return
    photos_n = sum(i.kind == "photo" for i in items)
    parts_n = sum(len(i.segments) for i in items if i.kind != "photo")
    clips_n = len(items) - photos_n
    st.markdown(f"**On the labelled set**: {_count(photos_n, 'photo')} and "
                f"{_count(parts_n, 'labelled part')} of {_count(clips_n, 'clip')} of real "
                f"people for {shipped.name}, each with its expected answer set by eye "
                f"({photos_n + parts_n} answers in all; `posecheck eval` gives every "
                "stretch)")
    subset = LabelledSet(labels.path, items)
    rows, detail = [], ""
    for name, ranges in configs.items():
        stretch = tuning.apply_overrides(shipped, ranges)
        outcomes = evaluation.evaluate(subset, {shipped.id: stretch}, photos, clips)
        m = evaluation.Metrics.of(outcomes)
        rows.append({
            "ranges": name,
            "agreement": f"{m.agree}/{m.items}",
            "correct form rejected": f"{m.false_alarms}/{m.good}",
            "asked for a better view": f"{m.good_abstained}/{m.good}",
            "faults and look-alikes accepted": f"{m.misses}/{m.bad}",
        })
        if name == "current edit":
            detail = evaluation.format_disagreements(outcomes)
    st.dataframe(rows, hide_index=True, width="stretch")
    with st.expander("Every disagreement under the current edit"):
        st.markdown(detail or "None: every item gets the expected answer.")


def render() -> None:
    """Draw the tuning page."""
    st.header("Tune the angle ranges")
    st.write("Every body is different. Load recordings of a stretch done well, see what "
             "each check measured, and set the ranges for a patient or a clinic. Changes "
             "go into a profile; the standard ranges stay as they are.")
    left, right = st.columns(2)
    with left:
        stretch_id = common.stretch_picker(f"{_KEY}_stretch")
    with right:
        profile = _profile_picker()
    try:
        shipped = profiles.resolve_stretch(stretch_id)
        base = profiles.resolve_stretch(stretch_id, profile, must_exist=False) \
            if profile else shipped
    except PosecheckError as exc:
        st.error(str(exc))
        return

    sequences, names = _recordings()
    if not sequences:
        st.info("Load at least one recording to see the measures and a proposal.")
        return

    st.subheader("2. Ranges")
    margin_col, widen_col = st.columns(2)
    margin = margin_col.number_input(
        "Proposal margin (degrees, or % for heights)", 0.0, 30.0, tuning.DEFAULT_MARGIN, 0.5,
        key=f"{_KEY}_margin",
        help="The proposal covers the 5th to 95th percentile of the held frames, widened "
        "by this much on each side.",
    )
    widen_only = widen_col.checkbox("Only loosen ranges", key=f"{_KEY}_widen",
                             help="Keep a bound where the demonstration stays inside it.")
    st.caption("The held part: frames where the person is seen, the other position checks "
               "pass and the body is still. A position check is looked for at most "
               f"{tuning.SEARCH:g}° beyond its range, so the start position is not taken "
               "for the stretch.")
    base_runs = [tuning.run_engine(s, base, n) for s, n in zip(sequences, names, strict=True)]
    proposals = tuning.propose_all(base_runs, base, margin, widen_only=widen_only)
    if not any(p.ok for p in proposals.values()):
        _suggest_other_stretch(sequences, names, stretch_id)

    all_values = {_slider_key(stretch_id, profile, c.id): _slider_value(proposals[c.id])
                  for c in base.checks if proposals[c.id].ok}
    st.button("Use every proposal", key=f"{_KEY}_use_all", on_click=_set_state,
              args=(all_values,), disabled=not all_values)

    edit: dict[str, tuple[float | None, float | None]] = {}
    for c in base.checks:
        s_check = shipped.check(c.id)
        p = proposals[c.id]
        per_run = [r.values[c.id][tuning.held_mask(r, base, c.id)] for r in base_runs]
        values = np.concatenate(per_run) if per_run else np.zeros(0)
        bounds = _slider_bounds(c, s_check, values, p)
        unit = c.measure.unit
        with st.container(border=True):
            st.markdown(f"**{c.label}** · {ROLE_WORDS[c.role]}"
                        + ("" if c.required else ", advice only"))
            info = (f"standard {tuning.format_range(s_check.min, s_check.max, unit)} · "
                    f"{'profile' if profile else 'current'} "
                    f"{tuning.format_range(c.min, c.max, unit)} · ")
            if p.ok:
                info += (f"proposal **{tuning.format_range(p.min, p.max, unit)}** "
                         f"from {p.samples} held frames")
            else:
                info += f"no proposal: {p.reason}"
            st.markdown(info)
            chart, controls = st.columns([3, 2])
            with controls:
                key = _slider_key(stretch_id, profile, c.id)
                rng = _range_slider(c, c, bounds, key)
                edit[c.id] = rng
                if p.ok:
                    st.button("Use proposal", key=f"{key}_use", on_click=_set_state,
                              args=({key: _slider_value(p)},))
                show_worst = st.checkbox("Show the worst frame", key=f"{key}_worst")
            with chart:
                fig = _histogram(c, per_run, names, s_check, rng, p, bounds)
                st.image(_png_data_url(fig), width="stretch")
            if show_worst:
                _show_worst(sequences, names, base, base_runs, c, rng)
            low, high = rng
            if low is not None or high is not None:
                st.caption("The patient reads: " + plain_range(c.with_range(low, high)))


    st.subheader("3. Compare on these recordings")
    invalid = None
    try:
        profiles.validate_overrides(stretch_id, edit, label="current edit")
    except PosecheckError as exc:
        invalid = str(exc)
        st.error(f"This edit cannot be saved: {exc}")
    configs: dict[str, dict[str, tuple[float | None, float | None]]] = {
        "standard": tuning.ranges_of(shipped),
    }
    if profile and tuning.ranges_of(base) != tuning.ranges_of(shipped):
        configs[f"profile {profile} (saved)"] = tuning.ranges_of(base)
    configs["current edit"] = edit
    configs["proposal"] = {**tuning.ranges_of(base), **tuning.proposal_overrides(proposals)}
    evaluations = tuning.compare_ranges(sequences, shipped, configs, names)
    st.dataframe(_comparison_rows(evaluations, shipped), hide_index=True,
                 width="stretch")
    st.caption("Each check: frames within the range / frames it was measured. Good form: "
               "frames where every required check passes (the hold timer runs).")

    _labelled_set_section(shipped, configs)

    st.subheader("4. Save")
    save, reset = st.columns(2)
    with save:
        if st.button("Save to profile", type="primary", disabled=profile is None or bool(invalid),
                     key=f"{_KEY}_save"):
            assert profile is not None
            try:
                profiles.create_profile(profile)
                path = profiles.save_overrides(profile, stretch_id, edit)
            except PosecheckError as exc:
                st.error(str(exc))
            else:
                st.session_state[f"{_KEY}_saved"] = (
                    f"Saved to profile '{profile}' ({path})" if path else
                    f"The edit equals the standard ranges: profile '{profile}' keeps none "
                    f"for this stretch.")
                st.rerun()
    with reset:
        can_reset = profile is not None and profile in profiles.list_profiles()
        if st.button("Reset this stretch to the standard ranges", disabled=not can_reset,
                     key=f"{_KEY}_reset"):
            assert profile is not None
            profiles.reset(profile, stretch_id)
            for c in base.checks:
                st.session_state.pop(_slider_key(stretch_id, profile, c.id), None)
            st.session_state[f"{_KEY}_saved"] = (
                f"Profile '{profile}' uses the standard ranges for {shipped.name} again.")
            st.rerun()
    message = st.session_state.pop(f"{_KEY}_saved", None)
    if message:
        st.success(message)
