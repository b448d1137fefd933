"""The I/O floors: DuckDB only reading the four CSVs (contract types, any row order).

The types are the bronze contract's, and rows are stored in any order, as the bronze load stores them.
Two floors: into a database file (``--db FILE``, the bench's floor: what the toolkit's bronze
also writes) and into memory (``--memory``: the physical limit of parsing, from a warm page
cache). Nothing the toolkit does can be faster than the first, so the benchmark states the
toolkit's times as multiples of it. Run as ``python -m bench.floor --source DIR (--db FILE | --memory)``;
prints one JSON line with the rows and seconds per table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from traveltide.contract import bronze

__all__ = ["load_floor", "main"]

_SQL = (Path(__file__).with_name("floor.sql")).read_text(encoding="utf-8")


def load_floor(*, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, dict[str, float]]:
    """CREATE TABLE <table> AS read_csv(...) for each bronze table; rows and seconds per table."""
    out = {}
    con.execute("set preserve_insertion_order = false")  # as load_bronze loads (traveltide/bronze/)
    for table in bronze.LAYER.published:
        t0 = time.perf_counter()
        params = {"path": str(folder / f"{table.name}.csv"), "columns": {c.name: c.type for c in table.columns}}
        con.sql(_SQL, params=params).create(table.name)
        rows = con.table(table.name).count("*").fetchall()[0][0]
        out[table.name] = {"rows": rows, "seconds": round(time.perf_counter() - t0, 3)}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: load the folder into a fresh database file and print a JSON summary."""
    p = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, required=True, help="folder with users/sessions/flights/hotels.csv")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, help="DuckDB file to create (replaced if present)")
    where.add_argument("--memory", action="store_true", help="load into an in-memory database")
    args = p.parse_args(argv)
    if args.db is not None:
        args.db.unlink(missing_ok=True)
    with duckdb.connect(":memory:" if args.memory else str(args.db)) as con:
        tables = load_floor(con=con, folder=args.source)
    print(json.dumps({"tables": tables}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
