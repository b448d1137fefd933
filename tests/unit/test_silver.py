"""Silver (SPEC §2) on a tiny hand-made bronze fixture, and on real TravelTide rows checked
against an independent pandas computation. Expected values are worked out by hand."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from helpers.bronze_builder import create_bronze, insert_rows
from helpers.contract_checks import assert_built_like_the_contract
from helpers.data import COHORT_EXTRACT, SILVER_SUBSET
from traveltide.build import BuildError, build_layer
from traveltide.contract import silver
from traveltide.pipeline import SilverTable, read_silver_accounts

REAL_HOTELS = COHORT_EXTRACT / "hotels.csv"

USERS = [
    # Last session day of known users is 2023-06-15 (session s-browse of user 1).
    {"user_id": 1, "birthdate": date(1990, 6, 15), "home_city": "ottawa"},  # birthday on that day: 33
    {"user_id": 2, "birthdate": date(1990, 6, 16), "home_city": "austin"},  # birthday the day after: 32
    {"user_id": 3, "birthdate": date(1980, 1, 1), "home_city": "boston"},  # duplicate key, differs in city
    {"user_id": 3, "birthdate": date(1980, 1, 1), "home_city": "austin"},  # kept: 'austin' < 'boston'
    {"user_id": 4, "birthdate": None},  # age NULL
    {"user_id": None, "birthdate": date(1970, 1, 1)},  # null key
]

SESSIONS = [
    {  # browse, fractional end: 74.5 s
        "session_id": "1-browse",
        "user_id": 1,
        "trip_id": None,
        "session_start": datetime(2023, 6, 15, 14, 0, 0),
        "session_end": datetime(2023, 6, 15, 14, 1, 14, 500000),
        "cancellation": False,
        "page_clicks": 10,
    },
    {  # booking
        "session_id": "1-book",
        "user_id": 1,
        "trip_id": "1-trip",
        "session_start": datetime(2023, 6, 1, 9, 0),
        "session_end": datetime(2023, 6, 1, 9, 2),
        "flight_booked": True,
        "hotel_booked": False,
        "cancellation": False,
    },
    {  # cancellation of the same trip
        "session_id": "1-cancel",
        "user_id": 1,
        "trip_id": "1-trip",
        "session_start": datetime(2023, 6, 2, 9, 0),
        "session_end": datetime(2023, 6, 2, 9, 1),
        "flight_booked": True,
        "hotel_booked": True,
        "flight_discount": True,
        "hotel_discount": True,
        "cancellation": True,
    },
    {  # NULL cancellation flag, no trip: browse
        "session_id": "2-null-flag",
        "user_id": 2,
        "trip_id": None,
        "session_start": datetime(2023, 5, 1, 8, 0),
        "session_end": datetime(2023, 5, 1, 8, 0, 30),
        "cancellation": None,
    },
    # duplicate key: the row with page_clicks 5 is first in column order and kept
    {
        "session_id": "2-dup",
        "user_id": 2,
        "session_start": datetime(2023, 5, 2),
        "page_clicks": 9,
        "cancellation": False,
    },
    {
        "session_id": "2-dup",
        "user_id": 2,
        "session_start": datetime(2023, 5, 2),
        "page_clicks": 5,
        "cancellation": False,
    },
    # unknown users; the later session of user 99 must not move the age reference day
    {"session_id": "99-x", "user_id": 99, "session_start": datetime(2023, 12, 31), "cancellation": False},
    {"session_id": "null-user", "user_id": None, "session_start": datetime(2023, 5, 3), "cancellation": False},
    # null key
    {"session_id": None, "user_id": 1, "session_start": datetime(2023, 5, 4), "cancellation": False},
]

FLIGHTS = [
    {"trip_id": "1-trip", "checked_bags": 1, "base_fare_usd": 250.5},
    {"trip_id": "1-trip", "checked_bags": 1, "base_fare_usd": 250.5},  # exact duplicate
    {"trip_id": "2-trip", "checked_bags": 0, "base_fare_usd": 100.0},
]

HOTELS = [
    {  # real row: double-space brand; 03-31 13:32 -> 04-07 11:00: source 6, clean 7 - 0 = 7
        "trip_id": "h-nh",
        "hotel_name": "NH Hotel  - ottawa",
        "nights": 6,
        "rooms": 1,
        "check_in_time": datetime(2023, 3, 31, 13, 32, 21, 30000),
        "check_out_time": datetime(2023, 4, 7, 11, 0),
        "hotel_per_room_usd": 110.0,
    },
    {  # negative source nights: same-day 14:00 -> 11:00: max(0, 0 + 0) = 0
        "trip_id": "h-neg",
        "hotel_name": "Hilton - boston",
        "nights": -1,
        "rooms": 2,
        "check_in_time": datetime(2023, 5, 10, 14, 0),
        "check_out_time": datetime(2023, 5, 10, 11, 0),
    },
    {  # check-out before check-in day: max(0, -1 + 0) = 0
        "trip_id": "h-neg2",
        "hotel_name": "Hyatt - denver",
        "nights": -2,
        "rooms": 1,
        "check_in_time": datetime(2023, 5, 11, 18, 0),
        "check_out_time": datetime(2023, 5, 10, 11, 0),
    },
    {  # late check-out 13:30: 05-01 -> 05-03 = 2, + 1 = 3
        "trip_id": "h-late",
        "hotel_name": "Shangri-La - new york",
        "nights": 1,
        "rooms": 1,
        "check_in_time": datetime(2023, 5, 1, 15, 0),
        "check_out_time": datetime(2023, 5, 3, 13, 30),
    },
    {  # check-out exactly 12:00 is within the grace hour: 05-01 -> 05-03 = 2
        "trip_id": "h-noon",
        "hotel_name": "Marriott  - los angeles",
        "nights": 1,
        "rooms": 1,
        "check_in_time": datetime(2023, 5, 1, 15, 0),
        "check_out_time": datetime(2023, 5, 3, 12, 0),
    },
    {  # duplicate key: rooms 1 comes first in column order and is kept
        "trip_id": "h-dup",
        "hotel_name": "Accor - paris",
        "nights": 2,
        "rooms": 3,
        "check_in_time": datetime(2023, 5, 1, 15, 0),
        "check_out_time": datetime(2023, 5, 3, 11, 0),
    },
    {
        "trip_id": "h-dup",
        "hotel_name": "Accor - paris",
        "nights": 2,
        "rooms": 1,
        "check_in_time": datetime(2023, 5, 1, 15, 0),
        "check_out_time": datetime(2023, 5, 3, 11, 0),
    },
    {"trip_id": None, "hotel_name": "Accor - lyon", "nights": 1},  # null key
]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def built(con: duckdb.DuckDBPyConnection) -> dict[str, SilverTable]:
    create_bronze(con=con)
    for table, rows in {"users": USERS, "sessions": SESSIONS, "flights": FLIGHTS, "hotels": HOTELS}.items():
        insert_rows(con=con, table=table, rows=rows)
    build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})
    return read_silver_accounts(con=con)


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchall()


def test_counts_and_set_aside_account_for_every_bronze_row(con, built):
    assert built == {
        # user 3 twice with different cities: a conflict (6 = 4 + 1 null + 1 conflicting)
        "users": SilverTable(rows=4, set_aside={"null key": 1, "repeated row": 0, "conflicting row": 1}),
        # 2-dup twice with different clicks (9 = 5 + 1 + 1 + 2)
        "sessions": SilverTable(
            rows=5,
            set_aside={
                "null key": 1,
                "repeated row": 0,
                "conflicting row": 1,
                "unknown user": 2,
                "implausible value": 0,
            },
        ),
        # 1-trip repeated identically: dropped (3 = 2 + 1)
        "flights": SilverTable(
            rows=2, set_aside={"null key": 0, "repeated row": 1, "conflicting row": 0, "implausible value": 0}
        ),
        # h-dup twice with different rooms (8 = 6 + 1 + 1)
        "hotels": SilverTable(
            rows=6, set_aside={"null key": 1, "repeated row": 0, "conflicting row": 1, "implausible value": 0}
        ),
    }
    assert sorted(_one(con, "select table_name, reason, rows from silver.set_aside")) == sorted(
        [
            ("users", "null key", 1),
            ("users", "repeated row", 0),
            ("users", "conflicting row", 1),
            ("sessions", "null key", 1),
            ("sessions", "repeated row", 0),
            ("sessions", "conflicting row", 1),
            ("sessions", "unknown user", 2),
            ("sessions", "implausible value", 0),
            ("flights", "null key", 0),
            ("flights", "repeated row", 1),
            ("flights", "conflicting row", 0),
            ("flights", "implausible value", 0),
            ("hotels", "null key", 1),
            ("hotels", "repeated row", 0),
            ("hotels", "conflicting row", 1),
            ("hotels", "implausible value", 0),
        ]
    )


def test_every_conflict_is_listed_with_the_columns_that_differ(con, built):
    assert _one(con, "select * from silver.key_conflicts order by table_name") == [
        ("hotels", "h-dup", 2, 2, ["rooms"]),
        ("sessions", "2-dup", 2, 2, ["page_clicks"]),
        ("users", "3", 2, 2, ["home_city"]),
    ]


def test_conflict_shares_name_the_file_and_the_tolerance(con, built):
    assert _one(con, "select * from silver.conflict_shares order by table_name") == [
        ("flights", "flights rows written by the test", 3, 0, 0.0, 0.01),
        ("hotels", "hotels rows written by the test", 7, 1, 1 / 7, 0.01),
        ("sessions", "sessions rows written by the test", 8, 1, 1 / 8, 0.01),
        ("users", "users rows written by the test", 5, 1, 1 / 5, 0.01),
    ]


def test_duplicate_keys_keep_the_first_row_in_column_order(con, built):
    assert _one(con, "select home_city from silver.users where user_id = 3") == [("austin",)]
    assert _one(con, "select page_clicks from silver.sessions where session_id = '2-dup'") == [(5,)]
    assert _one(con, "select rooms from silver.hotels where trip_id = 'h-dup'") == [(1,)]


def test_sessions_of_unknown_users_are_set_aside(con, built):
    assert _one(con, "select session_id from silver.sessions order by session_id") == [
        ("1-book",),
        ("1-browse",),
        ("1-cancel",),
        ("2-dup",),
        ("2-null-flag",),
    ]


def test_pass_through_tables_are_views_over_bronze_with_only_the_exceptions_stored(con, built):
    views = {name for (name,) in _one(con, "select view_name from duckdb_views() where schema_name = 'silver'")}
    assert views == {"sessions", "flights", "hotels"}
    # Stored: one row per duplicated key (the kept row) and per session of an unknown user.
    assert _one(con, "select session_id, bronze_rows, known_user from silver.sessions_exceptions order by 1") == [
        ("2-dup", 2, True),
        ("99-x", 1, False),
        ("null-user", 1, False),
    ]
    assert _one(con, "select trip_id, bronze_rows from silver.hotels_exceptions") == [("h-dup", 2)]
    # A later change to bronze shows through: nothing was copied.
    con.execute("update bronze.sessions set page_clicks = 99 where session_id = '1-book'")
    assert _one(con, "select page_clicks from silver.sessions where session_id = '1-book'") == [(99,)]


def test_session_type_and_seconds(con, built):
    rows = {
        sid: (kind, secs)
        for sid, kind, secs in _one(con, "select session_id, session_type, session_seconds from silver.sessions")
    }
    assert rows["1-browse"] == ("browse", 74.5)  # 14:00:00 -> 14:01:14.5
    assert rows["1-book"] == ("booking", 120.0)  # 09:00 -> 09:02
    assert rows["1-cancel"] == ("cancellation", 60.0)
    assert rows["2-null-flag"] == ("browse", 30.0)  # NULL cancellation counts as false
    assert rows["2-dup"] == ("browse", None)  # no session_end


def test_age_in_whole_years_on_last_session_day(con, built):
    # reference day 2023-06-15 (user 1's browse), not user 99's 2023-12-31 (set aside)
    assert dict(_one(con, "select user_id, age from silver.users")) == {1: 33, 2: 32, 3: 43, 4: None}


def test_hotel_brand_city_and_clean_nights(con, built):
    got = {
        r[0]: r[1:]
        for r in _one(con, "select trip_id, hotel_brand, hotel_city, nights_reported, nights from silver.hotels")
    }
    assert got == {
        "h-nh": ("NH Hotel", "ottawa", 6, 7),
        "h-neg": ("Hilton", "boston", -1, 0),
        "h-neg2": ("Hyatt", "denver", -2, 0),
        "h-late": ("Shangri-La", "new york", 1, 3),
        "h-noon": ("Marriott", "los angeles", 1, 2),
        "h-dup": ("Accor", "paris", 2, 2),
    }


def test_silver_tables_match_the_contract(con, built):
    assert_built_like_the_contract(con=con, tables=silver.LAYER.published)


def test_missing_bronze_table_names_the_table(con):
    with pytest.raises(BuildError, match=r"table bronze\.users does not exist; load the bronze layer first"):
        build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})


def test_bronze_table_off_contract_names_the_column(con):
    create_bronze(con=con)
    con.execute("alter table bronze.hotels alter nights type varchar")
    with pytest.raises(
        BuildError,
        match=r"bronze\.hotels does not match .*position 3: built \('nights', 'VARCHAR'\), contract \('nights', 'INTEGER'\)",
    ):
        build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})


def test_real_hotels_against_pandas(con):
    """400 real hotel rows: clean nights, brands and cities recomputed independently."""
    create_bronze(con=con)
    con.execute("insert into bronze.hotels by name select * from read_csv(?)", [str(REAL_HOTELS)])
    build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})

    df = pd.read_csv(REAL_HOTELS, parse_dates=["check_in_time", "check_out_time"])
    days = (df.check_out_time.dt.normalize() - df.check_in_time.dt.normalize()).dt.days
    late = (df.check_out_time.dt.hour * 60 + df.check_out_time.dt.minute) > 12 * 60
    clean = (days + late.astype(int)).clip(lower=0)
    brand = df.hotel_name.str.split(" - ", n=1).str[0].str.strip()
    city = df.hotel_name.str.split(" - ", n=1).str[1].str.strip()

    got = _one(
        con,
        "select count(*), sum(nights), count(*) filter (where nights_reported <= 0), "
        "count(*) filter (where nights = 0), count(distinct hotel_brand), count(distinct hotel_city), "
        "count(*) filter (where hotel_brand like '% ' or hotel_brand like ' %') from silver.hotels",
    )[0]
    assert got == (
        df.trip_id.nunique(),
        int(clean.sum()),
        int((df.nights <= 0).sum()),
        int((clean == 0).sum()),
        brand.nunique(),
        city.nunique(),
        0,
    )
    assert brand.nunique() == 20  # SPEC: 20 brands
    brands = dict(_one(con, "select hotel_brand, count(*) from silver.hotels group by 1"))
    assert brands == brand.value_counts().to_dict()


def test_real_sessions_flights_against_pandas(con):
    """Real sessions (2023-01-13..17), users and flights with exported duplicate trips."""
    create_bronze(con=con)
    for table in ("users", "sessions", "flights"):
        con.execute(
            f"insert into bronze.{table} by name select * from read_parquet(?)",
            [str(SILVER_SUBSET / f"{table}.parquet")],
        )
    build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})
    result = read_silver_accounts(con=con)

    users = pd.read_parquet(SILVER_SUBSET / "users.parquet")
    sessions = pd.read_parquet(SILVER_SUBSET / "sessions.parquet")
    flights = pd.read_parquet(SILVER_SUBSET / "flights.parquet")
    known = sessions[sessions.user_id.isin(users.user_id)]
    assert result["sessions"] == SilverTable(
        rows=len(known),
        set_aside={
            "null key": 0,
            "repeated row": 0,
            "conflicting row": 0,
            "unknown user": len(sessions) - len(known),
            "implausible value": 0,  # real rows: every value lies inside the bounds
        },
    )
    # The export joined flights to sessions: 24 trips are repeated identically, none conflicts.
    distinct = flights.drop_duplicates()
    assert len(flights) - len(distinct) == 24
    assert result["flights"] == SilverTable(
        rows=len(distinct),
        set_aside={
            "null key": 0,
            "repeated row": len(flights) - len(distinct),
            "conflicting row": int(distinct.trip_id.duplicated().sum()),
            "implausible value": 0,
        },
    )
    assert _one(con, "select count(*) from silver.key_conflicts") == [(0,)]
    kinds = known.trip_id.notna().map({True: "booking", False: "browse"})  # no cancellations in this subset
    assert (
        dict(_one(con, "select session_type, count(*) from silver.sessions group by 1"))
        == kinds.value_counts().to_dict()
    )
    seconds = (pd.to_datetime(known.session_end) - known.session_start).dt.total_seconds()
    assert _one(con, "select sum(session_seconds) from silver.sessions")[0][0] == pytest.approx(seconds.sum())
    last_day = known.session_start.max().normalize()
    born = pd.to_datetime(users.birthdate)
    age = last_day.year - born.dt.year - ((born.dt.month * 100 + born.dt.day) > last_day.month * 100 + last_day.day)
    assert _one(con, "select sum(age), min(age), max(age) from silver.users")[0] == (age.sum(), age.min(), age.max())


def test_values_at_the_bounds_pass_and_values_beyond_are_set_aside_or_nulled(con):
    """Each bound of silver.plausible_bounds is inclusive for numbers and exclusive above for
    times: a row exactly at a bound passes, one step beyond is set aside (sessions, flights,
    hotels) or has the value set to NULL (users), and every value beyond is listed."""
    create_bronze(con=con)
    insert_rows(
        con=con,
        table="users",
        rows=[
            {"user_id": 1, "birthdate": date(1900, 1, 1), "home_airport_lat": 90.0},  # at the bounds
            {"user_id": 2, "birthdate": date(1899, 12, 31), "home_airport_lat": 90.5},  # beyond both
        ],
    )
    at = datetime(2023, 6, 1)
    insert_rows(
        con=con,
        table="sessions",
        rows=[
            {"session_id": "at", "user_id": 1, "session_start": at, "page_clicks": 10_000, "cancellation": False},
            {"session_id": "over", "user_id": 1, "session_start": at, "page_clicks": 10_001, "cancellation": False},
            {"session_id": "late", "user_id": 1, "session_start": datetime(2100, 1, 1), "cancellation": False},
            {"session_id": "neg", "user_id": 2, "session_start": at, "flight_discount_amount": -0.1},
        ],
    )
    insert_rows(
        con=con,
        table="flights",
        rows=[
            {"trip_id": "at", "seats": 20, "checked_bags": 0, "base_fare_usd": 100_000.0},
            {"trip_id": "fare", "seats": 1, "checked_bags": 0, "base_fare_usd": 1e15},
            {"trip_id": "bags", "seats": 1, "checked_bags": 21, "base_fare_usd": 10.0},
        ],
    )
    insert_rows(
        con=con,
        table="hotels",
        rows=[
            {"trip_id": "at", "rooms": 20, "hotel_per_room_usd": 10_000.0, "check_in_time": at},
            {"trip_id": "rooms", "rooms": 0, "hotel_per_room_usd": 100.0, "check_in_time": at},
        ],
    )
    build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})

    assert _one(con, "select * exclude (low, high) from silver.implausible_values order by all") == [
        ("flights", "bags", "checked_bags", "21", "row set aside"),
        ("flights", "fare", "base_fare_usd", "1000000000000000.0", "row set aside"),
        ("hotels", "rooms", "rooms", "0", "row set aside"),
        ("sessions", "late", "session_start", "2100-01-01 00:00:00", "row set aside"),
        ("sessions", "neg", "flight_discount_amount", "-0.1", "row set aside"),
        ("sessions", "over", "page_clicks", "10001", "row set aside"),
        ("users", "2", "birthdate", "1899-12-31", "set to NULL"),
        ("users", "2", "home_airport_lat", "90.5", "set to NULL"),
    ]
    assert _one(con, "select session_id from silver.sessions order by 1") == [("at",)]
    assert _one(con, "select trip_id from silver.flights order by 1") == [("at",)]
    assert _one(con, "select trip_id from silver.hotels order by 1") == [("at",)]
    assert _one(con, "select user_id, birthdate, home_airport_lat, age from silver.users order by 1") == [
        (1, date(1900, 1, 1), 90.0, 123),
        (2, None, None, None),
    ]
    accounts = read_silver_accounts(con=con)
    assert {t: accounts[t].set_aside["implausible value"] for t in ("sessions", "flights", "hotels")} == {
        "sessions": 3,
        "flights": 2,
        "hotels": 1,
    }
