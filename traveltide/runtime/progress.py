"""Progress a person can watch: a live bar for a transfer (bytes, rate, time left) and a live line
for a step (spinner, time so far) on a terminal; plain lines elsewhere.

On a terminal both are drawn with rich (already a Prefect dependency) on the console Prefect's
log handler prints to, so the run's lines scroll above them intact; both vanish when done. When
stderr is not a terminal (a log file, CI, a scheduled run) or ``CI`` is set, a transfer of known
size says a plain line at each quarter and every ``every`` seconds, so a log shows a long
download moving without being flooded; a step has its "done in" line only.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

__all__ = ["Transfer", "on_terminal", "working"]


def on_terminal() -> bool:
    """Whether a person watches: stderr is a terminal, not a dumb one, and this is not CI."""
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb" and not os.environ.get("CI")


def _console() -> Any:
    """The rich console Prefect's terminal handler prints the run's lines to (a new one on stderr
    without it): live displays drawn there keep the lines logged meanwhile whole."""
    from rich.console import Console

    for handler in logging.getLogger().handlers:
        console = getattr(handler, "console", None)
        if isinstance(console, Console):
            return console
    return Console(stderr=True)


@contextmanager
def working(*, label: str) -> Iterator[None]:
    """On a terminal, a live line "label ⠋ 0:00:12" while the block runs; elsewhere nothing."""
    if not on_terminal():
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    line = Progress(
        TextColumn("  {task.description}"),
        SpinnerColumn(),
        TimeElapsedColumn(),
        console=_console(),
        transient=True,
    )
    line.add_task(label, total=None)
    with line:
        yield


def _megabytes(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


class Transfer:
    """Counts the bytes of one transfer; use as a context manager and call :meth:`advance`."""

    def __init__(self, *, label: str, total: int | None, say: Callable[[str], None] | None, every: float = 5.0) -> None:
        self.label, self.total, self.say, self.every = label, total, say, every
        self.done = 0
        self._started = self._said = time.monotonic()
        self._quarter = 0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Transfer:
        if on_terminal():
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._bar = Progress(
                TextColumn("  {task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=_console(),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total)
        return self

    def advance(self, n: int) -> None:
        """``n`` more bytes arrived."""
        self.done += n
        if self._bar is not None:
            self._bar.update(self._task, advance=n)
            return
        now = time.monotonic()
        quarter = 4 * self.done // self.total if self.total else 0
        if self.say and self.done != self.total and (quarter > self._quarter or now - self._said >= self.every):
            self._said, self._quarter = now, quarter
            self.say(f"  {self.label}: {self._status(now)}")

    @property
    def seconds(self) -> float:
        """Seconds since the transfer started."""
        return time.monotonic() - self._started

    def _status(self, now: float) -> str:
        rate = self.done / max(now - self._started, 1e-9)
        if self.total:
            left = (self.total - self.done) / rate if rate else float("inf")
            return (
                f"{_megabytes(self.done)} of {_megabytes(self.total)} ({self.done / self.total:.0%}), "
                f"{rate / 1e6:,.1f} MB/s, about {left:,.0f} s left"
            )
        return f"{_megabytes(self.done)}, {rate / 1e6:,.1f} MB/s"

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
