"""Write the mart into one Tableau .hyper file, declare its keys and check the result.

pantab writes the tables from DuckDB's Arrow output (no pandas), the fact table streamed.
pantab applies ``not_null_columns`` to every table of a call, and ``fact_sessions.trip_id``
is nullable while ``dim_trips.trip_id`` is a key, so the tables go in two calls. Then
tableauhyperapi declares the assumed primary and foreign keys (pantab cannot), so Tableau
infers the star's relationships. The file is read back and compared with the contract and
the DuckDB counts before the caller may publish it. Hyper runs with logging off: no
``hyperd.log`` is left anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pantab
from tableauhyperapi import (
    Connection,
    HyperProcess,
    Nullability,
    TableName,
    Telemetry,
    escape_name,
    escape_string_literal,
)

from traveltide.build import check_contract
from traveltide.contract import ForeignKey, Table
from traveltide.contract.mart import HYPER_TYPES, LAYER, SCHEMA
from traveltide.errors import TravelTideError

__all__ = [
    "ExtractColumn",
    "ExtractDescription",
    "ExtractError",
    "ExtractTable",
    "describe_extract",
    "hyper_connection",
    "write_extract",
]

# Undocumented but stable .hyper header: b"Hyper" magic, file format version at bytes 10-11.
_MAGIC = b"Hyper"
_VERSION_OFFSET = 10


class ExtractError(TravelTideError, RuntimeError):
    """The written .hyper file does not hold what the mart holds; the message says what differs."""


@dataclass(frozen=True, slots=True)
class ExtractColumn:
    """A column as Hyper stores it."""

    name: str
    type: str
    nullable: bool


@dataclass(frozen=True, slots=True)
class ExtractTable:
    """A table of the extract with its row count and declared keys."""

    name: str
    rows: int
    columns: tuple[ExtractColumn, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]


@dataclass(frozen=True, slots=True)
class ExtractDescription:
    """What a .hyper file holds, read from the file itself."""

    path: Path
    file_version: str | None
    tables: tuple[ExtractTable, ...]

    def table(self, name: str) -> ExtractTable:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"{self.path} has no table {SCHEMA}.{name}")


@contextmanager
def hyper_connection(*, path: Path, file_version: str = "2") -> Iterator[Connection]:
    """A connection to an existing .hyper file through a Hyper process that writes no log."""
    params = {"log_config": "", "default_database_version": file_version}
    with HyperProcess(telemetry=Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters=params) as hyper:
        with Connection(endpoint=hyper.endpoint, database=path) as connection:
            yield connection


def _write_groups() -> list[list[Table]]:
    """Tables grouped so one pantab call per group can write them: pantab applies one set
    of NOT NULL names to all tables of a call, so a group never mixes a key column with a
    nullable column of the same name (fact_sessions.trip_id vs dim_trips.trip_id)."""
    groups: list[list[Table]] = []
    for table in sorted(LAYER.tables, key=lambda t: t.name == "fact_sessions"):
        for group in groups:
            members = [*group, table]
            not_null = {c.name for t in members for c in t.columns if not c.nullable}
            if not any(c.nullable and c.name in not_null for t in members for c in t.columns):
                group.append(table)
                break
        else:
            groups.append([table])
    return groups


def _table_name(name: str) -> TableName:
    return TableName(SCHEMA, name)


def _columns_sql(columns: tuple[str, ...]) -> str:
    return ", ".join(escape_name(c) for c in columns)


def _declare_keys(connection: Connection) -> None:
    for table in LAYER.tables:
        if table.primary_key:
            connection.execute_command(
                f"ALTER TABLE {_table_name(table.name)} ADD ASSUMED PRIMARY KEY ({_columns_sql(table.primary_key)})"
            )
    for table in LAYER.tables:
        for fk in table.foreign_keys:
            connection.execute_command(
                f"ALTER TABLE {_table_name(table.name)} ADD ASSUMED FOREIGN KEY ({_columns_sql(fk.columns)}) "
                f"REFERENCES {_table_name(fk.ref_table)} ({_columns_sql(fk.ref_columns)})"
            )


# One row per key column of each constraint of the schema, in key order.
_CONSTRAINTS_SQL = """
SELECT c.oid, c.contype, r.relname, f.relname, a.attname, fa.attname
FROM pg_catalog.pg_constraint AS c
JOIN pg_catalog.pg_class AS r ON r.oid = c.conrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = r.relnamespace
LEFT JOIN pg_catalog.pg_class AS f ON f.oid = c.confrelid
CROSS JOIN generate_series(1, 32) AS g(i)
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[g.i]
LEFT JOIN pg_catalog.pg_attribute AS fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[g.i]
WHERE n.nspname = {schema}
ORDER BY c.oid, g.i
"""


def _read_constraints(
    connection: Connection,
) -> tuple[dict[str, tuple[str, ...]], dict[str, list[ForeignKey]]]:
    keys: dict[int, tuple[str, str, str | None, list[str], list[str]]] = {}
    for oid, contype, relname, frelname, column, ref_column in connection.execute_list_query(
        _CONSTRAINTS_SQL.format(schema=escape_string_literal(SCHEMA))
    ):
        entry = keys.setdefault(oid, (contype, relname, frelname, [], []))
        entry[3].append(column)
        if ref_column is not None:
            entry[4].append(ref_column)
    primary: dict[str, tuple[str, ...]] = {}
    foreign: dict[str, list[ForeignKey]] = {}
    for contype, relname, frelname, columns, ref_columns in keys.values():
        if contype == "p":
            primary[relname] = tuple(columns)
        elif contype == "f" and frelname is not None:
            foreign.setdefault(relname, []).append(ForeignKey(tuple(columns), frelname, tuple(ref_columns)))
    return primary, foreign


def _file_version(path: Path) -> str | None:
    with path.open("rb") as f:
        head = f.read(_VERSION_OFFSET + 2)
    if not head.startswith(_MAGIC) or len(head) < _VERSION_OFFSET + 2:
        return None
    return str(int.from_bytes(head[_VERSION_OFFSET : _VERSION_OFFSET + 2], "little"))


def describe_extract(*, path: Path) -> ExtractDescription:
    """Tables, row counts, columns and declared keys of the .hyper file at ``path``."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such extract; run `traveltide run` or pass the path of a .hyper file")
    with hyper_connection(path=path) as connection:
        return _describe(connection, path)


