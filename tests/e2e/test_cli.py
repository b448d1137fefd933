from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.httpserver import LocalHTTPServer
from helpers.terminal import on_a_terminal

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
    for command in ("run", "sample", "inspect", "serve", "score"):
        assert command in out
    assert "HEAVY []" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--start-date", "2023-02-30"], "invalid setting start_date"),
        (["run", "--min-sessions", "0"], "invalid setting min_sessions"),
        (["run", "--source", "carrier-pigeon"], "invalid setting source: 'carrier-pigeon' is not a known source"),
        (["run", "--k", "500"], "invalid setting k: Input should be less than or equal to 20"),
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


def test_a_toml_syntax_error_exits_2_naming_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "traveltide.toml").write_text('min_sessions = 7\nexports = "out\n')
    result = _run("run", cwd=tmp_path)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"traveltide: {tmp_path / 'traveltide.toml'}: not a valid TOML file")
    assert "line 2" in last
    assert not (tmp_path / "exports").exists()


def test_an_exports_path_that_is_a_file_is_said_in_words(tmp_path: Path) -> None:
    (tmp_path / "exports").write_text("not a folder")
    result = _run("run", "--exports", "exports", cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        f"traveltide: {tmp_path / 'exports'} is a file, not a folder (File exists); remove or rename the file, "
        "or point --exports at a folder. Nothing was published."
    )
    assert "Errno" not in result.stderr


def test_a_read_only_exports_folder_is_said_in_words(tmp_path: Path) -> None:
    mount = tmp_path / "read only"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mount)], check=True)
    try:
        result = _run("run", "--exports", str(mount / "exports"), cwd=tmp_path)
    finally:
        subprocess.run(["umount", str(mount)], check=True)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"traveltide: {mount / 'exports'} is on a read-only file system")
    assert last.endswith("point --exports at a writable folder. Nothing was published.")


