"""Make Great Expectations 1.24 validate tables where they live, in a DuckDB file.

Two gaps between GX's SQLAlchemy engine and duckdb-engine 0.17, and one cost, all contained here:

1. ``SqlAlchemyExecutionEngine.execute_query`` returns the cursor result *after* leaving
   ``with engine.connect()``; duckdb-engine drops the rows when the connection closes, so
   every metric fails with "list index out of range" (great-expectations#10738, #11579).
   :func:`install` buffers the rows while the connection is still open (DuckDB only).
2. GX reflects a table's columns with ``inspector.get_columns(name, schema=None)`` (GX 1.24
   wants the schema in the connection, not in the asset). duckdb-engine 0.17 answers with the
   columns of every same-named table of every schema (``['user_id', 'user_id', ...]`` for
   ``bronze.users`` beside ``silver.users``). The datasource made by
   :func:`add_duckdb_datasource` sets DuckDB's ``search_path`` to the layer's schema on every
   connection, so bare table names resolve, and :func:`install` makes a reflection without a
   schema ask for the connection's current schema. (SQLAlchemy 2.1 hid this: its reflection
   failed on ``pg_catalog.pg_collation`` and GX fell back to ``SELECT *``; it is pinned to 2.0
   because Prefect 3.8.8's scheduler fails with 2.1, see README "Scheduling".)

   Inside :func:`one_reflection_per_schema` the reflection asks the catalog for every table of
   the schema at once and keeps the answer for the block: duckdb-engine's catalog query costs
   about 45 ms whatever it asks for, and GX reflects each table of a layer with a new inspector
   (silver: 9 queries, 0.4 s, became one).

3. Each SQL expectation (``UnexpectedRowsExpectation``) runs its query twice: once for the
   rows, once wrapped in ``SELECT COUNT(*)``. The buffered rows already give the count, so
   :func:`install` answers the second form from the first (per execution engine, i.e. per
   validation of a layer, when the data does not change): the full-scale suites send a third
   fewer table scans.

``tests/integration/test_gx_duckdb_workaround.py`` fails once either gap is closed upstream.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from traveltide.runtime.database import INSTANCE_SETTINGS

__all__ = [
    "SEARCH_PATH_STATEMENTS",
    "add_duckdb_datasource",
    "connection_string",
    "install",
    "one_reflection_per_schema",
]

# One fixed statement per layer schema: SET takes no bind parameters in DuckDB.
SEARCH_PATH_STATEMENTS: dict[str, str] = {
    "bronze": "SET search_path = 'bronze'",
    "silver": "SET search_path = 'silver'",
    "gold": "SET search_path = 'gold'",
    "mart": "SET search_path = 'mart'",
}


def connection_string(*, db_path: Path) -> str:
    """SQLAlchemy URL of the DuckDB file (duckdb-engine)."""
    return f"duckdb:///{Path(db_path).resolve()}"


# GX's row count of an UnexpectedRowsExpectation query (query_row_count.py).
_COUNT_OF = re.compile(r"\ASELECT COUNT\(\*\) as unexpected_row_count FROM \((?P<inner>.*)\) AS \w+\Z", re.S)


def install() -> None:
    """Buffer DuckDB query results before GX closes the connection; count rows once (idempotent)."""
    import sqlalchemy as sa
    from great_expectations.execution_engine.sqlalchemy_execution_engine import (
        SqlAlchemyExecutionEngine,
    )

    original = SqlAlchemyExecutionEngine.execute_query
    if getattr(original, "_traveltide_buffered", False):
        return
    _reflect_in_current_schema()

    def buffered(self: Any, query: Any) -> Any:
        with self.get_connection() as connection:
            # freeze() fetches every row now; calling the frozen result replays them.
            return self._execute_query_with_recovery(connection, query).freeze()

    def execute_query(self: Any, query: Any) -> Any:
        if self.dialect_name != "duckdb":
            return original(self, query)
        if not isinstance(query, sa.TextClause):
            return buffered(self, query)()
        rows_of: dict[str, Any] = self.__dict__.setdefault("_traveltide_rows_of", {})
        counted = _COUNT_OF.match(query.text)
        sql = counted["inner"] if counted else query.text
        if sql not in rows_of:
            rows_of[sql] = buffered(self, sa.text(sql) if counted else query)
        if not counted:
            return rows_of[sql]()
        count = sa.text("SELECT CAST(:n AS BIGINT) AS unexpected_row_count").bindparams(n=len(rows_of[sql].data))
        return buffered(self, count)()

    execute_query._traveltide_buffered = True  # type: ignore[attr-defined]
    execute_query.__wrapped__ = original  # type: ignore[attr-defined]
    SqlAlchemyExecutionEngine.execute_query = execute_query  # type: ignore[method-assign]


# The columns of every table of a schema, reflected once while :func:`one_reflection_per_schema` is open.
_SCHEMA_COLUMNS: ContextVar[dict[str, dict[Any, Any]] | None] = ContextVar("traveltide_schema_columns", default=None)


@contextmanager
def one_reflection_per_schema() -> Iterator[None]:
    """Within this block (one validation of a layer, whose tables do not change meanwhile), GX's
    column reflection asks the catalog once per schema instead of once per table."""
    token = _SCHEMA_COLUMNS.set({})
    try:
        yield
    finally:
        _SCHEMA_COLUMNS.reset(token)


def _reflect_in_current_schema() -> None:
    """duckdb-engine's column reflection without a schema reads the connection's current schema
    (every table of it at once inside :func:`one_reflection_per_schema`)."""
    import duckdb_engine
    from sqlalchemy.engine.reflection import ObjectKind, ObjectScope

    original = duckdb_engine.Dialect.get_columns

    def get_columns(self: Any, connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> Any:
        if schema is None:
            schema = connection.exec_driver_sql("select current_schema()").scalar()
        reflected = _SCHEMA_COLUMNS.get()
        if reflected is None:
            return original(self, connection, table_name, schema=schema, **kw)
        if schema not in reflected:  # one catalog query (about 45 ms) for the schema, not one per table
            reflected[schema] = dict(
                self.get_multi_columns(
                    connection, schema=schema, filter_names=None, scope=ObjectScope.ANY, kind=ObjectKind.ANY, **kw
                )
            )
        return self._value_or_raise(reflected[schema], table_name, schema)

    get_columns.__wrapped__ = original  # type: ignore[attr-defined]
    duckdb_engine.Dialect.get_columns = get_columns  # type: ignore[method-assign]


def add_duckdb_datasource(*, context: Any, name: str, db_path: Path, schema: str) -> Any:
    """A GX SQL datasource on ``db_path`` whose connections resolve bare names in ``schema``."""
    import sqlalchemy as sa

    if schema not in SEARCH_PATH_STATEMENTS:
        raise ValueError(f"unknown schema {schema!r}; expected one of {sorted(SEARCH_PATH_STATEMENTS)}")
    install()
    # Reflection meets list columns (silver.key_conflicts.differing_columns); their type is checked with DESCRIBE.
    warnings.filterwarnings("ignore", message="Did not recognize type 'list'", category=sa.exc.SAWarning)
    statement = SEARCH_PATH_STATEMENTS[schema]
    datasource = context.data_sources.add_sql(name=name, connection_string=connection_string(db_path=db_path))

    def configure(dbapi_connection: Any, _record: Any) -> None:
        # GX may be the first to open the file (validating on its own): the run's settings too.
        for setting in (*INSTANCE_SETTINGS, statement):
            dbapi_connection.execute(setting)

    # The datasource tests assets on its own engine; validation runs on the execution engine's.
    for engine in (datasource.get_engine(), datasource.get_execution_engine().engine):
        sa.event.listen(engine, "connect", configure)
        engine.dispose()  # pooled connections opened before the listener go
    return datasource
