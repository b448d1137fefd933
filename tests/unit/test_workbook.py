"""The starter-workbook recipe names only fields the extract has, with the captions Tableau shows.

``tableau/starter_workbook.md`` writes each field as **Caption** (`table.column`) and each
calculated field as a ```tableau block whose first line is ``// Name``; formulas reference
fields by caption. Everything is checked against the mart contract
(``traveltide.contract.mart``) and the committed data source ``tableau/traveltide.tds``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from traveltide.charts import PERK_COLORS
from traveltide.contract.mart import LAYER

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "tableau" / "starter_workbook.md"
TDS = ROOT / "tableau" / "traveltide.tds"

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
def captions() -> dict[tuple[str, str], str]:
    return tds_captions(TDS)


def test_every_field_exists_with_its_caption(captions: dict[tuple[str, str], str]) -> None:
    text = RECIPE.read_text(encoding="utf-8")
    assert len(_REF.findall(text)) >= 30 and len(_CALC.findall(text)) == 6
    assert problems(text, captions=captions) == []


def test_the_four_sheets_and_the_release_are_there() -> None:
    text = RECIPE.read_text(encoding="utf-8")
    headings = re.findall(r"^## \d+\. Sheet \"([^\"]+)\"", text, re.M)
    assert [s for s in SHEETS if s not in headings] == []
    assert re.search(r"Tableau Desktop 20\d\d\.\d", text)


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
