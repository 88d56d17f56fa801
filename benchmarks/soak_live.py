"""A long live session in a real headless Chromium: does the server hold up?

Starts ``streamlit run app.py``, opens the live page in headless Chromium
whose fake camera loops a stretch of a phone video from ../shared/footage,
picks the matching stretch and presses START. Then, once a minute, it samples
the server's resident memory (VmRSS) and thread count from /proc, and the
frames per second the page reports (averaged over several readings in the
minute). At the end it greps the server log for errors and tracebacks and
prints a table and a verdict: memory growth after the warm-up under
``--max-growth-mb``, frames/s steady (every minute within 50% of the median),
no error logged, the page never showing an error.

    .venv/bin/python benchmarks/soak_live.py [--minutes 30] [--warmup-minutes 2]
        [--camera-fps 15]

With ``--minutes 3 --camera-fps 30`` it measures how many frames per second
the page itself can check, with the camera no longer the limit.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _page import (
    CHROMIUM,
    choose_stretch,
    launch_chromium,
    make_clip,
    rss_mb,
    streamlit_server,
    thread_count,
    webrtc_frame,
)

FOOTAGE = Path(__file__).resolve().parents[1].parent / "shared" / "footage"
CLIP = "kneeling_lumbar_flexion/polybag_child_pose.mp4"
STRETCH_NAME = "Kneeling lumbar flexion (child's pose)"
FPS_RE = re.compile(r"(\d+) frames/s checked")
ERROR_RE = re.compile(r"Traceback|\bERROR\b|Exception|error:", re.IGNORECASE)
READINGS_PER_SAMPLE = 6


def page_fps(page) -> float | None:
    """The frames/s the page's panel shows now (None when it shows none)."""
    text = page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    for line in text:
        match = FPS_RE.search(line)
        if match:
            return float(match.group(1))
    return None


def page_error(page) -> str | None:
    alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
    for text in alerts:
        if "stopped working" in text or "could not start" in text:
            return text.strip().splitlines()[0]
    return None


def error_lines(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines()
            if ERROR_RE.search(line)]


def prepared_workdir(clips: list[Path], workdir: Path | None, prefix: str) -> Path | None:
    """The folder a benchmark keeps its logs in, or None (with the reason printed) when
    its footage or headless Chromium is missing."""
    missing = [str(c) for c in clips if not c.is_file()]
    if missing:
        print(f"footage not found: {', '.join(missing)}", file=sys.stderr)
        return None
    if not Path(CHROMIUM).exists():
        print(f"headless Chromium not installed ({CHROMIUM})", file=sys.stderr)
        return None
    workdir = workdir or Path(tempfile.mkdtemp(prefix=prefix))
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


