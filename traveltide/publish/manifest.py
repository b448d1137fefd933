"""The run manifest: what the extract holds and where it came from, readable on its own, and
the few lines the terminal shows of it when a run has published."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from traveltide import __version__
from traveltide.pipeline import Cleaned, Cohort, Extracted, Fetched, Loaded, Star
from traveltide.publish.parquet import ParquetFile
from traveltide.publish.rejects import Rejects
from traveltide.run import Run
from traveltide.segmentation import Diagnostics, SegmentationResult
from traveltide.segmentation.drift import Drift
from traveltide.sources.hashing import files_sha256

__all__ = ["build_manifest", "format_summary", "read_manifest", "write_manifest"]


def build_manifest(
    *,
    run: Run,
    fetched: Fetched,
    loaded: Loaded,
    cleaned: Cleaned,
    cohort: Cohort,
    segments: SegmentationResult,
    diagnostics: Diagnostics,
    star: Star,
    extracted: Extracted,
    parquet: dict[str, dict[str, ParquetFile]],
    rejected: Rejects,
    drifted: Drift,
    sensitivity: list[dict[str, Any]],
) -> dict[str, Any]:
    """The manifest of a run whose checks all passed (publish, still to come, is not timed in it)."""
    return {
        "run_id": run.paths.run_id,
        "package_version": __version__,
        "started_at": run.started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "exports": str(run.paths.exports),
        "settings": run.settings.public_dict(),
        "source": fetched.to_dict(),
        "bronze": loaded.to_dict(),
        "silver": cleaned.to_dict(),
        "rejects": rejected.to_dict(),
        "row_counts": {"gold": cohort.to_dict(), "mart": dict(star.rows)},
        "segments": segments.to_dict() | diagnostics.to_dict(),
        "drift": drifted.to_dict(),
        "sensitivity": sensitivity,
        "validation": {layer: v.to_dict() for layer, v in run.finished_validation().items()},
        "extract": {
            **extracted.to_dict(),
            "parquet": {layer: {t: asdict(f) for t, f in files.items()} for layer, files in parquet.items()},
        },
        "timings_seconds": dict(run.timings),
    }


def format_summary(*, manifest: dict[str, Any]) -> str:
    """What the terminal shows after a published run: the extract, the cohort, the segments, where to look."""
    seg = manifest["segments"]
    lines = [
        f"Published {manifest['extract']['path']}",
        f"Cohort: {manifest['row_counts']['gold'].get('cohort')} users "
        f"(>= {manifest['settings']['min_sessions']} sessions since {manifest['settings']['start_date']})",
        f"Segments (k = {seg['k']}, {seg['k_note']}):",
    ]
    for s in seg["segments"]:
        lines.append(
            f"  {s['segment_id']}  {s['segment_name']:<28} {s['users']:>7} users  {s['perk']}"
            f" (usable by {s.get('eligible_users', s['users'])})"
        )
    lines.extend(
        f"Not offered: {p['perk']}: {p['reason'].removeprefix('Not offered: ')}"
        for p in seg.get("perk_support", ())
        if not p["supported"] and p["perk"] != "Free hotel meal"
    )
    if seg.get("offers", {}).get("none"):
        lines.append(f"No usable perk: {seg['offers']['none']} cohort user(s) (offered_perk empty)")
    stability = seg.get("stability")
    if stability:
        lines.append(
            f"Stability: mean adjusted Rand index {stability['mean_ari']:.2f} over {stability['rounds']} "
            f"bootstrap refits (warns below {stability['threshold']})"
        )
        lines.extend(f"  warning: {w}" for w in stability["warnings"])
    if seg.get("experiment"):
        lines.append(
            f"Experiment: {seg['experiment']['control_share']:.0%} of each segment held out as control "
            "(dim_users.experiment_group)"
        )
    drift = manifest["drift"]
    lines.append(f"Model: {drift['model']}: {drift['why']}")
    if drift["previous"]:
        lines.append(
            f"Since the previous run: {drift['changed_perk']} of {drift['returning_users']} returning users "
            f"changed perk ({drift['changed_share']:.1%}), {drift['changed_users']} changed segment or perk"
        )
    lines.extend(f"  warning: {w}" for w in drift["warnings"])
    lines.append(_checks_line(validation=manifest["validation"]))
    exports = manifest["exports"]
    rejects = manifest["rejects"]
    if rejects["lines"]:
        counts = Counter[str]()
        for reasons in rejects["by_reason"].values():
            counts.update(reasons)
        said = ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items()))
        lines.append(f"Set aside: {rejects['lines']} source line(s) ({said}): {exports}/{rejects['csv']}")
    else:
        lines.append("Set aside: no source line")
    lines.append(f"Manifest: {exports}/manifest.json   Data Docs: {exports}/data_docs/index.html")
    if manifest["extract"].get("tableau"):
        lines.append(
            f"Tableau: {exports}/traveltide.tdsx (the data source, to open or hand on), "
            f"{exports}/traveltide.twbx (starter workbook)"
        )
    for item in manifest.get("tableau", ()):
        lines.append(f"Published to Tableau: {item['kind']} {item['name']!r} in project {item['project']!r}")
    return "\n".join(lines)


def _checks_line(*, validation: dict[str, Any]) -> str:
    """One line for every layer's checks: how many passed and which failed as warnings."""
    layers = validation.values()
    passed, total = sum(v["passed"] for v in layers), sum(v["expectations"] for v in layers)
    warned = [
        f"{o['suite']}.{o['column']}" if o["column"] else f"{o['suite']} {o['expectation']}"
        for v in layers
        for o in v["outcomes"]
        if not o["success"] and o["severity"] == "warning"
    ]
    said = f"{len(warned)} warning(s): {', '.join(warned)}" if warned else "no warning"
    return f"Checks: {passed} of {total} expectations passed in {len(validation)} layers; {said}"


def write_manifest(*, manifest: dict[str, Any], path: Path, staging: Path) -> Path:
    """Write ``manifest`` plus the list of published files (size, SHA-256) as JSON at ``path``."""
    files = sorted(p for p in staging.rglob("*") if p.is_file() and p != path)
    outputs = [
        {"path": f.relative_to(staging).as_posix(), "size": f.stat().st_size, "sha256": sha}
        for f, sha in zip(files, files_sha256(paths=files), strict=True)
    ]
    doc = {**manifest, "outputs": outputs}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_manifest(*, path: Path) -> dict[str, Any]:
    """The manifest at ``path`` as a dict."""
    return json.loads(path.read_text(encoding="utf-8"))
