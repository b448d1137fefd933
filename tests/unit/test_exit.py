"""The two exits of ``traveltide.runtime.exit``, each in a real child interpreter: exit handlers
run once each and what they print reaches stderr, nanobind's leak report of teardown does not
(any other teardown output does), and the exit code is the one asked for."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# An object whose deletion at teardown writes to fd 2 as DuckDB's bindings do (their leak report
# comes after the modules are cleared), then one other line; exit handlers registered before and
# after the call.
_CHILD = """
import atexit, os, sys
from traveltide.runtime import exit_without_teardown, quiet_teardown

class Noisy:
    def __del__(self, write=os.write):
        write(2, b'nanobind: leaked 2 instances!\\n - leaked instance 0x1 of type "t"\\n - ... skipped remainder\\n')
        write(2, b"See https://nanobind.readthedocs.io/en/latest/refleaks.html\\nother teardown line\\n")

noisy = Noisy()
atexit.register(print, "handler before", file=sys.stderr)
quiet_teardown()
quiet_teardown()
atexit.register(print, "handler after", file=sys.stderr)
print("run output", file=sys.stderr)
{end}
"""
_HANDLED = ["run output", "handler after", "handler before"]


def _run(end: str, *, quiet: bool = True) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(_CHILD).format(end=end)
    if not quiet:
        code = code.replace("quiet_teardown()\n", "")
    return subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)


def test_without_the_call_the_report_reaches_stderr() -> None:
    done = _run("sys.exit(0)", quiet=False)
    assert done.stderr.splitlines()[3:5] == ["nanobind: leaked 2 instances!", ' - leaked instance 0x1 of type "t"']


@pytest.mark.parametrize("code", [0, 3])
def test_quiet_teardown_keeps_the_exit_code_the_handlers_and_other_output(code: int) -> None:
    done = _run(f"sys.exit({code})")
    assert done.returncode == code
    assert done.stderr.splitlines() == [*_HANDLED, "other teardown line"], done.stderr


def test_an_uncaught_error_still_prints_its_traceback_and_exits_1() -> None:
    done = _run("raise RuntimeError('boom')")
    assert done.returncode == 1
    assert "RuntimeError: boom" in done.stderr
    assert "nanobind" not in done.stderr
    assert done.stderr.splitlines()[-1] == "other teardown line"


def test_exit_without_teardown_prints_the_last_words_last() -> None:
    done = _run("exit_without_teardown(2, last_words='last words')")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [*_HANDLED, "last words"]
