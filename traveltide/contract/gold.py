"""Gold: the window, the cohort, their sessions and trips, and one row of behavioural
features per cohort user (SPEC §2). The segmentation step adds gold.user_segments and
gold.segments (contract in the segmentation module's own tables).

The window is sessions with ``session_start >= start_date``; the cohort is users with at
least ``min_sessions`` window sessions. A trip is *booked* when its booking session is in
the window, *cancelled* when a cancellation session for it exists at any time. Features
over trips count only booked, not cancelled trips ("kept trips").
"""

from __future__ import annotations

from traveltide.contract import Column, ForeignKey, Table, silver

__all__ = ["TABLES", "COHORT", "SESSIONS", "TRIPS", "USER_FEATURES", "FEATURE_COLUMNS", "SPEC_FEATURES", "by_name"]

COHORT = Table(
    layer="gold",
    name="cohort",
    grain="One row per cohort user: a user with at least min_sessions sessions starting on or after start_date.",
    primary_key=("user_id",),
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
        Column("booking_session_id", "VARCHAR", "The trip's booking session (any time); NULL when the source has none."),
        Column("booking_session_start", "TIMESTAMP", "Start of the booking session."),
        Column("cancellation_session_id", "VARCHAR", "The trip's cancellation session (any time); NULL when not cancelled."),
        Column("cancellation_session_start", "TIMESTAMP", "Start of the cancellation session."),
        Column("booked", "BOOLEAN", "The booking session is in the window (session_start >= start_date).", nullable=False),
        Column("cancelled", "BOOLEAN", "A cancellation session for the trip exists in the source, at any time.", nullable=False),
        Column(
            "flight_booked",
            "BOOLEAN",
            "A flight was booked, read from the booking session (never from the cancellation "
            "session, whose flags are always true); false without a booking session.",
            nullable=False,
        ),
        Column("hotel_booked", "BOOLEAN", "A hotel was booked, read from the booking session; false without one.", nullable=False),
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
    Column("cancellation_rate", "DOUBLE", "Cancellation sessions / total_sessions.", nullable=False),
    Column(
        "discount_usage_rate",
        "DOUBLE",
        "Share of the user's non-cancellation sessions with flight_discount or hotel_discount "
        "true (0 without non-cancellation sessions).",
        nullable=False,
    ),
    Column("total_nights", "BIGINT", "Sum of clean nights over kept trips with a hotel.", nullable=False),
    Column("total_checked_bags", "BIGINT", "Sum of checked_bags over kept trips with a flight.", nullable=False),
    Column("total_base_fare", "DOUBLE", "Sum of base_fare_usd over kept trips with a flight (USD, before discount).", nullable=False),
    # Further behavioural features (SPEC: "more features are welcome").
    Column("booking_sessions", "BIGINT", "Gold sessions of type 'booking'.", nullable=False),
    Column("booked_trips", "BIGINT", "Kept trips: gold trips booked in the window and not cancelled.", nullable=False),
    Column("cancelled_trips", "BIGINT", "Gold trips that are cancelled (booked in or before the window).", nullable=False),
    Column("booking_rate", "DOUBLE", "booking_sessions / total_sessions.", nullable=False),
    Column("flight_trips", "BIGINT", "Kept trips with a flight.", nullable=False),
    Column("hotel_trips", "BIGINT", "Kept trips with a hotel.", nullable=False),
    Column("bundle_rate", "DOUBLE", "Kept trips with both flight and hotel / booked_trips (0 when booked_trips = 0).", nullable=False),
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
    Column("avg_page_clicks", "DOUBLE", "Mean page_clicks over gold sessions (NULLs ignored; 0 when none).", nullable=False),
    Column("avg_session_seconds", "DOUBLE", "Mean session_seconds over gold sessions (NULLs ignored; 0 when none).", nullable=False),
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

TABLES: tuple[Table, ...] = (COHORT, SESSIONS, TRIPS, USER_FEATURES)


def by_name(name: str) -> Table:
    """The gold table called ``name`` (of the tables built by the SQL transform)."""
    for t in TABLES:
        if t.name == name:
            return t
    raise KeyError(f"no gold table {name!r}; expected one of {[t.name for t in TABLES]}")
