"""Silver: the four source tables typed, deduplicated and cleaned, with derived columns
(SPEC §2), plus the account of every bronze row that did not make it into silver.

Repeated keys: rows repeated identically are dropped ('repeated row', harmless: a join-based
export writes them). Rows that share a key but differ are conflicts: the first in column order
(NULLs last) is kept, the others are set aside ('conflicting row'), every conflicting key is listed
in ``silver.key_conflicts`` with the columns that differ, and ``silver.conflict_shares`` holds
each table's share of conflicting rows against the ``conflict_tolerance`` setting.

Source columns keep their bronze names, types and meaning; only hotels' ``nights`` is
renamed ``nights_reported`` because silver recomputes ``nights``.
"""

from __future__ import annotations

from traveltide.contract import bronze
from traveltide.contract.model import Column, ForeignKey, Layer, Table

__all__ = [
    "CONFLICT_SHARES",
    "FLIGHTS",
    "HOTELS",
    "IMPLAUSIBLE_VALUES",
    "KEY_CONFLICTS",
    "LAYER",
    "PLAUSIBLE_BOUNDS",
    "SESSIONS",
    "SET_ASIDE",
    "SET_ASIDE_REASONS",
    "USERS",
]

# Why a bronze row is not in silver; silver.set_aside holds one count per table and reason.
SET_ASIDE_REASONS: dict[str, tuple[str, ...]] = {
    "users": ("null key", "repeated row", "conflicting row"),
    "sessions": ("null key", "repeated row", "conflicting row", "unknown user", "implausible value"),
    "flights": ("null key", "repeated row", "conflicting row", "implausible value"),
    "hotels": ("null key", "repeated row", "conflicting row", "implausible value"),
}
_SOURCE_TABLE = Column("table_name", "VARCHAR", "Source table: users, sessions, flights or hotels.", nullable=False)

USERS = Table(
    layer="silver",
    name="users",
    grain="One row per user (user_id unique and not NULL).",
    primary_key=("user_id",),
    columns=(
        *bronze.USERS.columns,
        Column(
            "age",
            "INTEGER",
            "Age in whole years on the last session day of the data (the latest session_start "
            "of a known user); NULL when birthdate is NULL.",
        ),
    ),
)

SESSIONS = Table(
    layer="silver",
    name="sessions",
    grain="One row per session of a known user (session_id unique and not NULL).",
    primary_key=("session_id",),
    foreign_keys=(ForeignKey(("user_id",), "users", ("user_id",)),),
    materialized="view",
    columns=(
        *bronze.SESSIONS.columns,
        Column(
            "session_type",
            "VARCHAR",
            "'cancellation' when cancellation is true; else 'booking' when trip_id is set; else 'browse'.",
            nullable=False,
        ),
        Column(
            "session_seconds",
            "DOUBLE",
            "session_end − session_start in seconds (fractions kept); NULL when either is NULL.",
        ),
    ),
)

FLIGHTS = Table(
    layer="silver",
    name="flights",
    grain="One row per trip with a flight (trip_id unique and not NULL).",
    primary_key=("trip_id",),
    columns=bronze.FLIGHTS.columns,
    materialized="view",
)

_H = bronze.HOTELS.column
HOTELS = Table(
    layer="silver",
    name="hotels",
    grain="One row per trip with a hotel stay (trip_id unique and not NULL).",
    primary_key=("trip_id",),
    materialized="view",
    columns=(
        _H("trip_id"),
        _H("hotel_name"),
        Column(
            "hotel_brand",
            "VARCHAR",
            "Brand: hotel_name before the first ' - ', trimmed (removes the double space of 8 "
            "brands); the whole trimmed name when there is no ' - '.",
        ),
        Column(
            "hotel_city",
            "VARCHAR",
            "City (lowercase): hotel_name after the first ' - ', trimmed; NULL when there is no ' - '.",
        ),
        Column(
            "nights_reported",
            "INTEGER",
            "Nights as computed by the source (the export's 'nights'; can be 0 or negative).",
        ),
        Column(
            "nights",
            "INTEGER",
            "Clean nights: max(0, check_out date − check_in date + 1 if check_out time is after "
            "12:00); NULL when either time is NULL.",
        ),
        _H("rooms"),
        _H("check_in_time"),
        _H("check_out_time"),
        _H("hotel_per_room_usd"),
    ),
)

SET_ASIDE = Table(
    layer="silver",
    name="set_aside",
    grain="One row per silver table and reason a bronze row was left out of silver.",
    primary_key=("table_name", "reason"),
    columns=(
        _SOURCE_TABLE,
        Column(
            "reason",
            "VARCHAR",
            "'null key': primary key is NULL; 'repeated row': an identical copy of a row already "
            "kept; 'conflicting row': a row sharing its key with the kept row but differing from it "
            "(see silver.key_conflicts); 'unknown user': a session whose user_id is NULL or not in "
            "silver.users.",
            nullable=False,
        ),
        Column("rows", "BIGINT", "Bronze rows left out for this reason (0 when none).", nullable=False),
    ),
)

