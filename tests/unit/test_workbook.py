"""The starter workbook (.twb) and its recipe name only fields the extract has, as Tableau shows them.

The .twb is checked against Tableau's official schema and read back with tableaudocumentapi;
every field a sheet uses must be a visible field of its data source. The recipe
``tableau/starter_workbook.md`` writes each field as **Caption** (`table.column`) and each
calculated field as a ```tableau block whose first line is ``// Name``; formulas reference
fields by caption. Everything is checked against the mart contract
(``traveltide.contract.mart``) and the generated data source.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from tableaudocumentapi import Workbook

from helpers.tableau_schema import schema_errors
from traveltide.charts import PERK_COLORS
from traveltide.contract.mart import LAYER
from traveltide.publish.tds import write_tds
from traveltide.publish.workbook import DASHBOARD, DATASOURCE_NAME, write_workbook

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "tableau" / "starter_workbook.md"

_FIELD = re.compile(r"\*\*([^*]+)\*\*\s+\(`(\w+)\.(\w+)`\)")
_REF = re.compile(r"`((?:dim|fact)_\w+)\.(\w+)`")
_CALC = re.compile(r"```tableau\n[ \t]*// ([^\n]+)\n(.*?)```", re.S)
_COLOUR = re.compile(r"^\s*\|\s*([^|]+?)\s*\|\s*`(#[0-9a-fA-F]{6})`\s*\|", re.M)
SHEETS = ("Segments × perk", "Segment profile", "Sessions over time by segment", "Trips by destination")


def tds_captions(tds: Path) -> dict[tuple[str, str], str]:
    """(table, column) -> caption of every field in the .tds."""
    root = ET.parse(tds).getroot()
    where = {m.get("key"): m.get("value") for m in root.iter("map")}
    captions = {}
    for column in root.iter("column"):
        if column.get("name") not in where:
            continue  # the tables' own count fields
        table, col = where[column.get("name")].strip("[]").split("].[")
        captions[(table, col)] = column.get("caption")
    return captions


def problems(text: str, *, captions: dict[tuple[str, str], str]) -> list[str]:
    """Every field reference of the recipe that the contract or the .tds does not back."""
    contract = {t.name: set(t.column_names) for t in LAYER.tables}
    found = []
    for table, column in _REF.findall(text):
        if column not in contract.get(table, set()):
            found.append(f"{table}.{column} is not a column of the mart contract")
        elif (table, column) not in captions:
            found.append(f"{table}.{column} is not in traveltide.tds")
    for caption, table, column in _FIELD.findall(text):
        shown = captions.get((table, column))
        if shown is not None and shown != caption:
            found.append(f"{table}.{column} is captioned {shown!r} in Tableau, not {caption!r}")
    known = set(captions.values())
    for name, formula in _CALC.findall(text):
        for ref in re.findall(r"\[([^\]]+)\]", formula):
            if ref not in known:
                found.append(f"calculated field {name!r} uses [{ref}], which is no field caption")
        known.add(name)
    return found


@pytest.fixture(scope="module")
def captions(tmp_path_factory) -> dict[tuple[str, str], str]:
    tds = write_tds(out=tmp_path_factory.mktemp("twb") / "traveltide.tds", extract_path="traveltide.hyper")
    return tds_captions(tds)


def test_every_field_exists_with_its_caption(captions: dict[tuple[str, str], str]) -> None:
    text = RECIPE.read_text(encoding="utf-8")
    assert len(_REF.findall(text)) >= 30 and len(_CALC.findall(text)) == 6
    assert problems(text, captions=captions) == []


def test_the_four_sheets_and_the_release_are_there() -> None:
    text = RECIPE.read_text(encoding="utf-8")
    headings = re.findall(r"^## \d+\. Sheet \"([^\"]+)\"", text, re.M)
    assert [s for s in SHEETS if s not in headings] == []
    assert "Tableau 2026.1" in text


def test_perk_colours_match_the_report() -> None:
    colours = dict(_COLOUR.findall(RECIPE.read_text(encoding="utf-8")))
    assert {p: c.lower() for p, c in colours.items()} == {p: c.lower() for p, c in PERK_COLORS.items()}


def test_the_checker_catches_each_kind_of_mistake(captions: dict[tuple[str, str], str]) -> None:
    bad = (
        "**Segment Name** (`dim_segments.segment_nam`)\n"
        "**Perk** (`dim_users.perk`)\n"
        "`dim_customers.user_id`\n"
        "```tableau\n// Bags per user\nAVG([Total Bags])\n```\n"
        "```tableau\n// Double bags\n[Bags per user] * 2 + AVG([Total Checked Bags])\n```\n"
    )
    assert problems(bad, captions=captions) == [
        "dim_segments.segment_nam is not a column of the mart contract",
        "dim_customers.user_id is not a column of the mart contract",
        "dim_users.perk is captioned 'Perk (Users)' in Tableau, not 'Perk'",
        "calculated field 'Bags per user' uses [Total Bags], which is no field caption",
    ]


@pytest.fixture(scope="module")
def twb(tmp_path_factory) -> Path:
    return write_workbook(out=tmp_path_factory.mktemp("twb") / "traveltide.twb", extract_path="traveltide.hyper")


def test_workbook_is_valid_against_tableaus_schema(twb):
    text = twb.read_text(encoding="utf-8")
    assert schema_errors(text) == []
    root = ET.fromstring(text.encode())
    assert (root.get("version"), root.get("original-version")) == ("26.1", "26.1")
    assert [e.tag for e in root.find("document-format-change-manifest")] == ["ManifestByVersion"]


def test_workbook_has_the_recipes_sheets_and_one_dashboard(twb):
    wb = Workbook(str(twb))
    assert wb.worksheets == list(SHEETS)
    assert wb.dashboards == [DASHBOARD]
    assert [d.name for d in wb.datasources] == [DATASOURCE_NAME]
    root = ET.parse(twb).getroot()
    zones = [z.get("name") for z in root.iter("zone") if z.get("name")]
    assert zones and set(zones) <= set(SHEETS)
    windows = {w.get("name") for w in root.find("windows")}
    assert windows == {*SHEETS, DASHBOARD}


def _instances(root: ET.Element) -> dict[str, str]:
    """Every column instance a sheet declares -> the field it derives from."""
    found = {}
    for dependencies in root.iter("datasource-dependencies"):
        for instance in dependencies.iter("column-instance"):
            found[instance.get("name")] = instance.get("column")
    return found


def test_workbook_uses_only_visible_fields_of_its_data_source(twb):
    root = ET.parse(twb).getroot()
    datasource = root.find("./datasources/datasource")
    fields = {c.get("name"): c for c in datasource.findall("./column")}
    instances = _instances(root)
    used = set()
    for sheet in root.iter("worksheet"):
        text = ET.tostring(sheet, encoding="unicode")
        references = re.findall(r"\[" + re.escape(DATASOURCE_NAME) + r"\]\.(\[[^\]]+\])", text)
        assert references, sheet.get("name")
        for instance in references:
            assert instance in instances, (sheet.get("name"), instance)
            _, field, _ = instance[1:-1].split(":")
            assert f"[{field}]" == instances[instance], (sheet.get("name"), instance)
            used.add(instances[instance])
    assert used, "no field used"
    for name in used:
        assert name in fields, name
        assert fields[name].get("hidden") != "true", name
    # The reader's view of the same: tableaudocumentapi maps every used field to its sheets.
    wb = Workbook(str(twb))
    by_api = {k for k, f in wb.datasources[0].fields.items() if f.worksheets}
    assert by_api == used


def test_the_workbook_check_catches_a_missing_field(twb, tmp_path):
    broken = tmp_path / "broken.twb"
    text = twb.read_text(encoding="utf-8")
    for mistake in (
        text.replace("[none:perk:nk]", "[none:perks:nk]"),  # an instance of a field that does not exist
        text.replace('column="[users]"', 'column="[user_count]"'),  # a field the data source lacks
        text.replace("[sum:users:qk]", "[sum:user_id (dim_users):qk]").replace(
            'column="[users]"', 'column="[user_id (dim_users)]"'
        ),  # a hidden field
    ):
        broken.write_text(mistake, encoding="utf-8")
        with pytest.raises(AssertionError):
            test_workbook_uses_only_visible_fields_of_its_data_source(broken)
