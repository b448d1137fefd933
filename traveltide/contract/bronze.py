"""Bronze: the four source exports, column for column in source order (SPEC §1).

Types are the source database types mapped to DuckDB: ``numeric`` is read as DOUBLE
(money and coordinates reach Hyper as DOUBLE; no 128-bit decimals), ``text`` as VARCHAR.
"""

from __future__ import annotations

from traveltide.contract.model import Column, Layer, Table

__all__ = ["FLIGHTS", "HOTELS", "LAYER", "REJECTS", "SESSIONS", "SOURCES", "USERS"]

USERS = Table(
    layer="bronze",
    name="users",
    grain="One row per line of the users export.",
    primary_key=("user_id",),
    columns=(
        Column("user_id", "INTEGER", "User identifier.", nullable=False),
        Column("birthdate", "DATE", "Date of birth."),
        Column("gender", "VARCHAR", "Gender as recorded: 'F', 'M' or 'O'."),
        Column("married", "BOOLEAN", "Married, as recorded."),
        Column("has_children", "BOOLEAN", "Has children, as recorded."),
        Column("home_country", "VARCHAR", "Home country, lowercase ('usa', 'canada')."),
        Column("home_city", "VARCHAR", "Home city, lowercase."),
        Column("home_airport", "VARCHAR", "IATA code of the home airport."),
        Column("home_airport_lat", "DOUBLE", "Latitude of the home airport (degrees)."),
        Column("home_airport_lon", "DOUBLE", "Longitude of the home airport (degrees)."),
        Column("sign_up_date", "DATE", "Date the user signed up."),
    ),
)

SESSIONS = Table(
    layer="bronze",
    name="sessions",
    grain="One row per line of the sessions export.",
    primary_key=("session_id",),
    columns=(
        Column("session_id", "VARCHAR", "Session identifier '<user_id>-<32 hex>'.", nullable=False),
        Column("user_id", "INTEGER", "User of the session.", nullable=False),
        Column("trip_id", "VARCHAR", "Trip booked or cancelled in the session; NULL for browsing."),
        Column("session_start", "TIMESTAMP", "Start of the session."),
        Column("session_end", "TIMESTAMP", "End of the session."),
        Column("flight_discount", "BOOLEAN", "A flight discount was offered."),
        Column("hotel_discount", "BOOLEAN", "A hotel discount was offered."),
        Column("flight_discount_amount", "DOUBLE", "Flight discount as a fraction (0.05 steps); NULL unless offered."),
        Column("hotel_discount_amount", "DOUBLE", "Hotel discount as a fraction (0.05 steps); NULL unless offered."),
        Column("flight_booked", "BOOLEAN", "A flight was booked in the session."),
        Column("hotel_booked", "BOOLEAN", "A hotel was booked in the session."),
        Column("page_clicks", "INTEGER", "Pages clicked in the session."),
        Column("cancellation", "BOOLEAN", "The session cancelled an earlier booking."),
    ),
)

FLIGHTS = Table(
    layer="bronze",
    name="flights",
    grain="One row per line of the flights export.",
    primary_key=("trip_id",),
    columns=(
        Column("trip_id", "VARCHAR", "Trip identifier '<user_id>-<32 hex>'.", nullable=False),
        Column("origin_airport", "VARCHAR", "IATA code of the departure airport."),
        Column("destination", "VARCHAR", "Destination city, lowercase."),
        Column("destination_airport", "VARCHAR", "IATA code of the destination airport."),
        Column("seats", "INTEGER", "Seats booked."),
        Column("return_flight_booked", "BOOLEAN", "A return flight was booked."),
        Column("departure_time", "TIMESTAMP", "Departure of the outbound flight."),
        Column("return_time", "TIMESTAMP", "Departure of the return flight; NULL exactly when no return was booked."),
        Column("checked_bags", "INTEGER", "Checked bags for the trip."),
        Column("trip_airline", "VARCHAR", "Airline."),
        Column("destination_airport_lat", "DOUBLE", "Latitude of the destination airport (degrees)."),
        Column("destination_airport_lon", "DOUBLE", "Longitude of the destination airport (degrees)."),
        Column("base_fare_usd", "DOUBLE", "Fare in USD for all seats and both legs, before discount."),
    ),
)

HOTELS = Table(
    layer="bronze",
    name="hotels",
    grain="One row per line of the hotels export.",
    primary_key=("trip_id",),
    columns=(
        Column("trip_id", "VARCHAR", "Trip identifier '<user_id>-<32 hex>'.", nullable=False),
        Column("hotel_name", "VARCHAR", "'<Brand> - <city>' as exported (8 brands carry a double space)."),
        Column("nights", "INTEGER", "Nights as computed by the source (can be 0 or negative)."),
        Column("rooms", "INTEGER", "Rooms booked."),
        Column("check_in_time", "TIMESTAMP", "Check-in time."),
        Column("check_out_time", "TIMESTAMP", "Check-out time (always 11:00 in the source)."),
        Column("hotel_per_room_usd", "DOUBLE", "Price in USD per room per night, before discount."),
    ),
)

# The load's own record: which file each table came from, and every line that did not load.
SOURCES = Table(
    layer="bronze",
    name="sources",
    grain="One row per bronze table: the export file it was loaded from.",
    primary_key=("table_name",),
    published=False,
    columns=(
        Column("table_name", "VARCHAR", "Bronze table: users, sessions, flights or hotels.", nullable=False),
        Column("file", "VARCHAR", "Path of the export file the table was loaded from.", nullable=False),
    ),
)

REJECTS = Table(
    layer="bronze",
    name="rejects",
    grain="One row per problem found on a source line that could not be loaded (a line can have several).",
    published=False,
    columns=(
        Column("table_name", "VARCHAR", "Bronze table the line belongs to.", nullable=False),
        Column("file", "VARCHAR", "Path of the source file.", nullable=False),
        Column("line", "BIGINT", "1-based line number in the file (the header is line 1)."),
        Column("column_name", "VARCHAR", "Column the problem was found in, if any."),
        Column("reason", "VARCHAR", "DuckDB's error type and message.", nullable=False),
        Column("raw_line", "VARCHAR", "The line as read (several lines if a quote was left open)."),
    ),
)

LAYER = Layer(
    name="bronze",
    description="The four exports loaded as typed tables, every column present, nothing dropped (SPEC §2).",
    # The four exports (published), then the load's own record.
    tables=(USERS, SESSIONS, FLIGHTS, HOTELS, SOURCES, REJECTS),
    keys_enforced=False,
)
