"""The yardstick: the original notebooks' approach in pandas, on the same four CSVs.

Written the way the course notebooks work, on purpose: read each CSV whole with
``pandas.read_csv``, clean with pandas (types, duplicates), recompute hotel nights row by
row with ``DataFrame.apply``, tag session types, filter the cohort, aggregate the six SPEC §2
features per user, scale them and run k-means (k = 4). The benchmark times it against the
toolkit and checks both agree on the cohort and the features.

Run as ``python -m bench.baseline --source DIR --out features.parquet``; it prints one JSON
line with its stage timings and the cohort size.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from datetime import time as clock
from pathlib import Path

import numpy as np
import pandas as pd

from traveltide.contract import bronze

__all__ = [
    "SPEC_FEATURES",
    "BaselineResult",
    "add_session_types",
    "clean_tables",
    "cohort_users",
    "hotel_nights",
    "kmeans_segments",
    "main",
    "read_tables",
    "run_baseline",
    "user_features",
]

SPEC_FEATURES: tuple[str, ...] = (
    "total_sessions",
    "cancellation_rate",
    "discount_usage_rate",
    "total_nights",
    "total_checked_bags",
    "total_base_fare",
)

_TRUTH = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}


@dataclass
class BaselineResult:
    """The baseline's features (one row per cohort user), its k-means labels and stage times."""

    features: pd.DataFrame
    labels: np.ndarray
    inertia: float
    timings: dict[str, float] = field(default_factory=dict)


def read_tables(*, folder: Path) -> dict[str, pd.DataFrame]:
    """Read users/sessions/flights/hotels.csv whole, as a notebook does (dates parsed, flags as text)."""
    tables = {}
    for table in bronze.LAYER.published:
        dates = [c.name for c in table.columns if c.type in {"DATE", "TIMESTAMP"}]
        text = {c.name: "str" for c in table.columns if c.type in {"BOOLEAN", "VARCHAR"}}
        tables[table.name] = pd.read_csv(
            folder / f"{table.name}.csv", dtype=text, parse_dates=dates, date_format="ISO8601"
        )
    return tables


def _flags(column: pd.Series) -> pd.Series:
    """true/false, True/False, t/f and 1/0 as booleans; anything else (empty) as False."""
    return column.str.strip().str.lower().map(_TRUTH).fillna(False).astype(bool)


