"""The core: bronze load → silver → gold → segments, the toolkit's own functions without
Prefect, validation or the extract (the same work the pandas baseline does).

Run as ``python -m bench.core --source DIR --db FILE --features-out FILE``; prints one JSON
line with seconds per step, the process's peak RSS after each step (a running maximum, so
a step's own peak shows where it rises) and the cohort size, and writes the six SPEC
features per cohort user to Parquet for the benchmark's agreement check.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from traveltide.bronze import load_bronze
from traveltide.build import build_layer
from traveltide.contract import bronze
from traveltide.contract.gold import SPEC_FEATURES
from traveltide.runtime.database import connect
from traveltide.runtime.preload import CORE_MODULES, preload_modules
from traveltide.settings import MIN_SEGMENT_SIZE

__all__ = ["main", "run_core"]


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_core(*, db: Path, folder: Path, start_date: date, min_sessions: int, k: int, seed: int) -> dict[str, Any]:
    """Run the four core steps into ``db``; seconds and peak RSS per step, cohort size, k-means result.

    Each step opens its own connection to the database file, as the toolkit's steps do.
    """
    preload_modules(names=CORE_MODULES)  # as a run does: scikit-learn loads while bronze does
    steps: dict[str, dict[str, float]] = {}
    results: dict[str, Any] = {}

    def step(name: str, fn: Callable[[duckdb.DuckDBPyConnection], Any]) -> None:
        t0 = time.perf_counter()
        with connect(path=db) as con:
            results[name] = fn(con)
        steps[name] = {"seconds": round(time.perf_counter() - t0, 3), "peak_rss_bytes": _peak_rss_bytes()}

    files = {t.name: folder / f"{t.name}.csv" for t in bronze.LAYER.published}
    step("bronze", lambda con: load_bronze(con=con, files=files))
    step("silver", lambda con: build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01}))
    step(
        "gold",
        lambda con: build_layer(con=con, layer="gold", params={"start_date": start_date, "min_sessions": min_sessions}),
    )
    from traveltide.segmentation import segment_users

    step(
        "segment",
        lambda con: segment_users(
            con=con, k=k, k_min=2, k_max=8, min_segment_size=MIN_SEGMENT_SIZE, seed=seed, plots_dir=None
        ),
    )
    segments = results["segment"].to_dict()
    return {
        "steps": steps,
        "cohort": results["gold"]["cohort"],
        "k": segments["k"],
        "segment_sizes": [s["users"] for s in segments["segments"]],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the core into a fresh database file, write features, print a JSON summary."""
    p = argparse.ArgumentParser(prog="python -m bench.core", description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, required=True, help="folder with users/sessions/flights/hotels.csv")
    p.add_argument("--db", type=Path, required=True, help="DuckDB file to create (replaced if present)")
    p.add_argument("--features-out", type=Path, required=True, help="Parquet file for the six SPEC features")
    p.add_argument("--start-date", type=date.fromisoformat, default=date(2023, 1, 4))
    p.add_argument("--min-sessions", type=int, default=7)
    p.add_argument("--k", type=int, default=4)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    args.db.unlink(missing_ok=True)
    summary = run_core(
        db=args.db,
        folder=args.source,
        start_date=args.start_date,
        min_sessions=args.min_sessions,
        k=args.k,
        seed=args.seed,
    )
    with duckdb.connect(str(args.db)) as con:
        con.table("gold.user_features").select("user_id", *SPEC_FEATURES).write_parquet(str(args.features_out))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
