"""Read an export's header line and match its columns to the bronze contract by name.

The header is read here, not by DuckDB, so columns are matched by name (any order, extra
columns ignored with a warning) and a missing, renamed or repeated column, an empty, header-only,
non-UTF-8 or corrupt file is reported with its file and the fix.

The first lines also tell the export's boolean dialect. Some exports write true as ``1`` and
false as an empty field (the course's cohort extracts); the source has no NULL in any boolean
column, so in a file whose booleans are only ``1`` and empty, an empty boolean is false.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

from traveltide.contract import Table
from traveltide.errors import TravelTideError

__all__ = ["BronzeError", "ColumnPlan", "is_gzip", "plan_columns", "read_header"]

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_HEADER_BYTES = 1 << 20
# Data lines read to tell the boolean dialect.
_DIALECT_SAMPLE_LINES = 2000
_FALSE_TOKENS = frozenset({"0", "f", "false", "n", "no"})
_OTHER_DELIMITERS = {";": "';'", "\t": "tab", "|": "'|'"}


class BronzeError(TravelTideError, ValueError):
    """A bronze export cannot be loaded; the message names the file, the column or line, and the fix."""


@dataclass(frozen=True)
class ColumnPlan:
    """How one export is read: its columns in file order with their read types, and its dialect."""

    table: Table
    path: Path
    compression: str
    columns: dict[str, str]
    warnings: tuple[str, ...]
    blank_is_false: bool = False


def is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == _GZIP_MAGIC


def read_header(*, path: Path) -> list[str]:
    """The column names on the first line of a CSV export (plain or gzip), as written.

    Raises :class:`BronzeError` for a missing, empty, header-only, non-UTF-8 or corrupt file.
    """
    if not path.is_file():
        raise BronzeError(f"{path}: file not found; put the export there or point the source at it")
    if path.stat().st_size == 0:
        raise BronzeError(f"{path}: the file is empty; re-export it with a header line and data")
    gz = is_gzip(path)
    try:
        with gzip.open(path, "rb") if gz else path.open("rb") as f:
            first = f.readline(_MAX_HEADER_BYTES)
            has_data = False
            for line in f:
                if line.strip():
                    has_data = True
                    break
    except (OSError, EOFError, zlib.error) as exc:
        what = "not a readable gzip file" if gz else "cannot be read"
        raise BronzeError(f"{path}: {what} ({exc}); copy, download or compress it again") from None
    if not first.strip():
        raise BronzeError(f"{path}: the first line is blank, expected a header line; remove the blank lines")
    if len(first) >= _MAX_HEADER_BYTES and not first.endswith(b"\n"):
        raise BronzeError(f"{path}: the first line is longer than 1 MiB, not a CSV header; check the file")
    try:
        text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise BronzeError(
            f"{path}: the header line is not UTF-8 text ({exc.reason} at byte {exc.start}); re-export the file as UTF-8"
        ) from None
    if not has_data:
        raise BronzeError(f"{path}: the file has a header line but no data rows; re-export it with its rows")
    return next(csv.reader([text]))


def plan_columns(*, table: Table, path: Path) -> ColumnPlan:
    header = read_header(path=path)
    expected = table.column_names
    if len(header) == 1 and len(expected) > 1:
        seen = [name for d, name in _OTHER_DELIMITERS.items() if d in header[0]]
        hint = f" (the header looks separated by {seen[0]})" if seen else ""
        raise BronzeError(
            f"{path}: the {table.name} export has a single column{hint}; "
            "expected comma-separated values: re-export it with ',' as the delimiter"
        )
    names = [h.strip().lower() for h in header]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise BronzeError(f"{path}: column(s) {duplicated} appear more than once in the header; keep one of each")
    extras = [h for h, n in zip(header, names, strict=False) if n not in expected]
    missing = [c for c in expected if c not in names]
    if missing:
        hints = []
        for col in missing:
            close = difflib.get_close_matches(col, [e.strip().lower() for e in extras], n=1, cutoff=0.6)
            hints.append(f"{col!r} (found {close[0]!r}: renamed?)" if close else repr(col))
        raise BronzeError(
            f"{path}: the {table.name} export lacks column(s) {', '.join(hints)}; "
            f"fix the header or re-export with all columns: {', '.join(expected)}"
        )
    warnings: tuple[str, ...] = (
        (f"{path}: extra column(s) {extras} are not part of the {table.name} contract and were ignored",)
        if extras
        else ()
    )
    columns = {
        (n if n in expected else f"_extra_{i}"): (table.column(n).type if n in expected else "VARCHAR")
        for i, n in enumerate(names)
    }
    booleans = [i for i, n in enumerate(names) if n in expected and table.column(n).type == "BOOLEAN"]
    blank_is_false = _blank_means_false(path=path, positions=booleans)
    if blank_is_false:
        warnings += (
            f"{path}: booleans are written as '1' and empty (no false value in the first lines); "
            "an empty boolean was read as false",
        )
    return ColumnPlan(table, path, "gzip" if is_gzip(path) else "none", columns, warnings, blank_is_false)


def _blank_means_false(*, path: Path, positions: list[int]) -> bool:
    """True when the boolean columns of the first data lines hold only '1' and empty fields."""
    if not positions:
        return False
    seen: set[str] = set()
    with (
        gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
        if is_gzip(path)
        else path.open(encoding="utf-8", errors="replace", newline="") as f
    ):
        reader = csv.reader(f)
        next(reader, None)
        for n, row in enumerate(reader):
            if n >= _DIALECT_SAMPLE_LINES:
                break
            seen.update(row[i].strip().lower() for i in positions if i < len(row))
    return "1" in seen and "" in seen and not (seen & _FALSE_TOKENS)