_BRONZE_ROWS = Column("bronze_rows", "BIGINT", "Bronze rows carrying this key.", nullable=False)
_DISTINCT_ROWS = Column(
    "distinct_rows", "BIGINT", "Different rows among them (1: identical repeats only).", nullable=False
)

KEY_CONFLICTS = Table(
    layer="silver",
    name="key_conflicts",
    grain="One row per source table and key whose bronze rows differ (a conflict).",
    primary_key=("table_name", "key_value"),
    may_be_empty=True,
    columns=(
        _SOURCE_TABLE,
        Column("key_value", "VARCHAR", "The key, as text.", nullable=False),
        _BRONZE_ROWS,
        _DISTINCT_ROWS,
        Column("differing_columns", "VARCHAR[]", "The columns whose values differ between those rows.", nullable=False),
    ),
)

PLAUSIBLE_BOUNDS = Table(
    layer="silver",
    name="plausible_bounds",
    grain="One row per numeric or date column of the exports: the values silver accepts, and why.",
    primary_key=("table_name", "column_name"),
    columns=(
        _SOURCE_TABLE,
        Column("column_name", "VARCHAR", "The export's column.", nullable=False),
        Column("kind", "VARCHAR", "'number' (compared as DOUBLE) or 'time' (as TIMESTAMP).", nullable=False),
        Column("low", "VARCHAR", "Lowest plausible value (included), as text.", nullable=False),
        Column("high", "VARCHAR", "Highest plausible value (included; for a time, excluded), as text.", nullable=False),
        Column("basis", "VARCHAR", "What the real TravelTide data holds, the bounds' basis.", nullable=False),
    ),
)

IMPLAUSIBLE_VALUES = Table(
    layer="silver",
    name="implausible_values",
    grain="One row per source row and column whose value lies outside silver.plausible_bounds.",
    primary_key=("table_name", "key_value", "column_name"),
    may_be_empty=True,
    columns=(
        _SOURCE_TABLE,
        Column("key_value", "VARCHAR", "The row's key, as text.", nullable=False),
        Column("column_name", "VARCHAR", "The column holding the value.", nullable=False),
        Column("value", "VARCHAR", "The value, as text.", nullable=False),
        Column("low", "VARCHAR", "Lowest plausible value (silver.plausible_bounds).", nullable=False),
        Column("high", "VARCHAR", "Highest plausible value (silver.plausible_bounds).", nullable=False),
        Column(
            "action",
            "VARCHAR",
            "'row set aside' (sessions, flights, hotels: kept out of gold) or 'set to NULL' (users: the "
            "user is kept, no feature uses the value).",
            nullable=False,
        ),
    ),
)

CONFLICT_SHARES = Table(
    layer="silver",
    name="conflict_shares",
    grain="One row per source table: its share of conflicting rows against the tolerance.",
    primary_key=("table_name",),
    columns=(
        _SOURCE_TABLE,
        Column("file", "VARCHAR", "The export the table was loaded from.", nullable=False),
        Column("bronze_rows", "BIGINT", "Rows of the export (with a key).", nullable=False),
        Column("conflicting_rows", "BIGINT", "Rows set aside as 'conflicting row'.", nullable=False),
        Column("conflict_share", "DOUBLE", "conflicting_rows / bronze_rows (0 for an empty table).", nullable=False),
        Column("conflict_tolerance", "DOUBLE", "The conflict_tolerance setting of the run.", nullable=False),
    ),
)


def _exceptions(source: Table, *extra: Column) -> Table:
    """The work table behind a pass-through view: the few keys it must treat apart."""
    return Table(
        layer="silver",
        name=f"{source.name}_exceptions",
        grain=(
            f"Work table behind the silver.{source.name} view: one row per key whose bronze rows "
            "are not taken as they are, holding the row silver keeps for it."
        ),
        primary_key=source.primary_key,
        columns=(*source.columns, _BRONZE_ROWS, _DISTINCT_ROWS, *extra),
        published=False,
    )


LAYER = Layer(
    name="silver",
    description="Typed, deduplicated, cleaned tables, one per source table, with derived columns (SPEC §2).",
    # Build order. The work tables hold the few keys the pass-through views must treat apart,
    # so silver never stores a second copy of bronze (no suite, no Parquet).
    tables=(
        PLAUSIBLE_BOUNDS,
        IMPLAUSIBLE_VALUES,
        _exceptions(bronze.USERS),
        USERS,
        _exceptions(
            bronze.SESSIONS,
            Column("known_user", "BOOLEAN", "The kept row's user_id is in silver.users.", nullable=False),
        ),
        _exceptions(bronze.FLIGHTS),
        _exceptions(bronze.HOTELS),
        SESSIONS,
        FLIGHTS,
        HOTELS,
        SET_ASIDE,
        KEY_CONFLICTS,
        CONFLICT_SHARES,
    ),
    keys_enforced=True,
)
