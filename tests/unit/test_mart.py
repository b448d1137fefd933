"""The star schema in DuckDB: tables, grain, keys and the contract, on a hand-built gold layer."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from helpers.warehouse import make_warehouse
from traveltide.build import BuildError, build_layer
from traveltide.contract.mart import LAYER
from traveltide.sql import read_sql


@pytest.fixture
def con():
    connection = duckdb.connect()
    make_warehouse(connection)
    yield connection
    connection.close()


def test_build_mart_counts_one_row_per_grain(con):
    counts = build_layer(con=con, layer="mart")
    # dim_date: user 2's sign-up 2021-11-30 to the last session 2023-01-09, 365 + 31 + 9 + 1 days
    assert counts == {"dim_segments": 2, "dim_users": 2, "dim_trips": 2, "fact_sessions": 4, "dim_date": 406}


def test_contract_matches_built_tables_exactly(con):
    build_layer(con=con, layer="mart")
    for table in LAYER.tables:
        built = con.execute(
            "select column_name, data_type, is_nullable from information_schema.columns "
            "where table_schema = 'mart' and table_name = ? order by ordinal_position",
            [table.name],
        ).fetchall()
        assert [(n, t) for n, t, _ in built] == [(c.name, c.type) for c in table.columns], table.name
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = 'mart' order by 1"
    ).fetchall()
    assert [t for (t,) in tables] == sorted(t.name for t in LAYER.tables)


def test_fact_sessions_dates_and_browse_trip(con):
    build_layer(con=con, layer="mart")
    rows = con.execute(
        "select session_id, session_date, trip_id, session_type from mart.fact_sessions order by session_id"
    ).fetchall()
    assert rows == [
        ("1-s1", date(2023, 1, 4), None, "browse"),
        ("1-s2", date(2023, 1, 6), "1-a", "booking"),  # 23:59 stays on its own day
        ("2-s1", date(2023, 1, 5), "2-b", "booking"),
        ("2-s2", date(2023, 1, 9), "2-b", "cancellation"),
    ]


def test_dim_date_covers_every_day_with_calendar_attributes(con):
    build_layer(con=con, layer="mart")
    rows = con.execute(
        "select calendar_date, year, quarter, month, month_name, year_month, iso_week, day_of_month, "
        "day_of_week, weekday_name, is_weekend from mart.dim_date "
        "where calendar_date between date '2023-01-04' and date '2023-01-09' order by calendar_date"
    ).fetchall()
    # 2023-01-01 was a Sunday; ISO week 1 of 2023 runs Mon 2 Jan .. Sun 8 Jan.
    assert rows == [
        (date(2023, 1, 4), 2023, 1, 1, "January", "2023-01", 1, 4, 3, "Wednesday", False),
        (date(2023, 1, 5), 2023, 1, 1, "January", "2023-01", 1, 5, 4, "Thursday", False),
        (date(2023, 1, 6), 2023, 1, 1, "January", "2023-01", 1, 6, 5, "Friday", False),
        (date(2023, 1, 7), 2023, 1, 1, "January", "2023-01", 1, 7, 6, "Saturday", True),
        (date(2023, 1, 8), 2023, 1, 1, "January", "2023-01", 1, 8, 7, "Sunday", True),
        (date(2023, 1, 9), 2023, 1, 1, "January", "2023-01", 2, 9, 1, "Monday", False),
    ]


def test_dim_users_carries_segment_features_and_demographics(con):
    build_layer(con=con, layer="mart")
    row = con.execute(
        "select user_id, segment_id, segment_name, perk, score_free_checked_bag, runner_up_perk, "
        "total_nights, total_base_fare, sign_up_date, home_country, home_city, home_airport, gender, age, "
        "married, has_children from mart.dim_users where user_id = 2"
    ).fetchone()
    assert row == (
        2,
        2,
        "Cancellers",
        "No cancellation fees",
        20.0,
        "Free checked bag",
        0,
        0.0,
        date(2021, 11, 30),
        "canada",
        "toronto",
        "YYZ",
        "M",
        30,
        False,
        True,
    )
    assert con.execute("select count(*) from mart.dim_users where user_id = 3").fetchone()[0] == 0


def test_dim_segments_renames_profile_to_means(con):
    build_layer(con=con, layer="mart")
    row = con.execute(
        "select segment_id, perk, users, share, reason, mean_total_sessions, mean_cancellation_rate, "
        "mean_score_free_checked_bag from mart.dim_segments where segment_id = 2"
    ).fetchone()
    assert row == (2, "No cancellation fees", 1, 0.5, "Cancels half of its sessions.", 2.0, 0.5, 20.0)


def test_dim_trips_keeps_clean_and_reported_nights(con):
    build_layer(con=con, layer="mart")
    rows = con.execute(
        "select trip_id, booked, cancelled, has_flight, nights, nights_reported, base_fare_usd "
        "from mart.dim_trips order by trip_id"
    ).fetchall()
    assert rows == [("1-a", True, False, True, 3, 2, 450.5), ("2-b", True, True, False, 0, -1, None)]


def test_every_sql_file_states_its_grain_and_ends_with_final(con):
    for table in LAYER.tables:
        sql = read_sql(layer="mart", name=table.name)
        assert sql.splitlines()[0] == f"-- {table.grain}"
        assert sql.rstrip().endswith("select * from final")


def test_missing_gold_table_names_the_sql_file(con):
    con.execute("drop table gold.segments")
    with pytest.raises(
        BuildError, match=r"building mart\.dim_segments from traveltide/sql/mart/dim_segments\.sql failed"
    ):
        build_layer(con=con, layer="mart")


def test_session_timestamps_survive(con):
    build_layer(con=con, layer="mart")
    start, end, seconds = con.execute(
        "select session_start, session_end, session_seconds from mart.fact_sessions where session_id = '1-s2'"
    ).fetchone()
    assert (start, end, seconds) == (datetime(2023, 1, 6, 23, 59), datetime(2023, 1, 7, 0, 0, 30), 90.0)


def test_export_parquet_writes_every_silver_and_gold_table(con, tmp_path):
    from traveltide.publish.parquet import export_parquet

    result = export_parquet(con=con, out_dir=tmp_path)
    assert {layer: {t: v.rows for t, v in tables.items()} for layer, tables in result.items()} == {
        "silver": {"users": 3},
        "gold": {"sessions": 4, "trips": 2, "user_features": 2, "segments": 2, "user_segments": 2},
    }
    assert result["gold"]["trips"].path == "gold/trips.parquet"
    back = (
        duckdb.connect()
        .execute(
            "select trip_id, nights_reported from read_parquet(?) order by trip_id",
            [str(tmp_path / "gold" / "trips.parquet")],
        )
        .fetchall()
    )
    assert back == [("1-a", 2), ("2-b", -1)]


def test_export_parquet_writes_no_bloom_filters(con, tmp_path):
    """DuckDB adds one per dictionary-encoded column by default: 18 % of the export's CPU at full scale."""
    from traveltide.publish.parquet import export_parquet

    # Enough repeated values that DuckDB dictionary-encodes columns (it does not for 3 rows).
    con.execute("insert into silver.users select users.* from silver.users, range(100)")
    export_parquet(con=con, out_dir=tmp_path)
    encoded, with_bloom = (
        duckdb.connect()
        .execute(
            "select count(*) filter (where encodings like '%DICTIONARY%'), count(bloom_filter_offset) "
            "from parquet_metadata(?)",
            [str(tmp_path / "silver" / "users.parquet")],
        )
        .fetchone()
    )
    assert encoded > 0 and with_bloom == 0