def soak(minutes: float, warmup_minutes: float, sample_s: float, clip_s: float, camera_fps: int,
         workdir: Path
         ) -> tuple[list[dict[str, float]], list[float], list[str], list[str]]:
    from playwright.sync_api import sync_playwright

    clip = make_clip(FOOTAGE / CLIP, workdir / "camera.y4m", start_s=2, length_s=clip_s,
                     fps=camera_fps)
    log = workdir / "streamlit.log"
    samples: list[dict[str, float]] = []
    drops: list[float] = []  # minutes at which the stream ended by itself
    page_errors: list[str] = []
    console = (workdir / "console.log").open("w")
    with streamlit_server(log) as (url, proc), sync_playwright() as pw:
        browser = launch_chromium(pw, clip)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda msg: console.write(
                f"{time.strftime('%H:%M:%S')} {msg.type}: {msg.text}\n"))
            page.set_default_timeout(60_000)
            page.goto(url, timeout=60_000)
            page.get_by_role("heading", name="Live check").wait_for()
            choose_stretch(page, STRETCH_NAME)
            webrtc_frame(page).get_by_role("button", name="START").click()
            page.get_by_text("Person in view").wait_for(timeout=180_000)
            start = time.monotonic()
            print(f"streaming; server pid {proc.pid}; sampling every {sample_s:.0f} s "
                  f"for {minutes:g} min", flush=True)
            print(f"{'minute':>6} {'RSS MB':>8} {'threads':>8} {'frames/s':>9}", flush=True)
            n = 0
            while time.monotonic() - start < minutes * 60 - 1:
                n += 1
                readings = []
                for k in range(READINGS_PER_SAMPLE):
                    target = start + (n - 1) * sample_s + (k + 1) * sample_s / READINGS_PER_SAMPLE
                    time.sleep(max(0.0, target - time.monotonic()))
                    fps = page_fps(page)
                    if fps is not None:
                        readings.append(fps)
                    elif page.get_by_text("Your session").count():
                        # The stream ended by itself (the page shows the summary): keep
                        # what the page showed, count it, and start again.
                        drops.append((time.monotonic() - start) / 60.0)
                        stem = workdir / f"dropped_{len(drops)}"
                        page.screenshot(path=f"{stem}.png")
                        Path(f"{stem}.txt").write_text(page.inner_text("body"))
                        print(f"  the stream ended by itself at minute {drops[-1]:.1f}; "
                              "pressing START again", flush=True)
                        webrtc_frame(page).get_by_role("button", name="START").click()
                    err = page_error(page)
                    if err:
                        page_errors.append(f"minute {n}: {err}")
                row = {
                    "minute": (time.monotonic() - start) / 60.0,
                    "rss_mb": rss_mb(proc.pid),
                    "threads": float(thread_count(proc.pid)),
                    "fps": statistics.fmean(readings) if readings else 0.0,
                }
                samples.append(row)
                print(f"{row['minute']:6.1f} {row['rss_mb']:8.1f} {row['threads']:8.0f} "
                      f"{row['fps']:9.1f}", flush=True)
            page.screenshot(path=str(workdir / "soak_end.png"))
        finally:
            browser.close()
            console.close()
    return samples, drops, error_lines(log), page_errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--warmup-minutes", type=float, default=2.0,
                        help="memory growth is counted from the sample at this minute")
    parser.add_argument("--sample-s", type=float, default=60.0)
    parser.add_argument("--clip-s", type=float, default=12.0,
                        help="seconds of video the fake camera loops")
    parser.add_argument("--camera-fps", type=int, default=15,
                        help="frames per second of the fake camera; the page cannot check "
                             "more than it sends (30 to measure the page's own ceiling)")
    parser.add_argument("--max-growth-mb", type=float, default=50.0)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the server log and a screenshot here")
    args = parser.parse_args(argv)
    workdir = prepared_workdir([FOOTAGE / CLIP], args.workdir, "posecheck-soak-")
    if workdir is None:
        return 1
    samples, drops, log_errors, page_errors = soak(
        args.minutes, args.warmup_minutes, args.sample_s, args.clip_s, args.camera_fps,
        workdir)
    if not samples:
        print("no samples taken", file=sys.stderr)
        return 1
    after = [s for s in samples if s["minute"] >= args.warmup_minutes - 0.05] or samples[-1:]
    base = after[0]["rss_mb"]
    growth = max(s["rss_mb"] for s in after) - base
    fps = [s["fps"] for s in after]
    median_fps = statistics.median(fps)
    steady = median_fps > 0 and all(abs(f - median_fps) <= 0.5 * median_fps for f in fps)
    print()
    print(f"RSS after warm-up (minute {after[0]['minute']:.1f}): {base:.1f} MB; "
          f"largest growth after it {growth:+.1f} MB (limit {args.max_growth_mb:g} MB)")
    print(f"frames/s after warm-up: median {median_fps:.1f}, min {min(fps):.1f}, "
          f"max {max(fps):.1f} ({'steady' if steady else 'NOT steady'})")
    print(f"threads: first {samples[0]['threads']:.0f}, last {samples[-1]['threads']:.0f}")
    print(f"errors in the server log: {len(log_errors)}; errors on the page: "
          f"{len(page_errors)}")
    for line in (log_errors + page_errors)[:20]:
        print(f"  {line}")
    print(f"the stream ended by itself {len(drops)} time(s)"
          + (f", at minute {', '.join(f'{m:.1f}' for m in drops)}" if drops else ""))
    print(f"server log, browser console and screenshots: {workdir}")
    ok = (growth < args.max_growth_mb and steady and not log_errors and not page_errors
          and not drops)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
