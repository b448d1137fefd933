"""The temporary local Prefect server of an ad-hoc ``traveltide run``, started first thing.

With no ``PREFECT_API_URL``, Prefect starts a temporary server itself when the flow is
called: after the client has imported Prefect (3 s) and the server's code (4-5 s), and then
the run waits about 9 s more while the server boots, on one core, the other one idle.
Started here before anything heavy is imported, the same server (Prefect's ephemeral
server app under uvicorn, as Prefect launches it) boots on one core while the run imports
its libraries on the other, and the flow starts about 10 s sooner.

An operator's ``PREFECT_API_URL`` (a long-running ``prefect server start``, a worker) is
used as it is: nothing is started then.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from traveltide.errors import TravelTideError

__all__ = ["ServerStartError", "start_temporary_server"]

_LOG_NAME = "temporary-server.log"
_PR_SET_PDEATHSIG = 1


class ServerStartError(TravelTideError, RuntimeError):
    """The temporary Prefect server did not start; the message names its log and the way out."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    # Linux: the server gets SIGTERM when the run's process dies, even by SIGKILL.
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _launch(*, port: int, log: Path) -> subprocess.Popen[bytes]:
    # The command and flags Prefect 3.8 uses for its own temporary server
    # (prefect.server.api.server.SubprocessASGIServer): API only, the ephemeral set of services.
    # Private interface: PREFECT__SERVER_EPHEMERAL/_FINAL are Prefect's internal switches for that
    # server (PrefectHQ/prefect#16120); tests/integration/test_prefect_server.py fails if they change.
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"]
    with log.open("wb") as out:
        # preexec_fn runs before any thread of the child exists: only prctl, which is safe there.
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent)  # noqa: PLW1509


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _drain_prefect() -> None:
    """Let Prefect send the logs and events it still holds, and close its connections.

    The server waits for open connections before it exits (Prefect's events websocket kept it
    5 s); drained first, it stops at once and the run's last logs reach its database.
    """
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=5)


class _Server:
    def __init__(self, *, log: Path) -> None:
        self.log = log
        self.port = _free_port()
        self.process = _launch(port=self.port, log=log)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait_ready(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if _healthy(self.api_url):
                return
            time.sleep(0.1)
        code = self.process.poll()
        what = f"exited with code {code}" if code is not None else f"did not answer within {timeout:.0f} s"
        raise ServerStartError(
            f"the temporary Prefect server {what}; its output is in {self.log}. Start one with "
            "'prefect server start' and set PREFECT_API_URL to it, or raise "
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS on a busy machine"
        )

    def stop(self) -> None:
        _drain_prefect()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_temporary_server(*, prefect_home: Path) -> Callable[[], None]:
    """Start a temporary Prefect API now and point ``PREFECT_API_URL`` at it; return ``wait_ready``.

    Call before importing Prefect (it reads its settings at import), then do other work while
    the server boots and call ``wait_ready()`` before the first flow run. The server stops
    when the process exits (after Prefect has sent its last logs and events, as Prefect's own
    temporary server does), or with the process if it is killed. Does nothing when
    ``PREFECT_API_URL`` is already set.
    """
    if os.environ.get("PREFECT_API_URL"):
        return lambda: None
    prefect_home.mkdir(parents=True, exist_ok=True)
    server = _Server(log=prefect_home / _LOG_NAME)
    atexit.register(server.stop)
    timeout = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"))
    os.environ["PREFECT_API_URL"] = server.api_url
    # No UI is served and the server stops with the run: no "View at <url>" links to it.
    os.environ.setdefault("PREFECT_UI_URL", "")
    return lambda: server.wait_ready(timeout=timeout)
