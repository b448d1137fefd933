"""Bronze tables from hand-written rows, shaped exactly like traveltide/contract/bronze.py.

Tests of silver and gold build their input here instead of through the CSV loader, so a
row can hold any value the contract's types allow (NULLs, duplicates, orphans).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import duckdb

from traveltide.contract import bronze

__all__ = ["create_bronze", "insert_rows"]


def create_bronze(*, con: duckdb.DuckDBPyConnection) -> None:
    """Create schema bronze and its four empty tables from the contract (identifiers only)."""
    con.execute("create schema if not exists bronze")
    for table in bronze.LAYER.tables:
        columns = ", ".join(f"{c.name} {c.type}" for c in table.columns)
        con.execute(f"create or replace table {table.qualified_name} ({columns})")


def insert_rows(*, con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts by column name; a missing column is NULL) into bronze.<table>."""
    contract = bronze.LAYER.table(table)
    names = contract.column_names
    rows = list(rows)
    for row in rows:
        unknown = set(row) - set(names)
        if unknown:
            raise KeyError(f"bronze.{table} has no column(s) {sorted(unknown)}")
    placeholders = ", ".join("?" for _ in names)
    con.executemany(
        f"insert into {contract.qualified_name} ({', '.join(names)}) values ({placeholders})",
        [[row.get(n) for n in names] for row in rows],
    )
