"""Expectation suites: the reviewed business rules in ``expectations/<layer>/<table>.json`` plus
what follows from the data contract (non-empty, columns, types, NOT NULL, primary and foreign
keys), generated at load time so suite and contract cannot drift apart.

The suites ship with the package: a wheel carries ``expectations/`` as ``traveltide/expectations``
(``pyproject.toml``); a source checkout reads the top-level folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import traveltide
from traveltide import contract
from traveltide.contract import ForeignKey, Table
from traveltide.errors import TravelTideError

__all__ = [
    "LAYERS",
    "SEVERITIES",
    "LayerName",
    "Suite",
    "SuiteError",
    "contract_expectations",
    "default_expectations_dir",
    "load_layer_suites",
]

LayerName = Literal["bronze", "silver", "gold", "mart"]
LAYERS: tuple[LayerName, ...] = get_args(LayerName)
if tuple(layer.name for layer in contract.LAYERS) != LAYERS:
    raise AssertionError("LayerName must list the contract's layers in pipeline order")
SEVERITIES: tuple[str, ...] = ("critical", "warning")
# Gold and mart are built by the toolkit's own SQL, and gold has 65 NOT NULL columns: there
# one SQL check per table names any column with NULLs. Each GX expectation costs about 35 ms
# of Python, so 65 per-column checks cost 2 s a run. Bronze and silver keep one expectation per
# column, so a NULL in the source data is reported as that column's own check.
_ONE_NULL_CHECK_PER_TABLE: tuple[str, ...] = ("gold", "mart")


class SuiteError(TravelTideError, ValueError):
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


def default_expectations_dir() -> Path:
    """The suites shipped with the package (a wheel), else the source tree's ``expectations/``."""
    package = Path(traveltide.__file__).resolve().parent
    shipped = package / "expectations"
    return shipped if shipped.is_dir() else package.parent / "expectations"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _critical(*, query: str, description: str, why: str) -> dict[str, Any]:
    return {
        "type": "unexpected_rows_expectation",
        "kwargs": {"unexpected_rows_query": query, "description": description},
        "meta": {"severity": "critical", "why": why},
    }


def _unique_key(table: Table) -> dict[str, Any]:
    key = ", ".join(table.primary_key)
    present = " and ".join(f"{c} is not null" for c in table.primary_key)
    return _critical(
        query=(
            f"select {key}, count(*) as rows from {{batch}} where {present} and hash({key}) in "
            f"(select hash({key}) from {{batch}} where {present} group by 1 having count(*) > 1) "
            "group by all having count(*) > 1"
        ),
        description=f"{key} appears more than once (rows: {key}, rows)",
        why=(
            f"{table.qualified_name} holds one row per {key} (its primary key in traveltide/contract/"
            f"{table.layer}.py). Checked hash-first: the 64-bit hashes are grouped, and only keys whose "
            "hash repeats are grouped by the key itself (on millions of rows, cheaper than grouping strings)."
        ),
    )


def _resolves(table: Table, fk: ForeignKey) -> dict[str, Any]:
    if len(fk.columns) != 1:
        raise SuiteError(f"{table.qualified_name}: foreign keys of several columns are not checked; declare one column")
    (column,), (ref_column,) = fk.columns, fk.ref_columns
    ref = table.references(fk)
    return _critical(
        query=(
            f"select distinct {column} from {{batch}} where {column} is not null and {column} not in "
            f"(select {ref_column} from {ref} where {ref_column} is not null)"
        ),
        description=f"{column} values missing from {ref}.{ref_column}",
        why=(
            f"Every {table.qualified_name}.{column} resolves in {ref} (a foreign key in "
            f"traveltide/contract/{table.layer}.py); joins and the extract's relationships rely on it."
        ),
    )


def contract_expectations(*, table: Table) -> list[dict[str, Any]]:
    """What every table gets from its contract: non-empty, columns in order, types, NOT NULL, and,
    in layers that enforce them, a unique primary key and foreign keys that resolve."""
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
            "kwargs": {"min_value": 0 if table.may_be_empty else 1},
            "meta": {
                "severity": "critical",
                "why": "A list of problems: empty when there are none."
                if table.may_be_empty
                else "An empty table means an upstream step lost the data.",
            },
        },
        {
            "type": "expect_table_columns_to_match_ordered_list",
            "kwargs": {"column_list": list(table.column_names)},
            "meta": {"severity": "critical", "why": f"Column names and order: {why_contract}."},
        },
        _critical(
            query=types_query,
            description="Every contract column exists with its contract type (rows: column, expected, actual).",
            why=f"Column types: {why_contract}; the SQL casts, Hyper and the dictionary rely on them.",
        ),
    ]
    required = [c for c in table.columns if not c.nullable]
    if table.layer in _ONE_NULL_CHECK_PER_TABLE and required:
        counts = ", ".join(f"count(*) filter (where {c.name} is null) as {c.name}" for c in required)
        names = ", ".join(c.name for c in required)
        generated.append(
            _critical(
                query=(
                    f"select column_name, nulls from (select {counts} from {{batch}}) "
                    f"unpivot (nulls for column_name in ({names})) where nulls > 0"
                ),
                description="No NULL in the contract's NOT NULL columns (rows: column, nulls).",
                why=f"NOT NULL in the contract: {names}.",
            )
        )
    else:
        generated += [
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": column.name},
                "meta": {
                    "severity": "critical",
                    "why": f"{column.name} is NOT NULL in the contract ({column.description})",
                },
            }
            for column in required
        ]
    if contract.layer(table.layer).keys_enforced:
        if table.primary_key:
            generated.append(_unique_key(table))
        generated += [_resolves(table, fk) for fk in table.foreign_keys]
    return generated


def _check_expectation(path: Path, index: int, item: Any) -> dict[str, Any]:
    where = f"{path}: expectation #{index + 1}"
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise SuiteError(f"{where} needs a 'type' (e.g. expect_column_values_to_be_unique)")
    meta = item.get("meta") or {}
    if meta.get("severity") not in SEVERITIES:
        raise SuiteError(
            f"{where} ({item['type']}) needs meta.severity 'critical' or 'warning', got {meta.get('severity')!r}"
        )
    if not str(meta.get("why", "")).strip():
        raise SuiteError(f"{where} ({item['type']}) needs meta.why: say why a reviewer should care")
    return {"type": item["type"], "kwargs": dict(item.get("kwargs") or {}), "meta": dict(meta)}


def load_layer_suites(*, layer: LayerName, expectations_dir: Path | None = None) -> tuple[Suite, ...]:
    """One suite per published table of ``layer``, read from ``<expectations_dir>/<layer>/<table>.json``
    (default: :func:`default_expectations_dir`)."""
    if layer not in LAYERS:
        raise SuiteError(f"unknown layer {layer!r}; expected one of {list(LAYERS)}")
    tables = contract.layer(layer).published
    folder = Path(expectations_dir or default_expectations_dir()) / layer
    known = {t.name for t in tables}
    strays = sorted(p.name for p in folder.glob("*.json") if p.stem not in known)
    if strays:
        raise SuiteError(
            f"{folder}: {strays} match no {layer} table of the contract {sorted(known)}; rename or remove them"
        )
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
