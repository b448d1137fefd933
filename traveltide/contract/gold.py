"""Gold: the window, the cohort, their sessions and trips, one row of behavioural features per
cohort user (SPEC §2), and the segmentation's two tables (SPEC §3), a Python model of gold.

The window is sessions with ``session_start >= start_date``; the cohort is users with at
least ``min_sessions`` window sessions. A trip is *booked* when its booking session is in
the window, *cancelled* when a cancellation session for it exists at any time. Features
over trips count only booked, not cancelled trips ("kept trips").
"""

from __future__ import annotations

from traveltide.contract import silver
from traveltide.contract.model import Column, ForeignKey, Layer, Table

__all__ = [
    "CLUSTER_FEATURES",
    "COHORT",
    "DRIVER_EXTRAS",
    "FEATURE_COLUMNS",
    "LAYER",
    "PERK_NAMES",
    "PROFILE_FEATURES",
    "SCORE_COLUMNS",
    "SEGMENTS",
    "SESSIONS",
    "SPEC_FEATURES",
    "TRIPS",
    "USER_FEATURES",
    "USER_SEGMENTS",
]

COHORT = Table(
    layer="gold",
    name="cohort",
    grain="One row per cohort user: a user with at least min_sessions sessions starting on or after start_date.",
    primary_key=("user_id",),
    foreign_keys=(ForeignKey(("user_id",), "users", ("user_id",), ref_layer="silver"),),
    columns=(
        Column("user_id", "INTEGER", "User identifier.", nullable=False),
        Column("window_sessions", "BIGINT", "Sessions of the user in the window (>= min_sessions).", nullable=False),
        Column("first_window_session", "TIMESTAMP", "Start of the user's first window session.", nullable=False),
        Column("last_window_session", "TIMESTAMP", "Start of the user's last window session.", nullable=False),
    ),
)

SESSIONS = Table(
    layer="gold",
    name="sessions",
    grain="One row per session of a cohort user in the window (session_start >= start_date).",
    primary_key=("session_id",),
    foreign_keys=(
        ForeignKey(("user_id",), "cohort", ("user_id",)),
        ForeignKey(("trip_id",), "trips", ("trip_id",)),
    ),
    columns=silver.SESSIONS.columns,
)

_F = silver.FLIGHTS.column
_H = silver.HOTELS.column
TRIPS = Table(
    layer="gold",
    name="trips",
    grain=(
        "One row per trip of a gold session; flight columns are NULL when the trip has no "
        "flight, hotel columns NULL when it has no hotel."
    ),
    primary_key=("trip_id",),
    foreign_keys=(ForeignKey(("user_id",), "cohort", ("user_id",)),),
    columns=(
        Column("trip_id", "VARCHAR", "Trip identifier '<user_id>-<32 hex>'.", nullable=False),
        Column("user_id", "INTEGER", "User of the trip's sessions.", nullable=False),
        Column(
            "booking_session_id", "VARCHAR", "The trip's booking session (any time); NULL when the source has none."
        ),
        Column("booking_session_start", "TIMESTAMP", "Start of the booking session."),
        Column(
            "cancellation_session_id", "VARCHAR", "The trip's cancellation session (any time); NULL when not cancelled."
        ),
        Column("cancellation_session_start", "TIMESTAMP", "Start of the cancellation session."),
        Column(
            "booked", "BOOLEAN", "The booking session is in the window (session_start >= start_date).", nullable=False
        ),
        Column(
            "cancelled",
            "BOOLEAN",
            "A cancellation session for the trip exists in the source, at any time, and so does its "
            "booking session (a cancellation without a booking cancels nothing).",
            nullable=False,
        ),
        Column(
            "flight_booked",
            "BOOLEAN",
            "A flight was booked, read from the booking session (never from the cancellation "
            "session, whose flags are always true); false without a booking session.",
            nullable=False,
        ),
        Column(
            "hotel_booked",
            "BOOLEAN",
            "A hotel was booked, read from the booking session; false without one.",
            nullable=False,
        ),
        Column("has_flight", "BOOLEAN", "The trip has a row in silver.flights.", nullable=False),
        Column("has_hotel", "BOOLEAN", "The trip has a row in silver.hotels.", nullable=False),
        *(c for c in silver.FLIGHTS.columns if c.name != "trip_id"),
        *(c for c in silver.HOTELS.columns if c.name != "trip_id"),
    ),
)

