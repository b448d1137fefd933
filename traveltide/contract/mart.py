"""Mart: the Tableau star schema (SPEC §4), one fact table and four dimensions.

These definitions are the extract's contract: the build checks the DuckDB tables against
them, the mart suites check their keys, ``traveltide.publish.extract`` declares the keys to
Hyper and compares the written file with them, and ``traveltide.publish.dictionary`` turns them
into the analysts' data dictionary and the Tableau data source. Types are the DuckDB types of the mart tables; each maps to
one Tableau-friendly Hyper type (no 128-bit decimals: money and rates are DOUBLE).

The foreign keys form a tree rooted at ``fact_sessions``:
fact_sessions → dim_users → dim_segments, fact_sessions → dim_trips, fact_sessions → dim_date.
"""

from __future__ import annotations

from dataclasses import replace

from traveltide.contract import gold, silver
from traveltide.contract.model import Column, ForeignKey, Layer, Table

__all__ = [
    "DIM_DATE",
    "DIM_SEGMENTS",
    "DIM_TRIPS",
    "DIM_USERS",
    "FACT_SESSIONS",
    "HYPER_TYPES",
    "LAYER",
    "PROFILE_COLUMNS",
    "SCHEMA",
    "TABLEAU_TYPES",
]

# Schema of the tables inside the .hyper file (Tableau's convention).
SCHEMA = "Extract"

# DuckDB type of a mart column -> Hyper type of the extract column (tableauhyperapi's name).
HYPER_TYPES: dict[str, str] = {
    "INTEGER": "INT",
    "BIGINT": "BIG_INT",
    "DOUBLE": "DOUBLE",
    "BOOLEAN": "BOOL",
    "VARCHAR": "TEXT",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
}

# DuckDB type -> Tableau data type (the ``datatype`` of a field in a .tds).
TABLEAU_TYPES: dict[str, str] = {
    "INTEGER": "integer",
    "BIGINT": "integer",
    "DOUBLE": "real",
    "BOOLEAN": "boolean",
    "VARCHAR": "string",
    "DATE": "date",
    "TIMESTAMP": "datetime",
}


def _attribute(column: Column) -> Column:
    """An upstream column carried into the mart as a plain (nullable) attribute.

    ``perk`` stays NOT NULL: every cohort user and every segment has one, and the campaign
    reads it from the extract.
    """
    return column if column.name == "perk" else replace(column, nullable=True)


_USER = silver.USERS.column
_SEGMENT = gold.SEGMENTS.column
# Profile columns of gold.segments are renamed mean_<name> in the mart, so they do not
# collide with the per-user columns of dim_users in Tableau.
PROFILE_COLUMNS: tuple[str, ...] = (*gold.PROFILE_FEATURES, *gold.SCORE_COLUMNS.values())
# The columns of gold.segments carried into dim_segments under their own name.
SEGMENT_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in gold.SEGMENTS.columns if c.name != "segment_id" and c.name not in PROFILE_COLUMNS
)

FACT_SESSIONS = Table(
    layer="mart",
    name="fact_sessions",
    grain="One row per session of a cohort user in the window (gold sessions).",
    primary_key=("session_id",),
    foreign_keys=(
        ForeignKey(("user_id",), "dim_users", ("user_id",)),
        ForeignKey(("trip_id",), "dim_trips", ("trip_id",)),
        ForeignKey(("session_date",), "dim_date", ("calendar_date",)),
    ),
    columns=(
        Column("session_id", "VARCHAR", "Session identifier '<user_id>-<32 hex>'.", nullable=False),
        Column("user_id", "INTEGER", "User of the session (key to dim_users).", nullable=False),
        Column("trip_id", "VARCHAR", "Trip booked or cancelled in the session (key to dim_trips); empty for browsing."),
        Column("session_date", "DATE", "Calendar day the session started (key to dim_date).", nullable=False),
        Column("session_start", "TIMESTAMP", "Start of the session."),
        Column("session_end", "TIMESTAMP", "End of the session."),
        Column("session_type", "VARCHAR", "'browse' (no trip), 'booking' or 'cancellation'."),
        Column("page_clicks", "INTEGER", "Pages clicked in the session."),
        Column("session_seconds", "DOUBLE", "Length of the session in seconds (end − start)."),
        Column("flight_discount", "BOOLEAN", "A flight discount was offered (always true in cancellation sessions)."),
        Column("hotel_discount", "BOOLEAN", "A hotel discount was offered (always true in cancellation sessions)."),
        Column("flight_discount_amount", "DOUBLE", "Flight discount as a fraction (0.05 steps); empty unless offered."),
        Column("hotel_discount_amount", "DOUBLE", "Hotel discount as a fraction (0.05 steps); empty unless offered."),
        Column("flight_booked", "BOOLEAN", "A flight was booked (always true in cancellation sessions)."),
        Column("hotel_booked", "BOOLEAN", "A hotel was booked (always true in cancellation sessions)."),
        Column("cancellation", "BOOLEAN", "The session cancelled an earlier booking."),
    ),
)

