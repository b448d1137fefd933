"""Leave the process without nanobind's leak report of interpreter teardown.

At teardown DuckDB's bindings print "nanobind: leaked ..." lines (about 40) about objects that
Great Expectations' and SQLAlchemy's caches still hold as the process ends; they would bury a
run's last message and mean nothing to an operator (the memory goes back with the process).
A command-line run skips teardown (:func:`exit_without_teardown`); a process Prefect starts for
a run (``serve``'s subprocess, a worker's ``python -m prefect.engine``) ends on Prefect's own
terms, so its flow filters the report out of teardown's output (:func:`quiet_teardown`). Exit
handlers run in both.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from typing import NoReturn

__all__ = ["exit_without_teardown", "quiet_teardown"]


def exit_without_teardown(code: int, *, last_words: str | None = None) -> NoReturn:
    """Run the exit handlers, print ``last_words`` to stderr (after anything they logged), flush
    the streams and end the process with ``code``."""
    atexit.unregister(_filter_stderr)  # this process ends here, its last words on the terminal
    atexit._run_exitfuncs()
    if last_words:
        print(last_words, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def quiet_teardown() -> None:
    """Keep nanobind's leak report of interpreter teardown off stderr, and nothing else.

    For processes whose exit Prefect owns: at exit, standard error passes through a small filter
    process that drops the report's lines; the exit code, the exit handlers and any other output
    of teardown stay as they are. Calling it again changes nothing.
    """
    atexit.unregister(_filter_stderr)
    atexit.register(_filter_stderr)


# Reads the process's stderr to its end (the process's exit closes it) and passes on every line
# but nanobind's leak report ("nanobind: leaked 100 instances!", " - leaked instance ...").
_FILTER = """
import signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
for line in sys.stdin.buffer:
    if not line.startswith((b"nanobind: ", b" - leaked ", b" - ... skipped remainder", b"See https://nanobind.")):
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
"""


def _filter_stderr() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    stderr = sys.stderr.fileno()
    filtering = subprocess.Popen([sys.executable, "-c", _FILTER], stdin=subprocess.PIPE, stdout=stderr)
    assert filtering.stdin is not None
    os.dup2(filtering.stdin.fileno(), stderr)
    filtering.stdin.close()  # fd 2 is now the pipe's only writer: the filter ends when this process does
