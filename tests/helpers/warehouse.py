"""A hand-built gold layer of a two-user cohort, typed by the contracts: the mart's input."""

from __future__ import annotations

import duckdb

from traveltide.contract import gold, silver


def _create(con: duckdb.DuckDBPyConnection, table) -> None:
    cols = ", ".join(f'"{c.name}" {c.type}' for c in table.columns)
    con.execute(f"create schema if not exists {table.layer}")
    con.execute(f"create table {table.layer}.{table.name} ({cols})")


def make_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Silver users and the gold tables of a two-user cohort, typed by their contracts.

    Sessions: user 1 browses on Wed 2023-01-04 and books trip 1-a at 23:59 on Fri 2023-01-06;
    user 2 books trip 2-b on 2023-01-05 and cancels it on Mon 2023-01-09. User 3 is not in
    the cohort. So: 4 sessions, 2 users, 2 trips, 2 segments, 6 calendar days (4th to 9th).
    """
    for table in (silver.USERS, gold.SESSIONS, gold.TRIPS, gold.USER_FEATURES, gold.SEGMENTS, gold.USER_SEGMENTS):
        _create(con, table)
    con.execute(
        "insert into silver.users by name select * from (values "
        "(1, date '2022-05-01', 'usa', 'new york', 'LGA', 'F', 40, true, false),"
        "(2, date '2021-11-30', 'canada', 'toronto', 'YYZ', 'M', 30, false, true),"
        "(3, date '2020-01-01', 'usa', 'boston', 'BOS', 'O', 50, false, false)"
        ") as t(user_id, sign_up_date, home_country, home_city, home_airport, gender, age, married, has_children)"
    )
    con.execute(
        "insert into gold.sessions by name select * from (values "
        "('1-s1', 1, null, timestamp '2023-01-04 10:00:00', timestamp '2023-01-04 10:01:00', 'browse', 8, 60.0, false),"
        "('1-s2', 1, '1-a', timestamp '2023-01-06 23:59:00', timestamp '2023-01-07 00:00:30', 'booking', 12, 90.0, false),"
        "('2-s1', 2, '2-b', timestamp '2023-01-05 08:00:00', timestamp '2023-01-05 08:02:00', 'booking', 16, 120.0, false),"
        "('2-s2', 2, '2-b', timestamp '2023-01-09 12:00:00', timestamp '2023-01-09 12:00:30', 'cancellation', 4, 30.0, true)"
        ") as t(session_id, user_id, trip_id, session_start, session_end, session_type, page_clicks, "
        "session_seconds, cancellation)"
    )
    con.execute(
        "insert into gold.trips by name select * from (values "
        "('1-a', 1, true, false, true, true, 'LGA', 'paris', 2, 450.5, 'Banyan Tree - paris', 'Banyan Tree', 'paris', 3, 2),"
        "('2-b', 2, true, true, false, true, null, null, null, null, 'Hilton - rome', 'Hilton', 'rome', 0, -1)"
        ") as t(trip_id, user_id, booked, cancelled, has_flight, has_hotel, origin_airport, destination, "
        "checked_bags, base_fare_usd, hotel_name, hotel_brand, hotel_city, nights, nights_reported)"
    )
    con.execute(
        "insert into gold.user_features by name select * from (values "
        "(1, 2, 0.0, 0.5, 3, 2, 450.5), (2, 2, 0.5, 0.0, 0, 0, 0.0)"
        ") as t(user_id, total_sessions, cancellation_rate, discount_usage_rate, total_nights, "
        "total_checked_bags, total_base_fare)"
    )
    con.execute(
        "insert into gold.segments by name select * from (values "
        "(1, 'Packers', 'Free checked bag', 1, 0.5, 'Packs 2 bags per trip.', 2.0, 0.0, 80.0),"
        "(2, 'Cancellers', 'No cancellation fees', 1, 0.5, 'Cancels half of its sessions.', 2.0, 0.5, 20.0)"
        ") as t(segment_id, segment_name, perk, users, share, reason, total_sessions, cancellation_rate, "
        "score_free_checked_bag)"
    )
    con.execute(
        "insert into gold.user_segments by name select * from (values "
        "(1, 1, 'Packers', 'Free checked bag', 80.0, 'Exclusive discounts', 80.0),"
        "(2, 2, 'Cancellers', 'No cancellation fees', 90.0, 'Free checked bag', 20.0)"
        ") as t(user_id, segment_id, segment_name, perk, perk_score, runner_up_perk, score_free_checked_bag)"
    )
