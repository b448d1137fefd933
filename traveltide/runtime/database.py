"""Open the run's DuckDB file the one way the steps and Great Expectations share.

DuckDB keeps one database instance per file and process, and refuses a second connection
with a different configuration while the first is open. Great Expectations connects through
duckdb-engine, which puts its user agent into the configuration; connections opened here
carry the same one, so a step can keep reading (the background Parquet export) while GX
validates.
"""

from __future__ import annotations

import functools
from importlib.metadata import version
from pathlib import Path

import duckdb

__all__ = ["connect", "release_cached_blocks", "shared_config"]


@functools.cache
def shared_config() -> dict[str, str | bool | int | float | list[str]]:
    """The configuration duckdb-engine gives its connections (its user agent string)."""
    return {"custom_user_agent": f"duckdb_engine/{version('duckdb_engine')}(sqlalchemy/{version('sqlalchemy')})"}


def connect(*, path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the database file at ``path``."""
    return duckdb.connect(str(path), config=shared_config())


def release_cached_blocks(*, con: duckdb.DuckDBPyConnection) -> None:
    """Let DuckDB drop the blocks of the database file it keeps cached (they are on disk), so the
    next query starts from what it pins, not from everything the run has read so far.

    DuckDB only evicts under its memory limit: the limit is lowered for a moment and reset to
    DuckDB's default (80 % of RAM; the toolkit sets no other). Call only while no other query
    runs in this process: one that allocated in that moment would fail. If something is pinned,
    the lower limit is refused and nothing changes.
    """
    try:
        con.execute("set memory_limit = '1MB'").fetchall()
    except duckdb.Error:
        pass
    finally:
        con.execute("reset memory_limit").fetchall()
