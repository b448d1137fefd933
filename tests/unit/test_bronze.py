"""The bronze loader on tiny hand-written exports: formats accepted, bad input reported, nothing lost."""

from __future__ import annotations

import gzip
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from helpers.data import COHORT_EXTRACT, COHORT_EXTRACT_BLANK_FALSE, NOTEBOOK_SESSIONS
from traveltide.bronze import BronzeError, load_bronze, read_header
from traveltide.contract.bronze import LAYER

HEADERS = {t.name: ",".join(t.column_names) for t in LAYER.published}

GOOD = {
    "users": [
        "1,1980-02-03,F,true,false,usa,new york,JFK,40.640,-73.779,2021-05-01",
        "2,1990-12-31,M,False,True,canada,toronto,YYZ,43.677,-79.631,2022-01-15",
    ],
    "sessions": [
        "1-aa,1,,2023-01-04 10:00:00,2023-01-04 10:01:00,f,f,,,f,f,8,f",
        "1-bb,1,1-t1,2023-02-01 09:30:00,2023-02-01 09:32:00,t,f,0.15,,t,t,16,f",
        "2-cc,2,2-t2,2023-03-01 12:00:00,2023-03-01 12:00:30,0,1,,0.1,1,0,4,0",
    ],
    "flights": [
        "1-t1,JFK,toronto,YYZ,1,true,2023-02-10 07:00:00.000000,2023-02-14 07:00:00.000000,1,Air Canada,43.677,-79.631,320.5",
    ],
    "hotels": [
        "1-t1,NH Hotel  - toronto,3,1,2023-02-10 13:32:21.030000,2023-02-14 11:00:00.000000,110",
        "2-t2,Choice Hotels - montreal,2,1,2023-03-01 20:06:24,2023-03-03 11:00:00,87",
    ],
}


