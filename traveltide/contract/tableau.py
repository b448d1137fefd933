"""How each mart column behaves in Tableau: caption, role, default aggregation, number format,
geographic role, visibility, sort and hierarchy.

The data source (.tds), the starter workbook and the data dictionary all read these, so an
analyst sees the same names and the same behaviour everywhere. Every measure has a unit (a
test fails on a new numeric column without one): the unit decides the aggregation Tableau
applies when the field is dragged into a view and the format it is shown in.
"""

from __future__ import annotations

from dataclasses import dataclass

from traveltide.contract.gold import SCORE_COLUMNS
from traveltide.contract.mart import LAYER, TABLEAU_TYPES
from traveltide.contract.model import Table

__all__ = [
    "ALIASES",
    "HIDDEN",
    "HIERARCHIES",
    "MONTHS",
    "SEMANTIC_ROLES",
    "SORT_ORDERS",
    "TABLE_CAPTIONS",
    "UNITS",
    "WEEKDAYS",
    "Field",
    "Unit",
    "caption",
    "fields",
    "star_order",
]


@dataclass(frozen=True, slots=True)
class Unit:
    """What a measure's values are: how Tableau aggregates them and the format it shows."""

    aggregation: str  # Tableau's default aggregation: 'Sum' or 'Avg'
    format: str  # Tableau number format ('' keeps Tableau's own)
    label: str  # for the data dictionary


_INTEGER = "n#,##0;-#,##0"
_ONE_DECIMAL = "n#,##0.0;-#,##0.0"
_PERCENT = "p0.0%"
_USD = 'c"$"#,##0.00;-"$"#,##0.00'

COUNT = Unit("Sum", _INTEGER, "count")
AMOUNT_USD = Unit("Sum", _USD, "amount in USD")
PRICE_USD = Unit("Avg", _USD, "price in USD")
SHARE = Unit("Sum", _PERCENT, "share of the cohort (adds up over segments)")
RATE = Unit("Avg", _PERCENT, "rate or fraction, 0-1")
SCORE = Unit("Avg", _ONE_DECIMAL, "score, 0-100")
MEAN = Unit("Avg", _ONE_DECIMAL, "mean")
MEAN_USD = Unit("Avg", _USD, "mean in USD")
SECONDS = Unit("Avg", _INTEGER, "seconds")
YEARS = Unit("Avg", _INTEGER, "years")
DEGREES = Unit("Avg", "", "degrees")

# Unit of every measure, by column name (names mean the same in every table of the star).
UNITS: dict[str, Unit] = {
    **dict.fromkeys(
        (
            "users",
            "eligible_users",
            "treatment_users",
            "control_users",
            "total_sessions",
            "total_nights",
            "total_checked_bags",
            "booking_sessions",
            "booked_trips",
            "cancelled_trips",
            "flight_trips",
            "hotel_trips",
            "page_clicks",
            "seats",
            "checked_bags",
            "nights_reported",
            "nights",
            "rooms",
        ),
        COUNT,
    ),
    **dict.fromkeys(("total_base_fare", "total_hotel_spend_usd", "base_fare_usd"), AMOUNT_USD),
    "hotel_per_room_usd": PRICE_USD,
    "share": SHARE,
    **dict.fromkeys(
        (
            "cancellation_rate",
            "discount_usage_rate",
            "booking_rate",
            "conversion_rate",
            "bundle_rate",
            "baseline_booking_rate",
            "mde_booking_rate",
            "stability",
            "avg_discount_amount",
            "flight_discount_amount",
            "hotel_discount_amount",
            "mean_cancellation_rate",
            "mean_discount_usage_rate",
            "mean_bundle_rate",
            "mean_avg_discount_amount",
        ),
        RATE,
    ),
    **dict.fromkeys(
        ("perk_score", *SCORE_COLUMNS.values(), *(f"mean_{c}" for c in SCORE_COLUMNS.values())),
        SCORE,
    ),
    **dict.fromkeys(
        (
            "mean_total_sessions",
            "mean_total_nights",
            "mean_total_checked_bags",
            "mean_bags_per_flight",
            "mean_nights_per_hotel_trip",
            "bags_per_flight",
            "nights_per_hotel_trip",
            "avg_page_clicks",
            "avg_session_seconds",
        ),
        MEAN,
    ),
    "mean_total_base_fare": MEAN_USD,
    "session_seconds": SECONDS,
    "age": YEARS,
    **dict.fromkeys(
        ("home_airport_lat", "home_airport_lon", "destination_airport_lat", "destination_airport_lon"), DEGREES
    ),
}

# Tableau's geographic roles (the names Tableau writes in a data source's semantic-role).
_LATITUDE, _LONGITUDE = "[Geographical].[Latitude]", "[Geographical].[Longitude]"
_CITY, _AIRPORT = "[City].[Name]", "[Airport].[Name]"
SEMANTIC_ROLES: dict[str, str] = {
    "home_country": "[Country].[Name]",
    "home_city": _CITY,
    "destination": _CITY,
    "hotel_city": _CITY,
    "home_airport": _AIRPORT,
    "origin_airport": _AIRPORT,
    "destination_airport": _AIRPORT,
    "home_airport_lat": _LATITUDE,
    "destination_airport_lat": _LATITUDE,
    "home_airport_lon": _LONGITUDE,
    "destination_airport_lon": _LONGITUDE,
}

