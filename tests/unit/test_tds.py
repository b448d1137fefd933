"""The Tableau data source (.tds): valid against Tableau's official schema, readable by
tableaudocumentapi, true to the extract, and with the field metadata an analyst expects."""

from __future__ import annotations

import calendar
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from tableaudocumentapi import Datasource

from helpers.tableau_schema import schema_errors
from helpers.warehouse import make_warehouse
from traveltide.build import build_layer
from traveltide.contract.mart import LAYER
from traveltide.publish.extract import describe_extract, write_extract
from traveltide.publish.tds import render_tds, write_tds

TABLE_FOLDERS = {
    "fact_sessions": "Sessions",
    "dim_users": "Users",
    "dim_trips": "Trips",
    "dim_segments": "Segments",
    "dim_date": "Calendar",
}


@pytest.fixture(scope="module")
def mart() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    make_warehouse(con)
    build_layer(con=con, layer="mart")
    yield con
    con.close()


@pytest.fixture(scope="module")
def extract(mart, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tds") / "traveltide.hyper"
    write_extract(con=mart, path=path)
    return path


@pytest.fixture(scope="module")
def tds(tmp_path_factory) -> Path:
    return write_tds(out=tmp_path_factory.mktemp("tds") / "traveltide.tds", extract_path="traveltide.hyper")


@pytest.fixture(scope="module")
def root(tds) -> ET.Element:
    return ET.parse(tds).getroot()


@pytest.fixture(scope="module")
def where(root) -> dict[str, tuple[str, str]]:
    """Field name -> (table, column) from the connection's column map."""
    return {m.get("key"): tuple(m.get("value")[1:-1].split("].[")) for m in root.findall("./connection/cols/map")}


@pytest.fixture(scope="module")
def columns(root, where) -> dict[tuple[str, str], ET.Element]:
    return {where[c.get("name")]: c for c in root.findall("./column") if c.get("name") in where}


def test_valid_against_tableaus_schema_for_2026_1(tds):
    text = tds.read_text(encoding="utf-8")
    assert schema_errors(text) == []
    root = ET.fromstring(text.encode())
    assert root.get("version") == "26.1"
    assert [e.tag for e in root.find("document-format-change-manifest")] == ["ManifestByVersion"]
    assert not re.search(r"<_\.fcp\.", text), "plain object-model tags: ManifestByVersion implies the features"


def test_the_schema_check_can_fail(tds):
    text = tds.read_text(encoding="utf-8")
    assert schema_errors(text.replace('role="measure"', 'role="metric"', 1)) != []
    assert schema_errors(text.replace("<object-graph>", "<object-graf>").replace("</object-graph>", "</object-graf>"))


def test_tableaudocumentapi_reads_every_field(tds):
    ds = Datasource.from_file(str(tds))
    assert [c.dbname for c in ds.connections] == ["traveltide.hyper"]
    contract = {(t.name, c.name) for t in LAYER.tables for c in t.columns}
    table_fields = {k for k in ds.fields if k.startswith("[__tableau_internal_object_id__]")}
    assert len(ds.fields) - len(table_fields) == len(contract)
    assert len(table_fields) == len(LAYER.tables)
    assert ds.fields["[cancellation_rate]"].default_aggregation == "Avg"
    assert ds.fields["[cancellation_rate]"].caption == "Cancellation Rate"


def test_names_only_tables_and_fields_of_the_extract(extract, root, where):
    description = describe_extract(path=extract)
    in_extract = {t.name: {c.name for c in t.columns} for t in description.tables}
    conn = root.find("./connection/named-connections/named-connection/connection")
    assert (conn.get("class"), conn.get("dbname"), conn.get("schema")) == ("hyper", "traveltide.hyper", "Extract")
    tables = [r.get("table") for r in root.findall("./connection/relation/relation")]
    assert sorted(tables) == sorted(f"[Extract].[{t}]" for t in in_extract)
    assert len(where) == sum(len(c) for c in in_extract.values())
    for table, column in where.values():
        assert column in in_extract[table], (table, column)
    records = root.findall("./connection/metadata-records/metadata-record")
    assert {(r.findtext("parent-name")[1:-1], r.findtext("remote-name")) for r in records} == set(where.values())
    objects = {o.get("id") for o in root.findall("./object-graph/objects/object")}
    assert {r.findtext("object-id")[1:-1] for r in records} == objects


def test_relationships_are_the_foreign_key_tree(root, where):
    found = set()
    for rel in root.findall("./object-graph/relationships/relationship"):
        left, right = (e.get("op") for e in rel.findall("./expression/expression"))
        first = rel.find("first-end-point").get("object-id")
        second = rel.find("second-end-point").get("object-id")
        found.add((first, where[left], second, where[right]))
    assert found == {
        ("fact_sessions", ("fact_sessions", "user_id"), "dim_users", ("dim_users", "user_id")),
        ("fact_sessions", ("fact_sessions", "trip_id"), "dim_trips", ("dim_trips", "trip_id")),
        ("fact_sessions", ("fact_sessions", "session_date"), "dim_date", ("dim_date", "calendar_date")),
        ("dim_users", ("dim_users", "segment_id"), "dim_segments", ("dim_segments", "segment_id")),
    }


# Expected default aggregation, restated from the column names' own conventions (not from
# the code's unit table): means, rates, scores, prices, coordinates and age average; counts,
# totals, amounts and the segment shares (which add up to the cohort) sum.
_AVG = re.compile(
    r"^(mean_|score_|avg_|perk_score$|age$|stability$|hotel_per_room_usd$|session_seconds$)"
    r"|(_rate|_amount|_lat|_lon)$|_per_"
)
_SUM = re.compile(
    r"^(total_|users$|share$|seats$|rooms$|nights|checked_bags$|page_clicks$)|(_users|_trips|_sessions|_usd)$"
)


def test_every_measure_aggregates_by_what_it_means(columns):
    measures = {k: c for k, c in columns.items() if c.get("role") == "measure"}
    assert len(measures) >= 56
    wrong = {}
    for (table, column), element in measures.items():
        expected = "Avg" if _AVG.search(column) else "Sum" if _SUM.search(column) else "unclassified"
        if element.get("aggregation") != expected:
            wrong[f"{table}.{column}"] = (element.get("aggregation"), expected)
    assert wrong == {}
    # Keys and calendar parts are dimensions, never summed.
    for key in (
        ("dim_users", "user_id"),
        ("fact_sessions", "user_id"),
        ("dim_date", "year"),
        ("dim_segments", "segment_id"),
    ):
        assert columns[key].get("role") == "dimension"


def test_number_formats(columns):
    fmt = {k: c.get("default-format") for k, c in columns.items()}
    for rate in ("cancellation_rate", "conversion_rate", "discount_usage_rate"):
        assert fmt[("dim_users", rate)] == "p0.0%"
    assert fmt[("dim_segments", "share")] == fmt[("fact_sessions", "flight_discount_amount")] == "p0.0%"
    assert (
        fmt[("dim_trips", "base_fare_usd")]
        == fmt[("dim_users", "total_hotel_spend_usd")]
        == 'c"$"#,##0.00;-"$"#,##0.00'
    )
    assert fmt[("dim_segments", "users")] == fmt[("dim_users", "total_sessions")] == "n#,##0;-#,##0"
    assert fmt[("dim_users", "perk_score")] == "n#,##0.0;-#,##0.0"
    assert fmt[("dim_users", "home_airport_lat")] is None
    measures_without = [k for k, c in columns.items() if c.get("role") == "measure" and not c.get("default-format")]
    assert sorted(measures_without) == sorted(k for k in columns if k[1].endswith(("_lat", "_lon")))


def test_geographic_roles_and_country_aliases(columns):
    role = {k: c.get("semantic-role") for k, c in columns.items() if c.get("semantic-role")}
    assert role == {
        ("dim_users", "home_country"): "[Country].[Name]",
        ("dim_users", "home_city"): "[City].[Name]",
        ("dim_users", "home_airport"): "[Airport].[Name]",
        ("dim_users", "home_airport_lat"): "[Geographical].[Latitude]",
        ("dim_users", "home_airport_lon"): "[Geographical].[Longitude]",
        ("dim_trips", "destination"): "[City].[Name]",
        ("dim_trips", "hotel_city"): "[City].[Name]",
        ("dim_trips", "origin_airport"): "[Airport].[Name]",
        ("dim_trips", "destination_airport"): "[Airport].[Name]",
        ("dim_trips", "destination_airport_lat"): "[Geographical].[Latitude]",
        ("dim_trips", "destination_airport_lon"): "[Geographical].[Longitude]",
    }
    aliases = {a.get("key"): a.get("value") for a in columns[("dim_users", "home_country")].findall("./aliases/alias")}
    assert aliases == {'"usa"': "USA", '"canada"': "Canada"}


def test_duplicates_are_hidden_and_visible_captions_unique(columns):
    hidden = {k for k, c in columns.items() if c.get("hidden") == "true"}
    assert hidden == {
        ("dim_users", "user_id"),
        ("dim_users", "segment_id"),
        ("dim_users", "segment_name"),
        ("dim_users", "perk"),
        ("dim_trips", "trip_id"),
    }
    visible = [c.get("caption").casefold() for k, c in columns.items() if k not in hidden]
    assert len(visible) == len(set(visible))
    # Every hidden field's values are one relationship away under a visible field of its name.
    for table, column in hidden:
        assert any(k[1] == column and k not in hidden for k in columns), (table, column)


def test_month_and_weekday_names_sort_in_calendar_order(root, where, mart):
    sorts = {
        where[s.get("column")][1]: [b.text for b in s.findall("./dictionary/bucket")] for s in root.iter("manual-sort")
    }
    assert sorts == {
        "month_name": [f'"{calendar.month_name[i]}"' for i in range(1, 13)],
        "weekday_name": [f'"{calendar.day_name[i]}"' for i in range(7)],
    }
    # The names the mart writes are among the sorted ones, spelled the same.
    for column, order in sorts.items():
        written = {f'"{v}"' for (v,) in mart.execute(f"select distinct {column} from mart.dim_date").fetchall()}
        assert written and written <= set(order)


def test_hierarchies_and_one_folder_per_table(root, where, columns):
    paths = {p.get("name"): [where[f.text] for f in p.findall("field")] for p in root.iter("drill-path")}
    assert paths == {
        "Calendar": [("dim_date", c) for c in ("year", "quarter", "month_name", "calendar_date")],
        "Home Location": [("dim_users", c) for c in ("home_country", "home_city", "home_airport")],
        "Destination": [("dim_trips", c) for c in ("destination", "destination_airport")],
    }
    seen: list[tuple[str, str]] = []
    for folder in root.findall("./folders-common/folder"):
        for item in folder.findall("folder-item"):
            if item.get("type") == "drillpath":
                assert item.get("name")[1:-1] in paths
                continue
            table, column = where[item.get("name")]
            assert TABLE_FOLDERS[table] == folder.get("name"), (table, column)
            seen.append((table, column))
    visible = [k for k, c in columns.items() if c.get("hidden") != "true"]
    assert sorted(seen) == sorted(visible)


def test_descriptions_come_from_the_contract(columns):
    for table in LAYER.tables:
        for column in table.columns:
            assert columns[(table.name, column.name)].findtext("./desc/formatted-text/run") == column.description


def test_the_extract_path_is_the_one_asked_for():
    text = render_tds(extract_path="Data/Extracts/traveltide.hyper")
    conn = ET.fromstring(text.encode()).find("./connection/named-connections/named-connection/connection")
    assert conn.get("dbname") == "Data/Extracts/traveltide.hyper"
