"""Bad input and faults, run through the real flow (issue: clear errors, nothing lost).

Every case starts from a copy of a good published run, so "the previous extract stays"
is checked file by file (SHA-256) after the failure, together with "no staging left".
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from flows import traveltide_flow
from flows.traveltide_flow import traveltide_mart
from traveltide.bronze import BronzeError
from traveltide.publish.staging import ExportsBusy
from traveltide.quality import ValidationFailed
from traveltide.run import DiskFullError
from traveltide.settings import Settings, load_settings
from traveltide.sources import SourceError

pytestmark = pytest.mark.slow

TABLES = ("users", "sessions", "flights", "hotels")


def _snapshot(exports: Path) -> dict[str, str]:
    """SHA-256 of every published file except the data docs (a failed run publishes its own)."""
    return {
        p.relative_to(exports).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(exports.rglob("*"))
        if p.is_file() and not p.relative_to(exports).as_posix().startswith("data_docs/")
    }


@pytest.fixture
def previous(good_run, tmp_path) -> Path:
    """An exports folder holding a good extract, ready to be protected."""
    exports = tmp_path / "exports"
    shutil.copytree(good_run[0], exports)
    return exports


def _source(sample_dir: Path, tmp_path: Path, name: str = "source") -> Path:
    folder = tmp_path / name
    shutil.copytree(sample_dir, folder, ignore=shutil.ignore_patterns("*.json"))
    return folder


def _settings(source: Path, exports: Path, tmp_path: Path, **extra) -> Settings:
    return load_settings(
        **{
            "source": str(source),
            "exports": str(exports),
            "cache_dir": str(tmp_path / "cache"),
            # the fixtures' cohorts have 100 to 140 users: room for four segments of 10
            "min_segment_size": 10,
            **extra,
        }
    )


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _break_missing(src: Path) -> None:
    (src / "hotels.csv").unlink()


def _break_empty(src: Path) -> None:
    (src / "sessions.csv").write_bytes(b"")


def _break_header_only(src: Path) -> None:
    (src / "flights.csv").write_text(_lines(src / "flights.csv")[0])


def _break_renamed_column(src: Path) -> None:
    lines = _lines(src / "sessions.csv")
    lines[0] = lines[0].replace("page_clicks", "page_click")
    (src / "sessions.csv").write_text("".join(lines))


def _break_delimiter(src: Path) -> None:
    (src / "users.csv").write_text((src / "users.csv").read_text().replace(",", ";"))


def _break_gzip(src: Path) -> None:
    data = gzip.compress((src / "users.csv").read_bytes())
    (src / "users.csv").unlink()
    (src / "users.csv.gz").write_bytes(data[: len(data) // 2])  # cut short: corrupt


def _set_session_value(src: Path, column: str, value: str, line: int = 5) -> None:
    lines = _lines(src / "sessions.csv")
    header = lines[0].rstrip("\n").split(",")
    fields = lines[line].rstrip("\n").split(",")
    fields[header.index(column)] = value
    lines[line] = ",".join(fields) + "\n"
    (src / "sessions.csv").write_text("".join(lines))


def _break_negative_clicks(src: Path) -> None:
    _set_session_value(src, "page_clicks", "-3")


def _break_discount_over_one(src: Path) -> None:
    _set_session_value(src, "flight_discount", "true")
    _set_session_value(src, "flight_discount_amount", "15")  # a percent where a fraction belongs


def _break_year_2100(src: Path) -> None:
    _set_session_value(src, "session_start", "2100-01-01 10:00:00")


@pytest.mark.parametrize(
    ("damage", "error", "message"),
    [
        (_break_missing, SourceError, r"hotels.*hotels\.csv"),
        (_break_empty, BronzeError, r"sessions\.csv.*empty"),
        (_break_header_only, BronzeError, r"flights\.csv.*(header|no data)"),
        (_break_renamed_column, BronzeError, r"sessions\.csv.*page_clicks.*page_click"),
        (_break_delimiter, BronzeError, r"users\.csv"),
        (_break_gzip, BronzeError, r"users\.csv\.gz"),
        (_break_negative_clicks, ValidationFailed, r"bronze\.sessions\.page_clicks"),
        (_break_discount_over_one, ValidationFailed, r"bronze\.sessions\.flight_discount_amount"),
        (_break_year_2100, ValidationFailed, r"(?s)bronze\.sessions.*session_start or session_end outside 2000-01-01"),
    ],
    ids=[
        "missing-file",
        "empty-file",
        "header-only",
        "renamed-column",
        "wrong-delimiter",
        "corrupt-gzip",
        "negative-clicks",
        "discount-over-one",
        "year-2100",
    ],
)
def test_bad_export_stops_the_run_and_keeps_the_previous_extract(
    damage, error, message, harness, sample_dir, previous, tmp_path
) -> None:
    src = _source(sample_dir, tmp_path)
    damage(src)
    before = _snapshot(previous)
    with pytest.raises(error, match=message):
        traveltide_mart(settings=_settings(src, previous, tmp_path))
    assert _snapshot(previous) == before
    assert not list(previous.glob(".staging-*"))


@pytest.mark.parametrize("bronze_fails", [True, False], ids=["bronze-checks-fail", "bronze-checks-pass"])
def test_a_step_failing_beside_running_checks_reports_the_checks_first(
    bronze_fails, harness, sample_dir, previous, tmp_path, monkeypatch
) -> None:
    """Silver builds while bronze's checks run: if both fail, the failed checks are what the operator sees."""
    src = _source(sample_dir, tmp_path)
    if bronze_fails:
        _break_negative_clicks(src)

    def broken_silver(**_):
        raise RuntimeError("silver step broke")

    monkeypatch.setattr(traveltide_flow.silver, "fn", broken_silver)
    before = _snapshot(previous)
    expected = (
        (ValidationFailed, r"bronze\.sessions\.page_clicks") if bronze_fails else (RuntimeError, "silver step broke")
    )
    with pytest.raises(expected[0], match=expected[1]):
        traveltide_mart(settings=_settings(src, previous, tmp_path))
    assert _snapshot(previous) == before
    assert not list(previous.glob(".staging-*"))


