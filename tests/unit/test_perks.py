"""Perk rules on hand-made numbers: percentiles, scores, assignment, names, reasons."""

from __future__ import annotations

import numpy as np
import pytest

from traveltide.contract.gold import PERK_NAMES, PROFILE_FEATURES
from traveltide.segmentation import perks

BAG, CANCEL, DISCOUNT, NIGHT = range(4)
ALL = np.ones(4, dtype=bool)


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
    assert perks.assign_perks(affinity=affinity, supported=ALL).tolist() == [CANCEL, BAG, DISCOUNT, NIGHT]


def test_k2_gets_distinct_perks_even_when_both_prefer_one():
    affinity = np.array([[10.0, 2.0, 0.0, 0.0], [9.0, 0.0, 6.0, 0.0]])
    assert perks.assign_perks(affinity=affinity, supported=ALL).tolist() == [BAG, DISCOUNT]


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
    got = perks.assign_perks(affinity=affinity, supported=ALL).tolist()
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
        perks=[BAG, DISCOUNT, CANCEL, CANCEL],
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
            "Weak fit, the best available: stays 0 hotel nights per user, while no cohort user does.",
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


def test_unsupported_perks_are_never_assigned_and_segments_share_the_rest():
    # Cancellation fits segment 1 best, but the cohort does not support it: the segments share
    # the three supported perks by best fit (segment 1's best supported perk is the bag).
    affinity = np.array(
        [
            [20.0, 0.0, 0.0, 0.0],
            [9.0, 30.0, 0.0, 0.0],
            [0.0, 0.0, 20.0, 0.0],
            [0.0, 0.0, 0.0, 8.0],
        ]
    )
    supported = np.array([True, False, True, True])
    got = perks.assign_perks(affinity=affinity, supported=supported).tolist()
    assert CANCEL not in got
    assert got == [BAG, BAG, DISCOUNT, NIGHT]


def test_a_forced_match_that_does_not_fit_gives_way_to_a_perk_that_does():
    # One-to-one would give segment 3 the free night (affinity 1, below FIT_MARGIN); the
    # discount fits it (12), so it shares the discount instead.
    affinity = np.array(
        [
            [20.0, 0.0, 0.0, 0.0],
            [0.0, 20.0, 0.0, 0.0],
            [0.0, 0.0, 25.0, 0.0],
            [0.0, 0.0, 12.0, 1.0],
        ]
    )
    assert perks.assign_perks(affinity=affinity, supported=ALL).tolist() == [BAG, CANCEL, DISCOUNT, DISCOUNT]


def test_no_fitting_perk_keeps_the_one_to_one_match():
    affinity = np.array([[20.0, 0.0, 0.0, 0.0], [0.0, 2.0, 1.0, 0.0]])
    assert perks.assign_perks(affinity=affinity, supported=ALL).tolist() == [BAG, CANCEL]


@pytest.mark.parametrize("perk", [BAG, CANCEL, DISCOUNT, NIGHT])
def test_a_name_never_contradicts_its_perk(perk):
    # Every segment sits far below the cohort on the perk's drivers (the opposite name would be
    # the strongest), and a little above on sessions.
    row = _deviation(total_sessions=3.0, **dict.fromkeys(perks.PERKS[perk].drivers, -40.0))
    names = perks.name_segments(deviation=row[None, :], features=PROFILE_FEATURES, perks=[perk])
    assert not perks.contradicts(name=names[0], perk=perks.PERKS[perk])
    assert names[0] == "Frequent visitors"


def test_contradicting_names_are_the_opposites_of_the_drivers():
    assert perks.contradicts(name="Light packers", perk=perks.PERKS[BAG])
    assert perks.contradicts(name="Hotel skippers", perk=perks.PERKS[NIGHT])
    assert perks.contradicts(name="Full-price bookers 2", perk=perks.PERKS[DISCOUNT])
    assert perks.contradicts(name="Committed bookers", perk=perks.PERKS[CANCEL])
    assert not perks.contradicts(name="Heavy packers", perk=perks.PERKS[BAG])
    assert not perks.contradicts(name="Light packers", perk=perks.PERKS[DISCOUNT])


@pytest.mark.parametrize(
    ("perk", "seg", "cohort", "expected"),
    [
        # the cohort's 0.021 bags would read 0.0 at one decimal: it keeps two significant digits
        (BAG, 1.4, 0.021, "Checks 1.4 bags per user, 67× the cohort average of 0.021."),
        (NIGHT, 24.875, 8.375, "Stays 24.9 hotel nights per user, 3.0× the cohort average of 8.4."),
        (BAG, 0.62, 0.25, "Checks 0.62 bags per user, 2.5× the cohort average of 0.25."),
        (CANCEL, 0.043, 0.0062, "Cancels in 4.3% of sessions, 6.9× the cohort average of 0.62%."),
        (DISCOUNT, 0.465, 0.26, "Uses a discount in 46% of sessions, 1.8× the cohort average of 26%."),
        (NIGHT, 1234.0, 15.0, "Stays 1,234 hotel nights per user, 82× the cohort average of 15."),
    ],
)
def test_reasons_never_round_the_cohort_to_zero(perk, seg, cohort, expected):
    assert perks.reason(perk=perks.PERKS[perk], segment_value=seg, cohort_value=cohort, fits=True) == expected
