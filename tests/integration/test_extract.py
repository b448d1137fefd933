"""Round trip of the real deliverable: write the .hyper, read it back with tableauhyperapi."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import duckdb
import pytest
from tableauhyperapi import Connection, CreateMode, HyperProcess, Telemetry

from helpers.warehouse import make_warehouse
from traveltide.build import BuildError, build_layer
from traveltide.contract.mart import LAYER
from traveltide.publish.extract import (
    ExtractError,
    describe_extract,
    hyper_connection,
    write_extract,
)
from traveltide.publish.inspect import inspect_text


def _hyperd_children() -> list[int]:
    """Processes called hyperd whose parent is this test process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if comm.startswith("hyperd") and ppid == os.getpid():
            found.append(int(entry.name))
    return found


def _logs(folder: Path) -> list[Path]:
    return sorted(folder.glob("hyperd*.log"))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The extract of the hand-built warehouse, with the mart counts, written once."""
    folder = tmp_path_factory.mktemp("extract")
    tmp_logs_before = _logs(Path(tempfile.gettempdir()))
    con = duckdb.connect()
    make_warehouse(con)
    mart_counts = build_layer(con=con, layer="mart")
    path = folder / "traveltide.hyper"
    counts = write_extract(con=con, path=path, file_version="2")
    con.close()
    return path, counts, mart_counts, tmp_logs_before


def test_counts_equal_the_mart(written):
    path, counts, mart_counts, _ = written
    assert counts == mart_counts
    rows = {t.name: t.rows for t in describe_extract(path=path).tables}
    assert rows == {"dim_segments": 2, "dim_users": 2, "dim_trips": 2, "fact_sessions": 4, "dim_date": 406}


def test_tables_and_types_match_the_contract(written):
    path, *_ = written
    description = describe_extract(path=path)
    assert [t.name for t in description.tables] == sorted(t.name for t in LAYER.tables)
    expected_types = {
        "INTEGER": "INT",
        "BIGINT": "BIG_INT",
        "DOUBLE": "DOUBLE",
        "BOOLEAN": "BOOL",
        "VARCHAR": "TEXT",
        "DATE": "DATE",
        "TIMESTAMP": "TIMESTAMP",
    }
    for table in LAYER.tables:
        got = description.table(table.name)
        assert [(c.name, c.type, c.nullable) for c in got.columns] == [
            (c.name, expected_types[c.type], c.nullable) for c in table.columns
        ], table.name
    fact = {c.name: (c.type, c.nullable) for c in description.table("fact_sessions").columns}
    assert fact["session_date"] == ("DATE", False)
    assert fact["session_start"] == ("TIMESTAMP", True)
    assert fact["trip_id"] == ("TEXT", True)
    assert fact["session_seconds"] == ("DOUBLE", True)
    assert fact["cancellation"] == ("BOOL", True)


def test_keys_are_declared_in_the_catalog(written):
    path, *_ = written
    query = """
        SELECT c.contype, r.relname, a.attname, f.relname, fa.attname
        FROM pg_catalog.pg_constraint c
        JOIN pg_catalog.pg_class r ON r.oid = c.conrelid
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        LEFT JOIN pg_catalog.pg_class f ON f.oid = c.confrelid
        LEFT JOIN pg_catalog.pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
    """
    with HyperProcess(Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_config": ""}) as hyper:
        with Connection(hyper.endpoint, path, CreateMode.NONE) as c:
            rows = {tuple(r) for r in c.execute_list_query(query)}
    assert rows == {
        ("p", "fact_sessions", "session_id", None, None),
        ("p", "dim_users", "user_id", None, None),
        ("p", "dim_trips", "trip_id", None, None),
        ("p", "dim_segments", "segment_id", None, None),
        ("p", "dim_date", "calendar_date", None, None),
        ("f", "fact_sessions", "user_id", "dim_users", "user_id"),
        ("f", "fact_sessions", "trip_id", "dim_trips", "trip_id"),
        ("f", "fact_sessions", "session_date", "dim_date", "calendar_date"),
        ("f", "dim_users", "segment_id", "dim_segments", "segment_id"),
    }
    fact = describe_extract(path=path).table("fact_sessions")
    assert fact.primary_key == ("session_id",)
    assert {(fk.columns, fk.ref_table, fk.ref_columns) for fk in fact.foreign_keys} == {
        (("user_id",), "dim_users", ("user_id",)),
        (("trip_id",), "dim_trips", ("trip_id",)),
        (("session_date",), "dim_date", ("calendar_date",)),
    }


def test_every_fact_row_resolves_in_the_file(written):
    path, *_ = written
    with hyper_connection(path=path) as c:
        joined = c.execute_list_query(
            'SELECT f."session_id", s."perk", d."weekday_name", t."hotel_brand" '
            'FROM "Extract"."fact_sessions" f '
            'JOIN "Extract"."dim_users" u ON u."user_id" = f."user_id" '
            'JOIN "Extract"."dim_segments" s ON s."segment_id" = u."segment_id" '
            'JOIN "Extract"."dim_date" d ON d."calendar_date" = f."session_date" '
            'LEFT JOIN "Extract"."dim_trips" t ON t."trip_id" = f."trip_id" '
            'ORDER BY f."session_id"'
        )
        unmatched_trips = c.execute_scalar_query(
            'SELECT COUNT(*) FROM "Extract"."fact_sessions" f WHERE f."trip_id" IS NOT NULL '
            'AND f."trip_id" NOT IN (SELECT "trip_id" FROM "Extract"."dim_trips")'
        )
    assert joined == [
        ["1-s1", "Free checked bag", "Wednesday", None],
        ["1-s2", "Free checked bag", "Friday", "Banyan Tree"],
        ["2-s1", "No cancellation fees", "Thursday", "Hilton"],
        ["2-s2", "No cancellation fees", "Monday", "Hilton"],
    ]
    assert unmatched_trips == 0


def test_file_format_version_is_pinned(written, tmp_path):
    path, *_ = written
    assert path.read_bytes()[:5] == b"Hyper"
    assert path.read_bytes()[10] == 2
    assert describe_extract(path=path).file_version == "2"
    con = duckdb.connect()
    make_warehouse(con)
    build_layer(con=con, layer="mart")
    other = tmp_path / "v3.hyper"
    write_extract(con=con, path=other, file_version="3")
    assert other.read_bytes()[10] == 3


def test_no_hyperd_log_or_process_left(written):
    path, _, _, tmp_logs_before = written
    describe_extract(path=path)
    inspect_text(path=path)
    assert _logs(path.parent) == []
    assert _logs(Path.cwd()) == []
    assert _logs(Path(tempfile.gettempdir())) == tmp_logs_before
    assert _hyperd_children() == []


def test_rewrite_replaces_the_staging_file(written, tmp_path):
    con = duckdb.connect()
    make_warehouse(con)
    build_layer(con=con, layer="mart")
    path = tmp_path / "staging.hyper"
    path.write_bytes(b"half-written garbage")
    assert write_extract(con=con, path=path)["fact_sessions"] == 4
    assert describe_extract(path=path).table("fact_sessions").rows == 4


def test_mart_off_its_contract_writes_no_file(tmp_path):
    """The extract is written only from a mart with its contract's columns (its keys are the mart suite's)."""
    con = duckdb.connect()
    make_warehouse(con)
    build_layer(con=con, layer="mart")
    con.execute("alter table mart.fact_sessions drop column cancellation")
    path = tmp_path / "staging.hyper"
    with pytest.raises(BuildError, match=r"table mart\.fact_sessions does not match traveltide/contract/mart\.py"):
        write_extract(con=con, path=path)
    assert not path.exists()


def test_describe_refuses_a_foreign_hyper_file(tmp_path):
    path = tmp_path / "other.hyper"
    with HyperProcess(Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_config": ""}) as hyper:
        with Connection(hyper.endpoint, path, CreateMode.CREATE) as c:
            c.execute_command("CREATE TABLE t (a INT)")
    with pytest.raises(ExtractError, match=r"has no schema 'Extract'; it is not a TravelTide extract"):
        describe_extract(path=path)
    with pytest.raises(FileNotFoundError, match=r"missing\.hyper: no such extract"):
        describe_extract(path=tmp_path / "missing.hyper")


def test_inspect_lists_tables_keys_and_manifest(written, tmp_path):
    path, *_ = written
    text = inspect_text(path=path)
    assert "file format version: 2" in text
    assert "fact_sessions" in text and "FK (session_date) -> dim_date (calendar_date)" in text
    line = next(x for x in text.splitlines() if x.startswith("dim_date"))
    assert line.split()[:3] == ["dim_date", "406", "11"]
    assert "manifest: none next to the extract" in text

    copy = tmp_path / "traveltide.hyper"
    copy.write_bytes(path.read_bytes())
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    manifest = {
        "run_id": "r1",
        "finished_at": "2026-11-24T06:00:00",
        "package_version": "0.1.0",
        "settings": {"min_sessions": 7, "start_date": "2023-01-04"},
        "source": {"files": [{"table": "users", "origin": "/data/users.csv", "size": 1234, "sha256": "ab" * 32}]},
        "bronze": {"rows": {"users": 10, "sessions": 40}, "rejected": {"users": 1, "sessions": 2}},
        "silver": {
            "users": {"set_aside": {"duplicate key": 1}},
            "sessions": {"set_aside": {"duplicate key": 2, "unknown user": 3}},
        },
        "row_counts": {"gold": {"cohort": 2}},
        "segments": {
            "k": 2,
            "k_selection": "fixed",
            "segments": [
                {"segment_id": 1, "segment_name": "Heavy packers", "users": 1, "perk": "Free checked bag"},
                {"segment_id": 2, "segment_name": "Frequent cancellers", "users": 1, "perk": "No cancellation fees"},
            ],
        },
        "validation": {"bronze": {"passed": 56, "expectations": 57, "critical_failures": 0, "warnings": 1}},
        "outputs": [{"path": "traveltide.hyper", "sha256": digest}],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    text = inspect_text(path=copy)
    assert "  run: r1, finished 2026-11-24T06:00:00, package 0.1.0" in text
    assert "  source users: /data/users.csv (1,234 bytes, sha256 abababababab)" in text
    assert "  bronze rows: users 10, sessions 40; lines rejected: 3" in text
    assert "  set aside in silver: duplicate key 3, unknown user 3" in text
    assert "  cohort: 2 users with >= 7 sessions since 2023-01-04" in text
    assert "    1 Heavy packers: 1 users -> Free checked bag" in text
    assert "  validation bronze: 56/57 passed, 0 critical, 1 warnings" in text
    assert "  extract matches this manifest (sha256)" in text
    # An extract that is not the one the manifest describes is flagged.
    manifest["outputs"][0]["sha256"] = "0" * 64
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert "WARNING: the extract is not the file this manifest describes" in inspect_text(path=copy)
