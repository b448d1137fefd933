"""exports/rejects/: every source line a run set aside, found again in real files (plain and
gzip) after a real bronze load and silver build. Expected lines are counted by hand from the
files written here."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from traveltide.bronze import load_bronze
from traveltide.build import build_layer
from traveltide.contract import bronze
from traveltide.publish.rejects import write_rejects

S = "2023-05-01 10:00:00"


def _write(path: Path, table: str, rows: list[dict[str, str]], *, gz: bool = False) -> Path:
    names = bronze.LAYER.table(table).column_names
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([[row.get(n, "") for n in names] for row in rows])
    return path


@pytest.fixture
def run(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, Path]]:
    user = {"birthdate": "1990-01-01", "gender": "F", "married": "false", "has_children": "false"}
    files = {
        "users": _write(
            tmp_path / "users.csv",
            "users",
            [
                {"user_id": "1", **user},  # line 2
                {"user_id": "007", **user},  # line 3: user 7
                {"user_id": "7", **user},  # line 4: an identical repeat of user 7 (line 3 kept)
                {"user_id": "8", **user, "birthdate": "1800-01-01"},  # line 5: kept, birthdate NULL
                {"user_id": "", **user},  # line 6: null key
            ],
        ),
        "sessions": _write(
            tmp_path / "sessions.csv.gz",
            "sessions",
            [
                {"session_id": "1-a", "user_id": "1", "session_start": S, "session_end": S, "page_clicks": "3"},
                {"session_id": "1-b", "user_id": "1", "session_start": S, "session_end": S, "page_clicks": "3"},
                {"session_id": "1-b", "user_id": "1", "session_start": S, "session_end": S, "page_clicks": "4"},
                {"session_id": "9-a", "user_id": "9", "session_start": S, "session_end": S},  # unknown user
                {"session_id": "1-c", "user_id": "1", "session_start": S, "page_clicks": "many"},  # no parse
                {"session_id": "1-d", "user_id": "1", "session_start": S, "page_clicks": "2000000000"},
            ],
            gz=True,
        ),
        "flights": _write(  # a key with a comma, written quoted: two rows that differ
            tmp_path / "flights.csv",
            "flights",
            [{"trip_id": "t, quoted", "seats": "1"}, {"trip_id": "t, quoted", "seats": "2"}],
        ),
        "hotels": _write(tmp_path / "hotels.csv", "hotels", [{"trip_id": "h", "rooms": "500"}]),
    }
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    load_bronze(con=con, files=files)
    build_layer(con=con, layer="silver", params={"conflict_tolerance": 1.0})
    yield con, files
    con.close()


def test_every_set_aside_line_is_listed_with_its_file_line_reason_and_text(run, tmp_path: Path) -> None:
    con, files = run
    summary = write_rejects(con=con, out_dir=tmp_path / "out")
    got = pd.read_parquet(tmp_path / "out" / "rejects" / "rejects.parquet")
    keys = got.key_value.astype(object).where(got.key_value.notna(), None)
    rows = list(zip(got.table_name, got.line, got.reason.str.split(":").str[0], keys, strict=True))
    assert rows == [
        ("flights", 2, "conflicting row", "t, quoted"),
        ("flights", 3, "conflicting row", "t, quoted"),
        ("hotels", 2, "implausible value", "h"),
        ("sessions", 3, "conflicting row", "1-b"),
        ("sessions", 4, "conflicting row", "1-b"),
        ("sessions", 5, "unknown user", "9-a"),
        ("sessions", 6, "does not parse", None),
        ("sessions", 7, "implausible value", "1-d"),
        ("users", 4, "repeated row", "7"),
        ("users", 5, "implausible value (kept, set to NULL)", "8"),
        ("users", 6, "null key", None),
    ]
    sessions_text = gzip.decompress(files["sessions"].read_bytes()).decode("utf-8").splitlines()
    users_text = files["users"].read_text(encoding="utf-8").splitlines()
    for row in got.itertuples():
        text = {"sessions": sessions_text, "users": users_text}.get(row.table_name)
        if text:
            assert row.raw_line == text[row.line - 1]
        assert row.file == str(files[row.table_name])
    assert got.raw_line[got.table_name == "flights"].tolist() == files["flights"].read_text().splitlines()[1:]
    assert "page_clicks" in got.reason[got.line.eq(6) & got.table_name.eq("sessions")].item()
    # The CSV holds the same rows, for a spreadsheet.
    assert len(pd.read_csv(tmp_path / "out" / "rejects" / "rejects.csv")) == len(got)
    assert summary.lines == 11
    assert summary.by_reason["sessions"] == {
        "conflicting row": 2,
        "does not parse": 1,
        "implausible value": 1,
        "unknown user": 1,
    }


def test_a_clean_run_publishes_an_empty_list_and_reads_no_file(run, tmp_path: Path) -> None:
    con, files = run
    con.execute("create or replace table silver.implausible_values as from silver.implausible_values limit 0")
    for table in ("users", "sessions", "flights", "hotels"):
        con.execute(f"create or replace table silver.{table}_exceptions as from silver.{table}_exceptions limit 0")
    con.execute("delete from bronze.rejects")
    con.execute("delete from bronze.users where user_id is null")
    for path in files.values():
        path.unlink()  # a file read would fail
    summary = write_rejects(con=con, out_dir=tmp_path / "out")
    assert summary.lines == 0
    assert len(pd.read_parquet(tmp_path / "out" / "rejects" / "rejects.parquet")) == 0
    assert (tmp_path / "out" / "rejects" / "rejects.csv").read_text(encoding="utf-8").startswith("table_name,file,line")
