"""The starter workbook (.twb) on the extract, written for Tableau 2026.1.

The sheets of ``tableau/starter_workbook.md`` that a workbook file can carry without a Tableau
to check it (segments × perk, segment profile, sessions over time by segment, trips by
destination on a map) and one dashboard with the first three. Fields are referred to by
their data-source names; a test checks each reference against the data source and the whole
document against Tableau's official schema. Calculated fields and actions are left to the
recipe: the schema cannot check a formula or an action's target.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from traveltide.contract.gold import SPEC_FEATURES
from traveltide.contract.tableau import Field, fields
from traveltide.publish.tds import DOCUMENT_VERSION, datasource_element, serialize, subelement

__all__ = ["DASHBOARD", "DATASOURCE_NAME", "SHEETS", "Pill", "Sheet", "render_workbook", "write_workbook"]

DATASOURCE_NAME = "federated.traveltide"
DASHBOARD = "Perks at a glance"

# derivation -> (prefix of the column instance, Tableau's derivation name)
_DERIVATIONS = {
    "none": "None",
    "sum": "Sum",
    "avg": "Avg",
    "cnt": "Count",
    "twk": "Week-Trunc",
}


@dataclass(frozen=True, slots=True)
class Pill:
    """A field on a shelf: the table and column, and how it is derived ('none', 'avg', …)."""

    table: str
    column: str
    derivation: str = "none"


@dataclass(frozen=True, slots=True)
class Sheet:
    """One worksheet: its shelves, mark type, encodings and the filters that keep its rows."""

    name: str
    title: str
    mark: str
    rows: tuple[Pill, ...] = ()
    cols: tuple[Pill, ...] = ()
    encodings: tuple[tuple[str, Pill], ...] = ()
    keep: tuple[tuple[Pill, str], ...] = field(default=())  # (boolean dimension, kept value)


SHEETS: tuple[Sheet, ...] = (
    Sheet(
        name="Segments × perk",
        title="Segments, their size and the perk each gets",
        mark="Bar",
        rows=(Pill("dim_segments", "segment_name"), Pill("dim_segments", "perk")),
        cols=(Pill("dim_segments", "users", "sum"),),
        encodings=(
            ("color", Pill("dim_segments", "perk")),
            ("text", Pill("dim_segments", "share", "sum")),
            ("tooltip", Pill("dim_segments", "reason")),
        ),
    ),
    Sheet(
        name="Segment profile",
        title="Each segment's means on the behaviour the segmentation used",
        mark="Bar",
        rows=(Pill("dim_segments", "segment_name"),),
        cols=tuple(Pill("dim_segments", f"mean_{c}", "avg") for c in SPEC_FEATURES),
        encodings=(("color", Pill("dim_segments", "perk")),),
    ),
    Sheet(
        name="Sessions over time by segment",
        title="Sessions per week by segment",
        mark="Line",
        rows=(Pill("fact_sessions", "session_id", "cnt"),),
        cols=(Pill("dim_date", "calendar_date", "twk"),),
        encodings=(("color", Pill("dim_segments", "segment_name")),),
    ),
    Sheet(
        name="Trips by destination",
        title="Booked, not cancelled trips by destination airport",
        mark="Circle",
        rows=(Pill("dim_trips", "destination_airport_lat", "avg"),),
        cols=(Pill("dim_trips", "destination_airport_lon", "avg"),),
        encodings=(
            ("lod", Pill("dim_trips", "destination")),
            ("lod", Pill("dim_trips", "destination_airport")),
            ("size", Pill("dim_trips", "destination_airport", "cnt")),
            ("tooltip", Pill("dim_trips", "base_fare_usd", "sum")),
        ),
        keep=((Pill("dim_trips", "booked"), "true"), (Pill("dim_trips", "cancelled"), "false")),
    ),
)
# The dashboard: (sheet, x, y, w, h) in Tableau's 100,000-unit grid.
_ZONES = (
    ("Segments × perk", 0, 0, 100000, 50000),
    ("Segment profile", 0, 50000, 50000, 50000),
    ("Sessions over time by segment", 50000, 50000, 50000, 50000),
)


# Tableau's default cards around a worksheet: (edge, [(strip size, card types)]).
_CARDS = (
    ("left", (("160", ("pages", "filters", "marks")),)),
    ("top", (("2147483647", ("columns",)), ("2147483647", ("rows",)), ("31", ("title",)))),
)


def _uuid(name: str) -> str:
    """A stable identifier per sheet, so the same contract writes the same workbook."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"traveltide/{name}")).upper() + "}"


def _instance_name(f: Field, derivation: str) -> str:
    kind = "qk" if derivation not in {"none"} or f.role == "measure" else ("ok" if f.type == "ordinal" else "nk")
    return f"[{derivation}:{f.name}:{kind}]"


def _qualified(f: Field, derivation: str) -> str:
    return f"[{DATASOURCE_NAME}].{_instance_name(f, derivation)}"


def _title(parent: ET.Element, text: str) -> None:
    subelement(subelement(subelement(subelement(parent, "layout-options"), "title"), "formatted-text"), "run", text)


