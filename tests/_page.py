"""Helpers to run the real page: a Streamlit server, Chromium with a fake camera.

Used by the browser tests and by ``benchmarks/soak_live.py``. Nothing here
asserts; callers decide what a failure means.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Several pages in one browser each keep streaming when not in front.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
SERVER_START_S = 60


class PageError(RuntimeError):
    """The page could not be started."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_clip(source: Path, dest: Path, *, start_s: float = 4, length_s: float = 4,
              fps: int = 15) -> Path:
    """A stretch of a phone video at 360x640, as the y4m Chromium's fake camera reads.

    Chromium plays the file in a loop.
    """
    cmd = [
        "ffmpeg", "-v", "error", "-y", "-ss", str(start_s), "-t", str(length_s),
        "-i", str(source), "-vf", f"scale=360:640,fps={fps}", "-pix_fmt", "yuv420p", str(dest),
    ]
    subprocess.run(cmd, check=True, timeout=300)
    return dest


def wait_healthy(port: int, server: subprocess.Popen, log: Path,
                 timeout_s: float = SERVER_START_S) -> None:
    deadline = time.monotonic() + timeout_s
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise PageError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise PageError(f"streamlit did not answer within {timeout_s} s:\n{log.read_text()[-3000:]}")


@contextmanager
def streamlit_server(log: Path, env: dict[str, str] | None = None
                     ) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run app.py`` on a free loopback port; yields (url, process)."""
    port = free_port()
    full_env = dict(os.environ, POSECHECK_OFFLINE="1", **(env or {}))
    full_env.pop("POSECHECK_ICE_SERVERS", None)
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, proc, log)
        yield f"http://127.0.0.1:{port}/", proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)


def skip_without_browser(*, camera: bool = True):  # type: ignore[no-untyped-def]
    """Skip the calling test, with the reason, when Chromium, ffmpeg or Playwright is missing.

    Returns Playwright's sync API. ``camera=False`` for a page test with no
    fake camera (no clip to make, so no ffmpeg).
    """
    import pytest

    if not Path(CHROMIUM).exists():
        pytest.skip(f"headless Chromium not installed ({CHROMIUM}); apt-get install chromium")
    if camera and shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed; apt-get install ffmpeg")
    return pytest.importorskip("playwright.sync_api")


def launch_chromium(pw, clip: Path):
    """Headless Chromium whose fake camera plays ``clip``."""
    return pw.chromium.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={clip}"],
        timeout=60_000,
    )


def choose_stretch(page, name: str, tries: int = 3) -> None:
    """Pick ``name`` in the stretch box (typing filters the list, which is virtualised)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Stretch").first
    for attempt in range(tries):
        box.click()
        page.keyboard.type(name[:20])
        try:
            page.get_by_role("option", name=name).click(timeout=10_000)
            page.get_by_text(f"How to do it: {name}").wait_for(timeout=20_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            if attempt == tries - 1:
                raise


def webrtc_frame(page):
    """The streamlit-webrtc component (START/STOP buttons, the video)."""
    return page.frame_locator('iframe[title*="webrtc"]').first


def thread_count(pid: int) -> int:
    """Threads of a process, from /proc."""
    return len(os.listdir(f"/proc/{pid}/task"))


def thread_names(pid: int) -> list[str]:
    """The name of each thread of a process, from /proc."""
    names = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            names.append(Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip())
        except OSError:
            continue
    return sorted(names)


def mediapipe_threads(pid: int) -> int:
    """How many of a process's threads are MediaPipe's own (each landmarker starts some)."""
    return sum(n.startswith(("drishti", "mediapipe")) for n in thread_names(pid))


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (VmRSS in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise PageError(f"no VmRSS for process {pid}")
