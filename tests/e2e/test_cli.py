from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "traveltide.cli"]


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False)


def test_help_lists_the_commands_without_heavy_imports() -> None:
    probe = (
        "import sys; from traveltide.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('prefect', 'great_expectations', 'sklearn', 'duckdb', 'pandas') if m in sys.modules)\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False).stdout
    for command in ("run", "sample", "inspect", "serve"):
        assert command in out
    assert "HEAVY []" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--start-date", "2023-02-30"], "invalid setting start_date"),
        (["run", "--min-sessions", "0"], "invalid setting min_sessions"),
        (["run", "--source", "carrier-pigeon"], "invalid setting source: 'carrier-pigeon' is not a known source"),
    ],
)
def test_invalid_settings_exit_2_with_the_setting_named(args: list[str], message: str, tmp_path: Path) -> None:
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "exports").exists()  # failed before doing anything


def test_unknown_command_is_a_usage_error() -> None:
    result = _run("publish-everything")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
