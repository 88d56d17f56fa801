"""The script that hands spoken cues to the browser: fresh ones only, safely quoted."""

from __future__ import annotations

import json
import re

from posecheck.speech import Utterance
from posecheck.ui.speak import script


def _data(html: str) -> dict:
    match = re.search(r"const data = (\{.*?\});\n", html)
    assert match is not None, html
    return json.loads(match.group(1).replace("<\\/", "</"))


def test_only_fresh_utterances_are_handed_over_with_their_numbers() -> None:
    said = [Utterance(1, 0.0, "Good. Hold for 30 seconds", "hold"),
            Utterance(2, 9.0, "10 seconds left", "time_left")]
    data = _data(script(said, "s1", 10.0, muted=False))
    assert data == {"session": "s1", "items": [{"seq": 2, "text": "10 seconds left"}]}


def test_no_cue_text_can_close_the_script() -> None:
    html = script([Utterance(1, 0.0, 'Say "</script><b>hi', "routine")], "s", 0.0, False)
    assert html.count("</script>") == 1
    assert _data(html)["items"][0]["text"] == 'Say "</script><b>hi'


def test_muted_silences_the_page() -> None:
    html = script([Utterance(1, 0.0, "Set done.", "set")], "s", 0.0, muted=True)
    assert "speechSynthesis.cancel()" in html and "Set done" not in html
