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

__all__ = ["INSTANCE_SETTINGS", "connect", "release_cached_blocks", "shared_config"]

# Set on every connection to the run's file (DuckDB keeps them for the whole instance).
# DuckDB's common-subplan optimizer materialises a part of a plan that a query reads twice.
# silver.sessions is a view, and a key check reads it twice (the keys' hashes, then the rows of
# repeated ones): at four times the real data that held 21 M session ids in memory, and silver's
# checks alone peaked at 3.1-3.4 GiB against 2.0-2.2 GiB without it, in the same CPU time. The
# layer SQL says where it wants a result kept (a CTE read twice is materialised).
INSTANCE_SETTINGS = ("set disabled_optimizers = 'common_subplan'",)


@functools.cache
def shared_config() -> dict[str, str | bool | int | float | list[str]]:
    """The configuration duckdb-engine gives its connections (its user agent string)."""
    return {"custom_user_agent": f"duckdb_engine/{version('duckdb_engine')}(sqlalchemy/{version('sqlalchemy')})"}


def connect(*, path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the database file at ``path``, with :data:`INSTANCE_SETTINGS`."""
    con = duckdb.connect(str(path), config=shared_config())
    for statement in INSTANCE_SETTINGS:
        con.execute(statement).fetchall()
    return con


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
