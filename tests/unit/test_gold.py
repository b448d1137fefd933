"""Gold (SPEC §2): window, cohort, sessions, trips and user features on a tiny hand-made
bronze fixture, and on real TravelTide rows against an independent pandas computation.
Expected values are worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
import pytest

from helpers.bronze_builder import create_bronze, insert_rows
from helpers.contract_checks import assert_built_like_the_contract
from helpers.data import SILVER_SUBSET
from traveltide.build import BuildError, build_layer
from traveltide.contract import gold

START = date(2023, 1, 4)


def _session(sid, user, start, kind="browse", trip=None, clicks=10, **flags):
    """A session whose length is 3 s per click; cancellation sessions carry the source's
    all-true flags and NULL amounts."""
    row = {
        "session_id": sid,
        "user_id": user,
        "trip_id": trip,
        "session_start": start,
        "session_end": start + timedelta(seconds=3 * clicks),
        "page_clicks": clicks,
        "flight_discount": False,
        "hotel_discount": False,
        "flight_booked": False,
        "hotel_booked": False,
        "cancellation": kind == "cancellation",
    }
    if kind == "cancellation":
        row.update(flight_discount=True, hotel_discount=True, flight_booked=True, hotel_booked=True)
    row.update(flags)
    return row


D = datetime
SESSIONS = [
    # user 1 -------------------------------------------------------------------------------
    # before the window: books T0 (flight only), 1000 clicks that must not count
    _session("a0", 1, D(2022, 12, 20), "booking", "T0", 1000, flight_booked=True),
    # in the window: cancels T0 (booking before the window)
    _session("a1", 1, D(2023, 2, 1), "cancellation", "T0", 10),
    # T1 bundle, flight discount 0.10
    _session(
        "a2",
        1,
        D(2023, 2, 5),
        "booking",
        "T1",
        20,
        flight_booked=True,
        hotel_booked=True,
        flight_discount=True,
        flight_discount_amount=0.10,
    ),
    # T2 flight only, both discounts: offer (0.20 + 0.10) / 2 = 0.15
    _session(
        "a3",
        1,
        D(2023, 2, 10),
        "booking",
        "T2",
        30,
        flight_booked=True,
        flight_discount=True,
        flight_discount_amount=0.20,
        hotel_discount=True,
        hotel_discount_amount=0.10,
    ),
    # T3 hotel only, negative source nights
    _session("a4", 1, D(2023, 2, 12), "booking", "T3", 40, hotel_booked=True),
    # T4 bundle with a hotel discount 0.05, cancelled in a6
    _session(
        "a5",
        1,
        D(2023, 2, 15),
        "booking",
        "T4",
        50,
        flight_booked=True,
        hotel_booked=True,
        hotel_discount=True,
        hotel_discount_amount=0.05,
    ),
    _session("a6", 1, D(2023, 2, 20), "cancellation", "T4", 60),
    # browsing with a flight offer 0.25, and without an offer
    _session("a7", 1, D(2023, 3, 1), "browse", None, 70, flight_discount=True, flight_discount_amount=0.25),
    _session("a8", 1, D(2023, 3, 2), "browse", None, 80),
    # user 2: exactly min_sessions (3) in the window, one exactly at the window start ------------
    _session("b0", 2, D(2022, 12, 31), "browse", None, 99),
    _session("b1", 2, D(2023, 1, 4, 0, 0, 0), "browse", None, 3),
    _session("b2", 2, D(2023, 1, 5), "browse", None, 6, hotel_discount=True, hotel_discount_amount=0.30),
    _session("b3", 2, D(2023, 1, 6), "booking", "TB", 9, hotel_booked=True),
    # user 3: min_sessions - 1 (2) in the window; c0 is one second before it ----------------------
    _session("c0", 3, D(2023, 1, 3, 23, 59, 59), "browse"),
    _session("c1", 3, D(2023, 1, 10), "browse"),
    _session("c2", 3, D(2023, 1, 11), "booking", "TC", flight_booked=True),
]

FLIGHTS = [
    {"trip_id": "T0", "checked_bags": 7, "base_fare_usd": 700.0, "seats": 1},
    {"trip_id": "T1", "checked_bags": 2, "base_fare_usd": 500.0, "seats": 1},
    {"trip_id": "T2", "checked_bags": 1, "base_fare_usd": 300.0, "seats": 1},
    {"trip_id": "T4", "checked_bags": 5, "base_fare_usd": 1000.0, "seats": 2},
    {"trip_id": "TC", "checked_bags": 3, "base_fare_usd": 100.0, "seats": 1},
]

HOTELS = [
    {  # late check-out 13:00: 03-01 -> 03-04 = 3, + 1 = 4 nights (source says 2)
        "trip_id": "T1",
        "hotel_name": "Conrad  - chicago",
        "nights": 2,
        "rooms": 2,
        "hotel_per_room_usd": 100.0,
        "check_in_time": D(2023, 3, 1, 15),
        "check_out_time": D(2023, 3, 4, 13),
    },
    {  # negative source nights: same day 15:00 -> 11:00 = max(0, 0) = 0
        "trip_id": "T3",
        "hotel_name": "Hyatt - denver",
        "nights": -1,
        "rooms": 1,
        "hotel_per_room_usd": 150.0,
        "check_in_time": D(2023, 4, 10, 15),
        "check_out_time": D(2023, 4, 10, 11),
    },
    {  # cancelled: 10 nights that must not count
        "trip_id": "T4",
        "hotel_name": "Hilton - boston",
        "nights": 10,
        "rooms": 1,
        "hotel_per_room_usd": 90.0,
        "check_in_time": D(2023, 5, 1, 15),
        "check_out_time": D(2023, 5, 11, 11),
    },
    {  # check-out exactly 12:00 is within the grace hour: 2 nights
        "trip_id": "TB",
        "hotel_name": "Accor - paris",
        "nights": 1,
        "rooms": 3,
        "hotel_per_room_usd": 50.0,
        "check_in_time": D(2023, 1, 10, 14),
        "check_out_time": D(2023, 1, 12, 12),
    },
]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    create_bronze(con=connection)
    insert_rows(con=connection, table="users", rows=[{"user_id": u} for u in (1, 2, 3)])
    insert_rows(con=connection, table="sessions", rows=SESSIONS)
    insert_rows(con=connection, table="flights", rows=FLIGHTS)
    insert_rows(con=connection, table="hotels", rows=HOTELS)
    build_layer(con=connection, layer="silver", params={"conflict_tolerance": 0.01})
    yield connection
    connection.close()


def _rows(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def test_counts(con):
    # cohort: user 1 (8 window sessions a1..a8), user 2 (3: b1..b3); user 3 has 2
    # trips: T0..T4 of user 1, TB of user 2
    assert build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 3}) == {
        "cohort": 2,
        "sessions": 11,
        "trips": 6,
        "user_features": 2,
    }


def test_connection_stays_usable_after_each_layer(con):
    # DuckDB 2.0 refuses con.table() while an earlier result is half read; the segmentation
    # step reads gold.user_features through the same kind of call.
    assert con.table("silver.users").fetchall()
    build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 3})
    assert len(con.table("gold.user_features").fetchall()) == 2


def test_cohort_boundaries(con):
    build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 3})
    assert _rows(con, "select * from gold.cohort order by user_id") == [
        (1, 8, D(2023, 2, 1), D(2023, 3, 2)),
        (2, 3, D(2023, 1, 4), D(2023, 1, 6)),  # b1 at 2023-01-04 00:00:00 counts
    ]
    # with min_sessions = 4, user 2 has exactly min_sessions - 1
    build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 4})
    assert _rows(con, "select user_id from gold.cohort") == [(1,)]
    # one day later, b1 falls out of the window and user 2 has 2 < 3
    build_layer(con=con, layer="gold", params={"start_date": date(2023, 1, 5), "min_sessions": 3})
    assert _rows(con, "select user_id, window_sessions from gold.cohort") == [(1, 8)]


def test_gold_sessions_are_window_sessions_of_the_cohort(con):
    build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 3})
    assert [r[0] for r in _rows(con, "select session_id from gold.sessions order by session_id")] == [
        "a1",
        "a2",
        "a3",
        "a4",
        "a5",
        "a6",
        "a7",
        "a8",
        "b1",
        "b2",
        "b3",
    ]


def test_trips_read_booking_session_not_cancellation_flags(con):
    build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 3})
    got = {
        r[0]: r[1:]
        for r in _rows(
            con,
            "select trip_id, booked, cancelled, flight_booked, hotel_booked, has_flight, has_hotel, "
            "nights_reported, nights, booking_session_id, cancellation_session_id from gold.trips",
        )
    }
    assert got == {
        # booked before the window, cancelled in it; flight only although a1's flags say both
        "T0": (False, True, True, False, True, False, None, None, "a0", "a1"),
        "T1": (True, False, True, True, True, True, 2, 4, "a2", None),
        "T2": (True, False, True, False, True, False, None, None, "a3", None),
        "T3": (True, False, False, True, False, True, -1, 0, "a4", None),
        "T4": (True, True, True, True, True, True, 10, 10, "a5", "a6"),
        "TB": (True, False, False, True, False, True, 1, 2, "b3", None),
    }


# A scratch gold (the sensitivity step's) holds only its cohort: the rest are views read once.
SCRATCH_VIEWS = ("sessions", "trips", "user_features")


@pytest.mark.parametrize("views", [(), SCRATCH_VIEWS], ids=["tables", "views"])
def test_user_features_by_hand(con, views):
    counts = build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 3}, views=views)
    assert set(counts) == {"cohort", "sessions", "trips", "user_features"} - set(views)
    kinds = dict(_rows(con, "select table_name, table_type from information_schema.tables where table_schema = 'gold'"))
    assert kinds == {t.name: "VIEW" if t.name in views else "BASE TABLE" for t in gold.LAYER.sql_tables}
    names = ["user_id", *gold.FEATURE_COLUMNS]
    got = {r[0]: dict(zip(names, r, strict=False)) for r in _rows(con, "select * from gold.user_features")}
    assert got[1] == pytest.approx(
        {
            "user_id": 1,
            "total_sessions": 8,  # a1..a8
            "cancellation_rate": 2 / 8,  # a1, a6
            # non-cancellation sessions a2,a3,a4,a5,a7,a8 = 6; with an offer a2,a3,a5,a7 = 4
            # (counting cancellation flags would give 6 / 8)
            "discount_usage_rate": 4 / 6,
            # kept trips (booked, not cancelled): T1 bundle, T2 flight, T3 hotel; T0 not booked, T4 cancelled
            "total_nights": 4 + 0,  # T1 late check-out 4, T3 negative source nights -> 0
            "total_checked_bags": 2 + 1,  # T1, T2 (not T0's 7 or T4's 5)
            "total_base_fare": 500.0 + 300.0,
            "booking_sessions": 4,  # a2..a5
            "booked_trips": 3,
            "cancelled_trips": 2,  # T0, T4
            "booking_rate": 4 / 8,
            "conversion_rate": 4 / 6,  # a2..a5 of the six non-cancellation sessions
            "flight_trips": 2,  # T1, T2
            "hotel_trips": 2,  # T1, T3
            "bundle_rate": 1 / 3,  # T1 of T1, T2, T3
            "bags_per_flight": 3 / 2,
            "nights_per_hotel_trip": 4 / 2,
            "avg_discount_amount": (0.10 + 0.15 + 0.05 + 0.25) / 4,  # a2, a3, a5, a7
            "avg_page_clicks": (10 + 20 + 30 + 40 + 50 + 60 + 70 + 80) / 8,  # a0's 1000 is outside
            "avg_session_seconds": 3 * 45.0,  # 3 s per click
            "total_hotel_spend_usd": 4 * 2 * 100.0 + 0 * 1 * 150.0,  # T1 + T3
        }
    )
    assert got[2] == pytest.approx(
        {
            "user_id": 2,
            "total_sessions": 3,
            "cancellation_rate": 0.0,
            "discount_usage_rate": 1 / 3,  # b2
            "total_nights": 2,  # TB, check-out at 12:00 sharp
            "total_checked_bags": 0,
            "total_base_fare": 0.0,
            "booking_sessions": 1,
            "booked_trips": 1,
            "cancelled_trips": 0,
            "booking_rate": 1 / 3,
            "conversion_rate": 1 / 3,
            "flight_trips": 0,
            "hotel_trips": 1,
            "bundle_rate": 0.0,
            "bags_per_flight": 0.0,  # no flights: 0, not NULL
            "nights_per_hotel_trip": 2.0,
            "avg_discount_amount": 0.30,
            "avg_page_clicks": (3 + 6 + 9) / 3,
            "avg_session_seconds": 3 * 6.0,
            "total_hotel_spend_usd": 2 * 3 * 50.0,
        }
    )


def test_gold_tables_match_the_contract(con):
    build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 3})
    assert gold.FEATURE_COLUMNS[:6] == gold.SPEC_FEATURES
    assert_built_like_the_contract(con=con, tables=gold.LAYER.sql_tables)


def test_gold_needs_silver():
    with duckdb.connect() as fresh:
        with pytest.raises(BuildError, match=r"table silver\.\w+ does not exist; build the silver layer first"):
            build_layer(con=fresh, layer="gold", params={"start_date": START, "min_sessions": 7})


@pytest.mark.parametrize(("start", "min_sessions"), [(date(2023, 1, 13), 2), (date(2023, 1, 15), 1)])
def test_real_sessions_against_pandas(start, min_sessions):
    """Real sessions 2023-01-13..17 of known users (at most 3 per user)."""
    with duckdb.connect() as con:
        create_bronze(con=con)
        for table in ("users", "sessions", "flights", "hotels"):
            con.execute(
                f"insert into bronze.{table} by name select * from read_parquet(?)",
                [str(SILVER_SUBSET / f"{table}.parquet")],
            )
        build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})
        counts = build_layer(con=con, layer="gold", params={"start_date": start, "min_sessions": min_sessions})
        features = con.execute(
            "select sum(total_sessions), sum(total_base_fare), sum(total_checked_bags), sum(total_nights), "
            "sum(discount_usage_rate), sum(booked_trips), sum(hotel_trips) from gold.user_features"
        ).fetchone()

    users = pd.read_parquet(SILVER_SUBSET / "users.parquet")
    sessions = pd.read_parquet(SILVER_SUBSET / "sessions.parquet")
    flights = pd.read_parquet(SILVER_SUBSET / "flights.parquet").drop_duplicates()
    hotels = pd.read_parquet(SILVER_SUBSET / "hotels.parquet").drop_duplicates()
    window = sessions[sessions.user_id.isin(users.user_id) & (sessions.session_start >= pd.Timestamp(start))]
    per_user = window.groupby("user_id").size()
    cohort = per_user[per_user >= min_sessions].index
    gold_sessions = window[window.user_id.isin(cohort)]
    booked = gold_sessions[gold_sessions.trip_id.notna()]  # no cancellations in this subset
    booked_flights = flights[flights.trip_id.isin(booked.trip_id)]
    booked_hotels = hotels[hotels.trip_id.isin(booked.trip_id)]
    # this subset's nights are already clean and check-out is at 11:00
    offered = gold_sessions.flight_discount | gold_sessions.hotel_discount
    discount_rate = offered.groupby(gold_sessions.user_id).mean()

    assert counts == {
        "cohort": len(cohort),
        "sessions": len(gold_sessions),
        "trips": booked.trip_id.nunique(),
        "user_features": len(cohort),
    }
    assert features[0] == len(gold_sessions)
    assert features[1] == pytest.approx(booked_flights.base_fare_usd.sum())
    assert features[2] == booked_flights.checked_bags.sum()
    assert features[3] == booked_hotels.nights.sum()
    assert features[4] == pytest.approx(discount_rate.sum())
    # A trip with neither a flight nor a hotel row (this subset lost many) is no kept trip.
    assert (
        features[5]
        == booked[booked.trip_id.isin(flights.trip_id) | booked.trip_id.isin(hotels.trip_id)].trip_id.nunique()
    )
    assert features[6] == len(booked_hotels)
    assert len(cohort) >= 20  # the comparison covers a real cohort, not an empty one


def test_session_lifecycle_and_trips_without_flight_or_hotel():
    """A cancellation counts once per trip and only when it cancels a booking; a trip with neither
    a flight nor a hotel stays in gold.trips but out of the trip features."""
    sessions = [
        _session("d1", 4, D(2023, 2, 1), "booking", "T5", flight_booked=True),
        _session("d2", 4, D(2023, 2, 2), "cancellation", "T5"),
        _session("d3", 4, D(2023, 2, 3), "cancellation", "T5"),  # a second cancellation of T5
        _session("d4", 4, D(2023, 2, 4), "cancellation", "T6"),  # T6 was never booked
        _session("d5", 4, D(2023, 2, 5), "booking", "T7", hotel_booked=True),  # T7 has no rows
    ]
    with duckdb.connect() as con:
        create_bronze(con=con)
        insert_rows(con=con, table="users", rows=[{"user_id": 4}])
        insert_rows(con=con, table="sessions", rows=sessions)
        insert_rows(
            con=con,
            table="flights",
            rows=[
                {"trip_id": "T5", "checked_bags": 4, "base_fare_usd": 400.0},
                {"trip_id": "T6", "checked_bags": 6, "base_fare_usd": 600.0},
            ],
        )
        build_layer(con=con, layer="silver", params={"conflict_tolerance": 0.01})
        build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 3})
        trips = _rows(con, "select trip_id, booked, cancelled, has_flight, has_hotel from gold.trips order by trip_id")
        features = _rows(
            con,
            "select total_sessions, cancellation_rate, booked_trips, cancelled_trips, total_checked_bags, "
            "total_base_fare from gold.user_features",
        )
    assert trips == [
        ("T5", True, True, True, False),
        ("T6", False, False, True, False),  # a cancellation without a booking cancels nothing
        ("T7", True, False, False, False),  # no flight, no hotel
    ]
    # 5 sessions; one cancellation counts (d2: T5's first); T5 cancelled, T6 never booked, T7 empty
    assert features == [(5, 1 / 5, 0, 1, 0, 0.0)]


def test_a_view_takes_numbers_and_dates_as_literals_and_refuses_text(con):
    build_layer(con=con, layer="gold", params={"start_date": START, "min_sessions": 3}, views=("cohort",))
    assert _rows(con, "select user_id from gold.cohort order by user_id") == [(1,), (2,)]
    with pytest.raises(BuildError, match=r"a view's parameter must be a number or a date, not str"):
        build_layer(con=con, layer="gold", params={"start_date": "2023-01-04", "min_sessions": 3}, views=("cohort",))
