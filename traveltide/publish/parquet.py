"""Export the silver and gold tables as Parquet, the layered exports other tools read.

Every published table of silver and gold (views included, work tables not) becomes
``<out_dir>/<layer>/<table>.parquet`` (DuckDB ``COPY``, the path bound as a parameter);
the row counts go into the manifest. The files carry no bloom filters: DuckDB writes one per
dictionary-encoded column by default, which cost 18 % of the export's CPU at full scale and
help only point lookups (``WHERE session_id = ...``), which other tools rarely make on these files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from traveltide import contract

__all__ = ["LAYERS", "ParquetFile", "export_parquet"]

# The layers exported, each with its published tables (work tables stay inside the run).
LAYERS: tuple[str, ...] = ("silver", "gold")


@dataclass(frozen=True)
class ParquetFile:
    """One exported table: its path relative to the export folder, rows and size."""

    path: str
    rows: int
    bytes: int


def export_parquet(*, con: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, dict[str, ParquetFile]]:
    """Write each silver and gold table to ``out_dir/<layer>/<table>.parquet``; the files by layer and table.

    Raises ``ValueError`` if a layer has no tables (the run did not build it).
    """
    exported: dict[str, dict[str, ParquetFile]] = {}
    present = set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())
    for layer in LAYERS:
        tables = [table.name for table in contract.layer(layer).published if (layer, table.name) in present]
        if not tables:
            raise ValueError(f"schema {layer!r} has no tables to export; build the {layer} layer before exporting")
        folder = out_dir / layer
        folder.mkdir(parents=True, exist_ok=True)
        exported[layer] = {}
        for table in tables:
            target = folder / f"{table}.parquet"
            quoted = '"' + layer + '"."' + table.replace('"', '""') + '"'
            rows = con.execute(
                f"copy {quoted} to $path (format parquet, write_bloom_filter false)", {"path": str(target)}
            ).fetchall()[0][0]
            exported[layer][table] = ParquetFile(
                path=target.relative_to(out_dir).as_posix(), rows=int(rows), bytes=target.stat().st_size
            )
    return exported
