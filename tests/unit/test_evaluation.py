"""The campaign evaluation on hand-built groups and later behaviour, checked against the
statistics module's own means, variances and normal quantile."""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist, mean, variance

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from traveltide.segmentation.evaluation import measure_uplift

# (user_id, segment_id, group, later behaviour or None when the user did not come back)
USERS = [
    (1, 1, "treatment", {"conversion_rate": 0.5, "total_checked_bags": 3}),
    (2, 1, "treatment", {"conversion_rate": 0.7, "total_checked_bags": 1}),
    (3, 1, "treatment", {"conversion_rate": 0.6, "total_checked_bags": 2}),
    (4, 1, "control", {"conversion_rate": 0.2, "total_checked_bags": 0}),
    (5, 1, "control", {"conversion_rate": 0.4, "total_checked_bags": 1}),
    (6, 1, "control", None),
    (7, 2, "treatment", {"conversion_rate": 0.1, "discount_usage_rate": 0.5}),
    (8, 2, "treatment", {"conversion_rate": 0.3, "discount_usage_rate": 0.2}),
    (9, 2, "control", {"conversion_rate": 0.3, "discount_usage_rate": 0.1}),
    (10, 2, "control", {"conversion_rate": 0.2, "discount_usage_rate": 0.4}),
]
PERK = {1: "Free checked bag", 2: "Exclusive discounts"}


@pytest.fixture
def evaluated(tmp_path: Path):
    groups = tmp_path / "user_segments.parquet"
    pq.write_table(
        pa.table(
            {
                "user_id": pa.array([u for u, *_ in USERS], pa.int32()),
                "segment_id": pa.array([s for _, s, *_ in USERS], pa.int32()),
                "segment_name": [f"Segment {s}" for _, s, *_ in USERS],
                "perk": [PERK[s] for _, s, *_ in USERS],
                "experiment_group": [g for _, _, g, _ in USERS],
            }
        ),
        groups,
    )
    con = duckdb.connect()
    con.execute("create schema gold")
    con.execute(
        "create table gold.user_features (user_id integer, total_sessions bigint, conversion_rate double, "
        "total_checked_bags bigint, cancellation_rate double, discount_usage_rate double, total_nights bigint)"
    )
    for u, _, _, later in USERS:
        if later is not None:
            con.execute(
                "insert into gold.user_features values (?, 3, ?, ?, 0, ?, 0)",
                [u, later["conversion_rate"], later.get("total_checked_bags", 0), later.get("discount_usage_rate", 0)],
            )
    found = {(u.segment_id, u.measure): u for u in measure_uplift(con=con, groups=groups)}
    con.close()
    return found


def _expected(treated: list[float], control: list[float]) -> tuple[float, float, float]:
    d = mean(treated) - mean(control)
    half = NormalDist().inv_cdf(0.975) * (variance(treated) / len(treated) + variance(control) / len(control)) ** 0.5
    return d, d - half, d + half


def test_uplift_and_welch_interval_per_segment(evaluated):
    got = evaluated[(1, "conversion_rate")]
    # user 6 did not come back: not in the rate (a rate of nothing is not 0)
    assert (got.treatment_users, got.control_users) == (3, 2)
    assert (got.uplift, got.ci_low, got.ci_high) == pytest.approx(_expected([0.5, 0.7, 0.6], [0.2, 0.4]))
    assert got.significant
    bags = evaluated[(1, "total_checked_bags")]
    assert (bags.uplift, bags.ci_low, bags.ci_high) == pytest.approx(_expected([3, 1, 2], [0, 1]))
    discounts = evaluated[(2, "discount_usage_rate")]
    assert (discounts.uplift, discounts.ci_low, discounts.ci_high) == pytest.approx(_expected([0.5, 0.2], [0.1, 0.4]))
    assert not discounts.significant
    assert (2, "total_checked_bags") not in evaluated  # each segment is measured on its own perk


def test_returned_counts_every_group_user_and_all_segments_pool(evaluated):
    back = evaluated[(1, "returned")]
    assert (back.treatment_users, back.control_users) == (3, 3)
    assert (back.treatment_mean, back.control_mean) == pytest.approx((1.0, 2 / 3))
    pooled = evaluated[(None, "conversion_rate")]
    assert (pooled.uplift, pooled.ci_low, pooled.ci_high) == pytest.approx(
        _expected([0.5, 0.7, 0.6, 0.1, 0.3], [0.2, 0.4, 0.3, 0.2])
    )
    assert (None, "total_checked_bags") not in evaluated