def test_unparsable_rows_are_set_aside_and_counted(harness, sample_dir, previous, tmp_path) -> None:
    """Wrong types, too many / too few fields and non-UTF-8 bytes: the run completes and counts them."""
    src = _source(sample_dir, tmp_path)
    lines = _lines(src / "sessions.csv")
    header = lines[0].rstrip("\n").split(",")
    bad = {}
    for i, mutate in ((10, "type"), (20, "many"), (30, "few")):
        fields = lines[i].rstrip("\n").split(",")
        if mutate == "type":
            fields[header.index("page_clicks")] = "twelve"
        elif mutate == "many":
            fields.append("extra")
        else:
            fields.pop()
        lines[i] = ",".join(fields) + "\n"
        bad[i + 1] = mutate  # 1-based file line
    raw = "".join(lines).encode()
    # Line 41 gets a byte that is not UTF-8 inside its session_id.
    start = raw.index(lines[40].encode())
    raw = raw[: start + 3] + b"\xff" + raw[start + 4 :]
    (src / "sessions.csv").write_bytes(raw)

    manifest = traveltide_mart(settings=_settings(src, previous, tmp_path))

    data_lines = len(lines) - 1
    assert manifest["bronze"]["rejected"]["sessions"] == 4
    assert manifest["bronze"]["rows"]["sessions"] + 4 == data_lines
    rejects = pd.read_parquet(previous / "rejects" / "rejects.parquet")
    assert set(rejects.line[rejects.table_name == "sessions"]) == {11, 21, 31, 41}
    assert rejects.reason[rejects.table_name == "sessions"].str.startswith("does not parse: ").all()


def test_extra_column_and_other_order_complete_with_a_warning(
    harness, sample_dir, good_run, previous, tmp_path
) -> None:
    src = _source(sample_dir, tmp_path)
    rows = [line.rstrip("\n").split(",") for line in _lines(src / "users.csv")]
    # Reverse the column order and add a column the contract does not know.
    reordered = [[*reversed(r), "x" if i else "loyalty_tier"] for i, r in enumerate(rows)]
    (src / "users.csv").write_text("".join(",".join(r) + "\n" for r in reordered))

    manifest = traveltide_mart(settings=_settings(src, previous, tmp_path))

    assert any("loyalty_tier" in w for w in manifest["bronze"]["warnings"])
    assert manifest["row_counts"] == good_run[1]["row_counts"]


