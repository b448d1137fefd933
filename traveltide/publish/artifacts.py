"""What a run shows in the Prefect UI, as plain data: the flow publishes these as artifacts.

Built from the manifest, so the UI, the report and ``manifest.json`` say the same thing. Counts
stay numbers (the UI sorts them); shares and scores are written as the report writes them
(``38.1%``, ``0.65``), since the UI shows a float with all its digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Artifact", "run_artifacts"]


@dataclass(frozen=True)
class Artifact:
    """One artifact under a stable key: a table (a list of rows) or a Markdown text (a string)."""

    key: str
    content: list[dict[str, Any]] | str
    description: str


def run_artifacts(*, manifest: dict[str, Any]) -> list[Artifact]:
    """The segments, the row counts per layer, the drift and the data-quality summary of a published run."""
    seg = manifest["segments"]
    lines = ["| layer | passed | warnings | critical failures |", "|---|---|---|---|"]
    for layer, v in manifest["validation"].items():
        lines.append(f"| {layer} | {v['passed']} | {v['warnings']} | {v['critical_failures']} |")
    docs = Path(manifest["exports"], "data_docs", "index.html")
    return [
        Artifact(
            key="traveltide-segments",
            content=[
                {
                    "segment": s["segment_name"],
                    "perk": s["perk"],
                    "users": s["users"],
                    "share": _percent(s["share"]),
                    "usable by": s.get("eligible_users"),
                    "stability": None if s.get("stability") is None else f"{s['stability']:.2f}",
                    "treatment": s.get("treatment_users"),
                    "control": s.get("control_users"),
                }
                for s in seg["segments"]
            ],
            description=f"Segments of the cohort (k = {seg['k']}): the segment's perk and how many can use it.",
        ),
        Artifact(
            key="traveltide-offers",
            content=[
                {
                    "perk": p["perk"],
                    "supported": p["supported"],
                    "offered to": seg.get("offers", {}).get(p["perk"], 0),
                    "reason": p["reason"],
                }
                for p in seg.get("perk_support", ())
            ]
            + [
                {
                    "perk": "(none usable)",
                    "supported": None,
                    "offered to": seg.get("offers", {}).get("none", 0),
                    "reason": "offered_perk empty",
                }
            ],
            description="Perks offered (dim_users.offered_perk): only perks the cohort supports, to users who can use them.",
        ),
        Artifact(
            key="traveltide-row-counts",
            content=_row_counts(manifest),
            description="Rows per table of every layer (bronze: rows loaded; silver: rows kept and set aside).",
        ),
        Artifact(
            key="traveltide-funnel",
            content=_funnel(manifest),
            description="From all users to the cohort.",
        ),
        Artifact(
            key="traveltide-drift",
            content=_drift_markdown(manifest["drift"]),
            description="What changed since the previous published run.",
        ),
        Artifact(
            key="traveltide-data-quality",
            content="## Data quality\n\n" + "\n".join(lines) + f"\n\nData Docs: [{docs}]({docs.as_uri()})\n",
            description="Validation summary of this run.",
        ),
    ]


def _percent(share: float) -> str:
    return f"{share:.1%}"


def _drift_markdown(drift: dict[str, Any]) -> str:
    """The model decision, the users who changed and the segment sizes, as Markdown."""
    text = f"## Drift\n\nModel: **{drift['model']}**: {drift['why']}.\n"
    if not drift["previous"]:
        return text + "\nNo previous published run to compare with.\n"
    text += (
        f"\n{drift['changed_perk']} of {drift['returning_users']} returning cohort users changed perk "
        f"({drift['changed_share']:.1%}); {drift['changed_users']} changed segment or perk "
        f"(`{drift['files']['csv']}`).\n\n| segment | previous users | users |\n|---|---|---|\n"
    )
    text += "".join(f"| {sid} | {v['previous']} | {v['now']} |\n" for sid, v in drift["sizes"].items())
    if drift["psi"]:
        text += "\n| input | PSI |\n|---|---|\n" + "".join(f"| {f} | {v:.3f} |\n" for f, v in drift["psi"].items())
    text += "".join(f"\n**Warning:** {w}\n" for w in drift["warnings"])
    return text


def _row_counts(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per layer and table, bronze to mart (the funnel is its own artifact)."""
    bronze = manifest.get("bronze", {})
    rows: list[dict[str, Any]] = [
        {"layer": "bronze", "table": t, "rows": n, "set aside": bronze.get("rejected", {}).get(t, 0)}
        for t, n in bronze.get("rows", {}).items()
    ]
    rows += [
        {"layer": "silver", "table": t, "rows": v["rows"], "set aside": sum(v.get("set_aside", {}).values())}
        for t, v in manifest.get("silver", {}).items()
    ]
    for layer, tables in manifest["row_counts"].items():
        rows += [{"layer": layer, "table": t, "rows": n, "set aside": None} for t, n in tables.items() if t != "funnel"]
    return rows


def _funnel(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    funnel = manifest["row_counts"].get("gold", {}).get("funnel", {})
    labels = {
        "users": "users in the export",
        "users_in_window": "with a session since start_date",
        "cohort": "in the cohort (min_sessions or more)",
    }
    total = funnel.get("users") or 0
    return [
        {"step": labels.get(k, k), "users": n, "share of all users": _percent(n / total) if total else None}
        for k, n in funnel.items()
    ]