def write_exports(
    folder: Path, overrides: dict[str, bytes] | None = None, names: dict[str, str] | None = None
) -> dict[str, Path]:
    """The four exports of GOOD in ``folder``; ``overrides`` replaces a table's whole file content."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for table, rows in GOOD.items():
        path = folder / (names or {}).get(table, f"{table}.csv")
        content = (overrides or {}).get(table)
        if content is None:
            content = ("\n".join([HEADERS[table], *rows]) + "\n").encode()
        path.write_bytes(content)
        files[table] = path
    return files


def data_lines(path: Path) -> int:
    """Non-blank lines after the header, counted independently of the loader."""
    raw = gzip.decompress(path.read_bytes()) if path.read_bytes()[:2] == b"\x1f\x8b" else path.read_bytes()
    return sum(1 for line in raw.splitlines()[1:] if line.strip())


@pytest.fixture
def con():
    with duckdb.connect() as c:
        yield c


def test_loads_every_table_with_contract_names_types_and_order(tmp_path, con):
    report = load_bronze(con=con, files=write_exports(tmp_path))
    assert report.rows == {"users": 2, "sessions": 3, "flights": 1, "hotels": 2}
    assert report.rejected == {"users": 0, "sessions": 0, "flights": 0, "hotels": 0}
    assert report.warnings == ()
    for table in LAYER.published:
        described = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'bronze' and table_name = ? order by ordinal_position",
            [table.name],
        ).fetchall()
        assert described == [(c.name, c.type) for c in table.columns]
    assert con.execute("select count(*) from bronze.rejects").fetchall() == [(0,)]


def test_values_are_typed_as_written(tmp_path, con):
    load_bronze(con=con, files=write_exports(tmp_path))
    assert con.execute("select * from bronze.users where user_id = 2").fetchall() == [
        (2, date(1990, 12, 31), "M", False, True, "canada", "toronto", "YYZ", 43.677, -79.631, date(2022, 1, 15))
    ]
    assert con.execute("select * from bronze.sessions where session_id = '2-cc'").fetchall() == [
        (
            "2-cc",
            2,
            "2-t2",
            datetime(2023, 3, 1, 12),
            datetime(2023, 3, 1, 12, 0, 30),
            False,
            True,
            None,
            0.1,
            True,
            False,
            4,
            False,
        )
    ]
    # the double space of the brand is kept; empty fields are NULL
    assert con.execute("select hotel_name, check_in_time from bronze.hotels where trip_id = '1-t1'").fetchall() == [
        ("NH Hotel  - toronto", datetime(2023, 2, 10, 13, 32, 21, 30000))
    ]
    assert con.execute("select trip_id from bronze.sessions where session_id = '1-aa'").fetchall() == [(None,)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("false", False),
        ("True", True),
        ("False", False),
        ("t", True),
        ("f", False),
        ("1", True),
        ("0", False),
        ('"true"', True),
        ("", None),
    ],
)
def test_boolean_formats(tmp_path, con, text, expected):
    row = f"9,1980-01-01,F,{text},{text},usa,boston,BOS,42.364,-71.005,2021-05-01"
    files = write_exports(tmp_path, {"users": f"{HEADERS['users']}\n{row}\n".encode()})
    load_bronze(con=con, files=files)
    assert con.execute("select married, has_children from bronze.users").fetchall() == [(expected, expected)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-02-10 07:00:00", datetime(2023, 2, 10, 7)),
        ("2023-02-10 07:00:00.000000", datetime(2023, 2, 10, 7)),
        ("2023-02-10 13:32:21.03", datetime(2023, 2, 10, 13, 32, 21, 30000)),
        ('"2023-02-10 07:00:00"', datetime(2023, 2, 10, 7)),
        ('"2023-02-10 13:32:21.030000"', datetime(2023, 2, 10, 13, 32, 21, 30000)),
        # A UTC offset is converted to UTC (the source stores UTC without a zone), never stripped.
        ("2023-02-10 09:00:00+02", datetime(2023, 2, 10, 7)),
        ("2023-02-10 02:00:00-05:00", datetime(2023, 2, 10, 7)),
        ("2023-02-10T07:00:00Z", datetime(2023, 2, 10, 7)),
        ("2023-02-10 07:00:00+00", datetime(2023, 2, 10, 7)),
        ("2023-02-11 00:30:00+05:30", datetime(2023, 2, 10, 19)),
    ],
)
def test_timestamp_formats(tmp_path, con, text, expected):
    row = f'"1-t1","NH Hotel  - toronto",3,1,{text},{text},"110"'
    files = write_exports(tmp_path, {"hotels": f"{HEADERS['hotels']}\n{row}\n".encode()})
    load_bronze(con=con, files=files)
    assert con.execute("select check_in_time, check_out_time, hotel_per_room_usd from bronze.hotels").fetchall() == [
        (expected, expected, 110.0)
    ]


def test_gzip_and_awkward_paths(tmp_path, con):
    folder = tmp_path / "it's a folder with spaces, ünïcödé"
    files = write_exports(folder)
    gz = folder / "sess'ions ä.csv.gz"
    gz.write_bytes(gzip.compress(files["sessions"].read_bytes()))
    files["sessions"] = gz
    plain_users = files["users"]
    renamed = folder / 'users "quoted";.csv'
    plain_users.rename(renamed)
    files["users"] = renamed
    report = load_bronze(con=con, files=files)
    assert report.rows["sessions"] == 3
    assert report.rows["users"] == 2
    assert report.files["sessions"] == str(gz)


def test_gzip_detected_by_content_not_name(tmp_path, con):
    files = write_exports(tmp_path)
    files["flights"].write_bytes(gzip.compress(files["flights"].read_bytes()))  # still named .csv
    assert load_bronze(con=con, files=files).rows["flights"] == 1


def test_columns_in_another_order_are_matched_by_name(tmp_path, con):
    header = "user_id,sign_up_date,home_airport_lon,home_airport_lat,home_airport,home_city,home_country,has_children,married,gender,birthdate"
    row = "7,2021-05-01,-73.779,40.640,JFK,new york,usa,true,false,O,1975-06-07"
    files = write_exports(tmp_path, {"users": f"{header}\n{row}\n".encode()})
    load_bronze(con=con, files=files)
    assert con.execute("select * from bronze.users").fetchall() == [
        (7, date(1975, 6, 7), "O", False, True, "usa", "new york", "JFK", 40.640, -73.779, date(2021, 5, 1))
    ]


def test_header_names_are_trimmed_and_case_insensitive(tmp_path, con):
    header = " Trip_ID ,HOTEL_NAME,nights,rooms,check_in_time,check_out_time,hotel_per_room_usd"
    files = write_exports(tmp_path, {"hotels": f"{header}\n{GOOD['hotels'][0]}\n".encode()})
    assert load_bronze(con=con, files=files).rows["hotels"] == 1


def test_missing_column_names_file_and_column(tmp_path, con):
    header = HEADERS["flights"].replace(",checked_bags", "")
    row = "1-t1,JFK,toronto,YYZ,1,true,2023-02-10 07:00:00,2023-02-14 07:00:00,Air Canada,43.677,-79.631,320.5"
    files = write_exports(tmp_path, {"flights": f"{header}\n{row}\n".encode()})
    with pytest.raises(BronzeError, match=r"flights\.csv: the flights export lacks column\(s\) 'checked_bags';"):
        load_bronze(con=con, files=files)


def test_renamed_column_suggests_the_close_match(tmp_path, con):
    header = HEADERS["users"].replace("home_airport_lat", "home_airport_latitude")
    files = write_exports(tmp_path, {"users": f"{header}\n{GOOD['users'][0]}\n".encode()})
    with pytest.raises(
        BronzeError, match=r"users\.csv: .*'home_airport_lat' \(found 'home_airport_latitude': renamed\?\)"
    ):
        load_bronze(con=con, files=files)


def test_extra_column_is_a_warning_and_ignored(tmp_path, con):
    header = HEADERS["hotels"] + ",loyalty_tier"
    rows = [r + ",gold" for r in GOOD["hotels"]]
    files = write_exports(tmp_path, {"hotels": ("\n".join([header, *rows]) + "\n").encode()})
    report = load_bronze(con=con, files=files)
    assert report.rows["hotels"] == 2
    assert any("extra column(s) ['loyalty_tier']" in w and "hotels.csv" in w for w in report.warnings)
    columns = [r[0] for r in con.execute("describe bronze.hotels").fetchall()]
    assert columns == list(LAYER.published[3].column_names)


def test_duplicate_header_column_is_an_error(tmp_path, con):
    header = HEADERS["hotels"] + ",nights"
    rows = [r + ",3" for r in GOOD["hotels"]]
    files = write_exports(tmp_path, {"hotels": ("\n".join([header, *rows]) + "\n").encode()})
    with pytest.raises(BronzeError, match=r"hotels\.csv: column\(s\) \['nights'\] appear more than once"):
        load_bronze(con=con, files=files)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"sessions\.csv: the file is empty"),
        (HEADERS["sessions"].encode() + b"\n", r"sessions\.csv: the file has a header line but no data rows"),
        (HEADERS["sessions"].encode() + b"\n\n\n", r"sessions\.csv: the file has a header line but no data rows"),
        (HEADERS["sessions"].encode(), r"sessions\.csv: the file has a header line but no data rows"),
        (b"\n" + HEADERS["sessions"].encode() + b"\n", r"sessions\.csv: the first line is blank"),
        (
            HEADERS["sessions"].replace(",", ";").encode() + b"\n1-aa;1\n",
            r"sessions\.csv: the sessions export has a single column \(the header looks separated by ';'\)",
        ),
        (b"session_id,\xffuser_id\n", r"sessions\.csv: the header line is not UTF-8 text"),
    ],
    ids=[
        "empty",
        "header-only",
        "header-and-blank-lines",
        "header-no-newline",
        "blank-first-line",
        "wrong-delimiter",
        "non-utf8-header",
    ],
)
def test_unusable_file_is_an_error_naming_it(tmp_path, con, content, message):
    files = write_exports(tmp_path, {"sessions": content})
    with pytest.raises(BronzeError, match=message):
        load_bronze(con=con, files=files)


def test_missing_file_and_missing_table(tmp_path, con):
    files = write_exports(tmp_path)
    files["hotels"].unlink()
    with pytest.raises(BronzeError, match=r"hotels\.csv: file not found"):
        load_bronze(con=con, files=files)
    del files["hotels"]
    with pytest.raises(BronzeError, match=r"missing \['hotels'\]"):
        load_bronze(con=con, files=files)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x1f\x8b\x08\x00 this is not deflate data at all", r"users\.csv\.gz: .*gzip"),
        (None, r"users\.csv\.gz: could not be read as the users export \(.*GZIP"),
    ],
    ids=["garbage", "truncated"],
)
def test_corrupt_gzip_is_an_error_naming_the_file(tmp_path, con, content, message):
    files = write_exports(tmp_path)
    gz = tmp_path / "users.csv.gz"
    if content is None:  # a real gzip cut short after the header and some rows
        rows = "".join(f"{i},1980-01-01,F,true,false,usa,x,JFK,1.0,2.0,2021-01-01\n" for i in range(20_000))
        full = gzip.compress((HEADERS["users"] + "\n" + rows).encode())
        content = full[: len(full) // 2]
    gz.write_bytes(content)
    files["users"] = gz
    with pytest.raises(BronzeError, match=message):
        load_bronze(con=con, files=files)


def test_bad_rows_are_rejected_with_line_column_and_reason(tmp_path, con):
    lines = [
        HEADERS["sessions"],
        GOOD["sessions"][0],  # line 2 ok
        "1-xx,one,,2023-01-04 10:00:00,2023-01-04 10:01:00,f,f,,,f,f,8,f",  # 3 wrong type
        "1-yy,1,,2023-01-04 10:00:00,2023-01-04 10:01:00,f,f,,,f,f,8,f,surplus",  # 4 too many
        "1-zz,1,,2023-01-04 10:00:00",  # 5 too few
        "1-ww,1,,2023-13-45 10:00:00,2023-01-04 10:01:00,maybe,f,,,f,f,8,f",  # 6 two bad values
        GOOD["sessions"][1],  # 7 ok
    ]
    files = write_exports(tmp_path, {"sessions": ("\n".join(lines) + "\n").encode()})
    report = load_bronze(con=con, files=files)
    assert report.rows["sessions"] == 2
    assert report.rejected["sessions"] == 4
    assert report.rows["sessions"] + report.rejected["sessions"] == data_lines(files["sessions"])
    rejects = con.execute(
        "select table_name, file, line, column_name, reason, raw_line from bronze.rejects order by line, column_name"
    ).fetchall()
    by_line = {}
    for table_name, file, line, column, reason, raw in rejects:
        assert (table_name, file) == ("sessions", str(files["sessions"]))
        assert raw == lines[line - 1]
        by_line.setdefault(line, []).append((column, reason.split(":")[0]))
    assert by_line[3] == [("user_id", "CAST")]
    assert by_line[4] == [(None, "TOO MANY COLUMNS")]
    assert by_line[5][0][1] == "MISSING COLUMNS"
    assert sorted(by_line[6]) == [("flight_discount", "CAST"), ("session_start", "CAST")]
    assert any("4 line(s) could not be parsed" in w for w in report.warnings)


def test_non_utf8_bytes_in_data_are_rejected_not_altered(tmp_path, con):
    content = (
        (HEADERS["users"] + "\n").encode()
        + b"\n".join(
            [
                GOOD["users"][0].encode(),
                b"3,1980-01-01,F,true,false,usa,montr\xe9al,YUL,45.47,-73.74,2021-05-01",
            ]
        )
        + b"\n"
    )
    files = write_exports(tmp_path, {"users": content})
    report = load_bronze(con=con, files=files)
    assert (report.rows["users"], report.rejected["users"]) == (1, 1)
    assert con.execute("select line, column_name, reason like 'INVALID ENCODING:%' from bronze.rejects").fetchall() == [
        (3, "home_city", True)
    ]


def test_unbalanced_quote_sets_aside_every_line_it_swallows(tmp_path, con):
    rows = GOOD["hotels"]
    lines = [
        HEADERS["hotels"],
        rows[0],
        '3-t3,"Hilton - boston,2,1,2023-04-01 12:00:00,2023-04-03 11:00:00,150',  # quote never closed
        "4-t4,Hilton - boston,2,1,2023-04-01 12:00:00,2023-04-03 11:00:00,150",
        '5-t5,"Hyatt - denver",2,1,2023-04-01 12:00:00,2023-04-03 11:00:00,150',
        rows[1],
    ]
    files = write_exports(tmp_path, {"hotels": ("\n".join(lines) + "\n").encode()})
    report = load_bronze(con=con, files=files)
    assert report.rows["hotels"] + report.rejected["hotels"] == data_lines(files["hotels"]) == 5
    assert report.rejected["hotels"] >= 2
    assert con.execute("select min(line) from bronze.rejects").fetchall() == [(3,)]
    assert any("unterminated quote at line(s) 3" in w for w in report.warnings)


def test_failed_load_keeps_previous_bronze(tmp_path, con):
    load_bronze(con=con, files=write_exports(tmp_path / "good"))
    files = write_exports(tmp_path / "bad")
    gz = tmp_path / "bad" / "hotels.csv.gz"
    rows = "".join(f"{i}-t,Hilton - boston,2,1,2023-04-01 12:00:00,2023-04-03 11:00:00,150\n" for i in range(20_000))
    full = gzip.compress((HEADERS["hotels"] + "\n" + rows).encode())
    gz.write_bytes(full[: len(full) // 2])
    files["hotels"] = gz
    with pytest.raises(BronzeError, match=r"hotels\.csv\.gz"):
        load_bronze(con=con, files=files)
    assert con.execute("select count(*) from bronze.hotels").fetchall() == [(2,)]
    assert con.execute("select count(*) from bronze.users").fetchall() == [(2,)]


def test_reload_replaces_tables_and_rejects(tmp_path, con):
    bad = HEADERS["users"] + "\n" + GOOD["users"][0] + "\nx,1980-01-01,F,t,f,usa,a,JFK,1,2,2021-01-01\n"
    files = write_exports(tmp_path, {"users": bad.encode()})
    load_bronze(con=con, files=files)
    report = load_bronze(con=con, files=files)
    assert (report.rows["users"], report.rejected["users"]) == (1, 1)
    assert con.execute("select count(*) from bronze.rejects").fetchall() == [(1,)]


def test_read_header_of_plain_and_gzip(tmp_path):
    plain = tmp_path / "h.csv"
    plain.write_bytes(b'\xef\xbb\xbf"a","b c",d\r\n1,2,3\r\n')
    gz = tmp_path / "h.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert read_header(path=plain) == ["a", "b c", "d"]
    assert read_header(path=gz) == ["a", "b c", "d"]


def test_blank_false_dialect_reads_as_its_true_false_twin(con):
    """The same real cohort rows exported with booleans as '1'/'' and as true/false load alike."""
    loaded = {}
    for folder in (COHORT_EXTRACT, COHORT_EXTRACT_BLANK_FALSE):
        files = {t: folder / f"{t}.csv" for t in ("users", "flights", "hotels")}
        files["sessions"] = NOTEBOOK_SESSIONS
        report = load_bronze(con=con, files=files)
        loaded[folder.name] = (
            dict(con.execute("select user_id, (married, has_children) from bronze.users").fetchall()),
            dict(con.execute("select trip_id, return_flight_booked from bronze.flights").fetchall()),
            report.warnings,
        )
    users, flights, _ = loaded["cohort_extract"]
    blank_users, blank_flights, warnings = loaded["cohort_extract_blank_false"]
    shared_users = users.keys() & blank_users.keys()
    assert len(shared_users) == 400
    assert {u: blank_users[u] for u in shared_users} == {u: users[u] for u in shared_users}
    assert any(v == (False, False) for v in blank_users.values())  # '' read as false, not NULL
    shared_trips = flights.keys() & blank_flights.keys()
    assert len(shared_trips) == 405
    assert {t: blank_flights[t] for t in shared_trips} == {t: flights[t] for t in shared_trips}
    assert any("booleans are written as '1' and empty" in w for w in warnings)


def test_real_reference_exports_load_without_rejects(con):
    """Real rows in three export dialects: true/false, '1'/'' with quoted numbers, notebook display."""
    for folder in (COHORT_EXTRACT, COHORT_EXTRACT_BLANK_FALSE):
        files = {t: folder / f"{t}.csv" for t in ("users", "flights", "hotels")}
        files["sessions"] = NOTEBOOK_SESSIONS
        report = load_bronze(con=con, files=files)
        for t in ("users", "flights", "hotels"):
            assert report.rows[t] == data_lines(files[t]) >= 400
            assert report.rejected[t] == 0
