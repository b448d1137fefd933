"""The sample generator against SPEC §1 and the real rows in tests/data/: formats,
invariants, shares, determinism and the dirty-mode faults."""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from helpers.data import COHORT_EXTRACT, DISTINCT_VALUES
from traveltide.contract.bronze import LAYER
from traveltide.sample import DIRTY_FAULTS_FILE, write_sample
from traveltide.sample.model import simulate

USERS = 4000
SEED = 7


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    write_sample(out=out, users=USERS, seed=SEED)
    return out


@pytest.fixture(scope="module")
def dirty_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dirty")
    write_sample(out=out, users=1500, seed=SEED, dirty=True)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def raw(sample_dir: Path) -> dict[str, list[dict[str, str]]]:
    return {t.name: _rows(sample_dir / f"{t.name}.csv") for t in LAYER.published}


def _load(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """The four CSVs as typed tables, with the bronze contract's types and strict parsing."""
    for t in LAYER.published:
        rel = con.read_csv(
            str(folder / f"{t.name}.csv"),
            header=True,
            sep=",",
            auto_detect=False,
            columns={c.name: c.type for c in t.columns},
            timestamp_format="%Y-%m-%d %H:%M:%S.%f",
        )
        rel.create(t.name)


@pytest.fixture(scope="module")
def con(sample_dir: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    _load(c, sample_dir)
    return c


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchall()[0]


def _ts(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f")


# --- files and formats ------------------------------------------------------------------------


def test_writes_the_four_files_with_contract_headers(sample_dir: Path) -> None:
    for t in LAYER.published:
        header = (sample_dir / f"{t.name}.csv").read_text().splitlines()[0]
        assert header == ",".join(t.column_names)
    assert not (sample_dir / DIRTY_FAULTS_FILE).exists()


def test_loads_with_contract_types_and_row_counts(con: duckdb.DuckDBPyConnection, raw: dict) -> None:
    for t in LAYER.published:
        assert _one(con, f"select count(*) from {t.name}")[0] == len(raw[t.name])
    assert len(raw["users"]) == USERS
    # Real ratios: 5.30 sessions, 1.86 flights and 1.88 hotels per user.
    assert 4.6 < len(raw["sessions"]) / USERS < 6.0
    assert 1.5 < len(raw["flights"]) / USERS < 2.2
    assert 1.5 < len(raw["hotels"]) / USERS < 2.3


def test_no_quotes_and_only_true_false_booleans(sample_dir: Path, raw: dict) -> None:
    for t in LAYER.published:
        assert '"' not in (sample_dir / f"{t.name}.csv").read_text()
        for col in (c.name for c in t.columns if c.type == "BOOLEAN"):
            assert {r[col] for r in raw[t.name]} <= {"true", "false"}, (t.name, col)


def test_id_formats(raw: dict) -> None:
    hex_id = re.compile(r"^(\d+)-[0-9a-f]{32}$")
    for r in raw["sessions"]:
        m = hex_id.match(r["session_id"])
        assert m and m.group(1) == r["user_id"]
        if r["trip_id"]:
            m = hex_id.match(r["trip_id"])
            assert m and m.group(1) == r["user_id"]
    for table in ("flights", "hotels"):
        assert all(hex_id.match(r["trip_id"]) for r in raw[table])
    ids = [r["session_id"] for r in raw["sessions"]]
    assert len(set(ids)) == len(ids)
    assert [int(r["user_id"]) for r in raw["users"]] == list(range(USERS))


def test_timestamp_formats(raw: dict) -> None:
    ts = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
    for r in raw["sessions"]:
        assert ts.match(r["session_start"]) and ts.match(r["session_end"])
        if r["cancellation"] == "false":  # minute precision, like the real rows
            assert r["session_start"].endswith(":00.000000")
    for r in raw["flights"]:
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:00:00\.000000$", r["departure_time"])
    for r in raw["hotels"]:
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}000$", r["check_in_time"])  # milliseconds
        assert r["check_out_time"].endswith(" 11:00:00.000000")
    for r in raw["users"]:
        assert re.match(r"^\d{4}-\d\d-\d\d$", r["birthdate"]) and re.match(r"^\d{4}-\d\d-\d\d$", r["sign_up_date"])


def test_value_formats(raw: dict) -> None:
    coord = re.compile(r"^-?\d{1,3}(\.\d{1,3})?$")
    iata = re.compile(r"^[A-Z]{3}$")
    for r in raw["users"]:
        assert r["gender"] in {"F", "M", "O"}
        assert r["home_country"] in {"usa", "canada"}
        assert r["home_city"] == r["home_city"].lower() and iata.match(r["home_airport"])
        assert coord.match(r["home_airport_lat"]) and coord.match(r["home_airport_lon"])
    for r in raw["flights"]:
        assert iata.match(r["origin_airport"]) and iata.match(r["destination_airport"])
        assert r["destination"] == r["destination"].lower()
        assert coord.match(r["destination_airport_lat"]) and coord.match(r["destination_airport_lon"])
        assert re.match(r"^\d+(\.\d{1,2})?$", r["base_fare_usd"])
    for r in raw["hotels"]:
        assert re.match(r"^\d+$", r["hotel_per_room_usd"])  # whole dollars
        assert re.match(r"^.+ - [a-z .'-]+$", r["hotel_name"])
    steps = {f"{k / 20:g}" for k in range(1, 13)}
    for r in raw["sessions"]:
        for col in ("flight_discount_amount", "hotel_discount_amount"):
            assert r[col] == "" or r[col] in steps


def test_hotel_brands_match_the_real_ones(raw: dict) -> None:
    real = {r["hotel_name"].split("- ")[0][:-1] for r in _rows(COHORT_EXTRACT / "hotels.csv")}
    ours = {r["hotel_name"].split("- ")[0][:-1] for r in raw["hotels"]}
    assert len(real) == 20
    assert ours == real
    assert sum(b.endswith(" ") for b in ours) == 8
    assert any("  - " in r["hotel_name"] for r in raw["hotels"])


def test_airlines_airports_and_cities_are_real(raw: dict) -> None:
    real_f = _rows(DISTINCT_VALUES / "flights.csv")
    real_u = _rows(DISTINCT_VALUES / "users.csv")
    assert {r["trip_airline"] for r in raw["flights"]} <= {r["trip_airline"] for r in real_f}
    assert {(r["destination"], r["destination_airport"]) for r in raw["flights"]} <= {
        (r["destination"], r["destination_airport"]) for r in real_f
    }
    assert {(r["home_city"], r["home_airport"], r["home_country"]) for r in raw["users"]} <= {
        (r["home_city"], r["home_airport"], r["home_country"]) for r in real_u
    }


# --- invariants ---------------------------------------------------------------------------------


def test_cancellation_quirk(con: duckdb.DuckDBPyConnection) -> None:
    bad = _one(
        con,
        """
        select count(*) from sessions
        where cancellation and not (flight_discount and hotel_discount and flight_booked and hotel_booked
              and flight_discount_amount is null and hotel_discount_amount is null and trip_id is not null)""",
    )[0]
    assert bad == 0
    # Each cancellation follows its own trip's booking session, at most one per trip.
    unmatched = _one(
        con,
        """
        select count(*) from sessions c
        where c.cancellation and not exists (
            select 1 from sessions b where b.trip_id = c.trip_id and not b.cancellation
              and b.user_id = c.user_id and b.session_start < c.session_start)""",
    )[0]
    assert unmatched == 0
    assert _one(con, "select max(n) from (select count(*) n from sessions where cancellation group by trip_id)")[0] == 1
    assert (
        _one(
            con,
            "select count(*) - count(distinct trip_id) from sessions where not cancellation and trip_id is not null",
        )[0]
        == 0
    )
    # The trip rows of cancelled trips remain.
    kept = _one(
        con,
        """select count(*) from sessions c where c.cancellation and not exists
                        (select 1 from flights f where f.trip_id = c.trip_id)
                        and not exists (select 1 from hotels h where h.trip_id = c.trip_id)""",
    )[0]
    assert kept == 0


def test_booked_flags_match_trip_rows(con: duckdb.DuckDBPyConnection) -> None:
    mismatch = _one(
        con,
        """
        select count(*) from sessions s
        where not s.cancellation and (
            s.flight_booked <> exists (select 1 from flights f where f.trip_id = s.trip_id)
            or s.hotel_booked <> exists (select 1 from hotels h where h.trip_id = s.trip_id)
            or (s.trip_id is null) <> not (s.flight_booked or s.hotel_booked))""",
    )[0]
    assert mismatch == 0
    orphans = _one(
        con,
        """select count(*) from (select trip_id from flights union select trip_id from hotels) t
                           where trip_id not in (select trip_id from sessions where trip_id is not null)""",
    )[0]
    assert orphans == 0


def test_discount_amount_null_unless_offered(con: duckdb.DuckDBPyConnection) -> None:
    bad = _one(
        con,
        """select count(*) from sessions where not cancellation and (
        (flight_discount_amount is null) = flight_discount or (hotel_discount_amount is null) = hotel_discount)""",
    )[0]
    assert bad == 0


def test_return_time_null_exactly_without_return(raw: dict) -> None:
    for r in raw["flights"]:
        assert (r["return_time"] == "") == (r["return_flight_booked"] == "false")
        if r["return_time"]:
            assert _ts(r["return_time"]) >= _ts(r["departure_time"])


def test_nights_follow_the_source_rule(raw: dict) -> None:
    for r in raw["hotels"]:
        check_in, check_out = _ts(r["check_in_time"]), _ts(r["check_out_time"])
        hour = check_in.replace(minute=0, second=0, microsecond=0)
        assert int(r["nights"]) == math.floor((check_out - hour) / timedelta(days=1)), r
    share = sum(int(r["nights"]) <= 0 for r in raw["hotels"]) / len(raw["hotels"])
    assert 0.04 < share < 0.13  # about 8 % in the real data (9.1 % in the cohort extract)


def test_bundles_stay_in_the_destination_city_soon_after_departure(raw: dict) -> None:
    flights = {r["trip_id"]: r for r in raw["flights"]}
    bundles = 0
    for h in raw["hotels"]:
        f = flights.get(h["trip_id"])
        check_in = _ts(h["check_in_time"])
        if f is None:  # hotel only: check-in at 11:00 sharp, as in the real rows
            assert check_in.time().isoformat() == "11:00:00"
            continue
        bundles += 1
        assert h["hotel_name"].split(" - ")[1] == f["destination"]
        gap = (check_in - _ts(f["departure_time"])) / timedelta(hours=1)
        assert 2 <= gap <= 22
        if f["return_time"]:
            assert _ts(h["check_out_time"]).date() <= _ts(f["return_time"]).date()
    assert bundles > 0.6 * len(raw["hotels"])


def test_origin_is_home_airport_and_destination_elsewhere(con: duckdb.DuckDBPyConnection) -> None:
    bad = _one(
        con,
        """select count(*) from flights f join users u on u.user_id = split_part(f.trip_id, '-', 1)::int
                       where f.origin_airport <> u.home_airport or f.destination = u.home_city""",
    )[0]
    assert bad == 0


def test_sessions_after_sign_up_within_the_export_period(con: duckdb.DuckDBPyConnection) -> None:
    before = _one(
        con,
        """select count(*) from sessions s join users u using (user_id)
                          where s.session_start::date < u.sign_up_date""",
    )[0]
    assert before == 0
    lo, hi = _one(con, "select min(session_start), max(session_start) from sessions")
    assert lo >= datetime(2021, 4, 1) and hi < datetime(2023, 7, 29)
    assert _one(con, "select count(*) from sessions where session_end < session_start")[0] == 0
    assert _one(con, "select count(*) from (select user_id from users except select user_id from sessions)")[0] == 0


def test_sign_up_dates_follow_user_id_over_the_real_range(raw: dict) -> None:
    days = [date.fromisoformat(r["sign_up_date"]) for r in raw["users"]]
    assert days == sorted(days)
    assert days[0] == date(2021, 4, 1) and date(2023, 7, 15) <= days[-1] <= date(2023, 7, 28)
    # Real: user 503,042 of 1,020,926 signed up on 2023-01-01.
    assert date(2022, 12, 15) <= days[int(USERS * 503_042 / 1_020_926)] <= date(2023, 1, 15)


def test_session_volume_grows_over_time(con: duckdb.DuckDBPyConnection) -> None:
    per_half = dict(
        con.execute("""select year(session_start) * 10 + (month(session_start) > 6)::int, count(*)
                                   from sessions group by 1""").fetchall()
    )
    assert per_half[20211] < per_half[20220] < per_half[20221] < per_half[20230]


# --- shares and value ranges --------------------------------------------------------------------


def test_session_kind_shares(con: duckdb.DuckDBPyConnection) -> None:
    browse, booking, cancel = _one(
        con,
        """select avg((trip_id is null)::int), avg((trip_id is not null and not cancellation)::int),
                                           avg(cancellation::int) from sessions""",
    )
    assert browse == pytest.approx(0.57, abs=0.03)
    assert booking == pytest.approx(0.415, abs=0.03)
    assert cancel == pytest.approx(0.017, abs=0.007)
    both, flight, hotel = _one(
        con,
        """select avg((flight_booked and hotel_booked)::int), avg((flight_booked and not hotel_booked)::int),
                                       avg((hotel_booked and not flight_booked)::int) from sessions
                                       where trip_id is not null and not cancellation""",
    )
    assert (both, flight, hotel) == pytest.approx((0.70, 0.145, 0.155), abs=0.03)


def test_marginals_close_to_the_parquet_sessions(con: duckdb.DuckDBPyConnection) -> None:
    # Real (23,825 sessions): browse offers 16.8 % flight / 11.6 % hotel, median clicks 8 (browse), 21 (booking).
    fd, hd, clicks = _one(
        con,
        """select avg(flight_discount::int), avg(hotel_discount::int), median(page_clicks)
                                  from sessions where trip_id is null""",
    )
    assert fd == pytest.approx(0.168, abs=0.03) and hd == pytest.approx(0.116, abs=0.03)
    assert 6 <= clicks <= 11
    assert (
        17
        <= _one(con, "select median(page_clicks) from sessions where trip_id is not null and not cancellation")[0]
        <= 25
    )
    per_click = _one(con, "select regr_slope(epoch(session_end) - epoch(session_start), page_clicks) from sessions")[0]
    assert per_click == pytest.approx(7.4, abs=0.3)
    common = _one(con, "select mode(flight_discount_amount), mode(hotel_discount_amount) from sessions")
    assert common == (0.1, 0.1)


def test_flight_and_hotel_marginals(con: duckdb.DuckDBPyConnection) -> None:
    # Real cohort flights: return booked 95.7 %, 1 seat 85.3 %, 0 bags 48.5 %, 1 bag 46.1 %, 07:00 departures 34 %.
    ret, one_seat, no_bag, one_bag, seven = _one(
        con,
        """select avg(return_flight_booked::int), avg((seats = 1)::int),
        avg((checked_bags = 0)::int), avg((checked_bags = 1)::int), avg((hour(departure_time) = 7)::int) from flights""",
    )
    assert ret == pytest.approx(0.957, abs=0.02)
    assert one_seat == pytest.approx(0.853, abs=0.03)
    assert no_bag == pytest.approx(0.485, abs=0.06) and one_bag == pytest.approx(0.461, abs=0.06)
    assert seven == pytest.approx(0.344, abs=0.04)
    one_room, med_price = _one(con, "select avg((rooms = 1)::int), median(hotel_per_room_usd) from hotels")
    assert one_room == pytest.approx(0.844, abs=0.03)
    assert med_price == pytest.approx(148, rel=0.1)


def test_value_ranges_like_the_real_rows(con: duckdb.DuckDBPyConnection) -> None:
    real = duckdb.connect()
    base = COHORT_EXTRACT
    real.read_csv(str(base / "flights.csv"), sample_size=-1).create("flights")
    real.read_csv(str(base / "hotels.csv"), sample_size=-1).create("hotels")
    q = """select quantile_cont(base_fare_usd, 0.5), max(seats), max(checked_bags),
                  (select quantile_cont(hotel_per_room_usd, 0.5) from hotels), (select max(rooms) from hotels),
                  (select quantile_cont(nights, 0.5) from hotels) from flights"""
    r_fare, r_seats, r_bags, r_price, r_rooms, r_nights = _one(real, q)
    fare, seats, bags, price, rooms, nights = _one(con, q)
    assert fare == pytest.approx(r_fare, rel=0.25)
    assert price == pytest.approx(r_price, rel=0.15)
    assert seats <= r_seats and bags <= r_bags + 2 and rooms <= r_rooms
    assert abs(nights - r_nights) <= 1
    assert _one(
        con,
        """select (select min(base_fare_usd) from flights) > 0, (select min(hotel_per_room_usd) from hotels) > 0,
                              (select min(page_clicks) from sessions) >= 1""",
    ) == (True, True, True)


def test_users_differ_in_ways_a_segmentation_can_find(con: duckdb.DuckDBPyConnection) -> None:
    """Per-user rates spread more than they would if every user drew from the same rates."""
    for sql in (
        """select avg(checked_bags) m, count(*) n from flights group by split_part(trip_id, '-', 1) having n >= 3""",
        """select avg((flight_discount or hotel_discount)::int) m, count(*) n from sessions
           where not cancellation group by user_id having n >= 5""",
    ):
        m, n = np.array(con.execute(sql).fetchall(), dtype=float).T
        p = np.average(m, weights=n)
        # Under a common rate the per-user means vary around p with variance ~ p(1-p)/n (bags: var/n).
        observed = np.var(m)
        expected = np.mean(p * (1 - p) / n) if p < 1 else np.mean(0.35 / n)
        assert observed > 1.5 * expected, sql
    cancellers = _one(
        con, "select count(*) from (select user_id from sessions where cancellation group by 1 having count(*) >= 2)"
    )[0]
    trips = _one(con, "select count(*) from sessions where cancellation")[0]
    assert cancellers >= 0.1 * trips  # cancellations cluster on some users


# --- cohort calibration and determinism ---------------------------------------------------------


def test_cohort_shares_match_the_real_database() -> None:
    """Real: 24,724 (2.42 %) users with >= 7 sessions since 2023-01-04, 5,998 (0.59 %) with >= 8."""
    n = 60_000
    s = simulate(users=n, seed=11).sessions
    window = s["session_start"] >= np.datetime64("2023-01-04", "us").astype(np.int64)
    counts = np.bincount(s["user"][window], minlength=n)
    assert (counts >= 7).mean() == pytest.approx(24_724 / 1_020_926, rel=0.2)
    assert (counts >= 8).mean() == pytest.approx(5_998 / 1_020_926, rel=0.35)  # ~1.2x, see sample_model
    assert len(s["user"]) / n == pytest.approx(5_408_063 / 1_020_926, rel=0.06)


def test_user_base_and_session_years_match_the_real_database_while_the_cohort_stays_female() -> None:
    """Real base: M 54.8 %, F 44.4 %, O 0.8 %, 58.4 % of sessions in 2023; the cohort extract
    (>= 7 sessions since 2023-01-04 here) is 89.5 % female in its first 400 users."""
    n = 60_000
    arrays = simulate(users=n, seed=11)
    gender, s = arrays.users["gender"], arrays.sessions
    assert {g: (gender == g).mean() for g in "MFO"} == pytest.approx({"M": 0.548, "F": 0.444, "O": 0.008}, abs=0.02)
    start = s["session_start"]
    assert (start >= np.datetime64("2023-01-01", "us").astype(np.int64)).mean() == pytest.approx(0.584, abs=0.03)
    window = start >= np.datetime64("2023-01-04", "us").astype(np.int64)
    cohort = np.bincount(s["user"][window], minlength=n) >= 7
    real = pd.read_csv(COHORT_EXTRACT / "users.csv").gender.eq("F").mean()
    assert (gender[cohort] == "F").mean() == pytest.approx(real, abs=0.05)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = write_sample(out=tmp_path / "a", users=300, seed=5)
    b = write_sample(out=tmp_path / "b", users=300, seed=5)
    c = write_sample(out=tmp_path / "c", users=300, seed=6)
    for t in a:
        assert a[t].read_bytes() == b[t].read_bytes()
        assert a[t].read_bytes() != c[t].read_bytes()


def test_rejects_non_positive_user_count(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"users must be at least 1 \(got 0\)"):
        write_sample(out=tmp_path, users=0)


# --- dirty mode ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def faults(dirty_dir: Path) -> dict:
    return json.loads((dirty_dir / DIRTY_FAULTS_FILE).read_text())["tables"]


def test_dirty_faults_are_listed_and_counted(faults: dict) -> None:
    expected = {
        "users": {"duplicate_rows": 2, "unparsable_rows": 1, "null_values": 1},
        "sessions": {"duplicate_rows": 3, "unparsable_rows": 2, "null_values": 2, "orphan_trip_ids": 3},
        "flights": {"duplicate_rows": 2, "unparsable_rows": 1, "null_values": 1},
        "hotels": {"duplicate_rows": 2, "unparsable_rows": 1, "null_values": 1},
    }
    assert {t: f["counts"] for t, f in faults.items()} == expected


def test_dirty_lines_hold_what_the_list_says(dirty_dir: Path, faults: dict) -> None:
    for table, f in faults.items():
        lines = (dirty_dir / f"{table}.csv").read_text().splitlines()
        header = lines[0].split(",")
        for d in f["duplicate_rows"]:
            assert lines[d["line"] - 1] == lines[d["duplicate_of_line"] - 1]
            assert lines[d["line"] - 1].split(",")[0] == str(d["key"])
        for u in f["unparsable_rows"]:
            fields = lines[u["line"] - 1].split(",")
            assert fields[0] == str(u["key"]) and fields[header.index(u["column"])] == u["value"]
        for nv in f["null_values"]:
            fields = lines[nv["line"] - 1].split(",")
            assert fields[0] == str(nv["key"]) and fields[header.index(nv["column"])] == ""
        assert len(lines) == len(set(lines)) + len(f["duplicate_rows"])


def test_dirty_unparsable_rows_fail_typed_parsing_and_nothing_else_does(dirty_dir: Path, faults: dict) -> None:
    con = duckdb.connect()
    for t in LAYER.published:
        rel = con.read_csv(str(dirty_dir / f"{t.name}.csv"), header=True, all_varchar=True)
        rel.create(t.name)
        checks = " or ".join(f"({c.name} is not null and try_cast({c.name} as {c.type}) is null)" for c in t.columns)
        bad = con.execute(f"select {t.column_names[0]} from {t.name} where {checks}").fetchall()
        assert sorted(str(b[0]) for b in bad) == sorted(str(u["key"]) for u in faults[t.name]["unparsable_rows"])
        key = LAYER.table(t.name).primary_key[0]
        assert con.execute(f"select count(*) from {t.name} where {key} is null").fetchall()[0][0] == 0
    assert con.execute("select count(*) from sessions where user_id is null").fetchall()[0][0] == 0


def test_dirty_orphan_trip_ids_have_no_trip_rows(dirty_dir: Path, faults: dict) -> None:
    orphans = faults["sessions"]["orphan_trip_ids"]
    trip_ids = {r["trip_id"] for name in ("flights", "hotels") for r in _rows(dirty_dir / f"{name}.csv")}
    booked = {r["trip_id"] for r in _rows(dirty_dir / "sessions.csv") if r["trip_id"]}
    assert set(orphans) <= booked
    assert not set(orphans) & trip_ids
    assert booked - trip_ids == set(orphans)
    assert Counter(len(o.split("-")[1]) for o in orphans) == {32: 3}