def clean_tables(*, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Drop duplicates and rows without a key, type the flags, keep sessions of known users."""
    clean = {}
    for table in bronze.LAYER.published:
        df = tables[table.name].drop_duplicates()
        key = list(table.primary_key)
        df = df.dropna(subset=key).drop_duplicates(subset=key).copy()
        for c in table.columns:
            if c.type == "BOOLEAN":
                df[c.name] = _flags(df[c.name])
        clean[table.name] = df
    sessions = clean["sessions"]
    clean["sessions"] = sessions[sessions["user_id"].isin(clean["users"]["user_id"])]
    return clean


def hotel_nights(row: pd.Series) -> int:
    """Clean nights of one hotels row: max(0, date difference + 1 if check-out after 12:00)."""
    nights = (row["check_out_time"].date() - row["check_in_time"].date()).days
    if row["check_out_time"].time() > clock(12, 0):
        nights += 1
    return max(0, nights)


def add_session_types(*, sessions: pd.DataFrame) -> pd.DataFrame:
    """session_type: 'cancellation', else 'booking' when a trip is set, else 'browse'."""
    out = sessions.copy()
    out["session_type"] = np.select(
        [out["cancellation"], out["trip_id"].notna()], ["cancellation", "booking"], default="browse"
    )
    return out


def cohort_users(*, sessions: pd.DataFrame, start_date: date, min_sessions: int) -> pd.Index:
    """Users with at least ``min_sessions`` sessions starting on or after ``start_date``."""
    window = sessions[sessions["session_start"] >= pd.Timestamp(start_date)]
    counts = window.groupby("user_id").size()
    return counts[counts >= min_sessions].index


def user_features(
    *,
    sessions: pd.DataFrame,
    flights: pd.DataFrame,
    hotels: pd.DataFrame,
    start_date: date,
    min_sessions: int,
) -> pd.DataFrame:
    """The six SPEC §2 features per cohort user (``sessions`` typed, ``hotels`` with clean nights)."""
    cohort = cohort_users(sessions=sessions, start_date=start_date, min_sessions=min_sessions)
    gold = sessions[(sessions["session_start"] >= pd.Timestamp(start_date)) & sessions["user_id"].isin(cohort)]
    by_user = gold.groupby("user_id")
    features = pd.DataFrame(index=pd.Index(cohort, name="user_id"))
    features["total_sessions"] = by_user.size()
    features["cancellation_rate"] = (gold["session_type"] == "cancellation").groupby(gold["user_id"]).mean()
    offers = gold[gold["session_type"] != "cancellation"]
    used = (offers["flight_discount"] | offers["hotel_discount"]).groupby(offers["user_id"]).mean()
    features["discount_usage_rate"] = used.reindex(features.index).fillna(0.0)

    cancelled = set(sessions.loc[sessions["session_type"] == "cancellation", "trip_id"])
    kept = gold.loc[gold["session_type"] == "booking", ["user_id", "trip_id"]].drop_duplicates("trip_id")
    kept = kept[~kept["trip_id"].isin(cancelled)]
    stays = kept.merge(hotels[["trip_id", "nights"]], on="trip_id")
    legs = kept.merge(flights[["trip_id", "checked_bags", "base_fare_usd"]], on="trip_id")
    features["total_nights"] = stays.groupby("user_id")["nights"].sum().reindex(features.index).fillna(0)
    features["total_checked_bags"] = legs.groupby("user_id")["checked_bags"].sum().reindex(features.index).fillna(0)
    features["total_base_fare"] = legs.groupby("user_id")["base_fare_usd"].sum().reindex(features.index).fillna(0.0)
    features = features.astype({"total_nights": "int64", "total_checked_bags": "int64"})
    return features.sort_index()


def kmeans_segments(*, features: pd.DataFrame, k: int, seed: int) -> tuple[np.ndarray, float]:
    """Standard-scale the six features and cluster them with k-means; labels and inertia."""
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    scaled = StandardScaler().fit_transform(features[list(SPEC_FEATURES)])
    model = KMeans(n_clusters=k, random_state=seed, n_init=10).fit(scaled)
    return model.labels_, float(model.inertia_)


def run_baseline(*, folder: Path, start_date: date, min_sessions: int, k: int = 4, seed: int = 42) -> BaselineResult:
    """The whole notebook approach on the four CSVs in ``folder``, timed stage by stage."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[stage] = round(now - t0, 3)
        t0 = now

    tables = read_tables(folder=folder)
    lap("read")
    tables = clean_tables(tables=tables)
    lap("clean")
    hotels = tables["hotels"]
    hotels["nights"] = hotels.apply(hotel_nights, axis=1)
    lap("nights_apply")
    sessions = add_session_types(sessions=tables["sessions"])
    lap("session_types")
    features = user_features(
        sessions=sessions, flights=tables["flights"], hotels=hotels, start_date=start_date, min_sessions=min_sessions
    )
    lap("cohort_features")
    labels, inertia = kmeans_segments(features=features, k=k, seed=seed)
    lap("kmeans")
    return BaselineResult(features=features, labels=labels, inertia=inertia, timings=timings)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the baseline on a folder, write its features, print a JSON summary."""
    p = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, required=True, help="folder with users/sessions/flights/hotels.csv")
    p.add_argument("--out", type=Path, required=True, help="Parquet file for the per-user features")
    p.add_argument("--start-date", type=date.fromisoformat, default=date(2023, 1, 4))
    p.add_argument("--min-sessions", type=int, default=7)
    p.add_argument("--k", type=int, default=4)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    result = run_baseline(
        folder=args.source, start_date=args.start_date, min_sessions=args.min_sessions, k=args.k, seed=args.seed
    )
    result.features.reset_index().to_parquet(args.out, index=False)
    sizes = np.bincount(result.labels, minlength=args.k).tolist()
    print(json.dumps({"cohort": len(result.features), "segment_sizes": sizes, "timings": result.timings}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