def _describe(connection: Connection, path: Path) -> ExtractDescription:
    if SCHEMA not in {s.name.unescaped for s in connection.catalog.get_schema_names()}:
        raise ExtractError(f"{path} has no schema {SCHEMA!r}; it is not a TravelTide extract")
    primary, foreign = _read_constraints(connection)
    tables = []
    for name in sorted(connection.catalog.get_table_names(SCHEMA), key=lambda t: t.name.unescaped):
        definition = connection.catalog.get_table_definition(name)
        table = name.name.unescaped
        columns = tuple(
            ExtractColumn(c.name.unescaped, str(c.type), c.nullability == Nullability.NULLABLE)
            for c in definition.columns
        )
        rows = connection.execute_scalar_query(f"SELECT COUNT(*) FROM {name}")
        tables.append(ExtractTable(table, int(rows), columns, primary.get(table, ()), tuple(foreign.get(table, ()))))
    return ExtractDescription(path=path, file_version=_file_version(path), tables=tuple(tables))


def _compare(description: ExtractDescription, counts: dict[str, int], file_version: str) -> list[str]:
    problems = []
    found = sorted(t.name for t in description.tables)
    if found != sorted(counts):
        problems.append(f"tables {found} != expected {sorted(counts)}")
    if description.file_version != file_version:
        problems.append(f"file format version {description.file_version} != {file_version}")
    for table in LAYER.tables:
        if table.name not in found:
            continue
        got = description.table(table.name)
        expected = tuple(ExtractColumn(c.name, HYPER_TYPES[c.type], c.nullable) for c in table.columns)
        if got.columns != expected:
            problems.append(f"{table.name}: columns {got.columns} != contract {expected}")
        if got.rows != counts[table.name]:
            problems.append(f"{table.name}: {got.rows} rows in the extract, {counts[table.name]} in mart")
        if got.primary_key != table.primary_key:
            problems.append(f"{table.name}: primary key {got.primary_key} != {table.primary_key}")
        if sorted(got.foreign_keys, key=repr) != sorted(table.foreign_keys, key=repr):
            problems.append(f"{table.name}: foreign keys {got.foreign_keys} != {table.foreign_keys}")
    return problems


def write_extract(*, con: duckdb.DuckDBPyConnection, path: Path, file_version: str = "2") -> dict[str, int]:
    """Write mart.* into one .hyper at ``path`` (replaced if present), declare keys, verify.

    ``path`` is a staging path: publishing it atomically is the caller's job, after the mart's
    checks (its keys among them) passed. Returns the row count per table. Raises
    :class:`ExtractError` (and removes the file) if the file read back differs from the mart or
    the contract.
    """
    counts = {}
    for table in LAYER.tables:
        check_contract(con=con, table=table, hint="build the mart first")
        counts[table.name] = con.execute(f"select count(*) from {table.qualified_name}").fetchall()[0][0]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a leftover of a killed run is not a database pantab can replace
    # No log_config here: pantab turns logging off itself, and drops a log_config it is given.
    params = {"default_database_version": file_version}
    try:
        mode = "w"
        for group in _write_groups():
            not_null = {c.name for t in group for c in t.columns if not c.nullable}
            if len(group) == 1:  # stream the (large) fact table straight from DuckDB
                frames = {(SCHEMA, group[0].name): con.sql(f'select * from mart."{group[0].name}"').arrow()}
            else:  # one open stream per connection: small dimensions are materialised
                frames = {(SCHEMA, t.name): con.sql(f'select * from mart."{t.name}"').to_arrow_table() for t in group}
            pantab.frames_to_hyper(
                frames, path, table_mode=mode, not_null_columns=not_null, process_params=params, atomic=False
            )
            mode = "a"
        # One Hyper process declares the keys and reads the file back (each start costs 0.2 s).
        with hyper_connection(path=path, file_version=file_version) as connection:
            _declare_keys(connection)
            problems = _compare(_describe(connection, path), counts, file_version)
        if problems:
            raise ExtractError(f"{path} failed its checks and was removed: " + "; ".join(problems))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return counts