def _worksheet(parent: ET.Element, sheet: Sheet, by_column: dict[tuple[str, str], Field]) -> None:
    worksheet = subelement(parent, "worksheet", name=sheet.name)
    _title(worksheet, sheet.title)
    table = subelement(worksheet, "table")
    view = subelement(table, "view")
    subelement(subelement(view, "datasources"), "datasource", caption="TravelTide", name=DATASOURCE_NAME)
    dependencies = subelement(view, "datasource-dependencies", datasource=DATASOURCE_NAME)
    pills = [*sheet.rows, *sheet.cols, *(p for _, p in sheet.encodings), *(p for p, _ in sheet.keep)]
    used = {(p.table, p.column): by_column[(p.table, p.column)] for p in pills}
    for f in used.values():
        attributes = {"caption": f.caption, "datatype": f.datatype, "name": f.key, "role": f.role, "type": f.type}
        if f.unit:
            attributes["aggregation"] = f.unit.aggregation
        if f.semantic_role:
            attributes["semantic-role"] = f.semantic_role
        subelement(dependencies, "column", **{k.replace("-", "_"): v for k, v in attributes.items()})
    instances = {(p.table, p.column, p.derivation) for p in pills}
    for table_name, column, derivation in sorted(instances):
        f = by_column[(table_name, column)]
        name = _instance_name(f, derivation)
        subelement(
            dependencies,
            "column-instance",
            column=f.key,
            derivation=_DERIVATIONS[derivation],
            name=name,
            pivot="key",
            type="quantitative" if name.endswith(":qk]") else ("ordinal" if name.endswith(":ok]") else "nominal"),
        )
    for pill, value in sheet.keep:
        f = by_column[(pill.table, pill.column)]
        kept = subelement(view, "filter", column=_qualified(f, pill.derivation), **{"class": "categorical"})
        subelement(kept, "groupfilter", function="member", level=_instance_name(f, pill.derivation), member=value)
    subelement(view, "aggregation", value="true")
    subelement(table, "style")
    pane = subelement(subelement(table, "panes"), "pane", selection_relaxation_option="selection-relaxation-allow")
    subelement(subelement(pane, "view"), "breakdown", value="auto")
    subelement(pane, "mark", **{"class": sheet.mark})
    if sheet.encodings:
        encodings = subelement(pane, "encodings")
        for channel, pill in sheet.encodings:
            subelement(encodings, channel, column=_qualified(by_column[(pill.table, pill.column)], pill.derivation))
    for shelf, shelf_pills in (("rows", sheet.rows), ("cols", sheet.cols)):
        subelement(table, shelf, _shelf(shelf_pills, by_column))
    subelement(worksheet, "simple-id", uuid=_uuid(sheet.name))


def _shelf(pills: tuple[Pill, ...], by_column: dict[tuple[str, str], Field]) -> str:
    """Dimensions nest ('/'), measures stand side by side ('+'), as Tableau writes a shelf."""
    names = [_qualified(by_column[(p.table, p.column)], p.derivation) for p in pills]
    if len(names) == 1:
        return names[0]
    measures = all(n.endswith(":qk]") for n in names)
    return "(" + (" + " if measures else " / ").join(names) + ")"


def _dashboard(parent: ET.Element) -> None:
    dashboard = subelement(subelement(parent, "dashboards"), "dashboard", name=DASHBOARD)
    subelement(dashboard, "style")
    subelement(dashboard, "size", maxheight="900", maxwidth="1400", minheight="900", minwidth="1400")
    outer = subelement(
        subelement(dashboard, "zones"), "zone", h="100000", id="1", type_v2="layout-basic", w="100000", x="0", y="0"
    )
    for number, (sheet, x, y, w, h) in enumerate(_ZONES, start=2):
        subelement(outer, "zone", h=str(h), id=str(number), name=sheet, w=str(w), x=str(x), y=str(y))
    subelement(dashboard, "simple-id", uuid=_uuid(DASHBOARD))


def _windows(parent: ET.Element) -> None:
    windows = subelement(parent, "windows", source_height="30")
    dashboard = subelement(windows, "window", maximized="true", name=DASHBOARD, **{"class": "dashboard"})
    viewpoints = subelement(dashboard, "viewpoints")
    for zone_sheet, *_ in _ZONES:
        subelement(viewpoints, "viewpoint", name=zone_sheet)
    subelement(dashboard, "active", id="2")
    subelement(dashboard, "simple-id", uuid=_uuid(f"window/{DASHBOARD}"))
    for sheet in SHEETS:
        window = subelement(windows, "window", name=sheet.name, **{"class": "worksheet"})
        cards = subelement(window, "cards")
        for edge, strips in _CARDS:
            edge_element = subelement(cards, "edge", name=edge)
            for size, card_types in strips:
                strip = subelement(edge_element, "strip", size=size)
                for card in card_types:
                    subelement(strip, "card", type=card)
        subelement(window, "simple-id", uuid=_uuid(f"window/{sheet.name}"))


def render_workbook(*, extract_path: str) -> str:
    """The .twb text: the data source on ``extract_path`` (relative to the .twb), the sheets and the dashboard."""
    by_column = {(f.table, f.column): f for f in fields()}
    root = ET.Element(
        "workbook",
        {
            "original-version": DOCUMENT_VERSION,
            "source-build": "0.0.0 (0000.0.0.0)",
            "source-platform": "linux",
            "version": DOCUMENT_VERSION,
        },
    )
    subelement(subelement(root, "document-format-change-manifest"), "ManifestByVersion")
    subelement(root, "datasources").append(datasource_element(extract_path=extract_path, name=DATASOURCE_NAME))
    worksheets = subelement(root, "worksheets")
    for sheet in SHEETS:
        _worksheet(worksheets, sheet, by_column)
    _dashboard(root)
    _windows(root)
    explain = subelement(root, "explain-data", enabled_for_viewer="true", extreme_values_enabled_for_all="true")
    subelement(explain, "explanation-types")
    return serialize(root)


def write_workbook(*, out: Path, extract_path: str) -> Path:
    """Write the starter workbook to ``out``; ``extract_path`` is relative to the .twb."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_workbook(extract_path=extract_path), encoding="utf-8")
    return out
