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