def test_dirty_sample_in_awkward_paths_runs_end_to_end(harness, tmp_path) -> None:
    """The generator's --dirty faults, with spaces, quotes and non-ASCII in both paths."""
    from traveltide.sample import write_sample

    src = tmp_path / "bronze 'dirty' exports ü"
    write_sample(out=src, users=6000, seed=11, dirty=True)
    faults = json.loads((src / "dirty_faults.json").read_text())
    exports = tmp_path / 'out "mart" é'

    manifest = traveltide_mart(settings=_settings(src, exports, tmp_path))

    assert (exports / "traveltide.hyper").is_file()
    for table in TABLES:
        injected = faults["tables"][table]
        assert manifest["bronze"]["rejected"][table] == len(injected["unparsable_rows"]), table
        # The generator repeats rows identically: dropped, none is a conflict.
        set_aside = manifest["silver"][table]["set_aside"]
        assert set_aside["repeated row"] == len(injected["duplicate_rows"]), table
        assert set_aside["conflicting row"] == 0, table
    # Orphan trip ids (sessions whose trip has no flights or hotels row) are reported, not fatal.
    orphans = [
        o
        for o in manifest["validation"]["bronze"]["outcomes"]
        if o["severity"] == "warning" and not o["success"] and "neither a bronze.flights nor" in o["expectation"]
    ]
    assert len(orphans) == 1
    # Every cohort user still gets exactly one perk.
    assert sum(s["users"] for s in manifest["segments"]["segments"]) == manifest["row_counts"]["gold"]["cohort"]

    # Every line the run did not take is published with its line number and text: the
    # injected unparsable lines, the later copy of each repeated row, and the sessions of the
    # users whose own line did not parse (worked out here from the files themselves).
    rejects = pd.read_parquet(exports / "rejects" / "rejects.parquet")
    assert rejects.equals(
        pd.read_csv(exports / "rejects" / "rejects.csv", dtype={"key_value": object}).astype(rejects.dtypes)
    )
    lost_users = {str(r["key"]) for r in faults["tables"]["users"]["unparsable_rows"]}
    sessions_file = pd.read_csv(src / "sessions.csv", dtype=str, keep_default_na=False)
    orphaned = sessions_file.index[sessions_file.user_id.isin(lost_users)] + 2  # header is line 1
    expected = {
        (table, line)
        for table in TABLES
        for kind in ("unparsable_rows", "duplicate_rows")
        for line in (r["line"] for r in faults["tables"][table][kind])
    } | {("sessions", int(line)) for line in orphaned}
    assert set(zip(rejects.table_name, rejects.line, strict=True)) == expected
    lines = {t: (src / f"{t}.csv").read_text(encoding="utf-8").splitlines() for t in TABLES}
    for row in rejects.itertuples():
        assert row.raw_line == lines[row.table_name][row.line - 1], (row.table_name, row.line)
        assert row.file == str(src / f"{row.table_name}.csv")
    assert manifest["rejects"]["lines"] == len(expected)


def test_concurrent_run_is_refused_and_changes_nothing(harness, sample_dir, previous, tmp_path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys; from pathlib import Path; from traveltide.publish.staging import exports_lock\n"
                f"with exports_lock(exports=Path({str(previous)!r})):\n"
                "    print('locked', flush=True); sys.stdin.readline()\n"
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = _snapshot(previous)
        with pytest.raises(ExportsBusy, match=rf"another TravelTide run \(pid {holder.pid}\) is writing to"):
            traveltide_mart(settings=_settings(sample_dir, previous, tmp_path))
        assert _snapshot(previous) == before
    finally:
        holder.communicate("\n", timeout=30)


def _servers_of(prefect_home: Path) -> list[int]:
    """Pids of running Prefect API servers started with this PREFECT_HOME."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if b"prefect.server.api.server:create_app" in cmdline and f"PREFECT_HOME={prefect_home}\0".encode() in environ:
            found.append(int(proc.name))
    return found


def test_killed_run_leaves_the_old_extract_and_the_next_run_succeeds(harness, sample_dir, previous, tmp_path) -> None:
    before = _snapshot(previous)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")}
    env.pop("PREFECT_API_URL", None)  # the child starts its own temporary server
    cmd = [
        sys.executable,
        "-m",
        "traveltide.cli",
        "run",
        "--source",
        str(sample_dir),
        "--exports",
        str(previous),
        "--min-segment-size",
        "10",
    ]
    child = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    # Kill it once the new extract is being written into its staging folder.
    while time.monotonic() < deadline and child.poll() is None:
        if any(previous.glob(".staging-*/traveltide.hyper*")):
            break
        time.sleep(0.05)
    assert child.poll() is None, "the run ended before it could be killed"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    # Its temporary Prefect server does not outlive it.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _servers_of(tmp_path / "prefect-home"):
        time.sleep(0.2)
    assert not _servers_of(tmp_path / "prefect-home")

    after = _snapshot(previous)
    manifest = json.loads((previous / "manifest.json").read_text())
    listed = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    # Either the old extract is intact, or the kill came after the new one was complete.
    assert after["traveltide.hyper"] in {before["traveltide.hyper"], listed["traveltide.hyper"]}

    again = traveltide_mart(settings=_settings(sample_dir, previous, tmp_path))
    assert again["row_counts"]["mart"]["dim_users"] > 0
    assert not list(previous.glob(".staging-*"))


def test_full_disk_is_a_clear_error_and_the_old_extract_survives(harness, sample_dir, good_run, tmp_path) -> None:
    """Exports on a tiny tmpfs: the old extract fits, the new run's files do not."""
    mount = tmp_path / "small disk"
    mount.mkdir()
    used = sum(p.stat().st_size for p in good_run[0].rglob("*") if p.is_file())
    size_kib = used // 1024 + 2048  # the old outputs plus 2 MiB: not enough for a second copy
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(mount)], check=True)
    try:
        exports = mount / "exports"
        shutil.copytree(good_run[0], exports)
        before = _snapshot(exports)
        with pytest.raises(
            DiskFullError, match=r"the disk holding .* is full; the run stopped and nothing was published"
        ):
            traveltide_mart(settings=_settings(sample_dir, exports, tmp_path))
        assert _snapshot(exports) == before
        assert not list(exports.glob(".staging-*"))
    finally:
        subprocess.run(["umount", str(mount)], check=True)
