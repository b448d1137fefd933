"""A schedule really fires: a real ``prefect server start`` (its scheduler running, telemetry
off as the README says), ``traveltide serve --cron`` against it, and the run the *scheduler*
created completes and publishes. Prefect's temporary test server has no scheduler, so only
this test shows that the pins (Prefect 3.8.8, SQLAlchemy 2.0) let a schedule fire."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows.traveltide_flow import SERVED_DEPLOYMENT
from helpers.processes import free_port, stop_group

PREFECT = str(Path(sys.executable).with_name("prefect"))
CLI = [sys.executable, "-m", "traveltide.cli"]


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


@pytest.mark.slow
def test_a_served_schedule_fires_and_the_scheduled_run_publishes(tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # the README's way for the operator's server
    }
    env.pop("PREFECT_API_URL", None)
    server_log = tmp_path / "server.log"
    work = tmp_path / "work"
    work.mkdir()
    # Read when the scheduled run starts, not frozen into the deployment.
    (work / "traveltide.toml").write_text("sample_users = 3000\nmin_segment_size = 10\n", encoding="utf-8")
    with server_log.open("wb") as log:
        server = subprocess.Popen(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        serve = None
        try:

            def healthy() -> bool:
                try:
                    return httpx.get(f"{api}/health", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            _wait_for("healthy server", healthy, seconds=180, alive=[server])
            serve = subprocess.Popen(
                [*CLI, "serve", "--cron", "* * * * *", "--exports", "exports"],
                cwd=work,
                env={**env, "PREFECT_API_URL": api},
                stdout=(tmp_path / "serve.log").open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

            def completed() -> list[dict]:
                scheduler = server_log.read_text(encoding="utf-8", errors="replace")
                assert "Can't evaluate bulk DML" not in scheduler, "Prefect's scheduler fails (SQLAlchemy 2.1?)"
                runs = httpx.post(
                    f"{api}/flow_runs/filter",
                    json={"flow_runs": {"state": {"type": {"any_": ["COMPLETED", "FAILED", "CRASHED"]}}}},
                    timeout=10,
                ).json()
                return runs

            (run, *_) = _wait_for("finished flow run", completed, seconds=420, alive=[server, serve])
            assert run["state"]["type"] == "COMPLETED", (tmp_path / "serve.log").read_text()[-3000:]
            assert run["auto_scheduled"] is True  # created by the scheduler, not by hand
            deployment = httpx.get(f"{api}/deployments/{run['deployment_id']}", timeout=10).json()
            assert deployment["name"] == SERVED_DEPLOYMENT
            assert deployment["parameters"] == {"overrides": {"exports": "exports"}}  # only the flags given
            assert (work / "exports" / "traveltide.hyper").is_file()
        finally:
            if serve is not None:
                stop_group(serve)
            stop_group(server)
    text = server_log.read_text(encoding="utf-8", errors="replace")
    assert "Can't evaluate bulk DML" not in text
    assert "telemetry" not in text.lower()
