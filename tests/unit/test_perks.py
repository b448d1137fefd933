"""Perk rules on hand-made numbers: percentiles, scores, assignment, names, reasons."""

from __future__ import annotations

import numpy as np
import pytest

from traveltide.contract.gold import PERK_NAMES, PROFILE_FEATURES
from traveltide.segmentation import perks

BAG, CANCEL, DISCOUNT, NIGHT = range(4)


def test_the_four_perks_and_never_free_hotel_meal():
    assert [p.name for p in perks.PERKS] == [
        "Free checked bag",
        "No cancellation fees",
        "Exclusive discounts",
        "One night free hotel with flight",
    ]
    assert "Free hotel meal" not in PERK_NAMES
    assert [p.score_column for p in perks.PERKS] == [
        "score_free_checked_bag",
        "score_no_cancellation_fees",
        "score_exclusive_discounts",
        "score_free_hotel_night",
    ]
    assert set(perks.DRIVER_FEATURES) <= set(PROFILE_FEATURES)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # midrank: (rank - 0.5) / n * 100; the two 20s share rank 2.5
        ([10, 20, 20, 40], [12.5, 50.0, 50.0, 87.5]),
        ([0, 0, 0, 0, 5], [40.0, 40.0, 40.0, 40.0, 90.0]),
        ([7], [50.0]),
        ([3, 1, 2], [5 / 6 * 100, 1 / 6 * 100, 50.0]),
    ],
)
def test_percentile_ranks_by_hand(values, expected):
    got = perks.percentile_ranks(values=np.array(values, dtype=float))
    np.testing.assert_allclose(got, expected)


def test_perk_scores_are_mean_driver_percentiles():
    pct = {
        "total_checked_bags": np.array([10.0, 90.0]),
        "bags_per_flight": np.array([30.0, 70.0]),
        "cancellation_rate": np.array([80.0, 20.0]),
        "discount_usage_rate": np.array([0.0, 100.0]),
        "avg_discount_amount": np.array([50.0, 50.0]),
        "total_nights": np.array([60.0, 40.0]),
        "bundle_rate": np.array([100.0, 0.0]),
    }
    got = perks.perk_scores(percentiles=pct)
    np.testing.assert_allclose(got, [[20.0, 80.0, 25.0, 80.0], [80.0, 20.0, 75.0, 20.0]])


def test_runner_up_skips_own_perk_and_breaks_ties_by_perk_order():
    scores = np.array([[90.0, 80.0, 10.0, 80.0], [10.0, 20.0, 30.0, 99.0], [50.0, 50.0, 50.0, 50.0]])
    got = perks.runner_up(scores=scores, assigned=np.array([BAG, NIGHT, BAG]))
    assert got.tolist() == [CANCEL, DISCOUNT, CANCEL]


def test_k4_is_an_optimal_one_to_one_match_not_greedy():
    # Greedy would give segment 0 the bag (9) and leave segment 1 with nothing better than 1:
    # total 9 + 1 + ... ; the optimum gives segment 0 cancellation (8) and segment 1 the bag (7).
    affinity = np.array(
        [
            [9.0, 8.0, 0.0, 0.0],
            [7.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 5.0, 0.0],
            [0.0, 0.0, 0.0, 5.0],
        ]
    )
    assert perks.assign_perks(affinity=affinity).tolist() == [CANCEL, BAG, DISCOUNT, NIGHT]


def test_k2_gets_distinct_perks_even_when_both_prefer_one():
    affinity = np.array([[10.0, 2.0, 0.0, 0.0], [9.0, 0.0, 6.0, 0.0]])
    assert perks.assign_perks(affinity=affinity).tolist() == [BAG, DISCOUNT]


def test_k6_uses_every_perk_and_extras_take_their_best():
    affinity = np.array(
        [
            [20.0, 0.0, 0.0, 0.0],
            [0.0, 20.0, 0.0, 0.0],
            [0.0, 0.0, 20.0, 0.0],
            [1.0, 0.0, 0.0, 8.0],  # the free night: 8 here beats 4 in the last row
            [15.0, 0.0, 3.0, 0.0],  # extra: best is the bag
            [0.0, 12.0, 0.0, 4.0],  # extra: best is cancellation
        ]
    )
    got = perks.assign_perks(affinity=affinity).tolist()
    assert got == [BAG, CANCEL, DISCOUNT, NIGHT, BAG, CANCEL]


def _deviation(**by_feature: float) -> np.ndarray:
    return np.array([by_feature.get(f, 0.0) for f in PROFILE_FEATURES])


def test_names_follow_the_fitting_perk_then_the_profile_and_stay_unique():
    deviation = np.stack(
        [
            # bag perk fits; fare deviates more, but the name follows the perk's drivers
            _deviation(total_checked_bags=20.0, total_base_fare=30.0),
            # no fitting perk: named after the largest deviation (sessions below cohort)
            _deviation(total_sessions=-25.0, total_nights=-5.0),
            # same profile twice: second one may not reuse the name
            _deviation(cancellation_rate=30.0),
            _deviation(cancellation_rate=30.0),
        ]
    )
    names = perks.name_segments(
        deviation=deviation,
        features=PROFILE_FEATURES,
        preferred=[("total_checked_bags", "bags_per_flight"), (), ("cancellation_rate",), ("cancellation_rate",)],
    )
    assert names[0] == "Heavy packers"
    assert names[1] == "Occasional visitors"
    assert names[2] == "Frequent cancellers"
    assert names[3] != "Frequent cancellers"
    assert len(set(names)) == 4


@pytest.mark.parametrize(
    ("perk", "seg", "cohort", "fits", "expected"),
    [
        (CANCEL, 0.31, 0.1, True, "Cancels in 31% of sessions, 3.1× the cohort average of 10%."),
        (BAG, 4.2, 1.4, True, "Checks 4.2 bags per user, 3.0× the cohort average of 1.4."),
        (
            NIGHT,
            0.0,
            0.0,
            False,
            "Weak fit, the best available: stays 0.0 hotel nights per user, while the cohort average is 0.0.",
        ),
        (
            DISCOUNT,
            0.2,
            0.25,
            False,
            "Weak fit, the best available: uses a discount in 20% of sessions, 0.8× the cohort average of 25%.",
        ),
    ],
)
def test_reason_sentences(perk, seg, cohort, fits, expected):
    assert perks.reason(perk=perks.PERKS[perk], segment_value=seg, cohort_value=cohort, fits=fits) == expected
