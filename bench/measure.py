"""Wall time and peak RSS of one command, measured as its own child process.

Each measurement is a fresh process reaped with ``os.wait4``, whose resource usage is that
child's alone (and its own reaped children's), so peaks of successive measurements never mix
as they would with ``RUSAGE_CHILDREN``. Output goes to a log file, not to memory.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MeasuredCommandError", "Measurement", "last_json_line", "median_of", "run_measured"]


class MeasuredCommandError(RuntimeError):
    """A measured command exited non-zero; the message names it, its log and the log's tail."""


@dataclass(frozen=True)
class Measurement:
    """One run of a command: wall seconds, peak resident memory (bytes) and its log file."""

    seconds: float
    peak_rss_bytes: int
    log: Path

    @property
    def peak_rss_gib(self) -> float:
        return self.peak_rss_bytes / 2**30

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def run_measured(
    *,
    cmd: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Measurement:
    """Run ``cmd`` to completion as a fresh child; raise :class:`MeasuredCommandError` if it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
        raise MeasuredCommandError(
            f"{' '.join(cmd)} exited with {proc.returncode}; full output in {log}; last lines:\n{tail}"
        )
    # Linux reports ru_maxrss in KiB.
    return Measurement(seconds=round(seconds, 3), peak_rss_bytes=usage.ru_maxrss * 1024, log=log)


def median_of(*, runs: Sequence[Measurement]) -> dict[str, Any]:
    """Median wall time and peak RSS of repeated runs, with every run kept for the record."""
    return {
        "seconds": round(statistics.median(r.seconds for r in runs), 3),
        "peak_rss_bytes": int(statistics.median(r.peak_rss_bytes for r in runs)),
        "runs": [{"seconds": r.seconds, "peak_rss_bytes": r.peak_rss_bytes} for r in runs],
    }


def last_json_line(*, measurement: Measurement) -> dict[str, Any]:
    """The last line of the command's output that is a JSON object (the child's summary)."""
    for line in reversed(measurement.output().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise MeasuredCommandError(f"{measurement.log}: the command printed no JSON summary line")