def test_export_parquet_refuses_an_unbuilt_layer(tmp_path):
    from traveltide.publish.parquet import export_parquet

    with pytest.raises(ValueError, match=r"schema 'silver' has no tables to export; build the silver layer"):
        export_parquet(con=duckdb.connect(), out_dir=tmp_path)


def test_dim_date_spans_every_date_the_star_uses(con):
    """A sign-up before the first session and a stay after the last one each find their day."""
    con.execute(
        "update gold.trips set departure_time = timestamp '2023-01-20 07:00:00', "
        "return_time = timestamp '2023-02-02 18:00:00', check_in_time = timestamp '2023-01-20 15:00:00', "
        "check_out_time = timestamp '2023-02-03 11:00:00' where trip_id = '1-a'"
    )
    build_layer(con=con, layer="mart")
    first, last, days = con.execute(
        "select min(calendar_date), max(calendar_date), count(*) from mart.dim_date"
    ).fetchone()
    assert (first, last) == (date(2021, 11, 30), date(2023, 2, 3))  # user 2's sign-up .. trip 1-a's check-out
    assert days == (date(2023, 2, 3) - date(2021, 11, 30)).days + 1
    used = con.execute(
        "select count(*) from ("
        "select sign_up_date as d from mart.dim_users union all select session_date from mart.fact_sessions "
        "union all select cast(departure_time as date) from mart.dim_trips "
        "union all select cast(check_out_time as date) from mart.dim_trips"
        ") where d is not null and d not in (select calendar_date from mart.dim_date)"
    ).fetchone()[0]
    assert used == 0
