"""silver.plausible_bounds: one bound per numeric and date column of the exports, wide enough
for every real TravelTide row vendored here, and the same table as the one docs/decisions.md
shows reviewers."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from helpers.data import COHORT_EXTRACT, DISTINCT_VALUES, SILVER_SUBSET
from traveltide.contract import bronze

ROOT = Path(__file__).resolve().parents[2]
BOUNDS_SQL = ROOT / "traveltide" / "sql" / "silver" / "plausible_bounds.sql"
KINDS = {"DOUBLE": "number", "INTEGER": "number", "BIGINT": "number", "DATE": "time", "TIMESTAMP": "time"}


@pytest.fixture(scope="module")
def bounds() -> pd.DataFrame:
    return duckdb.sql(BOUNDS_SQL.read_text(encoding="utf-8")).df()


def _real(table: str) -> pd.DataFrame:
    frames = [pd.read_parquet(SILVER_SUBSET / f"{table}.parquet")]
    for folder in (COHORT_EXTRACT, DISTINCT_VALUES):
        if (folder / f"{table}.csv").is_file():
            frames.append(pd.read_csv(folder / f"{table}.csv"))
    return pd.concat(frames, ignore_index=True)


def test_every_numeric_and_date_column_of_the_exports_has_one_bound(bounds: pd.DataFrame) -> None:
    expected = sorted(
        (table.name, column.name, KINDS[column.type])
        for table in (bronze.USERS, bronze.SESSIONS, bronze.FLIGHTS, bronze.HOTELS)
        for column in table.columns
        if column.type in KINDS and not column.name.endswith("_id")  # identifiers are no quantities
    )
    got = sorted(zip(bounds.table_name, bounds.column_name, bounds.kind, strict=True))
    assert got == expected


@pytest.mark.parametrize("table", ["users", "sessions", "flights", "hotels"])
def test_every_real_value_lies_inside_its_bounds(bounds: pd.DataFrame, table: str) -> None:
    real = _real(table)
    checked = 0
    for row in bounds[bounds.table_name == table].itertuples():
        if row.kind == "number":
            values = pd.to_numeric(real[row.column_name]).dropna()
            inside = values.between(float(row.low), float(row.high))
        else:
            values = pd.to_datetime(real[row.column_name], format="mixed", utc=True).dropna().dt.tz_localize(None)
            inside = (values >= pd.Timestamp(row.low)) & (values < pd.Timestamp(row.high))
        assert len(values) > 0, row.column_name
        assert inside.all(), (row.column_name, values[~inside].head().tolist())
        checked += 1
    assert checked == (bounds.table_name == table).sum()


def test_the_decisions_page_shows_the_bounds_of_the_sql(bounds: pd.DataFrame) -> None:
    text = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    rows = re.findall(r"^  \| (users|sessions|flights|hotels) \| `(\w+)` \| (\S+) \| (\S+) \| (.+) \|$", text, re.M)
    expected = list(zip(bounds.table_name, bounds.column_name, bounds.low, bounds.high, bounds.basis, strict=True))
    assert rows == [tuple(str(v) for v in r) for r in expected]
