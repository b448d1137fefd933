"""The GX-on-DuckDB workaround is still needed, and still works (great-expectations#10738, #11579)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pytest
import sqlalchemy as sa
from great_expectations.execution_engine.sqlalchemy_execution_engine import (
    SqlAlchemyExecutionEngine,
)

from traveltide.quality.gx_duckdb import (
    add_duckdb_datasource,
    connection_string,
    install,
    one_reflection_per_schema,
)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema bronze; create table bronze.users as select range::integer as user_id from range(7)")
    con.close()
    return path


def _engine(db: Path) -> SqlAlchemyExecutionEngine:
    return SqlAlchemyExecutionEngine(connection_string=connection_string(db_path=db))


def test_unpatched_execute_query_still_loses_rows(db: Path) -> None:
    install()
    original = SqlAlchemyExecutionEngine.execute_query.__wrapped__
    engine = _engine(db)
    rows = original(engine, sa.text("select count(*) from bronze.users")).fetchall()
    # If this starts returning [(7,)], upstream fixed the bug: delete install() and this module.
    assert rows == []
    engine.close()


def test_patched_execute_query_returns_rows(db: Path) -> None:
    install()
    engine = _engine(db)
    assert engine.execute_query(sa.text("select count(*) from bronze.users")).fetchall() == [(7,)]
    engine.close()


def test_unpatched_reflection_still_mixes_schemas_and_the_patched_one_reads_the_current_schema(db: Path) -> None:
    """duckdb-engine 0.17 reflects a bare name across every schema; the patch reads the connection's own."""
    import duckdb_engine

    install()
    con = duckdb.connect(str(db))
    con.execute(
        "create schema if not exists silver; create or replace table silver.users (user_id integer, age integer)"
    )
    con.close()
    engine = sa.create_engine(connection_string(db_path=db))
    sa.event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("SET search_path = 'bronze'"))
    bronze_columns = ["user_id"]  # the fixture's bronze.users
    with engine.connect() as connection:
        unpatched = duckdb_engine.Dialect.get_columns.__wrapped__
        mixed = [c["name"] for c in unpatched(engine.dialect, connection, "users", schema=None)]
        assert mixed != bronze_columns and mixed.count("user_id") == 2  # fails once upstream fixes it
        assert [c["name"] for c in sa.inspect(connection).get_columns("users")] == bronze_columns
    engine.dispose()


def test_inside_one_validation_a_schema_is_reflected_once_with_the_same_columns(db: Path) -> None:
    """Each table gets a new inspector from GX; the block reflects the schema in one catalog query."""
    install()
    con = duckdb.connect(str(db))
    con.execute("create table bronze.trips (trip_id varchar, nights integer, fare decimal(10, 2))")
    con.close()
    engine = sa.create_engine(connection_string(db_path=db))
    sa.event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("SET search_path = 'bronze'"))
    catalog: list[str] = []
    sa.event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, *_: catalog.append(sql) if "pg_attribute" in sql else None,
    )

    def reflect() -> dict[str, list[tuple[str, str]]]:
        with engine.connect() as connection:  # a new inspector per table, as GX has
            return {
                t: [(c["name"], str(c["type"])) for c in sa.inspect(connection).get_columns(t)]
                for t in ("users", "trips")
            }

    one_by_one = reflect()
    assert len(catalog) == 2
    catalog.clear()
    with one_reflection_per_schema():
        assert (
            reflect()
            == one_by_one
            == {
                "users": [("user_id", "INTEGER")],
                "trips": [("trip_id", "VARCHAR"), ("nights", "INTEGER"), ("fare", "NUMERIC(10, 2)")],
            }
        )
    assert len(catalog) == 1
    engine.dispose()


def _bronze_datasource(db: Path) -> Any:
    return add_duckdb_datasource(context=gx.get_context(mode="ephemeral"), name="d", db_path=db, schema="bronze")


def _users(datasource: Any) -> Any:
    """bronze.users, whole, as a batch (bare "users" resolves through the datasource's search_path)."""
    return (
        datasource.add_table_asset(name="u", table_name="users")
        .add_batch_definition_whole_table(name="all")
        .get_batch()
    )


def _close(datasource: Any) -> None:
    datasource.get_execution_engine().close()
    datasource.get_engine().dispose()


def test_expectations_run_on_duckdb_through_the_datasource(db: Path) -> None:
    # Bare "users" resolves through the search_path the datasource sets (schema bronze).
    datasource = _bronze_datasource(db)
    batch = _users(datasource)
    result = batch.validate(gx.expectations.ExpectColumnValuesToBeBetween(column="user_id", min_value=0, max_value=5))
    assert result.result["unexpected_count"] == 1
    assert result.result["partial_unexpected_list"] == [6]
    _close(datasource)


def test_sql_expectation_runs_its_query_once_and_counts_every_row(db: Path) -> None:
    datasource = _bronze_datasource(db)
    sent: list[str] = []
    engine = datasource.get_execution_engine().engine
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_: sent.append(statement))
    batch = _users(datasource)
    query = "select user_id from {batch} where user_id >= 2"
    result = batch.validate(
        gx.expectations.UnexpectedRowsExpectation(unexpected_rows_query=query), result_format="COMPLETE"
    )
    # 5 of 7 ids match; GX asks for the rows and for their count, DuckDB scans the table once.
    assert not result.success
    assert result.result["observed_value"] == 5
    assert sorted(r["user_id"] for r in result.result["details"]["unexpected_rows"]) == [2, 3, 4, 5, 6]
    scans = [s for s in sent if "where user_id >= 2" in s]
    assert len(scans) == 1 and not scans[0].lstrip().upper().startswith("SELECT COUNT")
    _close(datasource)


def test_a_step_can_read_while_great_expectations_validates(db: Path) -> None:
    """The run's own connections share duckdb-engine's configuration (traveltide.runtime.database)."""
    from traveltide.runtime.database import connect

    step = connect(path=db)  # e.g. the background Parquet export, still open
    datasource = _bronze_datasource(db)
    batch = _users(datasource)
    result = batch.validate(gx.expectations.ExpectTableRowCountToEqual(value=7))
    assert result.success
    assert step.execute("select count(*) from bronze.users").fetchall() == [(7,)]
    step.close()
    _close(datasource)
