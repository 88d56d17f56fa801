"""Hand the spoken cues to the browser's own speech synthesis.

The words are decided on the server (:mod:`posecheck.speech`); this writes a
small script into the page that passes each new utterance to
``window.speechSynthesis``. Nothing leaves the machine: the browser speaks
with its own voices. Each utterance has a number, and the page remembers the
last number it spoke (per live session), so a panel redrawn every second
never says anything twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import streamlit as st

from posecheck.speech import Utterance

# Only what was decided this recently is spoken (after unmuting, old cues are not).
FRESH_S = 4.0


def script(utterances: Sequence[Utterance], session_id: str, now_s: float | None,
           muted: bool) -> str:
    """The script that speaks the new utterances (or silences the page when muted)."""
    if muted:
        return "<script>window.speechSynthesis && window.speechSynthesis.cancel();</script>"
    fresh = [{"seq": u.seq, "text": u.text} for u in utterances
             if now_s is None or now_s - u.t_s <= FRESH_S]
    # json.dumps escapes quotes; "</" is escaped so no text can close the script tag.
    data = json.dumps({"session": session_id, "items": fresh}).replace("</", "<\\/")
    return f"""<script>
(function () {{
  const data = {data};
  const synth = window.speechSynthesis;
  if (!synth || typeof SpeechSynthesisUtterance === "undefined") return;
  if (window.__posecheckSpeechSession !== data.session) {{
    window.__posecheckSpeechSession = data.session;
    window.__posecheckSpokenSeq = 0;
  }}
  for (const item of data.items) {{
    if (item.seq <= window.__posecheckSpokenSeq) continue;
    window.__posecheckSpokenSeq = item.seq;
    const u = new SpeechSynthesisUtterance(item.text);
    u.rate = 1.0;
    synth.speak(u);
  }}
}})();
</script>"""


def speak(utterances: Sequence[Utterance], session_id: str, now_s: float | None,
          muted: bool) -> None:
    """Write the speaking script into the page (takes no visible space)."""
    st.html(script(utterances, session_id, now_s, muted), unsafe_allow_javascript=True)
