"""Every source line a run did not take as it is, published with the run.

``exports/rejects/rejects.csv`` and ``rejects.parquet`` hold one row per line and reason: the
lines bronze could not parse (``bronze.rejects``) and the lines of every key silver set aside
(a NULL key, repeated or conflicting rows, sessions of unknown users, implausible values),
each with its file, line number, reason, key and the line as written. Operators trace a
rejected row to the export without the run's database, which is deleted after publish.

Silver works on keys, not lines, so the lines of its keys are looked up in the export files
(a file is read only when silver set aside rows of its table: a clean export costs nothing).
Of identical repeats the first line stands for the row kept and the later ones are listed; of
conflicting rows every line is listed (silver kept the first in column order, not in file
order: ``silver.key_conflicts`` says which columns differ).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from traveltide.bronze.header import is_gzip
from traveltide.contract import bronze
from traveltide.sql import read_sql

__all__ = ["REJECTS_DIR", "Rejects", "write_rejects"]

REJECTS_DIR = "rejects"
_COLUMNS = (
    ("table_name", "VARCHAR"),
    ("file", "VARCHAR"),
    ("line", "BIGINT"),
    ("reason", "VARCHAR"),
    ("key_value", "VARCHAR"),
    ("raw_line", "VARCHAR"),
)
_KEYS = {t.name: t.primary_key[0] for t in bronze.LAYER.published}


@dataclass(frozen=True)
class Rejects:
    """Where the rejects went (relative to the exports folder) and how many lines per table and reason."""

    csv: str
    parquet: str
    lines: int
    by_reason: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the run manifest."""
        return {"csv": self.csv, "parquet": self.parquet, "lines": self.lines, "by_reason": self.by_reason}


def _normal_key(table: str, text: str) -> str | None:
    """The key as silver writes it (users' ids are integers: '007' is 7); an empty field is NULL."""
    text = text.strip()
    if not text:
        return None
    if table == "users":
        try:
            return str(int(text))
        except ValueError:
            return text
    return text


def _lines_of_keys(*, table: str, path: Path, wanted: dict[str | None, list[str]]) -> Iterator[tuple[Any, ...]]:
    """(table, file, line, reason, key, raw line) for each line of ``path`` whose key is in ``wanted``."""
    with (
        gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
        if is_gzip(path)
        else path.open(encoding="utf-8", errors="replace", newline="")
    ) as f:
        header = next(csv.reader([f.readline().lstrip("\ufeff").rstrip("\r\n")]))
        position = [h.strip().lower() for h in header].index(_KEYS[table])
        first_copies: set[str | None] = set()  # an identical repeat's first line is the row kept
        for number, line in enumerate(f, start=2):
            raw = line.rstrip("\r\n")
            if '"' in raw:
                fields = next(csv.reader([raw]), [])
            else:
                fields = raw.split(",", position + 1)
            key = _normal_key(table, fields[position]) if position < len(fields) else None
            for reason in wanted.get(key, ()):
                if reason == "repeated row" and key not in first_copies:
                    first_copies.add(key)
                    continue
                yield (table, str(path), number, reason, key, raw)


def write_rejects(*, con: duckdb.DuckDBPyConnection, out_dir: Path) -> Rejects:
    """Write ``out_dir/rejects/rejects.{csv,parquet}``, sorted by table and line; always written, empty or not."""
    keys = con.sql(read_sql(layer="rejects", name="set_aside_keys")).fetchall()
    wanted: dict[str, dict[str | None, list[str]]] = {}
    for table, key, reason in keys:
        wanted.setdefault(table, {}).setdefault(key, []).append(reason)
    sources = dict(con.sql("select table_name, file from bronze.sources").fetchall())
    found = [
        row
        for table in sorted(wanted)
        for row in _lines_of_keys(table=table, path=Path(sources[table]), wanted=wanted[table])
    ]

    columns = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS)
    con.execute(f"create or replace temp table rejects_set_aside ({columns})")
    if found:
        con.executemany("insert into rejects_set_aside values (?, ?, ?, ?, ?, ?)", found)
    con.execute(f"create or replace temp table rejects_all as {read_sql(layer='rejects', name='rejects')}")
    folder = out_dir / REJECTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    con.execute("copy rejects_all to $path (format csv, header true)", {"path": str(folder / "rejects.csv")})
    con.execute("copy rejects_all to $path (format parquet)", {"path": str(folder / "rejects.parquet")})
    by_reason: dict[str, dict[str, int]] = {}
    for table, reason, n in con.sql(
        "select table_name, split_part(reason, ':', 1), count(*) from rejects_all group by all order by all"
    ).fetchall():
        by_reason.setdefault(table, {})[reason] = int(n)
    lines = con.sql("select count(distinct (table_name, file, line)) from rejects_all").fetchall()[0][0]
    return Rejects(
        csv=f"{REJECTS_DIR}/rejects.csv",
        parquet=f"{REJECTS_DIR}/rejects.parquet",
        lines=int(lines),
        by_reason=by_reason,
    )
