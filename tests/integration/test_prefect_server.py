"""The temporary Prefect server `traveltide run` starts before importing anything heavy."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

# A process that starts the server, waits for it, prints what it sees and exits.
_CHILD = """
import json, os, sys, urllib.request
from pathlib import Path
from traveltide.runtime.prefect_server import start_temporary_server
wait_ready = start_temporary_server(prefect_home=Path(sys.argv[1]))
wait_ready()
url = os.environ["PREFECT_API_URL"]
with urllib.request.urlopen(url + "/health", timeout=5) as r:
    status = r.status
print(json.dumps({"url": url, "ui_url": os.environ.get("PREFECT_UI_URL"), "status": status}))
"""


def _child(home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_UI_URL")}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", _CHILD, str(home)], env=environ, capture_output=True, text=True, timeout=180, check=False
    )


def test_server_answers_while_the_process_lives_and_stops_with_it(tmp_path: Path) -> None:
    import json

    done = _child(tmp_path / "prefect")
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["url"].startswith("http://127.0.0.1:") and seen["url"].endswith("/api")
    assert seen["status"] == 200
    assert seen["ui_url"] == ""  # no "View at" links to a server that goes away
    with pytest.raises(OSError):
        urllib.request.urlopen(seen["url"] + "/health", timeout=5)


def test_an_operators_api_url_is_used_as_is(tmp_path: Path) -> None:
    code = (
        "import os; from pathlib import Path; from traveltide.runtime.prefect_server import start_temporary_server\n"
        "start_temporary_server(prefect_home=Path('prefect'))(); print(os.environ['PREFECT_API_URL'])"
    )
    environ = {**os.environ, "PREFECT_API_URL": "http://prefect.example.invalid/api"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "http://prefect.example.invalid/api"
    assert not (tmp_path / "prefect").exists()  # nothing was started, no log written


def test_a_server_that_cannot_start_names_its_log(tmp_path: Path) -> None:
    done = _child(
        tmp_path / "prefect", PREFECT_API_DATABASE_CONNECTION_URL="sqlite+aiosqlite:////nonexistent/folder/prefect.db"
    )
    assert done.returncode == 1
    assert "ServerStartError: the temporary Prefect server exited with code" in done.stderr
    assert "temporary-server.log" in done.stderr and "PREFECT_API_URL" in done.stderr
    assert (tmp_path / "prefect" / "temporary-server.log").read_text().strip()