DIM_USERS = Table(
    layer="mart",
    name="dim_users",
    grain="One row per cohort user.",
    primary_key=("user_id",),
    foreign_keys=(ForeignKey(("segment_id",), "dim_segments", ("segment_id",)),),
    columns=(
        Column("user_id", "INTEGER", "User identifier.", nullable=False),
        Column("segment_id", "INTEGER", "Segment of the user (key to dim_segments).", nullable=False),
        *(_attribute(c) for c in gold.USER_SEGMENTS.columns[2:]),
        *(_attribute(c) for c in gold.USER_FEATURES.columns[1:]),
        *(
            _attribute(_USER(name))
            for name in (
                "sign_up_date",
                "home_country",
                "home_city",
                "home_airport",
                "home_airport_lat",
                "home_airport_lon",
                "gender",
                "age",
                "married",
                "has_children",
            )
        ),
    ),
)

DIM_TRIPS = Table(
    layer="mart",
    name="dim_trips",
    grain="One row per trip of a gold session (booked or cancelled in the window).",
    primary_key=("trip_id",),
    columns=(
        Column("trip_id", "VARCHAR", "Trip identifier '<user_id>-<32 hex>'.", nullable=False),
        # Every gold.trips column but user_id: the user is reached through fact_sessions,
        # which keeps the foreign keys a tree.
        *(_attribute(c) for c in gold.TRIPS.columns if c.name not in {"trip_id", "user_id"}),
    ),
)

DIM_SEGMENTS = Table(
    layer="mart",
    name="dim_segments",
    grain="One row per customer segment.",
    primary_key=("segment_id",),
    columns=(
        Column("segment_id", "INTEGER", "Segment identifier (stable for the same data and settings).", nullable=False),
        *(_attribute(_SEGMENT(name)) for name in SEGMENT_COLUMNS),
        *(replace(_attribute(_SEGMENT(name)), name=f"mean_{name}") for name in PROFILE_COLUMNS),
    ),
)

DIM_DATE = Table(
    layer="mart",
    name="dim_date",
    grain="One row per calendar day from the star's first to its last date (sessions, sign-ups, trips, stays).",
    primary_key=("calendar_date",),
    columns=(
        Column("calendar_date", "DATE", "The calendar day.", nullable=False),
        Column("year", "INTEGER", "Calendar year."),
        Column("quarter", "INTEGER", "Quarter of the year, 1 to 4."),
        Column("month", "INTEGER", "Month number, 1 to 12."),
        Column("month_name", "VARCHAR", "Month name in English ('January')."),
        Column("year_month", "VARCHAR", "Year and month as 'YYYY-MM', sorts in time order."),
        Column("iso_week", "INTEGER", "ISO 8601 week number, 1 to 53."),
        Column("day_of_month", "INTEGER", "Day of the month, 1 to 31."),
        Column("day_of_week", "INTEGER", "ISO weekday, 1 = Monday to 7 = Sunday."),
        Column("weekday_name", "VARCHAR", "Weekday name in English ('Monday')."),
        Column("is_weekend", "BOOLEAN", "Saturday or Sunday."),
    ),
)

LAYER = Layer(
    name="mart",
    description="The Tableau star schema: fact_sessions and four dimensions (SPEC §4).",
    # Build order: dim_date is derived from the other four tables' dates.
    tables=(DIM_SEGMENTS, DIM_USERS, DIM_TRIPS, FACT_SESSIONS, DIM_DATE),
    keys_enforced=True,
)
