"""What ``traveltide inspect PATH.hyper`` prints: the extract as read from the file itself.

Tables with row counts and declared keys, the Hyper file format version, and a short
summary of the run's ``manifest.json`` when one sits next to the extract.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from traveltide.extract import ExtractDescription, describe_extract

__all__ = ["MANIFEST_NAME", "inspect_text", "format_description", "manifest_summary"]

MANIFEST_NAME = "manifest.json"


def format_description(*, description: ExtractDescription) -> list[str]:
    """Lines listing each table of the extract with its rows, columns and keys."""
    lines = [
        f"extract: {description.path}",
        f"file format version: {description.file_version or 'unknown'}",
        f"{'table':<16} {'rows':>12} {'columns':>8}  keys",
    ]
    for table in description.tables:
        keys = []
        if table.primary_key:
            keys.append(f"PK ({', '.join(table.primary_key)})")
        for fk in table.foreign_keys:
            keys.append(f"FK ({', '.join(fk.columns)}) -> {fk.ref_table} ({', '.join(fk.ref_columns)})")
        first, *rest = keys or ["no keys"]
        lines.append(f"{table.name:<16} {table.rows:>12,} {len(table.columns):>8}  {first}")
        lines += [f"{'':<39}{k}" for k in rest]
    return lines


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def manifest_summary(*, manifest: dict[str, Any]) -> list[str]:
    """A few lines from a manifest: its plain top-level values, and for nested entries
    their own plain values (one level down) so a reader sees what, when and from where."""
    lines = []
    for key, value in manifest.items():
        if _scalar(value):
            lines.append(f"  {key}: {value}")
        elif isinstance(value, dict):
            plain = {k: v for k, v in value.items() if _scalar(v)}
            nested = len(value) - len(plain)
            shown = ", ".join(f"{k}={v}" for k, v in list(plain.items())[:6])
            more = f" (+{nested} nested)" if nested else ""
            lines.append(f"  {key}: {shown or '{...}'}{more}")
        elif isinstance(value, list):
            lines.append(f"  {key}: {len(value)} entries")
    return lines


def inspect_text(*, path: Path) -> str:
    """The text ``traveltide inspect`` prints for the extract at ``path``."""
    lines = format_description(description=describe_extract(path=path))
    manifest = path.parent / MANIFEST_NAME
    if manifest.is_file():
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            lines += ["", f"manifest: {manifest} is not valid JSON ({exc}); the run that wrote it did not finish"]
        else:
            lines += ["", f"manifest: {manifest}", *manifest_summary(manifest=doc)]
    else:
        lines += ["", f"manifest: none next to the extract ({manifest})"]
    return "\n".join(lines)
