"""The data dictionary and the .tds: generated from the contract, committed, true to the extract."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from helpers.warehouse import make_warehouse
from traveltide.build import build_layer
from traveltide.contract.mart import LAYER
from traveltide.publish.dictionary import (
    DICTIONARY_FILES,
    caption,
    write_dictionary,
    write_tds,
)
from traveltide.publish.extract import describe_extract, write_extract

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "tableau"


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    con = duckdb.connect()
    make_warehouse(con)
    build_layer(con=con, layer="mart")
    path = tmp_path_factory.mktemp("tds") / "traveltide.hyper"
    write_extract(con=con, path=path)
    con.close()
    return path


def test_committed_files_are_up_to_date(tmp_path):
    written = write_dictionary(out_dir=tmp_path)
    write_tds(out=tmp_path / "traveltide.tds", extract_path="../exports/traveltide.hyper")
    assert sorted(p.name for p in written) == sorted(DICTIONARY_FILES)
    for name in (*DICTIONARY_FILES, "traveltide.tds"):
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        committed = (COMMITTED / name).read_text(encoding="utf-8")
        assert fresh == committed, f"tableau/{name} is stale: run `python -m traveltide.publish.dictionary`"


def test_dictionary_lists_every_column_of_the_contract(tmp_path):
    write_dictionary(out_dir=tmp_path)
    with (tmp_path / "data_dictionary.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    listed = {(r["table"], r["column"]) for r in rows}
    assert listed == {(t.name, c.name) for t in LAYER.tables for c in t.columns}
    by_key = {(r["table"], r["column"]): r for r in rows}
    assert by_key[("fact_sessions", "session_date")]["hyper_type"] == "DATE"
    assert by_key[("fact_sessions", "session_date")]["key"] == "foreign key to dim_date.calendar_date"
    assert by_key[("dim_trips", "base_fare_usd")]["hyper_type"] == "DOUBLE"
    assert by_key[("dim_users", "user_id")]["nullable"] == "no"
    doc = json.loads((tmp_path / "data_dictionary.json").read_text(encoding="utf-8"))
    grains = {t["table"]: t["grain"] for t in doc["tables"]}
    assert grains["dim_users"] == "One row per cohort user."
    md = (tmp_path / "data_dictionary.md").read_text(encoding="utf-8")
    for table in LAYER.tables:
        assert f"## {table.name} " in md and f"Grain: {table.grain}" in md


def test_captions_are_friendly():
    assert caption("base_fare_usd") == "Base Fare (USD)"
    assert caption("session_id") == "Session ID"
    assert caption("home_airport_lat") == "Home Airport Latitude"
    assert caption("score_free_hotel_night") == "Perk Fit: One night free hotel with flight"


def _tds(tmp_path: Path) -> ET.Element:
    out = write_tds(out=tmp_path / "traveltide.tds", extract_path="traveltide.hyper")
    return ET.parse(out).getroot()


def test_tds_names_only_tables_and_fields_of_the_extract(extract, tmp_path):
    root = _tds(tmp_path)
    description = describe_extract(path=extract)
    columns = {t.name: {c.name for c in t.columns} for t in description.tables}

    conn = root.find("./connection/named-connections/named-connection/connection")
    assert conn.get("class") == "hyper"
    assert conn.get("dbname") == "traveltide.hyper"
    assert (tmp_path / conn.get("dbname")).name == extract.name
    assert conn.get("schema") == "Extract"

    tables = [r.get("table") for r in root.findall("./connection/relation/relation")]
    assert sorted(tables) == sorted(f"[Extract].[{t}]" for t in columns)

    maps = {m.get("key"): m.get("value") for m in root.findall("./connection/cols/map")}
    assert len(maps) == sum(len(c) for c in columns.values())
    for value in maps.values():
        table, column = value[1:-1].split("].[")
        assert column in columns[table], value

    fields = [c.get("name") for c in root.findall("./column")]
    assert sorted(fields) == sorted(maps)
    captions = [c.get("caption") for c in root.findall("./column")]
    assert len(set(captions)) == len(captions)
    dims_user = next(c for c in root.findall("./column") if maps[c.get("name")] == "[dim_users].[user_id]")
    assert dims_user.get("caption") == "User ID (Users)"


def test_tds_relationships_are_the_foreign_key_tree(extract, tmp_path):
    root = _tds(tmp_path)
    maps = {m.get("key"): m.get("value") for m in root.findall("./connection/cols/map")}
    objects = {
        o.get("id"): o.find("./properties/relation").get("table") for o in root.findall("./object-graph/objects/object")
    }
    assert sorted(objects.values()) == sorted(f"[Extract].[{t.name}]" for t in LAYER.tables)
    found = set()
    for rel in root.findall("./object-graph/relationships/relationship"):
        left, right = (e.get("op") for e in rel.findall("./expression/expression"))
        first = rel.find("first-end-point").get("object-id")
        second = rel.find("second-end-point").get("object-id")
        found.add((first, maps[left], second, maps[right]))
    assert found == {
        ("fact_sessions", "[fact_sessions].[user_id]", "dim_users", "[dim_users].[user_id]"),
        ("fact_sessions", "[fact_sessions].[trip_id]", "dim_trips", "[dim_trips].[trip_id]"),
        ("fact_sessions", "[fact_sessions].[session_date]", "dim_date", "[dim_date].[calendar_date]"),
        ("dim_users", "[dim_users].[segment_id]", "dim_segments", "[dim_segments].[segment_id]"),
    }