def _processes_in(folder: Path) -> list[int]:
    """Processes whose working directory is ``folder`` (the run and its Prefect server)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cwd").resolve() == folder.resolve():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code", "name"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")])
def test_a_signal_stops_the_run_with_one_line_and_nothing_left(tmp_path: Path, sig: int, code: int, name: str) -> None:
    run = subprocess.Popen(
        [*CLI, "run", "--sample-users", "20000"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list((tmp_path / "exports").glob(".staging-*")):  # the run has started its work
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.2)
    run.send_signal(sig)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == code
    assert stderr.strip().splitlines()[-1] == (
        f"traveltide: stopped ({name}); nothing was published, the previous extract is unchanged"
        if name == "SIGTERM"
        else "traveltide: interrupted (SIGINT); nothing was published, the previous extract is unchanged"
    )
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == [".traveltide.lock"]
    time.sleep(1)
    assert _processes_in(tmp_path) == []


def test_a_failing_remote_source_is_tried_download_attempts_times_in_all(tmp_path: Path) -> None:
    with LocalHTTPServer() as server:
        server.status("/users.csv", 503)
        urls = {t: server.url(f"/{t}.csv") for t in ("users", "sessions", "flights", "hotels")}
        (tmp_path / "traveltide.toml").write_text(
            "download_attempts = 2\n[urls]\n" + "".join(f'{t} = "{u}"\n' for t, u in urls.items())
        )
        result = _run("run", "--source", "remote", cwd=tmp_path)
        requests = len(server.gets("/users.csv"))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert f"{urls['users']}: HTTP 503" in last
    assert "gave up after 2 attempt(s)" in last
    assert requests == 2  # the flow adds no retries of its own: the count said is the count made
    assert not (tmp_path / "exports" / "traveltide.hyper").exists()


def _paths_in(text: str) -> set[Path]:
    """Absolute paths of files and folders named in ``text`` (log lines, messages)."""
    return {Path(m.rstrip(".,;:)")) for m in re.findall(r"(/[\w./+-]+)", text) if m.count("/") > 2}


def _manifest_paths(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k in {"path", "docs", "csv", "parquet"} and isinstance(v, str)]
        if isinstance(value.get("plots"), dict):
            found += list(value["plots"].values())
        return found + [p for v in value.values() for p in _manifest_paths(v)]
    if isinstance(value, list):
        return [p for v in value for p in _manifest_paths(v)]
    return []


@pytest.mark.slow
def test_outputs_follow_the_umask_and_every_path_said_exists_after_publish(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "run", "--sample-users", "20000"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=lambda: os.umask(0o002),  # a shared folder: the group writes too
    )
    assert result.returncode == 0, result.stderr[-3000:]
    exports = tmp_path / "exports"
    modes = {p.relative_to(exports).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in exports.rglob("*")}
    assert modes["traveltide.hyper"] == 0o664  # Hyper writes it 0640
    wrong = {name: oct(mode) for name, mode in modes.items() if mode != (0o775 if (exports / name).is_dir() else 0o664)}
    assert wrong == {}
    manifest = json.loads((exports / "manifest.json").read_text())
    named = _manifest_paths(manifest)
    assert any("plots/" in p for p in named) and any(p.endswith("index.html") for p in named)
    assert "rejects/rejects.csv" in named
    assert "Set aside: no source line" in result.stdout  # the sample is clean
    missing = [p for p in named if not (exports / p).exists()]  # relative paths are under the exports
    assert missing == []
    log = next((tmp_path / ".cache" / "logs").glob("run-*.log")).read_text()
    said = _paths_in(log + result.stdout + result.stderr)
    assert said, "the run names its outputs"
    assert sorted(str(p) for p in said if not p.exists()) == []


def test_a_fixed_k_the_cohort_cannot_fill_is_refused_before_clustering(tmp_path: Path) -> None:
    result = _run("run", "--sample-users", "6000", "--k", "12", cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        r"traveltide: --k 12 needs at least 360 cohort users \(30 per segment, min_segment_size\); the cohort has "
        r"\d+: set --k to at most \d+, use --k auto, lower min_segment_size or widen the cohort\. Nothing was published\.",
        last,
    ), last
    cohort = int(re.search(r"the cohort has (\d+)", last).group(1))
    assert int(re.search(r"at most (\d+)", last).group(1)) == cohort // 30
    log = next((tmp_path / ".cache" / "logs").glob("run-*.log")).read_text()
    assert "silver: done in" in log and "segment: done in" not in log  # refused with the cohort, before k-means
    assert not (tmp_path / "exports" / "traveltide.hyper").exists()


@pytest.mark.slow
def test_on_a_terminal_each_step_has_a_live_line_and_its_done_line_stays_whole(tmp_path: Path) -> None:
    """A real pseudo-terminal: while a step runs, rich draws its name, a spinner and the time so far
    on the console Prefect logs to; the line vanishes and the step's "done in" line is whole."""
    code, text = on_a_terminal([*CLI, "run", "--sample-users", "2000", "--min-sessions", "50"], cwd=tmp_path)
    assert code == 1  # refused after silver: fetch, bronze and silver ran
    for step in ("fetch", "bronze", "silver"):
        assert re.search(rf"  {step} [⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] 0:00:\d\d", text), text[-3000:]  # rich's dots spinner
        # Whole, and alone on its line: only the live line's cursor controls and returns before it.
        assert re.search(rf"(^|\n)(\r|\x1b\[[?0-9;]*[A-Za-z])*{step}: done in \d+\.\d s\r?\n", text), text[-3000:]
    assert "no user has at least 50 sessions" in text


@pytest.mark.parametrize("verbose", [False, True])
def test_the_terminal_shows_the_steps_not_prefects_bookkeeping(tmp_path: Path, verbose: bool) -> None:
    """A refused run (the cohort is empty) still goes through fetch, bronze and silver as tasks."""
    args = ["run", "--sample-users", "2000", "--min-sessions", "50", *(["--verbose"] if verbose else [])]
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first == f"traveltide run: source sample, exports {tmp_path / 'exports'}; starting"
    terminal = result.stdout + result.stderr
    log = next((tmp_path / ".cache" / "logs").glob("run-*.log")).read_text()
    for line in ("bronze: done in", "silver: done in"):
        assert line in terminal and line in log
        # Without --verbose the step's line stands alone, without Prefect's time, level and run name.
        assert any(t.startswith(line) for t in terminal.splitlines()) is not verbose
    bookkeeping = "Finished in state Completed()"
    assert bookkeeping in log
    assert (bookkeeping in terminal) is verbose
    assert "no user has at least 50 sessions" in result.stderr.strip().splitlines()[-1]
    # Prefect reports the failure three times (task exception, Failed state, flow exception): the log keeps
    # them, the terminal says the reason once, as its last line, unless --verbose.
    assert log.count("no user has at least 50 sessions") >= 3
    said = terminal.count("no user has at least 50 sessions")
    assert said > 3 if verbose else said == 1
