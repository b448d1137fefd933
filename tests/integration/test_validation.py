"""Great Expectations gates on real DuckDB files: pass, critical stop, warning, docs, setup errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from helpers.bronze_builder import create_bronze
from helpers.warehouse import make_warehouse
from traveltide import contract
from traveltide.build import build_layer
from traveltide.contract import bronze
from traveltide.quality import (
    LayerValidation,
    SuiteError,
    ValidationFailed,
    ValidationSetupError,
    build_data_docs,
    load_layer_suites,
    validate_layer,
)
from traveltide.quality.suites import LAYERS, default_expectations_dir
from traveltide.runtime.database import connect

HEX = "0123456789abcdef0123456789abcdef"


def _create_bronze(con: duckdb.DuckDBPyConnection) -> None:
    create_bronze(con=con)
    # Three users, two sessions each: user 1 books trip 1 (flight + hotel), cancels it later.
    con.execute(
        "insert into bronze.users values "
        "(1, '1990-01-01', 'F', true, false, 'usa', 'boston', 'BOS', 42.36, -71.01, '2022-01-01'),"
        "(2, '1985-05-05', 'M', false, true, 'canada', 'toronto', 'YYZ', 43.68, -79.63, '2022-02-01'),"
        "(3, '1970-07-07', 'O', true, true, 'usa', 'denver', 'DEN', 39.86, -104.67, '2022-03-01')"
    )
    con.execute(
        "insert into bronze.sessions values "
        f"('1-{HEX}', 1, '1-{HEX}', '2023-02-01 10:00', '2023-02-01 10:01', true, false, 0.1, null, true, true, 8, false),"
        f"('1-{HEX[::-1]}', 1, '1-{HEX}', '2023-02-03 10:00', '2023-02-03 10:01', true, true, null, null, true, true, 3, true),"
        f"('2-{HEX}', 2, null, '2023-02-01 11:00', '2023-02-01 11:02', false, false, null, null, false, false, 12, false),"
        f"('2-{HEX[::-1]}', 2, null, '2023-02-02 11:00', '2023-02-02 11:00:30', false, true, null, 0.25, false, false, 4, false),"
        f"('3-{HEX}', 3, null, '2023-02-01 12:00', '2023-02-01 12:00:10', false, false, null, null, false, false, 1, false),"
        f"('3-{HEX[::-1]}', 3, null, '2023-02-05 12:00', '2023-02-05 12:00:20', false, false, null, null, false, false, 0, false)"
    )
    con.execute(
        "insert into bronze.flights values "
        f"('1-{HEX}', 'BOS', 'ottawa', 'YOW', 1, true, '2023-03-01 07:00', '2023-03-05 07:00', 1, 'Air Canada', 45.32, -75.67, 657.64)"
    )
    con.execute(
        "insert into bronze.hotels values "
        f"('1-{HEX}', 'NH Hotel  - ottawa', 4, 1, '2023-03-01 13:00', '2023-03-05 11:00', 110)"
    )


@pytest.fixture()
def bronze_db(tmp_path: Path) -> Path:
    path = tmp_path / "work.duckdb"
    con = duckdb.connect(str(path))
    _create_bronze(con)
    con.close()
    return path


def _alter(path: Path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    for statement in statements:
        con.execute(statement)
    con.close()


def test_clean_bronze_passes_and_docs_name_each_suite(bronze_db: Path, tmp_path: Path) -> None:
    docs = tmp_path / "data_docs"
    result = validate_layer(db_path=bronze_db, layer="bronze", docs_dir=docs, run_id="run-1")
    assert isinstance(result, LayerValidation)
    assert result.critical_failures == ()
    assert result.warnings == ()
    result.raise_for_critical()  # no exception
    assert result.suites == ("bronze.users", "bronze.sessions", "bronze.flights", "bronze.hotels")
    index = (docs / "index.html").read_text(encoding="utf-8")
    for suite in result.suites:
        assert suite in index
    summary = result.to_dict()
    assert summary["success"] is True
    json.dumps(summary)  # manifest-ready
    # Contract-generated checks ran for every table: 4 tables x (rows, columns, types).
    kinds = [o.expectation for o in result.outcomes]
    assert kinds.count("expect_table_columns_to_match_ordered_list") == 4
    assert kinds.count("expect_table_row_count_to_be_between") == 4


def test_layers_validated_without_docs_get_them_in_one_build(bronze_db: Path, tmp_path: Path) -> None:
    """The flow stores each layer's results and renders every layer's pages once, at the end."""
    con = connect(path=bronze_db)
    build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})
    con.close()
    docs = tmp_path / "data_docs"
    results = [
        validate_layer(db_path=bronze_db, layer=layer, docs_dir=docs, run_id="r", build_docs=False)
        for layer in ("bronze", "silver")
    ]
    assert not (docs / "index.html").exists()
    assert build_data_docs(docs_dir=docs) == docs.resolve() / "index.html"
    index = (docs / "index.html").read_text(encoding="utf-8")
    suites = [name for result in results for name in result.suites]
    assert len(suites) == 13
    for name in suites:
        assert name in index
        layer, table = name.split(".")
        assert (docs / "expectations" / layer / f"{table}.html").is_file(), name
        assert list((docs / "validations" / layer / table).rglob("*.html")), name
    assert "cdn" not in index.lower()  # readable offline, as every build


def test_null_key_and_wrong_type_fail_critical_with_sample(bronze_db: Path, tmp_path: Path) -> None:
    docs = tmp_path / "data_docs"
    validate_layer(db_path=bronze_db, layer="bronze", docs_dir=docs, run_id="run-1")
    pages_before = len(list((docs / "validations").rglob("*.html")))
    # A NULL user id, a column of the wrong type, and a flight repeated identically (harmless).
    _alter(
        bronze_db,
        "insert into bronze.users values (null, '1999-09-09', 'F', false, false, 'usa', 'reno', 'RNO', 39.5, -119.8, '2022-05-01')",
        "insert into bronze.flights select * from bronze.flights",
        "alter table bronze.users alter married type varchar",
    )
    result = validate_layer(db_path=bronze_db, layer="bronze", docs_dir=docs, run_id="run-1")
    failed = {(o.suite, o.expectation, o.column) for o in result.critical_failures}
    assert failed == {
        ("bronze.users", "expect_column_values_to_not_be_null", "user_id"),
        # the contract's column types
        (
            "bronze.users",
            "unexpected_rows_expectation (Every contract column exists with its contract type "
            "(rows: column, expected, actual).)",
            None,
        ),
    }
    types = next(o for o in result.critical_failures if o.suite == "bronze.users" and o.column is None)
    assert types.sample == (("married", "BOOLEAN", "VARCHAR"),)
    with pytest.raises(
        ValidationFailed,
        match=r"(?s)bronze validation failed: 2 critical.*stopped before publishing.*"
        r"bronze\.users\.user_id: expect_column_values_to_not_be_null",
    ):
        result.raise_for_critical()
    assert "bronze.users.user_id: expect_column_values_to_not_be_null" in result.format()
    # The same run's docs keep the first validation and add the failed one.
    assert len(list((docs / "validations").rglob("*.html"))) == 2 * pages_before


def test_warning_oddities_are_reported_not_critical(bronze_db: Path, tmp_path: Path) -> None:
    _alter(
        bronze_db,
        "update bronze.hotels set nights = -1",  # negative source nights (SPEC §1)
        "update bronze.flights set seats = 0",  # 0-seat flight
    )
    result = validate_layer(db_path=bronze_db, layer="bronze", docs_dir=tmp_path / "docs", run_id="r")
    assert result.critical_failures == ()
    warned = {(o.suite, o.column or o.expectation) for o in result.warnings}
    assert warned == {("bronze.hotels", "nights"), ("bronze.flights", "seats")}
    seats = next(o for o in result.warnings if o.suite == "bronze.flights")
    assert seats.observed == "1 of 1 rows unexpected" and seats.sample == (0,)
    assert "why:" in result.format()
    result.raise_for_critical()


def test_repeats_conflicts_and_unknown_users_are_reported_by_silver(bronze_db: Path, tmp_path: Path) -> None:
    """Identical repeats are dropped and counted; conflicts are listed, critical beyond the tolerance."""
    _alter(
        bronze_db,
        f"insert into bronze.sessions select s.* from bronze.sessions s, range(2) where s.session_id = '2-{HEX}'",
        f"insert into bronze.sessions values ('9-{HEX}', 9, null, '2023-02-01 10:00', '2023-02-01 10:01', false, false, null, null, false, false, 2, false)",
        "insert into bronze.hotels select * from bronze.hotels",
    )
    result = validate_layer(db_path=bronze_db, layer="bronze", docs_dir=tmp_path / "docs", run_id="r")
    assert result.critical_failures == ()  # repeats are silver's job, not a broken export

    def silver(tolerance: float) -> LayerValidation:
        with connect(path=bronze_db) as con:
            build_layer(con=con, layer="silver", params={"conflict_tolerance": tolerance})
        return validate_layer(db_path=bronze_db, layer="silver", docs_dir=tmp_path / "docs", run_id="r")

    result = silver(0.01)
    assert result.critical_failures == ()
    warned = {(o.suite, o.expectation.split(" (", 1)[1].split(" (rows")[0]): o.sample for o in result.warnings}
    assert warned == {
        ("silver.set_aside", "rows repeated identically, dropped"): (("hotels", 1), ("sessions", 2)),
        ("silver.set_aside", "sessions set aside for an unknown user"): ((9, 1),),
    }
    # One of the three copies of session 2 now differs: a conflict, 1 of 9 rows (11 % > 1 %).
    _alter(
        bronze_db,
        f"update bronze.sessions set page_clicks = 99 where session_id = '2-{HEX}' and rowid = (select max(rowid) from bronze.sessions where session_id = '2-{HEX}')",
    )
    result = silver(0.01)
    listed = next(o for o in result.warnings if o.suite == "silver.key_conflicts")
    assert listed.sample == (("sessions", f"2-{HEX}", 3, 2, ["page_clicks"]),)
    (stop,) = result.critical_failures
    assert stop.suite == "silver.conflict_shares"
    assert stop.sample == (("sessions", "sessions rows written by the test", 9, 1, round(1 / 9, 6), 0.01),)
    with pytest.raises(ValidationFailed) as stopped:
        result.raise_for_critical()
    # The message's last line, which the command line prints last, is the reason (the file named
    # in its example row) and what to do.
    assert (
        str(stopped.value)
        .splitlines()[-1]
        .startswith("silver.conflict_shares: unexpected_rows_expectation (more of an export's rows conflict")
    )
    assert "(e.g. ('sessions', 'sessions rows written by the test', 9, 1" in str(stopped.value).splitlines()[-1]
    assert (
        str(stopped.value)
        .splitlines()[-1]
        .endswith(
            "or raise the conflict_tolerance setting (--conflict-tolerance, TRAVELTIDE_CONFLICT_TOLERANCE or "
            "traveltide.toml) if the conflicts are expected"
        )
    )
    assert silver(0.2).critical_failures == ()  # within a tolerance the operator set


def test_silver_that_breaks_its_promises_fails_critical(bronze_db: Path, tmp_path: Path) -> None:
    """Silver's own checks: one row per key and every session's user known."""
    con = connect(path=bronze_db)  # the run's configuration, so validation can connect beside it
    build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})
    result = validate_layer(db_path=bronze_db, layer="silver", docs_dir=tmp_path / "docs", run_id="r1")
    assert result.critical_failures == ()
    # Replace the view by a table holding a repeated session and a session of an unknown user.
    con.execute("create table silver.broken as select * from silver.sessions")
    con.execute(f"insert into silver.broken select * from silver.sessions where session_id = '3-{HEX}'")
    con.execute(
        f"insert into silver.broken select * replace ('9-{HEX}' as session_id, 9 as user_id) "
        f"from silver.sessions where session_id = '3-{HEX}'"
    )
    con.execute("drop view silver.sessions")
    con.execute("alter table silver.broken rename to sessions")
    con.close()
    result = validate_layer(db_path=bronze_db, layer="silver", docs_dir=tmp_path / "docs", run_id="r2")
    failed = {o.expectation: o.sample for o in result.critical_failures}
    assert failed == {
        "unexpected_rows_expectation (session_id appears more than once (rows: session_id, rows))": ((f"3-{HEX}", 2),),
        "unexpected_rows_expectation (user_id values missing from silver.users.user_id)": (9,),
    }


def test_silver_suites_do_not_repeat_the_bronze_checks_of_passed_through_columns() -> None:
    """Silver passes these columns through unchanged and runs only after bronze passed."""

    def column_checks(layer: str, table: str) -> set[tuple[str, str, str]]:
        suite = json.loads((default_expectations_dir() / layer / f"{table}.json").read_text(encoding="utf-8"))
        return {
            (e["type"], json.dumps(e["kwargs"], sort_keys=True), e["meta"]["severity"])
            for e in suite["expectations"]
            if "column" in e["kwargs"]
        }

    for table in bronze.LAYER.published:
        assert column_checks("silver", table.name).isdisjoint(column_checks("bronze", table.name)), table.name


def test_missing_table_is_a_clear_error(bronze_db: Path, tmp_path: Path) -> None:
    _alter(bronze_db, "drop table bronze.hotels")
    with pytest.raises(
        ValidationSetupError, match=r"has no table bronze\.hotels \(suite .*hotels\.json\): run the step"
    ):
        validate_layer(db_path=bronze_db, layer="bronze", docs_dir=tmp_path / "docs", run_id="r")


@pytest.mark.parametrize("layer", LAYERS)
def test_every_contract_table_has_a_reviewed_suite(layer: str) -> None:
    suites = load_layer_suites(layer=layer)
    assert [s.table for s in suites] == [t.name for t in contract.layer(layer).published]
    for suite in suites:
        raw = json.loads(suite.path.read_text(encoding="utf-8"))
        assert raw["name"] == suite.name
        assert all(e["meta"]["severity"] in {"critical", "warning"} and e["meta"]["why"] for e in suite.expectations)


def test_suite_without_severity_is_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "bronze"
    folder.mkdir()
    for table in ("users", "sessions", "flights", "hotels"):
        (folder / f"{table}.json").write_text((default_expectations_dir() / "bronze" / f"{table}.json").read_text())
    (folder / "hotels.json").write_text(
        json.dumps({"expectations": [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "trip_id"}}]})
    )
    with pytest.raises(
        SuiteError, match=r"hotels\.json: expectation #1 \(expect_column_values_to_be_unique\) needs meta\.severity"
    ):
        load_layer_suites(layer="bronze", expectations_dir=tmp_path)


def test_importing_the_package_does_not_import_great_expectations() -> None:
    code = "import sys, traveltide.quality; sys.exit('great_expectations' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_gold_checks_not_null_once_per_table_and_names_the_columns(tmp_path: Path) -> None:
    """Gold and mart fold the contract's NOT NULL columns into one SQL check per table."""
    path = tmp_path / "work.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema gold")
    tables = contract.layer("gold").published
    for table in tables:
        con.execute(f"create table {table.qualified_name} ({', '.join(f'{c.name} {c.type}' for c in table.columns)})")
        con.execute(f"insert into {table.qualified_name} default values")  # one row, every column NULL
    con.close()
    suites = load_layer_suites(layer="gold")
    assert not any(e["type"] == "expect_column_values_to_not_be_null" for s in suites for e in s.expectations)
    result = validate_layer(db_path=path, layer="gold", docs_dir=tmp_path / "docs", run_id="r")
    null_checks = {o.suite: o for o in result.critical_failures if "NOT NULL columns" in o.expectation}
    assert set(null_checks) == {f"gold.{t.name}" for t in tables if any(not c.nullable for c in t.columns)}
    cohort = next(t for t in tables if t.name == "cohort")
    expected = tuple((c.name, 1) for c in cohort.columns if not c.nullable)
    assert null_checks["gold.cohort"].sample == expected


