"""Build the Tableau star schema (schema ``mart``) in the working DuckDB database.

Each table comes from its own SQL file (``traveltide/sql/mart/<table>.sql``) and is then
checked against ``traveltide.contract.mart``: columns, order and types, NOT NULL and unique
keys, and foreign keys that resolve. The extract is written only from a mart that passed,
so Hyper's assumed keys are true.
"""

from __future__ import annotations

from importlib import resources

import duckdb

from traveltide.contract import Table
from traveltide.contract.mart import TABLES

__all__ = ["MartError", "build_mart", "check_mart", "mart_sql"]


class MartError(RuntimeError):
    """A mart table does not match its contract; the message names table, column and fix."""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(table: Table) -> str:
    return f"{_ident(table.layer)}.{_ident(table.name)}"


def mart_sql(*, table: str) -> str:
    """The SQL text that builds mart table ``table`` (a package resource)."""
    return (resources.files("traveltide") / "sql" / "mart" / f"{table}.sql").read_text(encoding="utf-8")


def build_mart(*, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Create schema ``mart`` with the five star tables from gold/silver; return row counts.

    Raises :class:`MartError` if a built table breaks its contract (keys, columns, types).
    """
    con.execute("create schema if not exists mart")
    for table in TABLES:
        try:
            con.execute(f"create or replace table {_qualified(table)} as\n{mart_sql(table=table.name)}")
        except duckdb.Error as exc:
            raise MartError(
                f"building {table.qualified_name} from traveltide/sql/mart/{table.name}.sql failed: {exc}; "
                "check that the gold and silver tables it reads exist with the columns of their contracts"
            ) from exc
    return check_mart(con=con)


def _check_columns(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [table.layer, table.name],
    ).fetchall()
    if not rows:
        raise MartError(f"{table.qualified_name} does not exist; run build_mart first")
    built = [(name, type_) for name, type_ in rows]
    expected = [(c.name, c.type) for c in table.columns]
    if built != expected:
        diff = [f"{b} != {e}" for b, e in zip(built, expected, strict=False) if b != e]
        if len(built) != len(expected):
            diff.append(f"{len(built)} columns built, {len(expected)} in the contract")
        raise MartError(
            f"{table.qualified_name} does not match traveltide/contract/mart.py: "
            f"{'; '.join(diff[:5])}; update the SQL file or the contract so they agree"
        )


def _check_keys(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    qualified = _qualified(table)
    for column in table.columns:
        if column.nullable:
            continue
        nulls = con.execute(f"select count(*) from {qualified} where {_ident(column.name)} is null").fetchall()[0][0]
        if nulls:
            raise MartError(
                f"{table.qualified_name}.{column.name} is a key but {nulls} row(s) are NULL; "
                "fix the upstream gold table so every row has it"
            )
    if table.primary_key:
        key = ", ".join(_ident(c) for c in table.primary_key)
        dupes = con.execute(
            f"select count(*) from (select {key} from {qualified} group by all having count(*) > 1)"
        ).fetchall()[0][0]
        if dupes:
            raise MartError(
                f"{table.qualified_name} primary key ({', '.join(table.primary_key)}) has {dupes} duplicated "
                "value(s); the upstream gold table must hold one row per key"
            )
    for fk in table.foreign_keys:
        on = " and ".join(f"r.{_ident(rc)} = t.{_ident(c)}" for c, rc in zip(fk.columns, fk.ref_columns, strict=True))
        present = " and ".join(f"t.{_ident(c)} is not null" for c in fk.columns)
        orphans = con.execute(
            f"select count(*), min(cast(t.{_ident(fk.columns[0])} as varchar)) from {qualified} as t "
            f"where {present} and not exists (select 1 from {_ident(table.layer)}.{_ident(fk.ref_table)} as r where {on})"
        ).fetchall()[0]
        if orphans[0]:
            raise MartError(
                f"{table.qualified_name}.{', '.join(fk.columns)}: {orphans[0]} row(s) have no match in "
                f"mart.{fk.ref_table} (e.g. {orphans[1]!r}); every key of the star must resolve"
            )


def check_mart(*, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Check every mart table against the contract and return its row count.

    Raises :class:`MartError` naming the table and column that breaks the contract.
    """
    counts = {}
    for table in TABLES:
        _check_columns(con, table)
        _check_keys(con, table)
        counts[table.name] = con.execute(f"select count(*) from {_qualified(table)}").fetchall()[0][0]
    return counts
