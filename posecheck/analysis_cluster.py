"""Running ``posecheck analyze``'s per-video jobs on a Dask distributed cluster.

Each video is one task: the same :func:`posecheck.commands.analyze.run_job`
that runs in a local worker process, so a bad file still comes back as a
FAILED result and the others go on. Results come back as they finish; the
caller reports them and saves the history on this machine, so the workers
need the videos and the output folder (a shared file system), not the
history database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from posecheck.errors import PosecheckError

CONNECT_TIMEOUT_S = 10


class ClusterError(PosecheckError):
    """The cluster cannot be used: Dask missing, or the scheduler not reachable."""


def _client(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError as exc:
        raise ClusterError(
            "--scheduler needs Dask distributed; install it with "
            "pip install 'posecheck[cluster]'") from exc
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc


def run_on_cluster(address: str, fn: Callable[[Any], Any], jobs: list[Any],
                   failed: Callable[[Any, str], Any]) -> Iterator[Any]:
    """``fn(job)`` for every job on the cluster at ``address``, yielded as each finishes.

    A task that dies (its worker lost, an error outside ``fn``'s own
    handling) yields ``failed(job, reason)`` instead, so one file never stops
    the archive.
    """
    from distributed import as_completed

    client = _client(address)
    try:
        with client.as_current():
            futures = {client.submit(fn, job, pure=False, key=f"posecheck-analyze-{i}"): job
                       for i, job in enumerate(jobs)}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # reported per file, the rest go on
                    result = failed(job, f"worker failed: {type(exc).__name__}: {exc}")
                yield result
    finally:
        client.close()
