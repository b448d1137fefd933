"""The run's DuckDB file: a cache DuckDB can be made to drop before a step that needs the room."""

from __future__ import annotations

from pathlib import Path

import duckdb

from traveltide.runtime.database import connect, release_cached_blocks


def _cached_bytes(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select sum(memory_usage_bytes) from duckdb_memory()").fetchall()[0][0]


def test_release_drops_the_cached_blocks_and_puts_the_default_limit_back(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect() as fresh:
        ((default,),) = fresh.execute("select current_setting('memory_limit')").fetchall()
    with connect(path=db) as con:
        con.execute("create table t as select range as i, md5(range::varchar) as s from range(2000000)").fetchall()
        con.execute("checkpoint").fetchall()
        assert con.execute("select count(distinct s) from t").fetchall() == [(2_000_000,)]
        before = _cached_bytes(con)
        assert before > 20 * 2**20  # the table's blocks, read back, stay cached
        release_cached_blocks(con=con)
        assert _cached_bytes(con) < before / 10
        assert con.execute("select current_setting('memory_limit')").fetchall() == [(default,)]
        # The data are on disk, not lost: the next query reads them again.
        assert con.execute("select count(distinct s) from t").fetchall() == [(2_000_000,)]


_READ_TWICE = (
    "select k, count(*) from v where hash(k) in (select hash(k) from v group by 1 having count(*) > 1) "
    "group by all having count(*) > 1"
)


def _view_with_a_join(con: duckdb.DuckDBPyConnection, *, schema: str) -> None:
    """Like silver.sessions: a table's rows less a few set aside (an anti join)."""
    con.execute(f"create table {schema}.t as select range as k from range(100000)").fetchall()
    con.execute(f"create table {schema}.x as select range * 7 as k from range(10)").fetchall()
    con.execute(f"create view {schema}.v as select k from {schema}.t anti join {schema}.x using (k)").fetchall()


def _plan(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(f"explain {_READ_TWICE}").fetchall()[0][1]


def test_a_view_read_twice_in_one_query_is_not_materialised(tmp_path: Path) -> None:
    """A key check reads its table twice; silver's tables are views, and DuckDB's common-subplan
    optimizer would hold the view's rows in memory between the two reads."""
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as plain:
        _view_with_a_join(plain, schema="main")
        # DuckDB's default materialises the view once and reads it twice (a CTE in the plan).
        assert "CTE" in _plan(plain)
    with connect(path=db) as con:
        assert "CTE" not in _plan(con)
        assert con.execute(_READ_TWICE).fetchall() == []


def test_great_expectations_connections_carry_the_same_settings(tmp_path: Path) -> None:
    """GX may open the file first (validating on its own), through duckdb-engine."""
    import great_expectations as gx
    import sqlalchemy as sa

    from traveltide.quality.gx_duckdb import add_duckdb_datasource

    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as plain:
        plain.execute("create schema bronze").fetchall()
        _view_with_a_join(plain, schema="bronze")
    datasource = add_duckdb_datasource(context=gx.get_context(mode="ephemeral"), name="d", db_path=db, schema="bronze")
    try:
        with datasource.get_execution_engine().engine.connect() as gx_con:
            plan = gx_con.execute(sa.text(f"explain {_READ_TWICE}")).fetchall()[0][1]
        assert "CTE" not in plan
    finally:
        datasource.get_execution_engine().close()
        datasource.get_engine().dispose()