SPEC_FEATURES: tuple[str, ...] = (
    "total_sessions",
    "cancellation_rate",
    "discount_usage_rate",
    "total_nights",
    "total_checked_bags",
    "total_base_fare",
)

_FEATURES: tuple[Column, ...] = (
    # The six segmentation inputs of SPEC §2, names and definitions fixed by the contract.
    Column("total_sessions", "BIGINT", "Gold sessions of the user.", nullable=False),
    Column(
        "cancellation_rate",
        "DOUBLE",
        "Cancellation sessions / total_sessions; a cancellation session counts when it cancels a booked "
        "trip (the trip's first cancellation, its booking session in the source), once per trip.",
        nullable=False,
    ),
    Column(
        "discount_usage_rate",
        "DOUBLE",
        "Share of the user's non-cancellation sessions with flight_discount or hotel_discount "
        "true (0 without non-cancellation sessions).",
        nullable=False,
    ),
    Column("total_nights", "BIGINT", "Sum of clean nights over kept trips with a hotel.", nullable=False),
    Column("total_checked_bags", "BIGINT", "Sum of checked_bags over kept trips with a flight.", nullable=False),
    Column(
        "total_base_fare",
        "DOUBLE",
        "Sum of base_fare_usd over kept trips with a flight (USD, before discount).",
        nullable=False,
    ),
    # Further behavioural features (SPEC: "more features are welcome").
    Column("booking_sessions", "BIGINT", "Gold sessions of type 'booking'.", nullable=False),
    Column(
        "booked_trips",
        "BIGINT",
        "Kept trips: gold trips booked in the window, not cancelled, with a flight or a hotel.",
        nullable=False,
    ),
    Column(
        "cancelled_trips",
        "BIGINT",
        "Gold trips with a flight or a hotel that are cancelled (booked in or before the window).",
        nullable=False,
    ),
    Column("booking_rate", "DOUBLE", "booking_sessions / total_sessions.", nullable=False),
    Column(
        "conversion_rate",
        "DOUBLE",
        "booking_sessions / non-cancellation sessions: the share of visits that book (0 without visits); "
        "the perk campaign's metric.",
        nullable=False,
    ),
    Column("flight_trips", "BIGINT", "Kept trips with a flight.", nullable=False),
    Column("hotel_trips", "BIGINT", "Kept trips with a hotel.", nullable=False),
    Column(
        "bundle_rate",
        "DOUBLE",
        "Kept trips with both flight and hotel / booked_trips (0 when booked_trips = 0).",
        nullable=False,
    ),
    Column("bags_per_flight", "DOUBLE", "total_checked_bags / flight_trips (0 when flight_trips = 0).", nullable=False),
    Column("nights_per_hotel_trip", "DOUBLE", "total_nights / hotel_trips (0 when hotel_trips = 0).", nullable=False),
    Column(
        "avg_discount_amount",
        "DOUBLE",
        "Mean offered discount fraction over non-cancellation sessions with an offer; a session's "
        "offer is the mean of its flight and hotel discount amounts whose flag is true and amount "
        "not NULL (0 without such sessions).",
        nullable=False,
    ),
    Column(
        "avg_page_clicks", "DOUBLE", "Mean page_clicks over gold sessions (NULLs ignored; 0 when none).", nullable=False
    ),
    Column(
        "avg_session_seconds",
        "DOUBLE",
        "Mean session_seconds over gold sessions (NULLs ignored; 0 when none).",
        nullable=False,
    ),
    Column(
        "total_hotel_spend_usd",
        "DOUBLE",
        "Sum of nights × rooms × hotel_per_room_usd over kept trips with a hotel (USD, before discount).",
        nullable=False,
    ),
)

FEATURE_COLUMNS: tuple[str, ...] = tuple(c.name for c in _FEATURES)

USER_FEATURES = Table(
    layer="gold",
    name="user_features",
    grain="One row per cohort user with the behavioural features of their gold sessions and trips.",
    primary_key=("user_id",),
    foreign_keys=(ForeignKey(("user_id",), "cohort", ("user_id",)),),
    columns=(Column("user_id", "INTEGER", "User identifier.", nullable=False), *_FEATURES),
)

