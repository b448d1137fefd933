"""Gold segments: the segmentation's two output tables (SPEC §3).

``gold.segments`` holds one row per segment with its perk, size, behaviour profile and
the sentence saying why the perk fits; ``gold.user_segments`` gives every cohort user their
segment, perk and a 0-100 fit score for each of the four perks.

The feature lists and perk names live here because they decide columns of these tables:
the profile means (:data:`PROFILE_FEATURES`) and the score columns (:data:`SCORE_COLUMNS`).
The model inputs (:data:`CLUSTER_FEATURES`) decide no column; each is profiled.
"""

from __future__ import annotations

from traveltide.contract import Column, ForeignKey, Table, gold
from traveltide.contract.gold import USER_FEATURES

__all__ = [
    "TABLES",
    "SEGMENTS",
    "USER_SEGMENTS",
    "SPEC_FEATURES",
    "CLUSTER_FEATURES",
    "DRIVER_EXTRAS",
    "PROFILE_FEATURES",
    "PERK_NAMES",
    "SCORE_COLUMNS",
]

# The six features of the original analysis (SPEC §2). They stay in every segment's
# profile (gold.segments) whether or not they are model inputs.
SPEC_FEATURES: tuple[str, ...] = gold.SPEC_FEATURES

# The model's inputs: the perk driver features, behaviour only (no demographics, rooms or
# seats; no total_sessions or total_base_fare, which measure activity and price, not what a
# perk rewards). traveltide.segmentation explains the choice; every name is a column of
# gold.user_features (its meaning is defined there).
CLUSTER_FEATURES: tuple[str, ...] = (
    "total_checked_bags",
    "bags_per_flight",
    "cancellation_rate",
    "discount_usage_rate",
    "avg_discount_amount",
    "total_nights",
    "bundle_rate",
)

# Behavioural features profiled besides the six SPEC features.
DRIVER_EXTRAS: tuple[str, ...] = (
    "bags_per_flight",
    "avg_discount_amount",
    "bundle_rate",
    "nights_per_hotel_trip",
)

# Features whose segment means are kept in gold.segments (the SPEC six first).
PROFILE_FEATURES: tuple[str, ...] = SPEC_FEATURES + DRIVER_EXTRAS


# The four perks, in their fixed order (ids and colours follow it). "Free hotel meal" is
# not supported by the data and is never assigned.
PERK_NAMES: tuple[str, ...] = (
    "Free checked bag",
    "No cancellation fees",
    "Exclusive discounts",
    "One night free hotel with flight",
)

SCORE_COLUMNS: dict[str, str] = {
    "Free checked bag": "score_free_checked_bag",
    "No cancellation fees": "score_no_cancellation_fees",
    "Exclusive discounts": "score_exclusive_discounts",
    "One night free hotel with flight": "score_free_hotel_night",
}

_PERK_LIST = ", ".join(f"'{p}'" for p in PERK_NAMES)

SEGMENTS = Table(
    layer="gold",
    name="segments",
    grain="One row per segment of the cohort.",
    primary_key=("segment_id",),
    columns=(
        Column("segment_id", "INTEGER", "Segment id, 1..k, ordered by perk order then size (not the k-means label).", nullable=False),
        Column(
            "segment_name",
            "VARCHAR",
            "Readable name from behaviour: the perk's drivers when the perk fits, else the "
            "segment's largest deviation from the cohort.",
            nullable=False,
        ),
        Column("perk", "VARCHAR", f"Perk offered to the segment: one of {_PERK_LIST}.", nullable=False),
        Column("users", "BIGINT", "Cohort users in the segment.", nullable=False),
        Column("share", "DOUBLE", "Share of the cohort in the segment (0-1).", nullable=False),
        Column("reason", "VARCHAR", "One sentence saying why the perk fits the segment.", nullable=False),
        *(
            Column(f, "DOUBLE", f"Segment mean of {f}; per user: {USER_FEATURES.column(f).description}", nullable=False)
            for f in PROFILE_FEATURES
        ),
        *(
            Column(c, "DOUBLE", f"Mean fit (0-100) of '{p}' over the segment's users; 50 is the cohort average.", nullable=False)
            for p, c in SCORE_COLUMNS.items()
        ),
    ),
)

USER_SEGMENTS = Table(
    layer="gold",
    name="user_segments",
    grain="One row per cohort user.",
    primary_key=("user_id",),
    foreign_keys=(
        ForeignKey(("user_id",), "user_features", ("user_id",)),
        ForeignKey(("segment_id",), "segments", ("segment_id",)),
    ),
    columns=(
        Column("user_id", "INTEGER", "Cohort user.", nullable=False),
        Column("segment_id", "INTEGER", "The user's segment.", nullable=False),
        Column("segment_name", "VARCHAR", "Name of the user's segment.", nullable=False),
        Column("perk", "VARCHAR", "Perk of the user's segment.", nullable=False),
        Column("perk_score", "DOUBLE", "The user's fit (0-100) for the perk they get.", nullable=False),
        Column("runner_up_perk", "VARCHAR", "The perk with the user's highest score other than their own perk.", nullable=False),
        *(
            Column(c, "DOUBLE", f"Fit (0-100) of '{p}': mean cohort percentile of the perk's driver features.", nullable=False)
            for p, c in SCORE_COLUMNS.items()
        ),
    ),
)

TABLES: tuple[Table, ...] = (SEGMENTS, USER_SEGMENTS)