@pytest.mark.parametrize(
    ("break_gold", "failure"),
    [
        (
            "delete from gold.trips where trip_id = '2-b'",
            (
                "mart.fact_sessions",
                "unexpected_rows_expectation (trip_id values missing from mart.dim_trips.trip_id)",
                ("2-b",),
            ),
        ),
        (
            "insert into gold.user_segments (user_id, segment_id, perk) values (1, 2, 'Free checked bag')",
            (
                "mart.dim_users",
                "unexpected_rows_expectation (user_id appears more than once (rows: user_id, rows))",
                ((1, 2),),
            ),
        ),
        (
            "update gold.user_segments set segment_id = null where user_id = 1",
            (
                "mart.dim_users",
                "unexpected_rows_expectation (No NULL in the contract's NOT NULL columns (rows: column, nulls).)",
                (("segment_id", 1),),
            ),
        ),
    ],
    ids=["orphan-trip", "duplicate-user", "null-key"],
)
def test_mart_keys_are_checked_by_the_mart_suite(tmp_path: Path, break_gold: str, failure: tuple) -> None:
    """The star's keys, from the contract, are checked once: by the mart's suites, before publish."""
    path = tmp_path / "work.duckdb"
    with connect(path=path) as con:
        make_warehouse(con)
        # dim_users' suite also checks that every cohort user is in the star
        con.execute(
            "create table gold.cohort as select user_id, total_sessions as window_sessions, "
            "timestamp '2023-01-04' as first_window_session, timestamp '2023-01-09' as last_window_session "
            "from gold.user_features"
        )
        build_layer(con=con, layer="mart")
        assert validate_layer(db_path=path, layer="mart", docs_dir=tmp_path / "ok", run_id="r").critical_failures == ()
        con.execute(break_gold)
        build_layer(con=con, layer="mart")
    result = validate_layer(db_path=path, layer="mart", docs_dir=tmp_path / "broken", run_id="r")
    assert [(o.suite, o.expectation, o.sample) for o in result.critical_failures] == [failure]
    with pytest.raises(ValidationFailed, match=r"mart validation failed: 1 critical expectation"):
        result.raise_for_critical()
