"""Runs that Prefect starts, as an operator sets them up: a real ``prefect server start`` (its
scheduler running, telemetry off as the README says), then ``traveltide serve --cron`` against
it, whose run the *scheduler* creates, and the README's worker path (``prefect deploy`` of
``prefect.yaml``, ``prefect worker start``). Prefect's temporary test server has no scheduler,
so only these tests show that the pins (Prefect 3.8.8, SQLAlchemy 2.0) let a schedule fire.
Prefect starts each run in a process of its own; its output is the operator's terminal, so it
must end without DuckDB's teardown noise."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from flows.traveltide_flow import SERVED_DEPLOYMENT
from helpers.processes import free_port, stop_group

PREFECT = str(Path(sys.executable).with_name("prefect"))
CLI = [sys.executable, "-m", "traveltide.cli"]
REPO = Path(__file__).resolve().parents[2]
# Read when a run starts, not frozen into the deployment.
SMALL_RUN = "sample_users = 3000\nmin_segment_size = 10\n"


@dataclass(frozen=True)
class Server:
    api: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]


def _wait_for(what: str, check, *, seconds: float, alive: list[subprocess.Popen[bytes]]):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for p in alive:
            assert p.poll() is None, f"{p.args[:3]} exited with {p.returncode} while waiting for {what}"
        found = check()
        if found:
            return found
        time.sleep(2)
    pytest.fail(f"no {what} within {seconds:.0f} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # the README's way for the operator's server
    }
    env.pop("PREFECT_API_URL", None)
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    api = f"http://127.0.0.1:{port}/api"
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"{api}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for("healthy server", healthy, seconds=180, alive=[process])
        yield Server(api=api, env={**env, "PREFECT_API_URL": api}, log=log, process=process)
    finally:
        stop_group(process)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Can't evaluate bulk DML" not in text
    assert "telemetry" not in text.lower()


def _finished_run(*, server: Server, deployment: str, alive: list[subprocess.Popen[bytes]]) -> dict:
    """The first finished run of the deployment named ``deployment``, waited for."""

    def finished() -> list[dict]:
        scheduler = server.log.read_text(encoding="utf-8", errors="replace")
        assert "Can't evaluate bulk DML" not in scheduler, "Prefect's scheduler fails (SQLAlchemy 2.1?)"
        return httpx.post(
            f"{server.api}/flow_runs/filter",
            json={
                "flow_runs": {"state": {"type": {"any_": ["COMPLETED", "FAILED", "CRASHED"]}}},
                "deployments": {"name": {"any_": [deployment]}},
            },
            timeout=10,
        ).json()

    (run, *_) = _wait_for("finished flow run", finished, seconds=420, alive=[server.process, *alive])
    return run


def _run_processes(group: int) -> list[int]:
    """The flow-run processes Prefect started in the process group ``group``: ``serve``'s
    spawned child, a worker's ``python -m prefect.engine``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.getpgid(int(proc.name)) == group:
                command = (proc / "cmdline").read_bytes()
                if b"spawn_main" in command or b"prefect.engine" in command:
                    found.append(int(proc.name))
        except (OSError, ProcessLookupError):
            continue
    return found


def _assert_quiet_end(log: Path, *, group: subprocess.Popen[bytes]) -> None:
    """The run's process ended (teardown included) with its own lines last, not DuckDB's
    teardown report."""
    _wait_for("end of the run's process", lambda: not _run_processes(group.pid), seconds=60, alive=[group])
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "publish: done" in text, text[-3000:]
    assert "nanobind" not in text, text[text.index("nanobind") - 500 :][:3000]


@pytest.mark.slow
def test_a_served_schedule_fires_and_the_scheduled_run_publishes(server: Server, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "traveltide.toml").write_text(SMALL_RUN, encoding="utf-8")
    log = tmp_path / "serve.log"
    serve = subprocess.Popen(
        [*CLI, "serve", "--cron", "* * * * *", "--exports", "exports"],
        cwd=work,
        env=server.env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        run = _finished_run(server=server, deployment=SERVED_DEPLOYMENT, alive=[serve])
        assert run["state"]["type"] == "COMPLETED", log.read_text()[-3000:]
        assert run["auto_scheduled"] is True  # created by the scheduler, not by hand
        deployment = httpx.get(f"{server.api}/deployments/{run['deployment_id']}", timeout=10).json()
        assert deployment["name"] == SERVED_DEPLOYMENT
        assert deployment["parameters"] == {"overrides": {"exports": "exports"}}  # only the flags given
        assert (work / "exports" / "traveltide.hyper").is_file()
        _assert_quiet_end(log, group=serve)
    finally:
        stop_group(serve)


@pytest.mark.slow
def test_the_readme_worker_path_runs_the_deployment_of_prefect_yaml(server: Server, tmp_path: Path) -> None:
    """README "Scheduling": a process work pool, ``prefect deploy`` of the repository's
    prefect.yaml (from a folder holding the flows and a traveltide.toml, as an operator's checkout
    does), a worker, and a run of the deployment."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(REPO / "prefect.yaml", work / "prefect.yaml")
    (work / "flows").symlink_to(REPO / "flows", target_is_directory=True)
    (work / "traveltide.toml").write_text(SMALL_RUN, encoding="utf-8")

    env = {**server.env, "PWD": str(work)}  # prefect.yaml's pull step reads $PWD, as a shell sets it

    def prefect(*args: str) -> None:
        done = subprocess.run(
            [PREFECT, "--no-prompt", *args], check=False, cwd=work, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"

    prefect("work-pool", "create", "traveltide-local", "--type", "process")
    prefect("deploy", "--all")
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [PREFECT, "worker", "start", "--pool", "traveltide-local"],
        cwd=work,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        prefect("deployment", "run", "traveltide-mart/traveltide-mart-daily")
        run = _finished_run(server=server, deployment="traveltide-mart-daily", alive=[worker])
        assert run["state"]["type"] == "COMPLETED", log.read_text()[-3000:]
        assert (work / "exports" / "traveltide.hyper").is_file()
        _assert_quiet_end(log, group=worker)
    finally:
        stop_group(worker)
