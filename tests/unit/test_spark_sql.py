"""The path past one machine stays real: every SQL file transpiles from DuckDB to Spark SQL with
SQLGlot and the result parses as Spark SQL (docs/scaling.md).

What Spark would have to provide itself is listed here, so a new DuckDB-only construct fails
this test until it is added to the list (and to docs/scaling.md): the five DuckDB table macros
(created as temporary views or SQL functions on Spark) and DuckDB's ``query_table``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

SQL = Path(__file__).resolve().parents[2] / "traveltide" / "sql"
FILES = sorted(SQL.rglob("*.sql"))
MACROS = {"differing_columns", "number_outside_bounds", "repeated_keys", "set_aside_counts", "time_outside_bounds"}
DUCKDB_ONLY = {name.upper() for name in MACROS} | {"QUERY_TABLE"}


# A file read through a parameter (read_parquet($previous)) has its path bound as a literal
# first, as a Spark runner must: SQLGlot would otherwise read the parameter's name as the path.
_PATH_PARAMETER = re.compile(r"\b(read_parquet|read_csv)\(\s*\$(\w+)")


def _source(path: Path) -> str:
    return _PATH_PARAMETER.sub(r"\1('/data/\2'", path.read_text(encoding="utf-8"))


def _spark(path: Path) -> list[str]:
    return sqlglot.transpile(
        _source(path), read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE, comments=False
    )


def test_every_sql_file_is_covered() -> None:
    assert len(FILES) >= 30
    assert {p.stem for p in (SQL / "macros").glob("*.sql")} == MACROS


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SQL)))
def test_transpiles_to_spark_and_parses_there(path: Path) -> None:
    statements = _spark(path)
    assert statements
    parameters = set(re.findall(r"\$(\w+)", re.sub(r"--[^\n]*", "", _source(path))))
    paths = set(_PATH_PARAMETER.findall(path.read_text(encoding="utf-8")))
    for statement in statements:
        tree = sqlglot.parse_one(statement, read="spark", error_level=ErrorLevel.RAISE)
        if path.parent.name == "macros":
            # DuckDB table macros have no Spark form; SQLGlot keeps them as an opaque command.
            assert isinstance(tree, exp.Command) and "MACRO" in statement.upper()
            continue
        assert not list(tree.find_all(exp.Command)), statement[:200]
        unknown = {f.name.upper() for f in tree.find_all(exp.Anonymous)}
        assert unknown <= DUCKDB_ONLY, f"{path.name}: {sorted(unknown - DUCKDB_ONLY)} have no Spark form"
        assert not re.search(r"\$\w+", statement), "a DuckDB $parameter left in the Spark SQL"
    if path.parent.name != "macros":
        # $name parameters become Spark's named parameter markers (spark.sql(query, args=...)).
        spark_text = " ".join(statements)
        for name in parameters:
            assert f":{name}" in spark_text, f"{path.name}: ${name} is not a Spark parameter marker"
        for reader, name in paths:
            assert f"/data/{name}" in spark_text, f"{path.name}: {reader}(${name}) lost its path"


def test_the_check_catches_a_construct_spark_lacks(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("select duckdb_only_function(xs) as s, $limit as n from t", encoding="utf-8")
    with pytest.raises(AssertionError):
        test_transpiles_to_spark_and_parses_there(bad)
