"""A command run on a real pseudo-terminal, as a person at a terminal runs it: its stdin, stdout
and stderr are the terminal, so libraries that draw live displays on a terminal draw them."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

__all__ = ["on_a_terminal"]


def on_a_terminal(command: list[str], *, cwd: Path | None = None, timeout: float = 120) -> tuple[int, str]:
    """Run ``command`` on a new pseudo-terminal (``CI`` unset, an xterm 120 columns wide); return
    its exit code and everything it wrote to the terminal, control sequences included."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"TERM": "xterm-256color", "COLUMNS": "120"}
    child = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=cwd)
    os.close(follower)
    seen = b""
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        seen += data
    code = child.wait(timeout=timeout)
    os.close(leader)
    return code, seen.decode("utf-8", errors="replace")
