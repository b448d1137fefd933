"""Time the toolkit's steps one by one, in this process, to find where the time goes.

Run as ``python -m bench.profile_steps --source DIR --db FILE STEP...`` with steps among
bronze, silver, gold, segment, mart and validate_<layer>; each step opens its own connection
to ``--db`` (as the flow's steps do) and one line per step gives its wall time, its CPU time
(user and system, all cores: a run uses both cores for most of its length, so CPU time is what
a step costs it) and the process's peak RSS so far. ``--trace-sql`` also lists every SQL statement Great Expectations
sends (count, total and the slowest ones), to see how many table scans a suite costs.
``--start-date``, ``--min-sessions``, ``--k`` and ``--seed`` are the run's cohort and
segmentation settings (defaults as a run's). ``--json`` ends with one JSON line of every step's seconds and CPU seconds (the benchmark reads it).
``--expectations DIR`` validates with another suites folder (e.g. an older revision's, for a
before/after comparison). ``--explain`` prints DuckDB's EXPLAIN ANALYZE of each silver/gold
table's SELECT (nothing is written; it reads the tables already in ``--db``).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from traveltide.runtime.database import INSTANCE_SETTINGS, connect

__all__ = ["main"]

_STEPS = (
    "bronze",
    "silver",
    "gold",
    "segment",
    "mart",
    "validate_bronze",
    "validate_silver",
    "validate_gold",
    "validate_mart",
)


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _cpu_seconds() -> float:
    """User and system CPU of this process and its reaped children: a step's work on every core."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _trace_sql() -> list[tuple[float, str]]:
    """Record (seconds, statement) of every SQLAlchemy statement from now on."""
    import sqlalchemy as sa

    log: list[tuple[float, str]] = []

    @sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def _before(conn: Any, *_: Any) -> None:
        conn.info.setdefault("_t0", []).append(time.perf_counter())

    @sa.event.listens_for(sa.engine.Engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        log.append((time.perf_counter() - conn.info["_t0"].pop(), " ".join(statement.split())))

    return log


def _run_step(
    name: str, *, source: Path, db: Path, docs: Path, expectations: Path | None, cohort: argparse.Namespace
) -> Any:
    if name == "bronze":
        from traveltide.bronze import load_bronze
        from traveltide.contract import bronze

        files = {t.name: source / f"{t.name}.csv" for t in bronze.LAYER.published}
        with connect(path=db) as con:
            return load_bronze(con=con, files=files).rows
    if name in {"silver", "gold", "mart"}:
        from traveltide.build import build_layer

        with connect(path=db) as con:
            return build_layer(
                con=con,
                layer=name,
                params={
                    "start_date": cohort.start_date,
                    "min_sessions": cohort.min_sessions,
                    "conflict_tolerance": 0.01,
                },
            )
    if name == "segment":
        from traveltide.segmentation import segment_users
        from traveltide.settings import MIN_SEGMENT_SIZE

        with connect(path=db) as con:
            return segment_users(
                con=con,
                k=cohort.k,
                k_min=2,
                k_max=8,
                min_segment_size=MIN_SEGMENT_SIZE,
                seed=cohort.seed,
                plots_dir=None,
            ).to_dict()["k"]
    if name.startswith("validate_"):
        from traveltide.quality import validate_layer

        layer = name.removeprefix("validate_")
        extra = {"expectations_dir": expectations} if expectations else {}
        result = validate_layer(db_path=db, layer=layer, docs_dir=docs, run_id="profile", **extra)
        return result.format()
    raise ValueError(f"unknown step {name!r}; expected one of {list(_STEPS)}")


def _explain(db: Path, *, cohort: argparse.Namespace) -> None:
    from traveltide.contract import gold, silver
    from traveltide.sql import read_sql

    with duckdb.connect(str(db), read_only=True) as con:
        for statement in INSTANCE_SETTINGS:  # as the run plans its queries
            con.execute(statement)
        for table in (*silver.LAYER.sql_tables, *gold.LAYER.sql_tables):
            sql = read_sql(layer=table.layer, name=table.name)
            params = {"start_date": cohort.start_date, "min_sessions": cohort.min_sessions, "conflict_tolerance": 0.01}
            used = {k: v for k, v in params.items() if f"${k}" in sql}
            t0 = time.perf_counter()
            plan = con.execute(f"explain analyze {sql}", used).fetchall()
            print(f"== {table.qualified_name}: {time.perf_counter() - t0:.2f} s")
            print(plan[0][1])


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the named steps in order and print their times."""
    p = argparse.ArgumentParser(prog="python -m bench.profile_steps", description=__doc__.splitlines()[0])
    p.add_argument("steps", nargs="*", help=f"steps to run, in order: {', '.join(_STEPS)}")
    p.add_argument("--source", type=Path, help="folder with users/sessions/flights/hotels.csv (for bronze)")
    p.add_argument("--db", type=Path, required=True, help="DuckDB file (bronze replaces its bronze schema)")
    p.add_argument("--docs", type=Path, help="Data Docs folder (default: a temporary folder)")
    p.add_argument("--expectations", type=Path, help="suites folder to validate with (default: the repo's)")
    p.add_argument("--trace-sql", action="store_true", help="list the SQL statements GX sends, with times")
    p.add_argument("--top", type=int, default=15, help="how many of the slowest statements to list")
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each silver and gold SELECT")
    p.add_argument("--start-date", type=date.fromisoformat, default=date(2023, 1, 4), help="cohort window start")
    p.add_argument("--min-sessions", type=int, default=7, help="cohort rule (gold, and mart after it)")
    p.add_argument("--k", type=int, default=4, help="segments")
    p.add_argument("--seed", type=int, default=42, help="k-means seed")
    p.add_argument("--json", action="store_true", help="end with one JSON line: each step's seconds and CPU seconds")
    args = p.parse_args(argv)
    unknown = [s for s in args.steps if s not in _STEPS]
    if unknown:
        p.error(f"unknown step(s) {unknown}; choose from {', '.join(_STEPS)}")
    if any(s.startswith("validate_") for s in args.steps):
        import great_expectations  # noqa: F401  (imported once, as in a run: not charged to the first layer's checks)
    log = _trace_sql() if args.trace_sql else None
    measured: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        docs = args.docs or Path(tmp) / "data_docs"
        for name in args.steps:
            start = len(log) if log is not None else 0
            t0, cpu0 = time.perf_counter(), _cpu_seconds()
            result = _run_step(
                name, source=args.source, db=args.db, docs=docs, expectations=args.expectations, cohort=args
            )
            measured[name] = {
                "seconds": round(time.perf_counter() - t0, 3),
                "cpu_seconds": round(_cpu_seconds() - cpu0, 3),
            }
            print(
                f"{name}: {measured[name]['seconds']:.2f} s, CPU {measured[name]['cpu_seconds']:.2f} s, "
                f"peak RSS {_peak_gib():.2f} GiB",
                flush=True,
            )
            if name.startswith("validate_"):
                print("  " + str(result).splitlines()[0])
            if log is not None and len(log) > start:
                statements = log[start:]
                print(f"  {len(statements)} SQL statements, {sum(s for s, _ in statements):.2f} s in the database")
                for seconds, text in sorted(statements, reverse=True)[: args.top]:
                    print(f"  {seconds:7.3f} s  {text[:220]}")
    if args.explain:
        _explain(args.db, cohort=args)
    if args.json:
        print(json.dumps({"steps": measured}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