# Values shown under another name (the source writes countries in lowercase).
ALIASES: dict[str, dict[str, str]] = {"home_country": {"usa": "USA", "canada": "Canada"}}

# Technical duplicates, hidden from the data pane: the same values are one relationship away
# (keys on the far side of a relationship, a segment's name and perk copied onto each user).
HIDDEN: frozenset[tuple[str, str]] = frozenset(
    {
        ("dim_users", "user_id"),
        ("dim_users", "segment_id"),
        ("dim_users", "segment_name"),
        ("dim_users", "perk"),
        ("dim_trips", "trip_id"),
    }
)

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Names that sort in calendar order, not alphabetically.
SORT_ORDERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("dim_date", "month_name"): MONTHS,
    ("dim_date", "weekday_name"): WEEKDAYS,
}

# Drill-down hierarchies: name -> (table, columns from coarse to fine).
HIERARCHIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Calendar": ("dim_date", ("year", "quarter", "month_name", "calendar_date")),
    "Home Location": ("dim_users", ("home_country", "home_city", "home_airport")),
    "Destination": ("dim_trips", ("destination", "destination_airport")),
}

# What an analyst sees for each table in Tableau's data pane (and its folder).
TABLE_CAPTIONS: dict[str, str] = {
    "fact_sessions": "Sessions",
    "dim_users": "Users",
    "dim_trips": "Trips",
    "dim_segments": "Segments",
    "dim_date": "Calendar",
}

_WORDS = {"id": "ID", "usd": "(USD)", "iso": "ISO", "lat": "Latitude", "lon": "Longitude"}
_CAPTIONS: dict[tuple[str, str] | str, str] = {
    "runner_up_perk": "Runner-up Perk",
    **{column: f"Perk Fit: {perk}" for perk, column in SCORE_COLUMNS.items()},
    **{f"mean_{column}": f"Mean Perk Fit: {perk}" for perk, column in SCORE_COLUMNS.items()},
    # The trip's own booking flags, next to the session's of the same name.
    ("dim_trips", "flight_booked"): "Flight Booked on Trip",
    ("dim_trips", "hotel_booked"): "Hotel Booked on Trip",
}


@dataclass(frozen=True, slots=True)
class Field:
    """One field of the Tableau data source, as an analyst meets it."""

    table: str
    column: str
    name: str  # Tableau's field name: the column, suffixed ' (table)' when an earlier table has it
    caption: str
    datatype: str
    role: str  # 'dimension' or 'measure'
    type: str  # 'nominal', 'ordinal' or 'quantitative'
    description: str
    unit: Unit | None = None
    semantic_role: str | None = None
    hidden: bool = False

    @property
    def key(self) -> str:
        return f"[{self.name}]"


def caption(column: str, *, table: str | None = None) -> str:
    """The friendly caption of a column ('base_fare_usd' -> 'Base Fare (USD)')."""
    named = _CAPTIONS.get((table, column)) if table else None
    if named is None:
        named = _CAPTIONS.get(column)
    if named is not None:
        return named
    return " ".join(_WORDS.get(w, w.capitalize()) for w in column.split("_"))


def star_order() -> list[Table]:
    """Fact first, so shared key names stay bare on the fact table (as Tableau names them)."""
    return sorted(LAYER.tables, key=lambda t: (t.name != "fact_sessions", t.name))


def _is_key(table: Table, column: str) -> bool:
    return column in table.primary_key or any(column in fk.columns for fk in table.foreign_keys)


def _unit(table: Table, column: str) -> Unit:
    if column not in UNITS:
        raise KeyError(
            f"mart column {table.name}.{column} is a measure without a unit: "
            "add it to UNITS in traveltide/contract/tableau.py"
        )
    return UNITS[column]


def fields() -> list[Field]:
    """Every field of the star, tables in star order, columns in contract order."""
    out: list[Field] = []
    taken: set[str] = set()
    for table in star_order():
        for column in table.columns:
            name = column.name if column.name not in taken else f"{column.name} ({table.name})"
            taken.add(column.name)
            datatype = TABLEAU_TYPES[column.type]
            numeric = datatype in {"integer", "real"}
            measure = numeric and not _is_key(table, column.name) and table.name != "dim_date"
            label = caption(column.name, table=table.name)
            hidden = (table.name, column.name) in HIDDEN
            if hidden:
                label = f"{label} ({TABLE_CAPTIONS[table.name]})"
            kind = "quantitative" if measure else "nominal"
            if not measure and datatype in {"date", "datetime", "integer"}:
                kind = "ordinal"
            out.append(
                Field(
                    table=table.name,
                    column=column.name,
                    name=name,
                    caption=label,
                    datatype=datatype,
                    role="measure" if measure else "dimension",
                    type=kind,
                    description=column.description,
                    unit=_unit(table, column.name) if measure else None,
                    semantic_role=SEMANTIC_ROLES.get(column.name),
                    hidden=hidden,
                )
            )
    return out
