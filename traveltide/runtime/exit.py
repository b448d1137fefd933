"""Leave the process without interpreter teardown.

Exit handlers still run (they stop Prefect's temporary server); the teardown that is skipped
only makes DuckDB's bindings print "nanobind: leaked ..." lines about objects that Great
Expectations' caches hold at exit, which would bury the run's last message.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn

__all__ = ["exit_without_teardown"]


def exit_without_teardown(code: int, *, last_words: str | None = None) -> NoReturn:
    """Run the exit handlers, print ``last_words`` to stderr (after anything they logged), flush
    the streams and end the process with ``code``."""
    atexit._run_exitfuncs()
    if last_words:
        print(last_words, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
