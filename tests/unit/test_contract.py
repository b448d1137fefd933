"""The registry states each table once, and everything about a table is found by its name."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files

import pytest

from traveltide import contract
from traveltide.quality.suites import contract_expectations, default_expectations_dir

SQL = files("traveltide.sql")
TABLES = [t for layer in contract.LAYERS for t in layer.tables]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.qualified_name)
def test_every_table_has_its_sql_by_name(table: contract.Table) -> None:
    sql = SQL / table.layer / f"{table.name}.sql"
    if table.layer == "bronze":  # loaded by bronze/load.py (read_export.sql; rejects.sql fills bronze.rejects)
        return
    if table.materialized == "python":
        assert not sql.is_file()
        return
    assert sql.read_text(encoding="utf-8").startswith("-- "), f"{sql} states its grain on its first line"


@pytest.mark.parametrize("layer", ["silver", "gold", "mart"])
def test_no_sql_file_without_a_table(layer: str) -> None:
    declared = {t.name for t in contract.layer(layer).tables}
    found = {p.name.removesuffix(".sql") for p in (SQL / layer).iterdir() if p.name.endswith(".sql")}
    assert found <= declared


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.qualified_name)
def test_keys_name_declared_columns(table: contract.Table) -> None:
    for column in table.primary_key:
        assert not table.column(column).nullable, f"{table.qualified_name}.{column} is a key: NOT NULL"
    for fk in table.foreign_keys:
        target = contract.table(table.references(fk))
        for column, ref in zip(fk.columns, fk.ref_columns, strict=True):
            assert table.column(column).type == target.column(ref).type, (table.qualified_name, column)
        assert target.primary_key == fk.ref_columns, (
            f"{table.qualified_name} references a key of {target.qualified_name}"
        )


def test_registry_finds_a_table_by_its_qualified_name() -> None:
    assert contract.table("silver.sessions") is contract.silver.SESSIONS
    with pytest.raises(KeyError, match=r"no gold table 'nope'"):
        contract.table("gold.nope")
    with pytest.raises(KeyError, match=r"no layer 'platinum'"):
        contract.layer("platinum")


@pytest.mark.parametrize("table", [t for t in TABLES if t.published], ids=lambda t: t.qualified_name)
def test_suite_files_hold_only_what_the_contract_does_not_say(table: contract.Table) -> None:
    """Keys, foreign keys, types and NOT NULL come from the contract; the JSON never restates them."""
    raw = json.loads((default_expectations_dir() / table.layer / f"{table.name}.json").read_text(encoding="utf-8"))
    generated = {
        json.dumps({k: e[k] for k in ("type", "kwargs")}, sort_keys=True) for e in contract_expectations(table=table)
    }
    required = {c.name for c in table.columns if not c.nullable}
    for e in raw["expectations"]:
        assert json.dumps({k: e.get(k, {}) for k in ("type", "kwargs")}, sort_keys=True) not in generated
        assert e["type"] != "expect_column_values_to_be_unique", "primary keys are declared in the contract"
        assert " values missing from " not in e["kwargs"].get("description", ""), "foreign keys are declared"
        if e["type"] == "expect_column_values_to_not_be_null":
            assert e["kwargs"]["column"] not in required


def test_the_package_never_imports_the_flows() -> None:
    code = (
        "import pkgutil, importlib, sys, traveltide\n"
        "for m in pkgutil.walk_packages(traveltide.__path__, 'traveltide.'):\n"
        "    importlib.import_module(m.name)\n"
        "sys.exit(1 if 'flows' in sys.modules or any(k.startswith('flows.') for k in sys.modules) else 0)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
