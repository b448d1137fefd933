"""Checks of built tables against their contract, by plain SQL independent of the build's own."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from traveltide.contract import Table

__all__ = ["assert_built_like_the_contract"]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    return con.execute(sql, params or []).fetchall()


def assert_built_like_the_contract(*, con: duckdb.DuckDBPyConnection, tables: Iterable[Table]) -> None:
    """Columns and types in order, no NULL in NOT NULL columns, unique keys, foreign keys that resolve."""
    for table in tables:
        columns = _rows(
            con,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [table.layer, table.name],
        )
        assert columns == [(c.name, c.type) for c in table.columns], table.qualified_name
        for c in table.columns:
            if not c.nullable:
                assert _rows(con, f"select count(*) from {table.qualified_name} where {c.name} is null") == [(0,)]
        key = ", ".join(table.primary_key)
        assert _rows(con, f"select count(*) - count(distinct ({key})) from {table.qualified_name}") == [(0,)], key
        for fk in table.foreign_keys:
            (col,), (ref,) = fk.columns, fk.ref_columns
            orphans = _rows(
                con,
                f"select count(*) from {table.qualified_name} where {col} is not null "
                f"and {col} not in (select {ref} from {table.references(fk)})",
            )
            assert orphans == [(0,)], (table.qualified_name, col)
