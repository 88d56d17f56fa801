"""What a lower analysis rate does to holds, repetitions and fault episodes.

``posecheck analyze --analysis-fps N`` runs the model on at most N frames per
second and interpolates the landmarks between. This replays that on
landmarks estimated at the full frame rate: for every clip of the development
set (committed landmarks) and the shared phone videos (estimated once, then
cached), the model frames a rate would pick keep their landmarks, the frames
between get the interpolated ones, and the engine judges the result. It
counts how often the summary differs from the full-rate one: holds completed,
repetitions counted, fault episodes, and time in correct form.

Replaying assumes the model would find the same landmarks on a picked frame
at the lower rate as at the full rate; with tracking from fewer frames it
can differ a little. Run: ``.venv/bin/python benchmarks/bench_analysis_rate.py``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecheck.analysis_rate import SparsePoses
from posecheck.labelled_set import DEVSET_LABELS, load_labelled_set
from posecheck.reference import load_library
from posecheck.set_landmarks import default_store, load_clip
from posecheck.summarize import analyze_sequence

FOOTAGE = Path(__file__).resolve().parents[1].parent / "shared" / "footage"
VIDEOS = {
    "bird_dog": "bird_dog/polybag_bird_dog.mp4",
    "pelvic_tilt": "pelvic_tilt/polybag_pelvic_tilt.mp4",
    "kneeling_lumbar_flexion": "kneeling_lumbar_flexion/polybag_child_pose.mp4",
}
RATES = (15.0, 10.0, 7.5, 5.0)


@dataclass
class Seq:
    timestamps_s: np.ndarray
    poses: list


def at_rate(timestamps_s: np.ndarray, poses: list, rate_hz: float) -> Seq:
    """The sequence the analysis would see at ``rate_hz`` (model frames keep their pose)."""
    by_time = dict(zip(timestamps_s.tolist(), poses, strict=True))
    step = float(np.median(np.diff(timestamps_s))) if len(timestamps_s) > 1 else None
    sparse = SparsePoses(lambda _i, t: by_time[t], rate_hz, step)
    out: list = []
    for t in timestamps_s.tolist():
        out += sparse.add(None, t)
    out += sparse.finish()
    return Seq(np.array([t for _, t, _ in out]), [p for _, _, p in out])


def outcome(seq: Seq, stretch) -> tuple[int, int, int, float]:  # type: ignore[no-untyped-def]
    s = analyze_sequence(seq, stretch).summary
    return s.holds_completed, s.reps_total, len(s.faults), s.correct_s


def sequences() -> list[tuple[str, str, np.ndarray, list]]:
    labels = load_labelled_set(DEVSET_LABELS)
    store = default_store(labels)
    found = []
    for item in labels.clips:
        clip = load_clip(store, item)
        if clip is not None and len(clip) > 10:
            found.append((item.id, item.stretch, clip.timestamps_s, list(clip.poses)))
    from posecheck.landmark_cache import load_or_estimate

    for stretch_id, rel in VIDEOS.items():
        path = FOOTAGE / rel
        if path.is_file():
            seq = load_or_estimate(path, "full")
            found.append((path.name, stretch_id, seq.timestamps_s, list(seq.poses)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", type=float, nargs="*", default=list(RATES))
    args = parser.parse_args()
    library = load_library()
    seqs = sequences()
    print(f"{len(seqs)} recordings, {sum(len(p) for *_, p in seqs)} frames")
    base = {name: outcome(Seq(t, p), library[sid]) for name, sid, t, p in seqs}
    print("| rate | holds differ | reps differ | fault episodes differ "
          "| correct-form time, median change |")
    print("|---|---|---|---|---|")
    for rate in args.rates:
        holds = reps = faults = 0
        changes = []
        for name, sid, t, p in seqs:
            h, r, f, c = outcome(at_rate(t, p, rate), library[sid])
            bh, br, bf, bc = base[name]
            holds += h != bh
            reps += r != br
            faults += f != bf
            if bc > 0:
                changes.append(abs(c - bc) / bc)
        n = len(seqs)
        median = f"{np.median(changes):.1%}" if changes else "-"
        print(f"| {rate:g}/s | {holds}/{n} | {reps}/{n} | {faults}/{n} | {median} |")


if __name__ == "__main__":
    main()
