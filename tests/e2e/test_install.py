"""A regular (non-editable) install runs the pipeline: the wheel carries the SQL, the templates,
the Data Docs assets and the expectation suites, and reaches its flows through its entry point.

The wheel is built from this checkout, installed with the locked dependencies into a new
virtual environment, and run from a folder that has nothing of the repository in it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    found = ROOT / ".tools" / "bin" / "uv"  # bootstrapped by `make setup`
    if found.is_file():
        return str(found)
    on_path = shutil.which("uv")
    if on_path is None:
        pytest.fail("uv is needed to build and install the wheel; run `make setup` first")
    return on_path


def _run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_a_wheel_installed_into_a_fresh_environment_runs_the_pipeline(tmp_path: Path) -> None:
    uv = _uv()
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    dist = tmp_path / "dist"
    _run(uv, "build", "--wheel", "--out-dir", dist, ROOT, cwd=ROOT, env=env)
    (wheel,) = dist.glob("traveltide_mart-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for part in (
        "traveltide/expectations/mart/dim_users.json",
        "traveltide/sql/macros/repeated_keys.sql",
        "traveltide/publish/templates/report.html.j2",
        "flows/traveltide_flow.py",
    ):
        assert part in names, part

    requirements = tmp_path / "requirements.txt"
    _run(
        uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "-o", requirements, cwd=ROOT, env=env
    )
    venv = tmp_path / "venv"
    _run(uv, "venv", venv, "--python", sys.executable, env=env)
    python = venv / "bin" / "python"
    _run(uv, "pip", "install", "--python", python, "-r", requirements, wheel, env=env)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run_env = {k: v for k, v in env.items() if not k.startswith(("PREFECT_", "TRAVELTIDE_"))}
    installed = _run(python, "-c", "import traveltide; print(traveltide.__file__)", cwd=elsewhere, env=run_env)
    assert Path(installed.strip()).is_relative_to(venv), installed  # not the source tree
    _run(
        venv / "bin" / "traveltide",
        "run",
        "--sample-users",
        "2000",
        "--min-segment-size",
        "5",
        "--exports",
        "out",
        cwd=elsewhere,
        env=run_env,
    )

    manifest = json.loads((elsewhere / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert (elsewhere / "out" / "traveltide.hyper").is_file()
    assert set(manifest["validation"]) == {"bronze", "silver", "gold", "mart"}
    assert all(v["expectations"] > 0 and v["success"] for v in manifest["validation"].values())
    assert manifest["row_counts"]["gold"]["cohort"] > 0
