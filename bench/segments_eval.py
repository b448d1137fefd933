"""Compare segmentation designs on generated samples: do the segments earn their perks?

Usage (from the repo root; samples and gold databases are cached under ``--cache``)::

    .venv/bin/python bench/segments_eval.py                       # 100,000 users seed 20230104 + 300,000 seed 7
    .venv/bin/python bench/segments_eval.py --sample 50000:1 --k 4 --designs shipped

Each design is a set of clustering inputs plus a transformation. It is run through the real
:func:`traveltide.segmentation.segment_users` (k-means, perk assignment, names, reasons) with the
module's inputs and scaling swapped in for the duration of the run, on an in-memory copy of
``gold.user_features``; ``shipped`` is the module as it is, untouched.

Criterion (PASS/FAIL per sample and k-means seed): every segment's affinity for its assigned perk
(mean perk score - 50, percentile points) is at least ``perks.FIT_MARGIN`` and every segment
holds at least ``MIN_SHARE`` of the cohort. Among designs passing on every sample, the one
with the largest worst-segment affinity is best (the mean is printed too); silhouette is reported, not used (it is
measured in each design's own space, so it does not compare across designs).
"""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import numpy as np

from traveltide import segmentation as segments
from traveltide.bronze import load_bronze
from traveltide.build import build_layer
from traveltide.contract.gold import SPEC_FEATURES
from traveltide.sample import write_sample
from traveltide.segmentation import perks
from traveltide.settings import MIN_SEGMENT_SIZE

MIN_SHARE = 0.05
TOTALS = ("total_sessions", "total_nights", "total_checked_bags", "total_base_fare")
SPEC6 = SPEC_FEATURES
DRIVERS = perks.DRIVER_FEATURES
INTENSITY = (
    "cancellation_rate",
    "discount_usage_rate",
    "avg_discount_amount",
    "bags_per_flight",
    "nights_per_hotel_trip",
    "bundle_rate",
)


def _log_z(features: tuple[str, ...]) -> Callable[..., Any]:
    def scale(*, x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        xt = x.copy()
        logged = [f in TOTALS for f in features]
        xt[:, logged] = np.log1p(xt[:, logged])
        z = (xt - xt.mean(axis=0)) / np.where(xt.std(axis=0) > 0, xt.std(axis=0), 1.0)
        return z, {"method": "log1p totals + z"}

    return scale


def _pct(*, x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    return np.column_stack([perks.percentile_ranks(values=x[:, j]) / 100.0 for j in range(x.shape[1])]), {
        "method": "pct"
    }


# name -> (inputs, scaler); None means the module as shipped.
DESIGNS: dict[str, tuple[tuple[str, ...], Callable[..., Any]] | None] = {
    "spec6_log_z (before)": (SPEC6, _log_z(SPEC6)),
    "spec6_pct": (SPEC6, _pct),
    "spec5_no_sessions_pct": (SPEC6[1:], _pct),
    "drivers_log_z": (DRIVERS, _log_z(DRIVERS)),
    "drivers_pct": (DRIVERS, _pct),
    "intensity_z": (INTENSITY, _log_z(INTENSITY)),
    "intensity_pct": (INTENSITY, _pct),
    "intensity+booking_rate_pct": ((*INTENSITY, "booking_rate"), _pct),
    "shipped": None,
}


def _gold(cache: Path, users: int, seed: int) -> Path:
    """Generated sample -> bronze/silver/gold DuckDB file, built once per (users, seed)."""
    db = cache / f"gold-{users}-{seed}.duckdb"
    if db.exists():
        return db
    files = write_sample(out=cache / f"bronze-{users}-{seed}", users=users, seed=seed)
    con = duckdb.connect(str(db))
    load_bronze(con=con, files=files)
    build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})
    build_layer(con=con, layer="gold", params={"start_date": datetime.date(2023, 1, 4), "min_sessions": 7})
    con.close()
    return db


