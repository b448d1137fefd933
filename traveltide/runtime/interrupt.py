"""Ctrl-C that is never lost.

DuckDB 2.0 turns a SIGINT that arrives during a query into ``RuntimeError('Query interrupted')``
(after the query has run on), and a library may take that for an ordinary failure, or drop it.
The command line's handler therefore also records the interrupt; each step of a run checks the
record before it starts, and the command reports an interrupted run as interrupted whatever
error it ended with.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["catch_interrupts", "interrupted", "raise_if_interrupted"]

_SEEN = threading.Event()


def _handler(signum: int, frame: FrameType | None) -> None:
    _SEEN.set()
    raise KeyboardInterrupt


def catch_interrupts() -> None:
    """SIGINT raises KeyboardInterrupt, as by default, and is remembered (main thread only)."""
    signal.signal(signal.SIGINT, _handler)


def interrupted() -> bool:
    """Whether a SIGINT has arrived since the process started."""
    return _SEEN.is_set()


def raise_if_interrupted() -> None:
    """KeyboardInterrupt if a SIGINT arrived, even one swallowed on its way."""
    if _SEEN.is_set():
        raise KeyboardInterrupt
