"""What ``traveltide inspect PATH.hyper`` prints: the extract as read from the file itself.

Tables with row counts and declared keys, the Hyper file format version, and a short
summary of the run's ``manifest.json`` when one sits next to the extract.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from traveltide.publish.extract import ExtractDescription, describe_extract
from traveltide.sources.hashing import file_sha256

__all__ = ["MANIFEST_NAME", "format_description", "inspect_text", "manifest_summary"]

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


def manifest_summary(*, manifest: dict[str, Any], extract: Path | None = None) -> list[str]:
    """What an operator asks of a run: when, from what, how many rows, which segments, which checks.

    With ``extract``, also whether that file is the one the manifest describes (its SHA-256).
    Parts a manifest lacks are left out, so older or partial manifests still print.
    """
    lines = []
    if "run_id" in manifest:
        lines.append(
            f"  run: {manifest['run_id']}, finished {manifest.get('finished_at', '?')}, "
            f"package {manifest.get('package_version', '?')}"
        )
    source = manifest.get("source") or {}
    for f in source.get("files", []):
        lines.append(
            f"  source {f.get('table')}: {f.get('origin')} ({f.get('size', 0):,} bytes, sha256 {str(f.get('sha256'))[:12]})"
        )
    bronze = manifest.get("bronze") or {}
    if bronze.get("rows"):
        rows = ", ".join(f"{t} {n:,}" for t, n in bronze["rows"].items())
        rejected = sum((bronze.get("rejected") or {}).values())
        lines.append(f"  bronze rows: {rows}; lines rejected: {rejected:,}")
    silver = manifest.get("silver") or {}
    aside: dict[str, int] = {}
    for table in silver.values():
        for reason, n in (table.get("set_aside") or {}).items():
            aside[reason] = aside.get(reason, 0) + n
    if aside:
        lines.append("  set aside in silver: " + ", ".join(f"{r} {n:,}" for r, n in aside.items()))
    settings = manifest.get("settings") or {}
    gold = (manifest.get("row_counts") or {}).get("gold") or {}
    if "cohort" in gold:
        lines.append(
            f"  cohort: {gold['cohort']:,} users with >= {settings.get('min_sessions', '?')} sessions "
            f"since {settings.get('start_date', '?')}"
        )
    segments = manifest.get("segments") or {}
    if segments.get("segments"):
        lines.append(f"  segments (k = {segments.get('k')}, {segments.get('k_selection', '?')}):")
        for seg in segments["segments"]:
            lines.append(f"    {seg['segment_id']} {seg['segment_name']}: {seg['users']:,} users -> {seg['perk']}")
    for layer, v in (manifest.get("validation") or {}).items():
        lines.append(
            f"  validation {layer}: {v.get('passed', '?')}/{v.get('expectations', '?')} passed, "
            f"{v.get('critical_failures', '?')} critical, {v.get('warnings', '?')} warnings"
        )
    if extract is not None:
        listed = {o.get("path"): o.get("sha256") for o in manifest.get("outputs", [])}
        if extract.name in listed:
            same = listed[extract.name] == file_sha256(path=extract)
            lines.append(
                "  extract matches this manifest (sha256)"
                if same
                else "  WARNING: the extract is not the file this manifest describes (sha256 differs); run again"
            )
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
            lines += ["", f"manifest: {manifest}", *manifest_summary(manifest=doc, extract=path)]
    else:
        lines += ["", f"manifest: none next to the extract ({manifest})"]
    return "\n".join(lines)
