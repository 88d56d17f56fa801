"""Pieces the Streamlit views share: the safety note, stretch and profile pickers,
the stretch description, and the WebRTC network settings."""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
from collections.abc import Mapping
from typing import Any

import streamlit as st

from posecheck.errors import PosecheckError
from posecheck.reference import Stretch, load_library, load_stretch

logger = logging.getLogger(__name__)

SAFETY_NOTE = (
    "Stop if you feel sharp pain, numbness, tingling or dizziness. "
    "These stretches do not replace advice from your physiotherapist or doctor."
)
ICE_SERVERS_ENV = "POSECHECK_ICE_SERVERS"
NO_PROFILE = "Standard ranges (no profile)"
URL_STRETCH_PARAM = "stretch"


def safety_note() -> None:
    """The always-visible safety line."""
    st.warning(SAFETY_NOTE, icon=":material/warning:")


@st.cache_data(show_spinner=False)
def _library_cached() -> dict[str, Stretch]:
    return load_library()


def library() -> dict[str, Stretch]:
    """Every shipped stretch by id, sorted by name (cached across reruns)."""
    stretches = _library_cached()
    return dict(sorted(stretches.items(), key=lambda kv: kv[1].name))


def url_stretch(stretches: Mapping[str, Stretch]) -> str | None:
    """The stretch named in the page address (``?stretch=ID``), if it is one.

    An unknown id gets a one-line error naming the closest id; the page then
    carries on with its usual first stretch.
    """
    wanted = st.query_params.get(URL_STRETCH_PARAM)
    if wanted is None or wanted in stretches:
        return wanted
    shown = re.sub(r"[^A-Za-z0-9_.-]", "?", wanted)[:40]  # echoed safely, not as markdown
    match = difflib.get_close_matches(wanted, list(stretches), n=1, cutoff=0.5)
    hint = f" (did you mean {match[0]}?)" if match else ""
    st.error(f"The page address names no stretch called \"{shown}\"{hint}. "
             "Choose one in the Stretch box.")
    return None


def stretch_picker(key: str, label: str = "Stretch", default_id: str | None = None,
                   *, from_url: bool = False) -> str:
    """A select box listing every stretch by name; returns the chosen id.

    ``from_url``: start on the stretch named in the address (``?stretch=ID``).
    """
    stretches = library()
    ids = list(stretches)
    if from_url and key not in st.session_state:
        default_id = url_stretch(stretches) or default_id
    index = ids.index(default_id) if default_id in ids else 0
    return st.selectbox(
        label, ids, index=index, key=key, format_func=lambda sid: stretches[sid].name
    )


def dosage_picker(stretch: Stretch, key: str) -> int:
    """A radio of the stretch's dosage options (nothing shown when there is one)."""
    if len(stretch.dosages) == 1:
        return 0
    return st.radio(
        "How to do it",
        list(range(len(stretch.dosages))),
        format_func=lambda i: stretch.dosages[i].describe(),
        key=key,
        horizontal=True,
    )


def _profiles_module() -> Any | None:
    try:
        from posecheck import profiles
    except ModuleNotFoundError:
        return None
    return profiles


def profile_picker(key: str) -> str | None:
    """Tuned ranges to use (a patient's or clinic's profile), or None for the shipped ones."""
    profiles = _profiles_module()
    if profiles is None:
        return None
    try:
        names = profiles.list_profiles()
    except (OSError, PosecheckError) as exc:
        st.caption(f"Profiles are not available: {exc}")
        return None
    if not names:
        return None
    choice = st.selectbox(
        "Profile (tuned ranges)", [NO_PROFILE, *names], key=key,
        help="A physiotherapist can tune the angle ranges for one person or clinic.",
    )
    return None if choice == NO_PROFILE else choice


def resolve_stretch(stretch_id: str, profile: str | None) -> Stretch:
    """The stretch to check against, with the profile's ranges when one is chosen."""
    profiles = _profiles_module()
    if profiles is not None:
        return profiles.resolve_stretch(stretch_id, profile)
    return load_stretch(stretch_id)


def describe_stretch(stretch: Stretch, dosage_index: int = 0) -> None:
    """Summary, camera setup, steps, dosage and safety in plain words."""
    st.markdown(f"**{stretch.summary}**")
    view = "from the side (side-on)" if stretch.view == "side" else "from the front"
    st.markdown(f"**Camera:** the camera sees you {view}. {stretch.setup}")
    st.markdown(f"**Dose:** {stretch.dosages[dosage_index].describe()}")
    st.markdown("**Steps**")
    st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(stretch.instructions, 1)))
    if stretch.safety:
        st.markdown("**Safety**")
        st.markdown("\n".join(f"- {note}" for note in stretch.safety))


# ---------------------------------------------------------------- WebRTC network


class IceServerError(PosecheckError):
    """The STUN/TURN setting could not be read."""


def parse_ice_servers(text: str) -> list[dict[str, Any]]:
    """ICE servers from JSON: a list of {"urls": ..., "username"?, "credential"?}."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IceServerError(f"{ICE_SERVERS_ENV} is not valid JSON: {exc}") from exc
    if isinstance(value, dict) and "iceServers" in value:
        value = value["iceServers"]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(s, dict) and "urls" in s for s in value
    ):
        raise IceServerError(
            f'{ICE_SERVERS_ENV} must be a JSON list like [{{"urls": "stun:host:3478"}}]'
        )
    return value


def _secret_ice_servers() -> list[dict[str, Any]] | None:
    try:
        servers = st.secrets.get("ice_servers")
    except (FileNotFoundError, KeyError, st.errors.StreamlitAPIException):
        return None
    if servers is None:
        return None
    out = []
    for s in servers:
        out.append(dict(s) if isinstance(s, Mapping) else s)
    return out


def rtc_configuration(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The WebRTC configuration: no ICE servers (same machine / LAN) unless configured.

    ``POSECHECK_ICE_SERVERS`` (JSON) or the Streamlit secret ``ice_servers``
    supply STUN/TURN servers for use across the internet.
    """
    env = os.environ if environ is None else environ
    text = env.get(ICE_SERVERS_ENV, "").strip()
    if text:
        return {"iceServers": parse_ice_servers(text)}
    servers = _secret_ice_servers()
    return {"iceServers": servers or []}