def _evaluate(db: Path, design: str, k: int | None, seed: int) -> dict[str, Any]:
    con = duckdb.connect()
    con.execute(f"ATTACH '{db}' AS src (READ_ONLY)")
    con.execute("CREATE SCHEMA gold")
    con.execute("CREATE TABLE gold.user_features AS SELECT * FROM src.gold.user_features")
    spec = DESIGNS[design]
    patches = (
        []
        if spec is None
        else [
            mock.patch.object(segments, "FEATURES", spec[0]),
            mock.patch.object(segments, "_scale", spec[1]),
        ]
    )
    for p in patches:
        p.start()
    try:
        result = segments.segment_users(
            con=con, k=k, k_min=2, k_max=8, min_segment_size=MIN_SEGMENT_SIZE, seed=seed, plots_dir=None
        )
    finally:
        for p in reversed(patches):
            p.stop()
    score_cols = [p.score_column for p in perks.PERKS]
    rows = con.execute(f"SELECT segment_id, perk, {', '.join(score_cols)} FROM gold.segments ORDER BY 1").fetchall()
    affinity = [r[2 + [p.name for p in perks.PERKS].index(r[1])] - 50.0 for r in rows]
    con.close()
    shares = [s.share for s in result.segments]
    ok = min(affinity) >= perks.FIT_MARGIN and min(shares) >= MIN_SHARE
    return {"result": result, "affinity": affinity, "ok": ok, "worst": min(affinity)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", action="append", help="USERS:SEED (repeatable)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/seg-eval"))
    ap.add_argument("--k", type=int, default=4, help="fixed k (0 = choose by silhouette in [2, 8])")
    ap.add_argument("--seeds", default="1,2,3,42", help="k-means seeds, comma-separated")
    ap.add_argument("--designs", default=",".join(DESIGNS), help="comma-separated subset of: " + ", ".join(DESIGNS))
    ap.add_argument("--verbose", action="store_true", help="print every segment's name and reason")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    samples = [tuple(int(v) for v in s.split(":")) for s in (args.sample or ["100000:20230104", "300000:7"])]
    dbs = {f"{u}:{s}": _gold(args.cache, u, s) for u, s in samples}
    summary: dict[str, list[tuple[bool, float]]] = {}
    for design in args.designs.split(","):
        for (label, db), seed in ((d, int(s)) for d in dbs.items() for s in args.seeds.split(",")):
            ev = _evaluate(db, design, args.k or None, seed)
            r = ev["result"]
            summary.setdefault(design, []).append((ev["ok"], ev["worst"]))
            sil = "n/a" if r.silhouette is None else f"{r.silhouette:.3f}"
            print(
                f"\n## {design} | sample {label} | seed {seed} | cohort {r.users} | k {r.k} | silhouette {sil} | "
                f"{'PASS' if ev['ok'] else 'FAIL'} (worst affinity {ev['worst']:+.1f})"
            )
            for s, a in zip(r.segments, ev["affinity"], strict=True):
                line = f"  {s.segment_id} {s.segment_name:<26} {s.users:>5} ({s.share:5.1%})  {s.perk:<33} affinity {a:+5.1f}"
                print(line + (f"\n      {s.reason}" if args.verbose else ""))
    print(
        "\n## Summary (criterion: every segment's assigned-perk affinity >= "
        f"{perks.FIT_MARGIN:g} and share >= {MIN_SHARE:.0%} on every sample and seed; best = largest worst case)"
    )
    for design, res in summary.items():
        verdict = "PASS" if all(ok for ok, _ in res) else "FAIL"
        flags = " ".join(f"{w:+.1f}" for _, w in res)
        worst, mean = min(w for _, w in res), float(np.mean([w for _, w in res]))
        print(f"  {design:<30} {verdict} worst {worst:+5.1f} mean {mean:+5.1f} | per sample x seed: {flags}")


if __name__ == "__main__":
    main()
