"""The benchmark's pandas baseline computes the SPEC §2 cohort and features correctly.

A hand-made bronze folder with the traps on purpose: a booking before the window cancelled
inside it, a cancelled trip, a hotel-only trip whose check-out is after 12:00, duplicate rows,
sessions of an unknown user, four boolean spellings. Every expected value is worked out by hand
in the comments.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.baseline import hotel_nights, kmeans_segments, run_baseline

USERS = """user_id,birthdate,gender,married,has_children,home_country,home_city,home_airport,home_airport_lat,home_airport_lon,sign_up_date
1,1980-05-01,F,true,false,usa,new york,LGA,40.777,-73.872,2021-06-01
1,1980-05-01,F,true,false,usa,new york,LGA,40.777,-73.872,2021-06-01
2,1990-02-03,M,f,t,canada,toronto,YYZ,43.677,-79.631,2021-07-01
3,1975-11-30,O,0,1,usa,boston,BOS,42.364,-71.005,2021-08-01
"""

_S = "session_id,user_id,trip_id,session_start,session_end,flight_discount,hotel_discount,flight_discount_amount,hotel_discount_amount,flight_booked,hotel_booked,page_clicks,cancellation"
SESSIONS = (
    "\n".join(
        [
            _S,
            # user 1: T0 booked before the window, cancelled inside it (a gold session; T0 not booked)
            "1-a,1,1-T0,2022-12-30 10:00:00,2022-12-30 10:01:00,false,false,,,true,false,8,false",
            "1-b,1,1-T0,2023-01-05 10:00:00,2023-01-05 10:01:00,true,true,,,true,true,8,true",
            # T1 flight + hotel with a flight discount; a browse; T2 hotel only with a hotel discount
            "1-c,1,1-T1,2023-01-06 10:00:00,2023-01-06 10:02:00.500,true,false,0.1,,true,true,16,false",
            "1-d,1,,2023-01-07 10:00:00,2023-01-07 10:00:30,false,false,,,false,false,4,false",
            "1-e,1,1-T2,2023-01-08 10:00:00,2023-01-08 10:01:00,false,true,,0.15,false,true,9,false",
            # T3 flight only, booked in the window and cancelled later
            "1-f,1,1-T3,2023-01-09 10:00:00,2023-01-09 10:01:00,false,false,,,true,false,9,false",
            "1-g,1,1-T3,2023-02-01 10:00:00,2023-02-01 10:01:00,true,true,,,true,true,3,true",
            # user 2: one session before the window, three browses in it (one duplicated row), t/f flags
            "2-a,2,,2022-11-01 09:00:00,2022-11-01 09:01:00,f,f,,,f,f,5,f",
            "2-b,2,,2023-01-04 00:00:00,2023-01-04 00:01:00,f,t,,0.05,f,f,5,f",
            "2-b,2,,2023-01-04 00:00:00,2023-01-04 00:01:00,f,t,,0.05,f,f,5,f",
            "2-c,2,,2023-03-01 09:00:00,2023-03-01 09:01:00,False,False,,,False,False,5,False",
            "2-d,2,,2023-07-28 09:00:00,2023-07-28 09:01:00,0,0,,,0,0,5,0",
            # user 3: two window sessions only (not in the cohort)
            "3-a,3,,2023-01-10 09:00:00,2023-01-10 09:01:00,True,True,0.2,0.2,False,False,5,False",
            "3-b,3,,2023-01-11 09:00:00,2023-01-11 09:01:00,True,True,0.2,0.2,False,False,5,False",
            # user 9 is not in users: dropped, although three window sessions would make a cohort user
            "9-a,9,,2023-01-10 09:00:00,2023-01-10 09:01:00,false,false,,,false,false,5,false",
            "9-b,9,,2023-01-11 09:00:00,2023-01-11 09:01:00,false,false,,,false,false,5,false",
            "9-c,9,,2023-01-12 09:00:00,2023-01-12 09:01:00,false,false,,,false,false,5,false",
        ]
    )
    + "\n"
)

FLIGHTS = """trip_id,origin_airport,destination,destination_airport,seats,return_flight_booked,departure_time,return_time,checked_bags,trip_airline,destination_airport_lat,destination_airport_lon,base_fare_usd
1-T0,LGA,miami,MIA,1,false,2023-01-20 08:00:00,,7,delta air lines,25.793,-80.29,300.0
1-T1,LGA,paris,CDG,2,true,2023-02-10 08:00:00,2023-02-13 18:00:00,2,air france,49.01,2.55,500.5
1-T3,LGA,rome,FCO,1,true,2023-03-01 08:00:00,2023-03-05 18:00:00,5,alitalia,41.8,12.25,1000.0
"""

HOTELS = """trip_id,hotel_name,nights,rooms,check_in_time,check_out_time,hotel_per_room_usd
1-T1,Hilton - paris,2,1,2023-02-10 15:30:00.123,2023-02-13 11:00:00,150.0
1-T2,NH Hotel  - boston,0,1,2023-03-01 09:00:00,2023-03-01 13:00:00,99.0
"""


@pytest.fixture
def bronze_folder(tmp_path: Path) -> Path:
    for name, text in {"users": USERS, "sessions": SESSIONS, "flights": FLIGHTS, "hotels": HOTELS}.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("check_in", "check_out", "nights"),
    [
        ("2023-02-10 15:30:00.123", "2023-02-13 11:00:00", 3),  # 11:00 check-out: dates differ by 3
        ("2023-03-01 09:00:00", "2023-03-01 13:00:00", 1),  # same day, check-out after 12:00: +1
        ("2023-03-01 23:00:00", "2023-03-02 12:00:00", 1),  # exactly 12:00 is within the grace hour
        ("2023-05-05 14:00:00", "2023-05-04 11:00:00", 0),  # check-out before check-in: max(0, -1)
    ],
)
def test_hotel_nights_row_rule(check_in: str, check_out: str, nights: int) -> None:
    row = pd.Series({"check_in_time": pd.Timestamp(check_in), "check_out_time": pd.Timestamp(check_out)})
    assert hotel_nights(row) == nights


def test_baseline_features_match_hand_computed_values(bronze_folder: Path) -> None:
    result = run_baseline(folder=bronze_folder, start_date=date(2023, 1, 4), min_sessions=3, k=2, seed=0)
    f = result.features
    # Cohort: user 1 (6 window sessions), user 2 (3 distinct window sessions, 2023-01-04 00:00
    # included); user 3 has 2; user 9 is unknown.
    assert f.index.tolist() == [1, 2]
    # User 1: gold sessions b..g = 6; cancellations b, g -> 2/6; non-cancellation c, d, e, f,
    # discounts on c and e -> 2/4; kept trips T1 (flight+hotel) and T2 (hotel): T0 booked before
    # the window, T3 cancelled. Nights: T1 3 (not the reported 2), T2 1 (check-out 13:00).
    assert f.loc[1, "total_sessions"] == 6
    assert f.loc[1, "cancellation_rate"] == pytest.approx(1 / 3)
    assert f.loc[1, "discount_usage_rate"] == pytest.approx(0.5)
    assert f.loc[1, "total_nights"] == 4
    assert f.loc[1, "total_checked_bags"] == 2
    assert f.loc[1, "total_base_fare"] == pytest.approx(500.5)
    # User 2: 3 browse sessions (duplicate row dropped), one hotel discount ('t') -> 1/3, no trips.
    assert f.loc[2].tolist() == pytest.approx([3, 0.0, 1 / 3, 0, 0, 0.0])
    assert len(result.labels) == 2
    assert sorted(result.timings) == sorted(
        ["read", "clean", "nights_apply", "session_types", "cohort_features", "kmeans"]
    )


def test_baseline_cohort_follows_min_sessions_and_start_date(bronze_folder: Path) -> None:
    # min_sessions 2 lets user 3 in; a start on 2023-01-05 leaves user 2 with only 2 sessions.
    wide = run_baseline(folder=bronze_folder, start_date=date(2023, 1, 4), min_sessions=2, k=2, seed=0)
    late = run_baseline(folder=bronze_folder, start_date=date(2023, 1, 5), min_sessions=3, k=1, seed=0)
    assert wide.features.index.tolist() == [1, 2, 3]
    assert late.features.index.tolist() == [1]
    # Starting 2023-01-05 still keeps user 1's cancellation of T0 and both kept trips.
    assert late.features.loc[1, "total_sessions"] == 6
    assert late.features.loc[1, "total_nights"] == 4


def test_kmeans_separates_obvious_groups() -> None:
    features = pd.DataFrame(
        {
            "total_sessions": [7, 8, 7, 30, 31, 29],
            "cancellation_rate": [0.0, 0.0, 0.1, 0.5, 0.6, 0.5],
            "discount_usage_rate": [0.1, 0.1, 0.2, 0.9, 0.8, 0.9],
            "total_nights": [0, 1, 0, 20, 22, 21],
            "total_checked_bags": [0, 0, 1, 6, 5, 6],
            "total_base_fare": [0.0, 100.0, 50.0, 5000.0, 5200.0, 4900.0],
        }
    )
    labels, inertia = kmeans_segments(features=features, k=2, seed=0)
    assert len(set(labels[:3])) == 1 and len(set(labels[3:])) == 1
    assert labels[0] != labels[3]
    assert inertia > 0 and np.isfinite(inertia)
