"""A Ctrl-C swallowed on its way (as DuckDB 2.0 turns one into RuntimeError) still stops the run."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import os, signal
from traveltide.runtime.interrupt import catch_interrupts, interrupted, raise_if_interrupted
catch_interrupts()
print("before", interrupted())
try:
    os.kill(os.getpid(), signal.SIGINT)  # arrives in a library that swallows it
    signal.pthread_sigmask(signal.SIG_BLOCK, [])  # a bytecode boundary: the handler runs here
except BaseException as exc:
    print("swallowed", type(exc).__name__)
print("after", interrupted())
try:
    raise_if_interrupted()
except KeyboardInterrupt:
    print("the next step stops")
"""


def test_a_swallowed_interrupt_is_remembered_and_stops_the_next_step() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.splitlines() == ["before False", "swallowed KeyboardInterrupt", "after True", "the next step stops"]
