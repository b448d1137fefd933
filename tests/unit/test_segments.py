"""Segmentation on tiny hand-built cohorts whose right answer is obvious.

Each archetype below is 8 users with small, deterministic jitter. Expected names, perks and
numbers are worked out by hand from these rows, never read back from the code under test.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from traveltide.contract import gold
from traveltide.contract.gold import PROFILE_FEATURES, SEGMENTS, USER_SEGMENTS
from traveltide.segmentation import (
    DEMOGRAPHIC_COLUMNS,
    FEATURES,
    SegmentationError,
    draw_diagnostics,
    perks,
    read_diagnostic_inputs,
    segment_users,
    silhouettes,
)
from traveltide.segmentation.segment import Campaign

COUNT_COLUMNS = (
    "total_sessions",
    "total_nights",
    "total_checked_bags",
    "booking_sessions",
    "booked_trips",
    "cancelled_trips",
    "flight_trips",
    "hotel_trips",
)
DOUBLE_COLUMNS = (
    "cancellation_rate",
    "discount_usage_rate",
    "total_base_fare",
    "booking_rate",
    "conversion_rate",
    "bundle_rate",
    "bags_per_flight",
    "nights_per_hotel_trip",
    "avg_discount_amount",
    "avg_page_clicks",
    "avg_session_seconds",
    "total_hotel_spend_usd",
)

# Shared by every archetype unless overridden.
BASE = {
    "total_sessions": 9,
    "cancellation_rate": 0.0,
    "discount_usage_rate": 0.10,
    "total_nights": 2,
    "total_checked_bags": 1,
    "total_base_fare": 900.0,
    "bags_per_flight": 0.5,
    "avg_discount_amount": 0.10,
    "bundle_rate": 0.2,
    "nights_per_hotel_trip": 2.0,
}
ARCHETYPES = {
    "packers": {"total_checked_bags": 12, "bags_per_flight": 3.0, "total_base_fare": 1800.0},
    "cancellers": {"cancellation_rate": 0.45},
    "hunters": {"discount_usage_rate": 0.85, "avg_discount_amount": 0.30},
    "stayers": {"total_nights": 24, "bundle_rate": 0.9, "nights_per_hotel_trip": 8.0, "total_base_fare": 1800.0},
    # extras for k = 6: even stronger versions of two archetypes
    "extreme_cancellers": {"cancellation_rate": 0.95, "total_sessions": 30},
    "extreme_packers": {
        "total_checked_bags": 40,
        "bags_per_flight": 6.0,
        "total_base_fare": 9000.0,
        "total_sessions": 30,
    },
}
PER_GROUP = 8


def _rows(groups: tuple[str, ...]) -> list[dict]:
    """8 users per archetype; counts + i % 3 (not total_sessions), doubles x (1 + 0.02 * ((i + c) % 4)).

    c is the column's position in DOUBLE_COLUMNS: measurement noise is independent between
    features, as in real data (noise shared by all columns would be an axis of its own).
    """
    rows = []
    for g, name in enumerate(groups):
        for i in range(PER_GROUP):
            v = {**BASE, **ARCHETYPES[name]}
            row = {"user_id": 1000 + 37 * (g * PER_GROUP + i), "group": name}
            for col in COUNT_COLUMNS:
                row[col] = int(v.get(col, 1)) + (0 if col == "total_sessions" else i % 3)
            for phase, col in enumerate(DOUBLE_COLUMNS):
                row[col] = float(v.get(col, 0.5)) * (1 + 0.02 * ((i + phase) % 4))
            rows.append(row)
    return rows


def _load(con: duckdb.DuckDBPyConnection, rows: list[dict], extra: dict[str, str] | None = None) -> None:
    extra = extra or {}
    cols = {"user_id": "INTEGER PRIMARY KEY"}
    cols |= dict.fromkeys(COUNT_COLUMNS, "BIGINT NOT NULL") | dict.fromkeys(DOUBLE_COLUMNS, "DOUBLE NOT NULL") | extra
    con.execute("CREATE SCHEMA IF NOT EXISTS gold")
    con.execute("CREATE OR REPLACE TABLE gold.user_features (" + ", ".join(f"{c} {t}" for c, t in cols.items()) + ")")
    names = list(cols)
    con.executemany(
        f"INSERT INTO gold.user_features VALUES ({', '.join('?' * len(names))})",
        [[r[c] for c in names] for r in rows],
    )


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


FOUR = ("packers", "cancellers", "hunters", "stayers")
EXPECTED_FOUR = {
    "packers": ("Heavy packers", "Free checked bag"),
    "cancellers": ("Frequent cancellers", "No cancellation fees"),
    "hunters": ("Discount hunters", "Exclusive discounts"),
    "stayers": ("Long-stay travellers", "One night free hotel with flight"),
}


def _by_group(con, rows) -> dict[str, set[tuple[str, str]]]:
    got = dict(con.execute("SELECT user_id, segment_name || '|' || perk FROM gold.user_segments").fetchall())
    out: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        out.setdefault(r["group"], set()).add(tuple(got[r["user_id"]].split("|")))
    return out


# Hand-built cohorts of 8 users per archetype: every perk is supported from one user on.
SMALL = Campaign(
    perk_min_users=1,
    perk_min_share=0.0,
    control_share=0.25,
    experiment_salt="test",
    stability_rounds=3,
    stability_threshold=0.6,
)


def _run(con, **kw):
    args = {"k": 4, "k_min": 2, "k_max": 6, "min_segment_size": 1, "seed": 42, "plots_dir": None, "campaign": SMALL}
    return segment_users(con=con, **(args | kw))


def test_obvious_cohort_gets_obvious_names_and_perks(con):
    rows = _rows(FOUR)
    _load(con, rows)
    result = _run(con)
    assert _by_group(con, rows) == {g: {EXPECTED_FOUR[g]} for g in FOUR}
    # Ids follow perk order (sizes are equal), not the k-means label.
    segs = con.execute("SELECT segment_id, segment_name, perk, users, share FROM gold.segments ORDER BY 1").fetchall()
    assert segs == [
        (1, "Heavy packers", "Free checked bag", 8, 0.25),
        (2, "Frequent cancellers", "No cancellation fees", 8, 0.25),
        (3, "Discount hunters", "Exclusive discounts", 8, 0.25),
        (4, "Long-stay travellers", "One night free hotel with flight", 8, 0.25),
    ]
    # cancellers: 0.45 x mean(1, 1.02, 1.04, 1.06) = 0.4635 -> 46 %; cohort 0.4635 / 4 -> 12 %; 4.0x
    reason = con.execute("SELECT reason FROM gold.segments WHERE segment_id = 2").fetchone()[0]
    assert reason == "Cancels in 46% of sessions, 4.0× the cohort average of 12%."
    # stayers: nights 24 + mean(0,1,2,0,1,2,0,1) = 24.875; cohort (3 x 2.875 + 24.875) / 4 = 8.375
    reason = con.execute("SELECT reason FROM gold.segments WHERE segment_id = 4").fetchone()[0]
    assert reason == "Stays 24.9 hotel nights per user, 3.0× the cohort average of 8.4."
    assert result.k == 4 and result.k_selection == "fixed" and result.users == 32
    assert [s.users for s in result.segments] == [8, 8, 8, 8]


def test_profile_means_and_scores(con):
    rows = _rows(FOUR)
    _load(con, rows)
    _run(con)
    # mean of total_checked_bags of the packers: 12 + mean(i % 3 for i in 0..7) = 12.875
    assert con.execute("SELECT total_checked_bags FROM gold.segments WHERE perk = 'Free checked bag'").fetchone()[
        0
    ] == pytest.approx(12.875)
    lo, hi, bad = con.execute(
        """SELECT min(least(score_free_checked_bag, score_no_cancellation_fees, score_exclusive_discounts, score_free_hotel_night)),
                  max(greatest(score_free_checked_bag, score_no_cancellation_fees, score_exclusive_discounts, score_free_hotel_night)),
                  count(*) FILTER (WHERE perk_score <> CASE perk
                        WHEN 'Free checked bag' THEN score_free_checked_bag
                        WHEN 'No cancellation fees' THEN score_no_cancellation_fees
                        WHEN 'Exclusive discounts' THEN score_exclusive_discounts
                        ELSE score_free_hotel_night END)
           FROM gold.user_segments"""
    ).fetchone()
    assert lo >= 0 and hi <= 100 and bad == 0
    # Cancellers hold the top 8 of 32 cancellation rates: midrank percentiles 76.5625 .. 98.4375, mean 87.5.
    # The 24 others tie at 0: rank 12.5 -> (12.5 - 0.5) / 32 * 100 = 37.5.
    got = dict(
        con.execute("SELECT perk, avg(score_no_cancellation_fees) FROM gold.user_segments GROUP BY 1").fetchall()
    )
    assert got["No cancellation fees"] == pytest.approx(87.5)
    assert got["Free checked bag"] == pytest.approx(37.5)
    segment_means = con.execute("SELECT score_no_cancellation_fees FROM gold.segments ORDER BY segment_id").fetchall()
    assert [round(v[0], 6) for v in segment_means] == [37.5, 87.5, 37.5, 37.5]
    # A packer's runner-up is not the bag; the heaviest packer has the top bag score.
    top = con.execute(
        "SELECT user_id, runner_up_perk FROM gold.user_segments ORDER BY score_free_checked_bag DESC, user_id LIMIT 1"
    ).fetchone()
    packers = [r for r in rows if r["group"] == "packers"]
    heaviest = max(packers, key=lambda r: (r["total_checked_bags"] + r["bags_per_flight"] / 100, -r["user_id"]))
    assert top[0] == heaviest["user_id"] and top[1] != "Free checked bag"


def test_same_run_twice_is_identical(con):
    _load(con, _rows(FOUR))
    first = _run(con).to_dict()
    t1 = con.execute("SELECT * FROM gold.user_segments ORDER BY user_id").fetchall()
    s1 = con.execute("SELECT * FROM gold.segments ORDER BY segment_id").fetchall()
    second = _run(con).to_dict()
    assert first == second
    assert t1 == con.execute("SELECT * FROM gold.user_segments ORDER BY user_id").fetchall()
    assert s1 == con.execute("SELECT * FROM gold.segments ORDER BY segment_id").fetchall()


@pytest.mark.parametrize("shuffle_seed", [1, 2, 3])
def test_shuffled_rows_give_identical_results(shuffle_seed):
    rows = _rows((*FOUR, "extreme_cancellers"))
    out = []
    for order in (rows, random.Random(shuffle_seed).sample(rows, len(rows))):
        c = duckdb.connect()
        _load(c, order)
        result = segment_users(
            con=c, k=5, k_min=2, k_max=6, min_segment_size=1, seed=7, plots_dir=None, campaign=SMALL
        ).to_dict()
        out.append(
            (
                result,
                c.execute("SELECT * FROM gold.user_segments ORDER BY user_id").fetchall(),
                c.execute("SELECT * FROM gold.segments ORDER BY segment_id").fetchall(),
            )
        )
        c.close()
    assert out[0] == out[1]


def test_k_auto_picks_the_obvious_four_within_range(con):
    rows = _rows(FOUR)
    _load(con, rows)
    result = _run(con, k=None, k_min=2, k_max=6)
    assert result.k_selection == "silhouette"
    assert [c.k for c in result.candidates] == [2, 3, 4, 5, 6]
    assert all(c.silhouette is not None for c in result.candidates)
    assert result.k == 4 == max(result.candidates, key=lambda c: c.silhouette).k
    inertia = [c.inertia for c in result.candidates]
    assert inertia == sorted(inertia, reverse=True)
    assert _by_group(con, rows) == {g: {EXPECTED_FOUR[g]} for g in FOUR}


def test_k_auto_never_keeps_a_segment_below_min_segment_size_and_says_so(con):
    # Four clean groups, two of them twice as large: k = 4 separates best, but two of its
    # segments have PER_GROUP users.
    rows = _rows(FOUR)
    rows += [dict(r, user_id=r["user_id"] + 1) for r in rows if r["group"] in ("packers", "cancellers")]
    _load(con, rows)
    assert _run(con, k=None, min_segment_size=1).k == 4
    result = _run(con, k=None, min_segment_size=PER_GROUP + 1)
    assert result.k != 4
    sizes = dict(con.execute("SELECT segment_id, count(*) FROM gold.user_segments GROUP BY ALL").fetchall())
    assert len(sizes) == result.k and min(sizes.values()) > PER_GROUP
    smallest = {c.k: c.smallest for c in result.candidates}
    assert smallest[4] == PER_GROUP
    left_out = sorted(k for k, n in smallest.items() if n <= PER_GROUP)
    assert result.k_note() == (
        f"chosen by silhouette; k = {', '.join(map(str, left_out))} left out: a segment under {PER_GROUP + 1} users"
    )


def test_k_auto_with_no_k_big_enough_names_the_setting(con):
    _load(con, _rows(FOUR))
    with pytest.raises(
        SegmentationError, match=r"no k in \[2, 6\] gives segments of at least 17 users \(min_segment_size\)"
    ):
        _run(con, k=None, min_segment_size=4 * PER_GROUP // 2 + 1)


def test_k2_gets_two_distinct_best_perks(con):
    rows = _rows(("packers", "cancellers"))
    _load(con, rows)
    _run(con, k=2)
    assert _by_group(con, rows) == {
        "packers": {("Heavy packers", "Free checked bag")},
        "cancellers": {("Frequent cancellers", "No cancellation fees")},
    }


def test_k6_uses_every_perk_and_extras_get_their_best(con):
    rows = _rows((*FOUR, "extreme_cancellers", "extreme_packers"))
    _load(con, rows)
    result = _run(con, k=6)
    groups = _by_group(con, rows)
    assert all(len(v) == 1 for v in groups.values())  # each archetype is one segment
    perk = {g: next(iter(v))[1] for g, v in groups.items()}
    assert set(perk.values()) == {p for _, p in EXPECTED_FOUR.values()}
    assert perk["cancellers"] == perk["extreme_cancellers"] == "No cancellation fees"
    assert perk["packers"] == perk["extreme_packers"] == "Free checked bag"
    assert perk["hunters"] == "Exclusive discounts" and perk["stayers"] == "One night free hotel with flight"
    names = [s.segment_name for s in result.segments]
    assert len(set(names)) == 6
    # Ids: perk order, then size; equal sizes here so each perk's two segments are adjacent.
    assert [s.perk for s in result.segments] == [
        "Free checked bag",
        "Free checked bag",
        "No cancellation fees",
        "No cancellation fees",
        "Exclusive discounts",
        "One night free hotel with flight",
    ]


def test_demographic_columns_never_reach_the_model(con):
    # Inputs are the perk drivers: behaviour, no demographics, no activity volume or price.
    assert set(FEATURES) == set(perks.DRIVER_FEATURES)
    assert not DEMOGRAPHIC_COLUMNS & set(FEATURES)
    assert not {"total_sessions", "total_base_fare", "booking_sessions", "booked_trips"} & set(FEATURES)
    # Every input and all six SPEC features stay in the profile of gold.segments.
    assert set(FEATURES) | set(gold.SPEC_FEATURES) <= set(PROFILE_FEATURES) <= set(gold.FEATURE_COLUMNS)
    rows = _rows(FOUR)
    _load(con, rows)
    plain = _run(con, k=None).to_dict()
    plain_users = con.execute("SELECT * FROM gold.user_segments ORDER BY user_id").fetchall()
    # Demographics that split the cohort along a different axis (by row position), strongly.
    demo = {
        "gender": "VARCHAR",
        "age": "INTEGER",
        "married": "BOOLEAN",
        "has_children": "BOOLEAN",
        "home_country": "VARCHAR",
        "home_airport_lat": "DOUBLE",
        "rooms": "BIGINT",
        "seats": "BIGINT",
    }
    for n, r in enumerate(rows):
        r |= {
            "gender": "FM"[n % 2],
            "age": 18 + 60 * (n % 2),
            "married": n % 2 == 0,
            "has_children": n % 3 == 0,
            "home_country": ("usa", "canada")[n % 2],
            "home_airport_lat": 10.0 + 50 * (n % 2),
            "rooms": 1 + 9 * (n % 2),
            "seats": 1 + 9 * (n % 2),
        }
    _load(con, rows, extra=demo)
    assert _run(con, k=None).to_dict() == plain
    assert con.execute("SELECT * FROM gold.user_segments ORDER BY user_id").fetchall() == plain_users


def test_activity_volume_and_fare_do_not_split_segments(con):
    # Sessions and fare swing strongly across every archetype (alternate rows); the
    # segments must still follow what users do, not how much they visit or pay.
    rows = _rows(FOUR)
    for n, r in enumerate(rows):
        r["total_sessions"], r["total_base_fare"] = (7, 150.0) if n % 2 else (40, 25_000.0)
    _load(con, rows)
    _run(con)
    assert _by_group(con, rows) == {g: {EXPECTED_FOUR[g]} for g in FOUR}


def test_plots_are_valid_pngs_and_diagnostics_are_json(con, tmp_path):
    _load(con, _rows(FOUR))
    plain = _run(con)
    result = _run(con, plots_dir=tmp_path / "plots")
    assert set(result.plots) == {"k_selection", "profiles", "projection"}
    # The pictures' k range refits k itself with the same seed: its figures do not move.
    assert plain.candidates == tuple(c for c in result.candidates if c.k == 4)
    assert replace(result, candidates=plain.candidates, plots={}) == plain
    for path in result.plots.values():
        data = Path(path).read_bytes()
        assert Path(path).parent == tmp_path / "plots"
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    # With plots a fixed k still fits the range for the elbow picture; k stays 4.
    assert [c.k for c in result.candidates] == [2, 3, 4, 5, 6] and result.k == 4
    d = json.loads(json.dumps(result.to_dict()))
    assert d["sizes"] == {"1": 8, "2": 8, "3": 8, "4": 8}
    assert d["features"] == list(FEATURES) and d["seed"] == 42
    assert set(d["scaler"]["mean"]) == set(FEATURES) == set(d["scaler"]["scale"])
    assert d["scaler"]["log1p_features"] == ["total_checked_bags", "total_nights"]
    # log1p then z-score: mean of log1p(total_checked_bags) over the cohort, by hand.
    bags = [b + i % 3 for b in (12, 1, 1, 1) for i in range(PER_GROUP)]
    assert d["scaler"]["mean"]["total_checked_bags"] == pytest.approx(np.mean(np.log1p(bags)))
    # Not logged: cancellation rate is 0 for 24 users, 0.45 x (1 + 0.02 * (i % 4)) for 8;
    # those factors average 1.03, so the mean is 0.45 * 1.03 / 4.
    assert d["scaler"]["mean"]["cancellation_rate"] == pytest.approx(0.45 * 1.03 / 4)


def test_the_pictures_are_drawn_from_inputs_read_first_with_no_database(con, tmp_path):
    """The flow draws them beside other work; they must not query DuckDB once their inputs are read."""
    _load(con, _rows(FOUR))
    result = _run(con)
    inputs = read_diagnostic_inputs(con=con)
    assert inputs.names == [s.segment_name for s in result.segments]
    assert np.bincount(inputs.seg).tolist() == [8, 8, 8, 8]
    con.close()  # drawing with the database gone
    drawn = draw_diagnostics(
        inputs=inputs,
        k=4,
        k_selection="fixed",
        candidates=result.candidates,
        k_min=2,
        k_max=6,
        min_segment_size=1,
        seed=42,
        plots_dir=tmp_path / "plots",
    )
    assert set(drawn.plots) == {"k_selection", "profiles", "projection"}
    assert all(Path(p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in drawn.plots.values())


def test_written_tables_follow_the_contract(con):
    _load(con, _rows(FOUR))
    _run(con)
    for table in (SEGMENTS, USER_SEGMENTS):
        described = con.execute(f"DESCRIBE {table.qualified_name}").fetchall()
        assert [(r[0], r[1], r[2]) for r in described] == [
            (c.name, c.type, "YES" if c.nullable else "NO") for c in table.columns
        ]
    with pytest.raises(duckdb.ConstraintException, match="user_id"):
        con.execute("INSERT INTO gold.user_segments SELECT * FROM gold.user_segments LIMIT 1")


def test_silhouettes_match_scikit_learn():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(300, 4))
    labels = {2: rng.integers(0, 2, 300), 5: rng.integers(0, 5, 300), 9: np.r_[np.arange(8), np.full(292, 8)]}
    got = silhouettes(points=points, labels=labels, chunk=37)
    for k, lab in labels.items():
        assert got[k] == pytest.approx(silhouette_score(points, lab), abs=1e-6)  # float32 distances
    assert silhouettes(points=points, labels={1: np.zeros(300, dtype=int)}) == {1: None}


@pytest.mark.parametrize(
    ("mutate", "kw", "message"),
    [
        ("DROP TABLE gold.user_features", {}, r"gold.user_features does not exist: build the gold layer"),
        ("ALTER TABLE gold.user_features DROP COLUMN bundle_rate", {}, r"lacks column\(s\) \['bundle_rate'\]"),
        (
            "UPDATE gold.user_features SET total_base_fare = -5 WHERE user_id = 1037",
            {},
            r"total_base_fare is -5.0 for user_id 1037: features must be finite and >= 0",
        ),
        (
            "UPDATE gold.user_features SET total_base_fare = 'inf' WHERE user_id = 1074",
            {},
            r"total_base_fare is inf for user_id 1074",
        ),
        (
            "DELETE FROM gold.user_features WHERE user_id > 1037",
            {},
            r"has 2 users with 2 distinct behaviour profile\(s\); lower k_min",
        ),
        (
            "DELETE FROM gold.user_features WHERE user_id > 1111",
            {"k": 5},
            r"k = 5 but gold.user_features has only 4 distinct .* set k to at most 4",
        ),
    ],
)
def test_errors_name_what_to_fix(con, mutate, kw, message):
    _load(con, _rows(FOUR))
    con.execute(mutate)
    args = {"k": None, "k_min": 3} | kw
    with pytest.raises(SegmentationError, match=message):
        _run(con, **args)


def test_null_feature_is_named(con):
    rows = _rows(FOUR)
    _load(con, rows, extra={})
    con.execute("ALTER TABLE gold.user_features ALTER COLUMN cancellation_rate DROP NOT NULL")
    con.execute("UPDATE gold.user_features SET cancellation_rate = NULL WHERE user_id = 1074")
    with pytest.raises(SegmentationError, match=r"cancellation_rate is NULL for user_id 1074"):
        _run(con)


def test_a_perk_no_one_shows_is_never_assigned_nor_offered(con):
    # Nobody in this cohort cancels: "No cancellation fees" has nothing to stand on.
    rows = _rows(FOUR)
    for r in rows:
        r["cancellation_rate"] = 0.0
    _load(con, rows)
    result = _run(con, campaign=replace(SMALL, perk_min_users=2, perk_min_share=0.01))
    perks_given = {p for (p,) in con.execute("SELECT perk FROM gold.segments").fetchall()}
    offered = {p for (p,) in con.execute("SELECT offered_perk FROM gold.user_segments").fetchall()}
    assert "No cancellation fees" not in perks_given | offered
    support = {s.perk: s for s in result.perk_support}
    assert not support["No cancellation fees"].supported
    assert support["No cancellation fees"].users_with_behaviour == 0
    assert not support["Free hotel meal"].supported
    assert result.offers["No cancellation fees"] == 0
    (listed,) = con.execute("SELECT DISTINCT perks_not_offered FROM gold.segments").fetchall()
    assert listed[0].startswith("No cancellation fees: Not offered: only 0 of 32 cohort users (0.0%) cancelled a trip")
    assert "Free hotel meal: Not offered" in listed[0]


def test_support_needs_both_the_minimum_users_and_the_minimum_share(con):
    rows = _rows(FOUR)  # 8 of 32 users cancel: 25 %
    _load(con, rows)
    by_users = {s.perk: s.supported for s in _run(con, campaign=replace(SMALL, perk_min_users=9)).perk_support}
    by_share = {s.perk: s.supported for s in _run(con, campaign=replace(SMALL, perk_min_share=0.26)).perk_support}
    enough = {
        s.perk: s.supported
        for s in _run(con, campaign=replace(SMALL, perk_min_users=8, perk_min_share=0.25)).perk_support
    }
    assert not by_users["No cancellation fees"]
    assert not by_share["No cancellation fees"]
    assert enough["No cancellation fees"]


def test_users_who_cannot_use_their_segments_perk_get_their_best_usable_one(con):
    rows = _rows(FOUR)
    packers = [r for r in rows if r["group"] == "packers"]
    stayers = [r for r in rows if r["group"] == "stayers"]
    # two packers with no kept flight, one stayer with no kept hotel stay, one with no booking at all
    for r in packers[:2]:
        r["flight_trips"] = 0
    stayers[0]["hotel_trips"] = 0
    none = stayers[1]
    none.update(flight_trips=0, hotel_trips=0, booking_sessions=0)
    _load(con, rows)
    _run(con)
    got = {
        u: (perk, offered, why)
        for u, perk, offered, why in con.execute(
            "SELECT user_id, perk, offered_perk, offer_reason FROM gold.user_segments"
        ).fetchall()
    }
    scores = {
        u: dict(zip(gold.SCORE_COLUMNS, s, strict=True))
        for u, *s in con.execute(
            "SELECT user_id, score_free_checked_bag, score_no_cancellation_fees, score_exclusive_discounts,"
            " score_free_hotel_night FROM gold.user_segments"
        ).fetchall()
    }
    for r in packers[:2]:
        perk, offered, why = got[r["user_id"]]
        assert perk == "Free checked bag"
        usable = {p: v for p, v in scores[r["user_id"]].items() if p != "Free checked bag"}
        assert offered == max(usable, key=lambda p: (usable[p], -list(gold.SCORE_COLUMNS).index(p)))
        assert "needs a booked, not cancelled flight" in why
    perk, offered, _ = got[stayers[0]["user_id"]]
    assert (perk, offered) != ("One night free hotel with flight",) * 2
    assert offered != "One night free hotel with flight"
    # no booking: only the discount is usable
    assert got[none["user_id"]][1] == "Exclusive discounts"
    for r in packers[2:]:
        assert got[r["user_id"]][1:] == (
            "Free checked bag",
            "The segment's perk; the user has a booked, not cancelled flight",
        )
    eligible = dict(con.execute("SELECT perk, eligible_users FROM gold.segments").fetchall())
    assert eligible["Free checked bag"] == PER_GROUP - 2
    assert eligible["One night free hotel with flight"] == PER_GROUP - 2


def test_experiment_groups_are_deterministic_stratified_and_near_the_share(con):
    rows = _rows(FOUR)
    _load(con, rows)
    campaign = replace(SMALL, control_share=0.25)
    _run(con, campaign=campaign)
    first = dict(con.execute("SELECT user_id, experiment_group FROM gold.user_segments").fetchall())
    _run(con, campaign=campaign)
    assert dict(con.execute("SELECT user_id, experiment_group FROM gold.user_segments").fetchall()) == first
    per_segment = con.execute(
        "SELECT segment_id, count(*) FILTER (experiment_group = 'control'), count(*) "
        "FROM gold.user_segments GROUP BY ALL"
    ).fetchall()
    assert all(control == round(0.25 * n) for _, control, n in per_segment)
    assert set(first.values()) == {"treatment", "control"}
    _run(con, campaign=replace(campaign, experiment_salt="another"))
    redrawn = dict(con.execute("SELECT user_id, experiment_group FROM gold.user_segments").fetchall())
    assert redrawn != first
    # independent computation of the salted hash order: sha256("test:<id>"), first 8 bytes big-endian
    import hashlib

    for seg_id, members in con.execute(
        "SELECT segment_id, list(user_id ORDER BY user_id) FROM gold.user_segments GROUP BY ALL"
    ).fetchall():
        ranked = sorted(members, key=lambda u: int.from_bytes(hashlib.sha256(f"test:{u}".encode()).digest()[:8], "big"))
        assert {first[u] for u in ranked[:2]} == {"control"}, seg_id
        assert {first[u] for u in ranked[2:]} == {"treatment"}, seg_id


def test_minimum_detectable_effect_matches_the_two_sample_formula(con):
    rows = _rows(FOUR)
    _load(con, rows)
    result = _run(con, campaign=replace(SMALL, control_share=0.25))
    from statistics import NormalDist, mean, stdev

    z = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.8)
    members = dict(con.execute("SELECT segment_id, list(user_id) FROM gold.user_segments GROUP BY ALL").fetchall())
    rate = {r["user_id"]: r["conversion_rate"] for r in rows}
    for s in result.segments:
        assert (s.treatment_users, s.control_users) == (6, 2)
        rates = [rate[u] for u in members[s.segment_id]]
        assert s.baseline_booking_rate == pytest.approx(mean(rates))
        assert s.mde_booking_rate == pytest.approx(z * stdev(rates) * (1 / 6 + 1 / 2) ** 0.5)
        assert s.mde_booking_rate > 0


def test_obvious_segments_are_stable_and_noise_is_not(con):
    _load(con, _rows(FOUR))
    stable = _run(con).stability
    assert stable is not None and stable.mean_ari == pytest.approx(1.0)
    assert all(v == pytest.approx(1.0) for v in stable.segment_overlap.values())
    assert stable.warnings == ()
    rng = np.random.default_rng(3)
    noise = [
        {
            **r,
            **{c: float(rng.random()) for c in DOUBLE_COLUMNS},
            "total_checked_bags": int(rng.integers(0, 5)),
            "total_nights": int(rng.integers(0, 5)),
        }
        for r in _rows(FOUR * 4)
    ]
    _load(con, noise)
    shaky = _run(con, campaign=replace(SMALL, stability_rounds=5, stability_threshold=0.9)).stability
    assert shaky is not None and shaky.mean_ari < 0.9
    assert any("unstable" in w for w in shaky.warnings)


@pytest.mark.parametrize(
    ("groups", "k"),
    [
        (FOUR, 4),
        (FOUR, 2),
        ((*FOUR, "extreme_cancellers", "extreme_packers"), 6),
        (("packers", "hunters", "stayers"), 4),
    ],
)
def test_no_segment_name_contradicts_its_perk(con, groups, k):
    _load(con, _rows(groups))
    result = _run(con, k=k)
    by_name = {p.name: p for p in perks.PERKS}
    for s in result.segments:
        assert not perks.contradicts(name=s.segment_name, perk=by_name[s.perk]), (s.segment_name, s.perk)
        assert "0.0" not in s.reason.split("cohort average of ")[-1]
