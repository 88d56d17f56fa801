"""``posecheck analyze``: judge recorded videos and write a report per video.

For each video, ``OUT/<video stem>/`` receives ``annotated.mp4``,
``frames.csv``, ``summary.json``, ``report.md`` and ``plot.png``. Several
videos run in parallel worker processes; a file that cannot be analysed is
reported as ``FAILED path: reason`` and the others carry on. The exit code is
0 when every video succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posecheck.analysis_rate import DEFAULT_ANALYSIS_FPS
from posecheck.cores import available_cores
from posecheck.errors import PosecheckError

if TYPE_CHECKING:
    from posecheck.routine_split import RoutineAnalysis
    from posecheck.session_record import SessionRecord

logger = logging.getLogger(__name__)


class AnalyzeUsageError(PosecheckError):
    """The command line names no usable video or clashes with existing outputs."""


@dataclass(frozen=True)
class Job:
    """One video to analyse and how (picklable, for worker processes)."""

    index: int
    video: str
    out_dir: str
    stretch: str
    model: str
    dosage_index: int
    profile: str | None
    start_s: float | None
    end_s: float | None
    cache_dir: str | None
    write_video: bool
    overwrite: bool
    show_progress: bool
    analysis_fps: float | None = None
    model_threads: int | None = None  # landmarkers sharing the video's frames; None: per core
    keep_history: bool = False  # the result carries a record for the history
    recorded_at: datetime | None = None  # given on the command line
    now: datetime | None = None


@dataclass(frozen=True)
class JobResult:
    video: str
    ok: bool
    message: str
    records: tuple[SessionRecord, ...] = ()  # for the history, saved by the parent process


def _analysis_rate(text: str) -> float | None:
    """``--analysis-fps``: a positive number, or ``all`` for every frame (None)."""
    if text.strip().lower() == "all":
        return None
    try:
        rate = float(text)
    except ValueError:
        rate = float("nan")
    if not rate > 0 or rate == float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a positive number of frames per second or 'all', got {text!r}")
    return rate


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="analyse recorded videos of a stretch",
        description=(
            "Analyse recorded videos of a stretch: which holds or repetitions counted, where "
            "the form broke and by how much. Writes OUT/<video name>/annotated.mp4, "
            "frames.csv, summary.json, report.md and plot.png for each video."
        ),
    )
    p.add_argument("videos", nargs="+", metavar="VIDEO",
                   help="video files, or folders whose videos are all analysed")
    p.add_argument("--stretch", default=None, metavar="ID|auto",
                   help="stretch id (see 'posecheck stretches'), or 'auto' to recognise it")
    p.add_argument("--routine", default=None, metavar="ID|FILE",
                   help="instead of --stretch: the video records this whole routine (see "
                        "'posecheck routines'); it is split into its stretches, each analysed "
                        "into OUT/<video name>/<step>_<stretch>/")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the outputs")
    p.add_argument("--model", default="full",
                   help="pose model: lite, full or heavy, or a path to a .task file "
                        "(default: full)")
    p.add_argument("--analysis-fps", type=_analysis_rate, default=DEFAULT_ANALYSIS_FPS,
                   metavar="N|all",
                   help="run the model on at most N frames per second of video and "
                        "interpolate the frames between; 'all' runs it on every frame "
                        f"(default: {DEFAULT_ANALYSIS_FPS:g})")
    p.add_argument("--dosage", type=int, default=1, metavar="N",
                   help="which of the stretch's dosage options to count against (default: 1)")
    p.add_argument("--profile", default=None, metavar="NAME",
                   help="use a profile's tuned ranges instead of the library's")
    p.add_argument("--start", type=float, default=None, metavar="SECONDS",
                   help="analyse from this time in the video")
    p.add_argument("--end", type=float, default=None, metavar="SECONDS",
                   help="analyse up to this time in the video")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="videos analysed in parallel (default: up to 2)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="analyse the videos on a Dask distributed cluster, e.g. "
                        "tcp://10.0.0.5:8786 (the workers need the videos and --out on a "
                        "shared file system)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--no-video", action="store_true",
                   help="skip the annotated video (much faster)")
    p.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="where models and landmarks are cached "
                        "(default: $POSECHECK_CACHE_DIR or the user cache folder)")
    p.add_argument("--no-progress", action="store_true", help="do not show progress bars")
    p.add_argument("--recorded", default=None, metavar="YYYY-MM-DD[THH:MM]",
                   help="when the recording was made, for the history (default: the time "
                        "the camera wrote into the file, else now)")
    p.add_argument("--no-history", action="store_true",
                   help="do not save these analyses in the session history "
                        "(see 'posecheck history')")
    p.set_defaults(func=run)


def expand_videos(paths: list[str]) -> list[Path]:
    """Files as given; folders replaced by the videos directly inside them, sorted."""
    from posecheck.video_io import is_video_path

    videos: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and is_video_path(p))
            if not found:
                raise AnalyzeUsageError(f"no video files in folder {path}")
            videos.extend(found)
        else:
            videos.append(path)  # a missing or broken file fails in its own job
    return videos


def _validate(args: argparse.Namespace, videos: list[Path]) -> None:
    from posecheck.summarize import check_dosage_index
    from posecheck.video_analysis import _load_stretch, existing_outputs

    if args.dosage < 1:
        raise AnalyzeUsageError("--dosage counts from 1")
    if args.jobs is not None and args.jobs < 1:
        raise AnalyzeUsageError("--jobs must be at least 1")
    if args.start is not None and args.start < 0:
        raise AnalyzeUsageError("--start must not be negative")
    if args.start is not None and args.end is not None and args.end <= args.start:
        raise AnalyzeUsageError("--end must be after --start")
    if args.stretch != "auto":
        stretch = _load_stretch(args.stretch, args.profile)
        check_dosage_index(stretch, args.dosage - 1)
    stems: dict[str, Path] = {}
    for v in videos:
        if v.stem in stems:
            raise AnalyzeUsageError(
                f"{stems[v.stem]} and {v} would both write to {Path(args.out) / v.stem}; "
                "analyse them into different --out folders"
            )
        stems[v.stem] = v
    if not args.overwrite:
        for v in videos:
            found = existing_outputs(Path(args.out) / v.stem)
            if found:
                raise AnalyzeUsageError(
                    f"{found[0]} already exists; pass --overwrite to replace it"
                )


def _make_progress(job: Job) -> tuple[Callable[[str, int, int | None], None], Callable[[], None]]:
    """A tqdm bar per stage on stderr, and a function closing the last one."""
    if not job.show_progress:
        return (lambda stage, done, total: None), (lambda: None)
    from tqdm import tqdm

    name = Path(job.video).name
    bars: dict[str, Any] = {}
    labels = {"analysis": "analyzing", "landmarks": "finding poses", "video": "drawing video"}

    def progress(stage: str, done: int, total: int | None) -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = tqdm(total=total, desc=f"{name}: {labels.get(stage, stage)}", unit="frame",
                       position=job.index, leave=False, file=sys.stderr, dynamic_ncols=True)
            bars.clear()
            bars[stage] = bar
        bar.update(done - bar.n)

    def close() -> None:
        for bar in bars.values():
            bar.close()
        bars.clear()

    return progress, close


def run_job(job: Job) -> JobResult:
    """Analyse one video; every user-facing failure becomes a FAILED result."""
    from posecheck.report import faults_and_tips, gaps_line
    from posecheck.video_analysis import analyze_video

    progress, close = _make_progress(job)
    try:
        result = analyze_video(
            job.video,
            job.stretch,
            job.out_dir,
            model=job.model,
            dosage_index=job.dosage_index,
            profile=job.profile,
            start_s=job.start_s,
            end_s=job.end_s,
            cache_dir=job.cache_dir,
            write_video=job.write_video,
            overwrite=job.overwrite,
            progress=progress,
            analysis_fps=job.analysis_fps,
            model_threads=job.model_threads,
        )
    except PosecheckError as exc:
        return JobResult(job.video, False, str(exc))
    except (OSError, ValueError, RuntimeError) as exc:
        logger.debug("analysis of %s failed", job.video, exc_info=True)
        return JobResult(job.video, False, f"{type(exc).__name__}: {exc}")
    finally:
        close()
    s = result.summary_dict
    done = s["holds"]["text"] if "holds" in s else s["reps"]["text"]
    share = s["time"]["correct_share_of_position"]
    share_text = "n/a" if share is None else f"{share:.0%}"
    source = "landmarks from cache" if result.from_cache else "landmarks estimated"
    stretch = s["stretch"]
    chosen = (f"{stretch['id']} (recognised, score {stretch['score']:.2f})"
              if stretch["chosen"] == "recognized" else stretch["id"])
    faults, tips = faults_and_tips(s["faults"])  # tips counted apart, as the report does
    tip_text = f" and {len(tips)} tip(s)" if tips else ""
    message = (
        f"{chosen}: {done}; correct form {share_text} of the time in position; "
        f"{len(faults)} fault episode(s){tip_text}; {source} -> {result.out_dir}"
    )
    gaps = gaps_line(s.get("gaps", []))
    if gaps:
        message += f"\n  {gaps}"
    records: tuple[SessionRecord, ...] = ()
    if job.keep_history:
        from posecheck.recording_time import recording_time
        from posecheck.session_record import new_session_id, record_from_analysis

        started = recording_time(job.video, job.now or datetime.now().astimezone(),
                                 job.recorded_at)
        if job.start_s:  # the analysed part begins later in the recording
            started += timedelta(seconds=job.start_s)
        records = (record_from_analysis(
            result.analysis, session_id=new_session_id(), started_at=started,
            profile=job.profile, source_name=Path(job.video).name),)
    return JobResult(job.video, True, message, records)


def _run_routine(args: argparse.Namespace, videos: list[Path]) -> int:
    """Split each video of a whole routine into its stretches and analyse each."""
    from posecheck.routine_split import analyze_routine_video
    from posecheck.routines import load_routine

    for flag, value in (("--start", args.start), ("--end", args.end),
                        ("--scheduler", args.scheduler)):
        if value is not None:
            raise AnalyzeUsageError(f"{flag} cannot be used with --routine (the whole "
                                    "recording is split)")
    if args.dosage != 1:
        raise AnalyzeUsageError("--dosage cannot be used with --routine (the routine sets "
                                "each stretch's dosage)")
    routine = load_routine(args.routine, args.profile)
    keep = _history_on(args)
    recorded = _recorded_at(args)
    now = datetime.now().astimezone()
    failed = 0
    for video in videos:
        out = Path(args.out) / video.stem
        try:
            result = analyze_routine_video(video, routine, out, model=args.model,
                                           profile=args.profile, cache_dir=args.cache_dir,
                                           write_video=not args.no_video,
                                           overwrite=args.overwrite,
                                           analysis_fps=args.analysis_fps)
        except PosecheckError as exc:
            failed += 1
            _report(JobResult(str(video), False, str(exc)))
            continue
        except (OSError, ValueError, RuntimeError) as exc:
            failed += 1
            _report(JobResult(str(video), False, f"{type(exc).__name__}: {exc}"))
            continue
        found = sum(seg.found for seg in result.segments)
        records = _routine_records(result, video, now, recorded, args.profile) if keep else ()
        _report(JobResult(str(video), True, f"routine {routine.id}: {found} of "
                          f"{len(result.segments)} stretches found -> {out}/routine.md",
                          records=records))
        for seg in result.segments:
            if not seg.found:
                print(f"  {seg.step_index + 1}. {seg.stretch_id}: not found in the recording")
                continue
            summary = result.summaries[seg.step_index]
            done = summary["holds"]["text"] if "holds" in summary else summary["reps"]["text"]
            print(f"  {seg.step_index + 1}. {seg.stretch_id}: {seg.start_s:.1f}-"
                  f"{seg.end_s:.1f} s; {done}")
    return 1 if failed else 0


def _routine_records(result: RoutineAnalysis, video: Path, now: datetime,
                     recorded: datetime | None, profile: str | None
                     ) -> tuple[SessionRecord, ...]:
    """One history record per stretch found, under the routine, timed from the recording."""
    from posecheck.recording_time import recording_time
    from posecheck.session_record import new_session_id, record_from_analysis

    started = recording_time(video, now, recorded)
    return tuple(
        record_from_analysis(
            result.analyses[seg.step_index], session_id=new_session_id(),
            started_at=started + timedelta(seconds=seg.start_s or 0.0), profile=profile,
            source_name=video.name, routine=result.routine.id)
        for seg in result.segments if seg.found and seg.step_index in result.analyses)


def _recorded_at(args: argparse.Namespace) -> datetime | None:
    if args.recorded is None:
        return None
    from posecheck.recording_time import parse_recording_time

    return parse_recording_time(args.recorded)


def run(args: argparse.Namespace) -> int:
    if (args.stretch is None) == (args.routine is None):
        raise AnalyzeUsageError("give either --stretch ID|auto or --routine ID|FILE")
    videos = expand_videos(args.videos)
    if args.routine is not None:
        return _run_routine(args, videos)
    _validate(args, videos)
    out = Path(args.out).absolute()  # workers elsewhere start in another folder
    cache_dir = str(Path(args.cache_dir).absolute()) if args.cache_dir else None
    # Progress bars belong to this terminal, not to a cluster's workers.
    show = not args.no_progress and sys.stderr.isatty() and args.scheduler is None
    keep = _history_on(args)
    recorded = _recorded_at(args)
    workers = args.jobs if args.jobs is not None else min(2, len(videos))
    workers = max(1, min(workers, len(videos)))
    # Videos side by side share the cores; on a cluster each worker takes one.
    model_threads = 1 if args.scheduler is not None else (
        None if workers == 1 else max(1, available_cores() // workers))
    jobs = [
        Job(
            index=i,
            video=str(v.absolute()),
            out_dir=str(out / v.stem),
            stretch=args.stretch,
            model=args.model,
            dosage_index=args.dosage - 1,
            profile=args.profile,
            start_s=args.start,
            end_s=args.end,
            cache_dir=cache_dir,
            write_video=not args.no_video,
            overwrite=args.overwrite,
            show_progress=show,
            analysis_fps=args.analysis_fps,
            model_threads=model_threads,
            keep_history=keep,
            recorded_at=recorded,
            now=datetime.now().astimezone(),
        )
        for i, v in enumerate(videos)
    ]
    results: list[JobResult] = []
    if args.scheduler is not None:
        from posecheck.analysis_cluster import run_on_cluster

        for res in run_on_cluster(args.scheduler, run_job, jobs,
                                  lambda job, why: JobResult(job.video, False, why)):
            results.append(_report(res))
    elif workers == 1:
        for job in jobs:
            results.append(_report(run_job(job)))
    else:
        # Fresh worker processes: a forked copy of a process that already ran
        # MediaPipe (a test run, a notebook) aborts when it builds a landmarker.
        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            futures: dict[Future[JobResult], Job] = {pool.submit(run_job, j): j for j in jobs}
            for fut in as_completed(futures):
                try:
                    res = fut.result()
                except Exception as exc:  # a worker died: report the file, go on
                    res = JobResult(futures[fut].video, False, f"worker failed: {exc}")
                results.append(_report(res))
    failed = [r for r in results if not r.ok]
    if len(jobs) > 1:
        print(f"{len(jobs) - len(failed)} of {len(jobs)} videos analysed"
              + (f"; {len(failed)} failed" if failed else ""))
    return 1 if failed else 0


def _history_on(args: argparse.Namespace) -> bool:
    if args.no_history:
        return False
    from posecheck.history_store import history_enabled

    return history_enabled()


def _save_history(result: JobResult) -> None:
    """Keep the analysis in the history; a failure there is told, the outputs stay."""
    if not result.records:
        return
    from posecheck.history_store import HistoryError, save_if_enabled

    try:
        for record in result.records:
            save_if_enabled(record)
    except HistoryError as exc:
        print(f"posecheck: warning: {result.video} was analysed but not saved in the "
              f"history: {exc}", file=sys.stderr, flush=True)


def _report(result: JobResult) -> JobResult:
    if result.ok:
        _save_history(result)
        print(f"OK {result.video}: {result.message}", flush=True)
    else:
        print(f"FAILED {result.video}: {result.message}", flush=True)
    return result