# --- The segmentation (SPEC §3): gold.segments and gold.user_segments, built in Python -------
# The feature lists and perk names are here because they decide columns of these tables: the
# profile means (PROFILE_FEATURES) and the score columns (SCORE_COLUMNS). The model inputs
# (CLUSTER_FEATURES) decide no column; each is profiled. The six SPEC features stay in every
# segment's profile whether or not they are model inputs.

# The model's inputs: the perk driver features, behaviour only (no demographics, rooms or
# seats; no total_sessions or total_base_fare, which measure activity and price, not what a
# perk rewards). traveltide.segmentation.features explains the choice; every name is a column of
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
    materialized="python",
    columns=(
        Column(
            "segment_id",
            "INTEGER",
            "Segment id, 1..k, ordered by perk order then size (not the k-means label).",
            nullable=False,
        ),
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
        Column(
            "eligible_users",
            "BIGINT",
            "Users of the segment whose own bookings make its perk usable (offered_perk = perk).",
            nullable=False,
        ),
        Column(
            "perks_not_offered",
            "VARCHAR",
            "The programme's perks this cohort's behaviour does not support, each with its reason "
            "(the same on every row).",
            nullable=False,
        ),
        Column("treatment_users", "BIGINT", "Users of the segment in the campaign's treatment group.", nullable=False),
        Column("control_users", "BIGINT", "Users of the segment in the campaign's control group.", nullable=False),
        Column(
            "baseline_booking_rate",
            "DOUBLE",
            "Mean booking rate per visit (conversion_rate: booking sessions / non-cancellation sessions) "
            "of the segment's users in the window (0-1).",
            nullable=False,
        ),
        Column(
            "mde_booking_rate",
            "DOUBLE",
            "Minimum detectable effect on the mean booking rate per visit (absolute, 0-1) of the treatment/control "
            "split at alpha 0.05 and power 0.8; empty when a group is empty.",
        ),
        Column(
            "stability",
            "DOUBLE",
            "Mean best Jaccard overlap (0-1) of the segment with the clusters of bootstrap refits; "
            "below 0.5 it dissolves, above 0.75 it is stable; empty when not measured.",
        ),
        *(
            Column(f, "DOUBLE", f"Segment mean of {f}; per user: {USER_FEATURES.column(f).description}", nullable=False)
            for f in PROFILE_FEATURES
        ),
        *(
            Column(
                c,
                "DOUBLE",
                f"Mean fit (0-100) of '{p}' over the segment's users; 50 is the cohort average.",
                nullable=False,
            )
            for p, c in SCORE_COLUMNS.items()
        ),
    ),
)

USER_SEGMENTS = Table(
    layer="gold",
    name="user_segments",
    grain="One row per cohort user.",
    primary_key=("user_id",),
    materialized="python",
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
        Column(
            "runner_up_perk",
            "VARCHAR",
            "The perk with the user's highest score other than their own perk.",
            nullable=False,
        ),
        Column(
            "offered_perk",
            "VARCHAR",
            "The perk the user is offered: the segment's perk when their own bookings make it usable, "
            "else their best-scoring usable perk; empty when none is usable.",
        ),
        Column("offer_reason", "VARCHAR", "Why the user is offered offered_perk.", nullable=False),
        Column(
            "experiment_group",
            "VARCHAR",
            "'treatment' (offered the perk) or 'control' (held out to measure it): a salted hash of "
            "user_id, stratified by segment.",
            nullable=False,
        ),
        *(
            Column(
                c,
                "DOUBLE",
                f"Fit (0-100) of '{p}': mean cohort percentile of the perk's driver features.",
                nullable=False,
            )
            for p, c in SCORE_COLUMNS.items()
        ),
    ),
)

LAYER = Layer(
    name="gold",
    description="The window, the cohort, its sessions and trips, user features and segments (SPEC §2, §3).",
    tables=(COHORT, SESSIONS, TRIPS, USER_FEATURES, SEGMENTS, USER_SEGMENTS),
    keys_enforced=True,
)
