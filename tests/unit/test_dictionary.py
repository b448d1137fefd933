"""The data dictionary: generated from the contract, committed, and in step with Tableau's captions."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from traveltide.contract.mart import LAYER
from traveltide.contract.tableau import caption
from traveltide.publish.dictionary import DICTIONARY_FILES, write_dictionary
from traveltide.publish.tds import write_tds

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "tableau"


def test_committed_files_are_up_to_date(tmp_path):
    written = write_dictionary(out_dir=tmp_path)
    assert sorted(p.name for p in written) == sorted(DICTIONARY_FILES)
    for name in DICTIONARY_FILES:
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


def test_dictionary_captions_are_the_captions_tableau_shows(tmp_path):
    """The 7 fields Tableau names '<column> (<table>)' carry the .tds caption in the dictionary too."""
    write_dictionary(out_dir=tmp_path)
    with (tmp_path / "data_dictionary.csv").open(encoding="utf-8") as f:
        listed = {(r["table"], r["column"]): r for r in csv.DictReader(f)}
    root = ET.parse(write_tds(out=tmp_path / "t.tds", extract_path="traveltide.hyper")).getroot()
    where = {m.get("key"): m.get("value")[1:-1].split("].[") for m in root.findall("./connection/cols/map")}
    shown = {tuple(where[c.get("name")]): c for c in root.findall("./column") if c.get("name") in where}
    assert {k: r["caption"] for k, r in listed.items()} == {k: c.get("caption") for k, c in shown.items()}
    renamed = {k for k in shown if shown[k].get("name") != f"[{k[1]}]"}
    assert len(renamed) == 7
    hidden = {k for k, c in shown.items() if c.get("hidden") == "true"}
    assert {k for k in hidden if listed[k]["in_tableau"].startswith("hidden")} == hidden
    assert listed[("dim_users", "cancellation_rate")]["in_tableau"].startswith("measure; AVG")
