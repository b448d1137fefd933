"""Expectation suites: the reviewed JSON files in ``expectations/<layer>/<table>.json`` plus
the part that follows from the data contract (columns, types, NOT NULL, non-empty), generated
at load time so suite and contract cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from traveltide.contract import Table

__all__ = [
    "LAYERS",
    "SEVERITIES",
    "DEFAULT_EXPECTATIONS_DIR",
    "Layer",
    "Suite",
    "SuiteError",
    "contract_tables",
    "contract_expectations",
    "load_layer_suites",
]

Layer = Literal["bronze", "silver", "gold", "mart"]
LAYERS: tuple[str, ...] = ("bronze", "silver", "gold", "mart")
SEVERITIES: tuple[str, ...] = ("critical", "warning")
DEFAULT_EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"
# Gold and mart are built by the toolkit's own SQL, and gold has 65 NOT NULL columns: there
# one SQL check per table names any column with NULLs. Each GX expectation costs about 35 ms
# of Python, so 65 per-column checks cost 2 s a run. Bronze and silver keep one expectation per
# column, so a NULL in the source data is reported as that column's own check.
_ONE_NULL_CHECK_PER_TABLE: tuple[str, ...] = ("gold", "mart")


class SuiteError(ValueError):
    """A suite file is missing or malformed; the message names the file and what to fix."""


@dataclass(frozen=True, slots=True)
class Suite:
    """One table's expectations: GX-ready dicts, each with meta severity and why."""

    name: str
    layer: str
    table: str
    path: Path
    expectations: tuple[dict[str, Any], ...]

    @property
    def qualified_table(self) -> str:
        return f"{self.layer}.{self.table}"


def contract_tables(*, layer: Layer) -> tuple[Table, ...]:
    """The contract's tables of ``layer`` in build order (gold includes the segments)."""
    if layer == "bronze":
        from traveltide.contract import bronze as module
    elif layer == "silver":
        from traveltide.contract import silver as module
    elif layer == "gold":
        from traveltide.contract import gold as module
        from traveltide.contract import segments

        return (*module.TABLES, *segments.TABLES)
    elif layer == "mart":
        from traveltide.contract import mart as module
    else:
        raise SuiteError(f"unknown layer {layer!r}; expected one of {list(LAYERS)}")
    return module.TABLES


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def contract_expectations(*, table: Table) -> list[dict[str, Any]]:
    """Expectations every table gets from its contract: non-empty, columns in order, types, NOT NULL."""
    why_contract = f"traveltide/contract/{table.layer}.py defines {table.qualified_name}"
    expected = ", ".join(
        f"({i}, {_sql_literal(c.name)}, {_sql_literal(c.type)})" for i, c in enumerate(table.columns, 1)
    )
    types_query = (
        f"with expected(position, column_name, expected_type) as (values {expected}), "
        "actual as (select column_name, column_type from (describe select * from {batch})) "
        "select e.column_name, e.expected_type, coalesce(a.column_type, 'missing') as actual_type "
        "from expected e left join actual a using (column_name) "
        "where a.column_type is distinct from e.expected_type order by e.position"
    )
    generated: list[dict[str, Any]] = [
        {
            "type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": 1},
            "meta": {"severity": "critical", "why": "An empty table means an upstream step lost the data."},
        },
        {
            "type": "expect_table_columns_to_match_ordered_list",
            "kwargs": {"column_list": list(table.column_names)},
            "meta": {"severity": "critical", "why": f"Column names and order: {why_contract}."},
        },
        {
            "type": "unexpected_rows_expectation",
            "kwargs": {
                "unexpected_rows_query": types_query,
                "description": "Every contract column exists with its contract type (rows: column, expected, actual).",
            },
            "meta": {"severity": "critical", "why": f"Column types: {why_contract}; the SQL casts, Hyper and the dictionary rely on them."},
        },
    ]
    required = [c for c in table.columns if not c.nullable]
    if table.layer in _ONE_NULL_CHECK_PER_TABLE and required:
        counts = ", ".join(f"count(*) filter (where {c.name} is null) as {c.name}" for c in required)
        names = ", ".join(c.name for c in required)
        generated.append(
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {
                    "unexpected_rows_query": (
                        f"select column_name, nulls from (select {counts} from {{batch}}) "
                        f"unpivot (nulls for column_name in ({names})) where nulls > 0"
                    ),
                    "description": "No NULL in the contract's NOT NULL columns (rows: column, nulls).",
                },
                "meta": {"severity": "critical", "why": f"NOT NULL in the contract: {names}."},
            }
        )
        return generated
    for column in required:
        generated.append(
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": column.name},
                "meta": {"severity": "critical", "why": f"{column.name} is NOT NULL in the contract ({column.description})"},
            }
        )
    return generated


def _check_expectation(path: Path, index: int, item: Any) -> dict[str, Any]:
    where = f"{path}: expectation #{index + 1}"
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise SuiteError(f"{where} needs a 'type' (e.g. expect_column_values_to_be_unique)")
    meta = item.get("meta") or {}
    if meta.get("severity") not in SEVERITIES:
        raise SuiteError(f"{where} ({item['type']}) needs meta.severity 'critical' or 'warning', got {meta.get('severity')!r}")
    if not str(meta.get("why", "")).strip():
        raise SuiteError(f"{where} ({item['type']}) needs meta.why: say why a reviewer should care")
    return {"type": item["type"], "kwargs": dict(item.get("kwargs") or {}), "meta": dict(meta)}


def load_layer_suites(*, layer: Layer, expectations_dir: Path = DEFAULT_EXPECTATIONS_DIR) -> tuple[Suite, ...]:
    """One suite per contract table of ``layer``, read from ``<expectations_dir>/<layer>/<table>.json``."""
    tables = contract_tables(layer=layer)
    folder = Path(expectations_dir) / layer
    known = {t.name for t in tables}
    strays = sorted(p.name for p in folder.glob("*.json") if p.stem not in known)
    if strays:
        raise SuiteError(f"{folder}: {strays} match no {layer} table of the contract {sorted(known)}; rename or remove them")
    suites = []
    for table in tables:
        path = folder / f"{table.name}.json"
        if not path.is_file():
            raise SuiteError(f"{path} is missing: every {layer} table of the contract needs a suite file")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{path} is not valid JSON: {exc}") from None
        items = raw.get("expectations") if isinstance(raw, dict) else None
        if not isinstance(items, list):
            raise SuiteError(f"{path} needs an 'expectations' list")
        written = [_check_expectation(path, i, item) for i, item in enumerate(items)]
        suites.append(
            Suite(
                name=table.qualified_name,
                layer=layer,
                table=table.name,
                path=path,
                expectations=(*contract_expectations(table=table), *written),
            )
        )
    return tuple(suites)
