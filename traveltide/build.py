"""The one way silver, gold (with its Python model, the segmentation) and mart are built.

A build takes tables of one layer in their contract's build order and, in one transaction:
makes each one from its SQL file (a ``table`` or a ``view``, with its ``$parameters`` bound) or,
for a ``python`` table, from the Arrow table the model computed (typed and keyed by the
contract); checks that every table has exactly its contract's columns, in order, with their
types; and commits. A failure rolls the whole build back, so the previous tables stay as they
were. The layer it reads (bronze for silver, silver for gold) is checked against its contract
first, so a missing step is named, not a SQL error.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from itertools import zip_longest

import duckdb
import pyarrow as pa

from traveltide import contract
from traveltide.contract import Table
from traveltide.errors import TravelTideError
from traveltide.sql import macro_statements, read_sql, sql_path

__all__ = ["BuildError", "build_layer", "build_tables", "check_contract", "create_table"]

# The layer a layer's SQL reads, checked before it is built, so a missing step is named. (The
# mart's SQL names the tables it reads; a missing one fails with its file named.)
_READS: dict[str, str] = {"silver": "bronze", "gold": "silver"}
_PARAMETER = re.compile(r"\$([a-z_]+)")
_BUILT_BY = {"bronze": "load the bronze layer first (traveltide run)"}


class BuildError(TravelTideError):
    """A table cannot be built: an input is missing, its SQL fails or it breaks its contract."""


def _hint(table: Table) -> str:
    return _BUILT_BY.get(table.layer, f"build the {table.layer} layer first")


def check_contract(*, con: duckdb.DuckDBPyConnection, table: Table, hint: str) -> None:
    """Raise :class:`BuildError` unless ``table`` exists with its contract's columns, order and types."""
    built = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [table.layer, table.name],
    ).fetchall()
    if not built:
        raise BuildError(f"table {table.qualified_name} does not exist; {hint}")
    expected = [(c.name, c.type) for c in table.columns]
    if built != expected:
        diff = [
            f"position {i}: built {b!r}, contract {e!r}"
            for i, (b, e) in enumerate(zip_longest(built, expected), start=1)
            if b != e
        ]
        raise BuildError(
            f"table {table.qualified_name} does not match traveltide/contract/{table.layer}.py "
            f"({'; '.join(diff[:5])}); {hint}"
        )


def build_layer(
    *,
    con: duckdb.DuckDBPyConnection,
    layer: str,
    params: Mapping[str, object] | None = None,
    views: Collection[str] = (),
) -> dict[str, int]:
    """Build every SQL table of ``layer`` (its Python model is built by the step that computes it)."""
    return build_tables(con=con, tables=contract.layer(layer).sql_tables, params=params, views=views)


def build_tables(
    *,
    con: duckdb.DuckDBPyConnection,
    tables: Sequence[Table],
    params: Mapping[str, object] | None = None,
    frames: Mapping[str, pa.Table] | None = None,
    views: Collection[str] = (),
) -> dict[str, int]:
    """Build ``tables`` (one layer, build order) in one transaction; return each published table's rows.

    ``params`` are bound to the ``$name`` parameters of the SQL files; ``frames`` holds the
    data of ``python`` tables, by table name. The tables named in ``views`` are made views
    instead (their parameters written in as literals, their rows not counted): for a scratch
    layer read once, whose intermediate tables need not be held in memory.
    """
    layer = contract.layer(tables[0].layer)
    for table in _inputs(layer=layer, first=tables[0]):
        check_contract(con=con, table=table, hint=_hint(table))
    # Every result is fetched: DuckDB 2.0 refuses a relation call while a result is pending.
    con.execute("begin transaction").fetchall()
    try:
        con.execute(f"create schema if not exists {layer.name}").fetchall()
        for statement in macro_statements():
            con.execute(statement).fetchall()
        for table in tables:
            if table.materialized == "python":
                _from_frame(con=con, table=table, frame=(frames or {})[table.name])
            else:
                _from_sql(con=con, table=table, params=params or {}, as_view=table.name in views)
            check_contract(
                con=con,
                table=table,
                hint=f"fix {_source(table)} or traveltide/contract/{table.layer}.py so they agree",
            )
    except BaseException:
        con.execute("rollback").fetchall()
        raise
    con.execute("commit").fetchall()
    return {
        t.name: con.execute(f"select count(*) from {t.qualified_name}").fetchall()[0][0]
        for t in tables
        if t.published and t.name not in views
    }


def _inputs(*, layer: contract.Layer, first: Table) -> tuple[Table, ...]:
    """The tables of the layer ``layer`` reads, when its build starts from the beginning.

    A Python model (gold's segmentation) reads its own inputs and names any that is missing.
    """
    if first is not layer.tables[0] or layer.name not in _READS:
        return ()
    return contract.layer(_READS[layer.name]).tables


def _source(table: Table) -> str:
    if table.materialized == "python":
        return "the model that computes it"
    return sql_path(layer=table.layer, name=table.name)


def _literal(value: object) -> str:
    """A parameter written into a view's SQL (DuckDB binds none in a view): typed values only."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    raise BuildError(f"a view's parameter must be a number or a date, not {type(value).__name__} {value!r}")


def _from_sql(
    *, con: duckdb.DuckDBPyConnection, table: Table, params: Mapping[str, object], as_view: bool = False
) -> None:
    sql = read_sql(layer=table.layer, name=table.name)
    names = sorted(set(_PARAMETER.findall(sql)))
    missing = [n for n in names if n not in params]
    if missing:
        raise BuildError(f"{sql_path(layer=table.layer, name=table.name)} needs the parameter(s) {missing}")
    bound = {n: params[n] for n in names}
    if as_view:  # longest names first: $start_date is not $start followed by _date
        for name in sorted(names, key=len, reverse=True):
            sql = sql.replace(f"${name}", _literal(bound.pop(name)))
    kind = "view" if as_view or table.materialized == "view" else "table"
    try:
        # Identifiers come from the contract; values are bound, or typed literals in a view.
        con.execute(f"create or replace {kind} {table.qualified_name} as\n{sql}", bound).fetchall()
    except duckdb.Error as exc:
        raise BuildError(
            f"building {table.qualified_name} from {_source(table)} failed: {exc}; "
            "check that the tables it reads exist with the columns of their contracts"
        ) from exc


def create_table(*, con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Create ``table`` empty, typed and keyed by its contract (identifiers from the contract only)."""
    columns = [f'"{c.name}" {c.type}{"" if c.nullable else " NOT NULL"}' for c in table.columns]
    if table.primary_key:
        columns.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in table.primary_key) + ")")
    con.execute(f"create or replace table {table.qualified_name} ({', '.join(columns)})").fetchall()


def _from_frame(*, con: duckdb.DuckDBPyConnection, table: Table, frame: pa.Table) -> None:
    create_table(con=con, table=table)
    con.from_arrow(frame.select(list(table.column_names))).insert_into(table.qualified_name)
