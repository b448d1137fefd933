"""Child processes the end-to-end tests start (a Prefect server, a served flow): a free local
port for them, and a stop that reaches their whole process group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess

__all__ = ["free_port", "stop_group"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Interrupt the process group started with ``start_new_session=True``; kill it after 30 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
