"""Bronze tables from hand-written rows, shaped exactly like traveltide/contract/bronze.py.

Tests of silver and gold build their input here instead of through the CSV loader, so a
row can hold any value the contract's types allow (NULLs, duplicates, orphans).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import duckdb

from traveltide.build import create_table
from traveltide.contract import bronze

__all__ = ["create_bronze", "insert_one_user", "insert_rows"]


def create_bronze(*, con: duckdb.DuckDBPyConnection) -> None:
    """Create schema bronze from the contract: its four empty tables (no constraints, so any row
    goes in), the load's empty rejects, and sources naming each table's rows as written here."""
    con.execute("create schema if not exists bronze")
    for table in bronze.LAYER.published:
        columns = ", ".join(f"{c.name} {c.type}" for c in table.columns)
        con.execute(f"create or replace table {table.qualified_name} ({columns})")
    for record in (bronze.SOURCES, bronze.REJECTS):
        create_table(con=con, table=record)
    con.executemany(
        f"insert into {bronze.SOURCES.qualified_name} values (?, ?)",
        [[t.name, f"{t.name} rows written by the test"] for t in bronze.LAYER.published],
    )


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


def insert_one_user(*, con: duckdb.DuckDBPyConnection) -> None:
    """The smallest valid bronze: one user with one browse session (for the Data Docs tests)."""
    create_bronze(con=con)
    insert_rows(
        con=con,
        table="users",
        rows=[
            {
                "user_id": 1,
                "birthdate": date(1990, 5, 1),
                "gender": "F",
                "married": False,
                "has_children": False,
                "home_country": "usa",
                "home_city": "boston",
                "home_airport": "BOS",
                "home_airport_lat": 42.364,
                "home_airport_lon": -71.005,
                "sign_up_date": date(2022, 3, 1),
            },
        ],
    )
    insert_rows(
        con=con,
        table="sessions",
        rows=[
            {
                "session_id": "1-" + "a" * 32,
                "user_id": 1,
                "trip_id": None,
                "session_start": datetime(2023, 2, 1, 10),
                "session_end": datetime(2023, 2, 1, 10, 1),
                "flight_discount": False,
                "hotel_discount": False,
                "flight_booked": False,
                "hotel_booked": False,
                "page_clicks": 8,
                "cancellation": False,
            },
        ],
    )
