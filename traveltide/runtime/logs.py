"""The log of a command-line run: every record in a file; on the terminal, only what a person reads.

Prefect logs every task's start and end (``Task run 'bronze-829' - Finished in state
Completed()``: 36 lines for a small run) and a failed task or flow with its traceback (55 to 106
lines), before the reason the command prints last. The run's log file keeps everything
(tracebacks included) for whoever needs it; unless ``--verbose`` is given, the terminal shows the
run's own lines as printed (each step and its time, the checks' summaries; no time, level or run
name before them) and every warning and error, without tracebacks, except Prefect's own report of
the failed run, which the command's last line says once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["KEEP_LOGS", "route_logs"]

# Log files kept in the logs folder (the oldest go first).
KEEP_LOGS = 20
_FORMAT = "%(asctime)s | %(levelname)-7s | %(name)s - %(message)s"


# The run's own lines are printed by this package and its flows (Prefect logs a print from the
# line that called it); Prefect's bookkeeping comes from Prefect's modules.
_OURS = (Path(__file__).resolve().parents[1], Path(__file__).resolve().parents[2] / "flows")


def _ours(record: logging.LogRecord) -> bool:
    where = Path(record.pathname).resolve()
    return any(where.is_relative_to(root) for root in _OURS)


class _ForTerminal(logging.Formatter):
    """The run's own lines as they were printed ("bronze: done in 1.7 s"), without Prefect's
    time, level and run-name prefix; anything else as ``inner`` formats it, leaving out its
    traceback and stack (the log file keeps them)."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno < logging.WARNING and _ours(record):
            return record.getMessage()
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


# Prefect's task and flow run loggers report a failed run (its exception, its Failed state, the
# flow's exception: three lines) that the command prints last, once, as the operator's message.
_RUN_LOGGERS = frozenset({"prefect.task_runs", "prefect.flow_runs"})


class _OursOrWarnings(logging.Filter):
    """Passes the run's own lines and every warning or error; drops Prefect's INFO bookkeeping and
    its run loggers' errors (the failure the command says last)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _ours(record):
            return True
        if record.levelno >= logging.ERROR and record.name in _RUN_LOGGERS:
            return False
        return record.levelno >= logging.WARNING


def route_logs(*, folder: Path, verbose: bool) -> Path:
    """Write every log record of this process to a new file in ``folder`` and return its path;
    unless ``verbose``, the terminal's handlers print neither tracebacks nor Prefect's own INFO
    lines, and the run's own lines without Prefect's prefix. Call after Prefect is imported (it
    sets up its handlers then)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("run-*.log"))[: -KEEP_LOGS + 1 or None]:
        old.unlink(missing_ok=True)
    path = folder / f"run-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}.log"
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger()
    if not verbose:
        for handler in root.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.setFormatter(_ForTerminal(handler.formatter))
                handler.addFilter(_OursOrWarnings())
    root.addHandler(to_file)
    # Prefect's run loggers send to its API and to the root logger; a record must reach the file
    # even when the terminal shows less, so the file handler takes every level the loggers pass.
    to_file.setLevel(logging.INFO)
    return path
