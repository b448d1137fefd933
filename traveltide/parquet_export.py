"""Export the silver and gold tables as Parquet, the layered exports other tools read.

Every table of the ``silver`` and ``gold`` schemas becomes ``<out_dir>/<layer>/<table>.parquet``
(DuckDB ``COPY``, the path bound as a parameter); the row counts go into the manifest.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

__all__ = ["LAYERS", "export_parquet"]

LAYERS: tuple[str, ...] = ("silver", "gold")


def export_parquet(*, con: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, dict[str, dict[str, object]]]:
    """Write each silver and gold table to ``out_dir/<layer>/<table>.parquet``.

    Returns ``{layer: {table: {"path": relative path, "rows": n, "bytes": size}}}``.
    Raises ``ValueError`` if a layer has no tables (the run did not build it).
    """
    exported: dict[str, dict[str, dict[str, object]]] = {}
    for layer in LAYERS:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
                [layer],
            ).fetchall()
        ]
        if not tables:
            raise ValueError(f"schema {layer!r} has no tables to export; build the {layer} layer before exporting")
        folder = out_dir / layer
        folder.mkdir(parents=True, exist_ok=True)
        exported[layer] = {}
        for table in tables:
            target = folder / f"{table}.parquet"
            quoted = '"' + layer + '"."' + table.replace('"', '""') + '"'
            rows = con.execute(f"copy {quoted} to $path (format parquet)", {"path": str(target)}).fetchall()[0][0]
            exported[layer][table] = {
                "path": target.relative_to(out_dir).as_posix(),
                "rows": int(rows),
                "bytes": target.stat().st_size,
            }
    return exported
