"""Several live sessions at once on one server, in real headless Chromium.

Starts ``streamlit run app.py`` and opens the live page in one headless
Chromium per session, each with its own fake camera (a stretch of a shared
phone video) and its own stretch. The sessions are started one after the
other, each once the one before sees its person (each builds its own
landmarker). Then, for ``--minutes``, it reads every few seconds the frames
per second each page reports, and prints per session the median, the
lowest, how often its stream ended by itself, and any error the page showed,
with the server's resident memory and the errors in its log.

    .venv/bin/python benchmarks/bench_sessions.py [--sessions 4] [--minutes 3]
        [--camera-fps 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _page import (
    choose_stretch,
    launch_chromium,
    make_clip,
    mediapipe_threads,
    rss_mb,
    streamlit_server,
    webrtc_frame,
)
from soak_live import FOOTAGE, error_lines, page_error, page_fps, prepared_workdir

# Each session: the stretch it checks and the clip its camera loops. The
# pelvic-tilt clip serves twice, checked as two different stretches.
SESSIONS = [
    ("Kneeling lumbar flexion (child's pose)", "kneeling_lumbar_flexion/polybag_child_pose.mp4"),
    ("Bird dog", "bird_dog/polybag_bird_dog.mp4"),
    ("Pelvic tilt", "pelvic_tilt/polybag_pelvic_tilt.mp4"),
    ("Bridge", "pelvic_tilt/polybag_pelvic_tilt.mp4"),
]
READ_EVERY_S = 5.0


@dataclass
class Session:
    stretch: str
    clip: str
    page: object = None
    fps: list[float] = field(default_factory=list)
    drops: list[float] = field(default_factory=list)  # minutes at which the stream ended
    errors: list[str] = field(default_factory=list)


def start(session: Session, t0: float, detect_s: float) -> None:
    page = session.page
    webrtc_frame(page).get_by_role("button", name="START").click()
    page.get_by_text("Person in view").wait_for(timeout=detect_s * 1000)
    print(f"  {session.stretch}: streaming after {time.monotonic() - t0:.0f} s", flush=True)


def read(session: Session, minute: float) -> None:
    page = session.page
    fps = page_fps(page)
    if fps is not None:
        session.fps.append(fps)
    elif page.get_by_text("Your session").count():
        session.drops.append(minute)
        print(f"  {session.stretch}: the stream ended by itself at minute {minute:.1f}; "
              "pressing START again", flush=True)
        try:
            webrtc_frame(page).get_by_role("button", name="START").click(timeout=20_000)
        except Exception as exc:
            session.errors.append(f"minute {minute:.1f}: START again failed "
                                  f"({type(exc).__name__})")
    err = page_error(page)
    if err:
        session.errors.append(f"minute {minute:.1f}: {err}")


def run(n: int, minutes: float, camera_fps: int, workdir: Path, detect_s: float
        ) -> tuple[list[Session], dict[str, float], list[str]]:
    from playwright.sync_api import sync_playwright

    sessions = [Session(stretch, clip) for stretch, clip in (SESSIONS * 2)[:n]]
    cameras: dict[str, Path] = {}
    for s in sessions:
        if s.clip not in cameras:
            cameras[s.clip] = make_clip(FOOTAGE / s.clip, workdir / f"{Path(s.clip).stem}.y4m",
                                        start_s=2, length_s=12, fps=camera_fps)
    log = workdir / "streamlit.log"
    server: dict[str, float] = {}
    browsers = []
    console = (workdir / "console.log").open("w")
    with streamlit_server(log) as (url, proc), sync_playwright() as pw:
        try:
            server["mediapipe_threads_before"] = mediapipe_threads(proc.pid)
            for s in sessions:
                browser = launch_chromium(pw, cameras[s.clip])
                browsers.append(browser)
                s.page = browser.new_page(viewport={"width": 1280, "height": 900})
                number = len(browsers)
                s.page.on("console", lambda msg, i=number: console.write(
                    f"{time.strftime('%H:%M:%S')} session {i} {msg.type}: {msg.text}\n"))
                s.page.set_default_timeout(90_000)
                s.page.goto(url, timeout=90_000)
                s.page.get_by_role("heading", name="Live check").wait_for()
                choose_stretch(s.page, s.stretch)
            t0 = time.monotonic()
            print(f"starting {n} session(s), one after the other:", flush=True)
            for s in sessions:
                start(s, t0, detect_s)
            server["rss_start_mb"] = rss_mb(proc.pid)
            server["mediapipe_threads"] = mediapipe_threads(proc.pid)
            began = time.monotonic()
            next_print = 1.0
            while (elapsed := time.monotonic() - began) < minutes * 60:
                for s in sessions:
                    read(s, elapsed / 60)
                if elapsed / 60 >= next_print:
                    now = "  ".join(f"{s.fps[-1] if s.fps else 0:4.0f}" for s in sessions)
                    print(f"  minute {elapsed / 60:4.1f}: frames/s {now}; server "
                          f"{rss_mb(proc.pid):.0f} MB", flush=True)
                    next_print += 1.0
                time.sleep(max(0.0, READ_EVERY_S - (time.monotonic() - began - elapsed)))
            server["rss_end_mb"] = rss_mb(proc.pid)
            for i, s in enumerate(sessions):
                s.page.screenshot(path=str(workdir / f"session_{i + 1}.png"))
        finally:
            for browser in browsers:
                browser.close()
            console.close()
    return sessions, server, error_lines(log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--camera-fps", type=int, default=15)
    parser.add_argument("--detect-s", type=float, default=180.0,
                        help="how long a session may take to see its person after START")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the server log, the browsers' console and a screenshot "
                             "per session here")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 2 * len(SESSIONS):
        print(f"--sessions must be 1 to {2 * len(SESSIONS)}", file=sys.stderr)
        return 2
    workdir = prepared_workdir([FOOTAGE / c for _, c in SESSIONS], args.workdir,
                               "posecheck-sessions-")
    if workdir is None:
        return 1
    sessions, server, log_errors = run(args.sessions, args.minutes, args.camera_fps, workdir,
                                       args.detect_s)
    print()
    print(f"{args.sessions} session(s) at once, camera {args.camera_fps} frames/s, "
          f"{args.minutes:g} min:")
    print(f"{'session':<42} {'median':>7} {'lowest':>7} {'ended':>6} {'errors':>7}")
    for s in sessions:
        med = statistics.median(s.fps) if s.fps else 0.0
        low = min(s.fps) if s.fps else 0.0
        print(f"{s.stretch:<42} {med:7.1f} {low:7.1f} {len(s.drops):6d} {len(s.errors):7d}")
    total = sum(statistics.median(s.fps) for s in sessions if s.fps)
    print(f"frames/s checked by the server in all: {total:.1f}")
    print(f"MediaPipe threads: {server['mediapipe_threads_before']:.0f} before, "
          f"{server['mediapipe_threads']:.0f} with every session streaming")
    print(f"server memory: {server['rss_start_mb']:.0f} MB once all streamed, "
          f"{server['rss_end_mb']:.0f} MB at the end")
    print(f"errors in the server log: {len(log_errors)}")
    for line in log_errors[:10] + [e for s in sessions for e in s.errors][:10]:
        print(f"  {line}")
    print(f"server log and screenshots: {workdir}")
    ok = all(s.fps and not s.drops and not s.errors for s in sessions) and not log_errors
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
