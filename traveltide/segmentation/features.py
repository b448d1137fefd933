"""The segmentation's inputs: which behaviour features, read how, scaled how (SPEC §3).

Inputs: :data:`FEATURES`, the perk driver features of ``gold.user_features`` (bags checked
and bags per flight; cancellation rate; discount usage rate and average discount; hotel
nights and flight + hotel bundle rate). Only these columns, the profile features and
``user_id`` are read, so demographic columns (gender, age, home, rooms, seats ...) cannot
reach the model even if the table carries them. The six SPEC features all stay in every
segment's profile (gold.segments); ``total_sessions`` and ``total_base_fare`` are profiled
but are not inputs: they measure activity and price, which no perk rewards, and totals
that grow with activity made k-means split heavy from light users instead of by what
they want (measured: see the choice below).

Scaling: ``log1p`` on the two heavy-tailed totals (:data:`LOG_FEATURES`: bags, nights),
then standardisation (z-scores) of all inputs. The other inputs are bounded rates or
per-trip means (0-1, bags per flight 0-4), so no single extreme user can stretch them. Why
not min-max: one extreme value (a five-figure business fare, a 97-night traveller) becomes
the maximum and squeezes every other user into a thin band near 0, so that feature stops
separating anyone; fare is no longer an input, and after log1p extreme totals are only a
few standard deviations out. Why not a robust (median/IQR) scaler: most users never cancel,
the IQR of a sparse rate can be 0 and its weight becomes arbitrary. Why not cohort
percentile ranks (tried: tied on the samples below): ranks throw magnitude away. A user
cancelling 95 % of sessions sits barely above one cancelling 45 %, while 2 % noise in an
unrelated input spreads users over the whole 0-1 range, so on hand-built cohorts k-means
split on noise and merged the extreme and the regular cancellers (tests/unit/test_segments.py).

Choice, by a stated criterion (``bench/segments_eval.py``; generated samples of 100,000 and
300,000 users, k = 4, k-means seeds 1, 2, 3, 42): every segment's affinity for its own perk
must be at least :data:`traveltide.segmentation.perks.FIT_MARGIN` and every segment must hold at least
5 % of the cohort; among designs passing everywhere the largest worst-case affinity wins.
Perk drivers with log1p + z-scores: worst 7.2 percentile points (mean 8.0), tied with
driver percentiles (7.2, mean 8.8; rejected above); z-scored per-trip rates without totals:
5.5; the SPEC six with log1p + z-scores (the earlier design) failed at -0.9, its discount
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
from sklearn.preprocessing import StandardScaler

from traveltide.contract.gold import CLUSTER_FEATURES
from traveltide.errors import TravelTideError

__all__ = [
    "DEMOGRAPHIC_COLUMNS",
    "FEATURES",
    "LOG_FEATURES",
    "SOURCE",
    "SegmentationError",
    "group_means",
    "read_features",
    "scale",
]

# The model's inputs: the perk drivers, behaviour only.
FEATURES: tuple[str, ...] = CLUSTER_FEATURES
# Heavy-tailed inputs (totals) that are log1p-transformed before standardisation.
LOG_FEATURES: tuple[str, ...] = ("total_checked_bags", "total_nights")
# Never a model input (SPEC §3); tests check none of them is in FEATURES.
DEMOGRAPHIC_COLUMNS: frozenset[str] = frozenset(
    {
        "gender",
        "age",
        "birthdate",
        "married",
        "has_children",
        "home_country",
        "home_city",
        "home_airport",
        "home_airport_lat",
        "home_airport_lon",
        "rooms",
        "seats",
        "sign_up_date",
    }
)

SOURCE = "gold.user_features"


class SegmentationError(TravelTideError, ValueError):
    """The features cannot be segmented as asked; the message says what to change."""


def read_features(
    *, con: duckdb.DuckDBPyConnection, columns: tuple[str, ...]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """user_id and the behaviour ``columns``, sorted by user_id, checked for gaps and bad values."""
    needed = tuple(dict.fromkeys(columns))
    try:
        rel = con.table(SOURCE)
    except duckdb.CatalogException:
        raise SegmentationError(f"{SOURCE} does not exist: build the gold layer before segmenting") from None
    missing = [c for c in ("user_id", *needed) if c not in rel.columns]
    if missing:
        raise SegmentationError(f"{SOURCE} lacks column(s) {missing}: rebuild the gold layer")
    data = rel.select("user_id", *needed).order("user_id").to_arrow_table()
    if data.num_rows < 2:
        raise SegmentationError(f"{SOURCE} has {data.num_rows} user(s); segmenting needs at least 2 cohort users")
    ids = data.column("user_id").to_numpy()
    dup = ids[1:][ids[1:] == ids[:-1]]
    if len(dup):
        raise SegmentationError(f"{SOURCE} has duplicate user_id {int(dup[0])}: rebuild the gold layer")
    found: dict[str, np.ndarray] = {}
    for name in needed:
        col = data.column(name)
        if col.null_count:
            row = col.is_null().to_numpy(zero_copy_only=False).argmax()
            raise SegmentationError(f"{SOURCE}.{name} is NULL for user_id {int(ids[row])}: features must be complete")
        values = col.to_numpy().astype(float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            row = int(bad.argmax())
            raise SegmentationError(
                f"{SOURCE}.{name} is {values[row]} for user_id {int(ids[row])}: features must be finite and >= 0"
            )
        found[name] = values
    return ids, found


def scale(*, x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """log1p on :data:`LOG_FEATURES`, then z-scores; returns the scaled matrix and its parameters."""
    logged = [f in LOG_FEATURES for f in FEATURES]
    xt = x.copy()
    xt[:, logged] = np.log1p(xt[:, logged])
    scaler = StandardScaler().fit(xt)
    params = {
        "method": "log1p on heavy-tailed totals, then standardise (z = (x - mean) / scale)",
        "log1p_features": [f for f in FEATURES if f in LOG_FEATURES],
        "mean": {f: float(m) for f, m in zip(FEATURES, scaler.mean_, strict=True)},
        "scale": {f: float(s) for f, s in zip(FEATURES, scaler.scale_, strict=True)},
    }
    return scaler.transform(xt), params


def group_means(*, values: np.ndarray, groups: np.ndarray, k: int) -> np.ndarray:
    """k x columns matrix of column means per group 0..k-1."""
    counts = np.bincount(groups, minlength=k)
    sums = np.stack([np.bincount(groups, weights=values[:, j], minlength=k) for j in range(values.shape[1])], 1)
    return sums / counts[:, None]
