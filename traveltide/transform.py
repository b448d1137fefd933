"""Silver and gold in SQL: each table is one SELECT in ``traveltide/sql/<layer>/<table>.sql``,
materialised (or created as a view, where the contract says so) in build order, so every
step reads only finished tables.

Each built table is checked against its contract (column names, order and DuckDB types),
because the contract also feeds the GX suites, the Hyper keys and the data dictionary.
"""

from __future__ import annotations

import re
from datetime import date
from importlib.resources import files
from itertools import zip_longest
from typing import Any

import duckdb

from traveltide.contract import Table, bronze, gold, silver

__all__ = ["TransformError", "build_silver", "build_gold"]

_PARAMETER = re.compile(r"\$([a-z_]+)")


class TransformError(RuntimeError):
    """A layer cannot be built: an input table is missing or a table breaks its contract."""


def _sql_text(layer: str, name: str) -> str:
    """The SELECT that builds ``<layer>.<name>``, read from the package's SQL files."""
    return (files("traveltide") / "sql" / layer / f"{name}.sql").read_text(encoding="utf-8")


def _columns(con: duckdb.DuckDBPyConnection, table: Table) -> list[tuple[str, str]]:
    return con.execute(
        """
        select column_name, data_type
        from information_schema.columns
        where table_schema = ? and table_name = ?
        order by ordinal_position
        """,
        [table.layer, table.name],
    ).fetchall()


def _check_contract(con: duckdb.DuckDBPyConnection, table: Table, *, hint: str) -> None:
    built = _columns(con, table)
    expected = [(c.name, c.type) for c in table.columns]
    if not built:
        raise TransformError(f"table {table.qualified_name} does not exist; {hint}")
    if built != expected:
        diff = [
            f"position {i}: built {b!r}, contract {e!r}"
            for i, (b, e) in enumerate(zip_longest(built, expected), start=1)
            if b != e
        ]
        raise TransformError(
            f"table {table.qualified_name} does not match traveltide/contract/{table.layer}.py "
            f"({'; '.join(diff[:5])}); {hint}"
        )


def _materialise(con: duckdb.DuckDBPyConnection, table: Table, params: dict[str, Any]) -> None:
    sql = _sql_text(table.layer, table.name)
    used = {k: params[k] for k in sorted(set(_PARAMETER.findall(sql)))}
    kind = "view" if table.view else "table"
    # Identifiers come from the contract; values are bound (views take none).
    con.execute(f"create or replace {kind} {table.qualified_name} as {sql}", used)
    _check_contract(
        con,
        table,
        hint=f"fix traveltide/sql/{table.layer}/{table.name}.sql or the contract so they agree",
    )


def _build(con: duckdb.DuckDBPyConnection, tables: tuple[Table, ...], params: dict[str, Any]) -> None:
    # One transaction per layer: a failure leaves the previous layer tables as they were.
    con.execute("begin transaction")
    try:
        con.execute(f"create schema if not exists {tables[0].layer}")
        for table in tables:
            _materialise(con, table, params)
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def build_silver(*, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Build silver.users/sessions/flights/hotels and silver.set_aside from the bronze tables.

    Returns, per table, the silver row count and the bronze rows set aside by reason
    (``{"users": {"rows": 10, "set_aside": {"null key": 0, "duplicate key": 1}}, ...}``).
    """
    for table in bronze.TABLES:
        _check_contract(con, table, hint="load the bronze layer first (traveltide run)")
    _build(con, silver.BUILD_ORDER, {})
    result: dict[str, Any] = {}
    for name, reasons in silver.SET_ASIDE_REASONS.items():
        ((rows,),) = con.execute(f"select count(*) from {silver.by_name(name).qualified_name}").fetchall()
        counts = dict(
            con.execute(
                "select reason, rows from silver.set_aside where table_name = ?", [name]
            ).fetchall()
        )
        result[name] = {"rows": rows, "set_aside": {r: counts[r] for r in reasons}}
    return result


def build_gold(*, con: duckdb.DuckDBPyConnection, start_date: date, min_sessions: int) -> dict[str, int]:
    """Build gold.cohort, gold.sessions, gold.trips and gold.user_features from silver.

    The window is sessions with ``session_start >= start_date``; the cohort is users with
    at least ``min_sessions`` window sessions. Returns the row count of each table.
    """
    if min_sessions < 1:
        raise ValueError(f"min_sessions must be at least 1 (got {min_sessions})")
    for table in silver.TABLES:
        _check_contract(con, table, hint="build the silver layer first (build_silver)")
    _build(con, gold.TABLES, {"start_date": start_date, "min_sessions": min_sessions})
    return {
        # fetchall, not fetchone: DuckDB 2.0 keeps a half-read result open and refuses the
        # next con.table() / con.sql() on the caller's connection.
        table.name: con.execute(f"select count(*) from {table.qualified_name}").fetchall()[0][0]
        for table in gold.TABLES
    }
