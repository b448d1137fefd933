"""The run report: one HTML page a marketing lead can read without the code.

It tells the run's story from the manifest and the run's DuckDB file: who is in the
cohort, which segments exist and why each gets its perk, how sure we are (how k was
chosen, how distinct the segments are, how close each user's runner-up perk is), whether
the data passed its checks, and where the data came from. The page works offline: inline
CSS, no scripts, images as PNG files beside ``index.html``.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import numpy as np
import pandas as pd

from traveltide.charts import (
    FEATURE_LABELS,
    PERK_COLORS,
    plot_drift,
    plot_funnel,
    plot_perk_fit,
    plot_segment_profiles,
    plot_segment_sizes,
    plot_sensitivity,
)
from traveltide.contract.gold import (
    CLUSTER_FEATURES,
    PERK_NAMES,
    PROFILE_FEATURES,
    SCORE_COLUMNS,
)
from traveltide.errors import TravelTideError

__all__ = ["CLOSE_POINTS", "ReportError", "write_report"]

# A runner-up perk whose score is at most this many points (0-100 scale) below the
# assigned perk's counts as "close": the user would fit either perk.
CLOSE_POINTS = 10.0

_DATA_DOCS = "../data_docs/index.html"
_TABLES = ("gold.segments", "gold.user_segments", "gold.user_features")


class ReportError(TravelTideError, RuntimeError):
    """The report cannot be written from this database; the message says what is missing."""


def write_report(*, db_path: Path, manifest: dict[str, Any], out_dir: Path) -> Path:
    """Write ``out_dir/index.html`` and its chart images for one run; return the page's path.

    ``db_path`` is the run's DuckDB file (read only: gold.segments, gold.user_segments,
    gold.user_features); ``manifest`` is the run manifest. Sections whose manifest parts
    are missing say so instead of failing, so the report never blocks a publish.
    """
    segments, users, features = _read(db_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = manifest.get("settings") or {}
    seg_info = manifest.get("segments") or {}

    names = segments["segment_name"].tolist()
    perks = segments["perk"].tolist()

    funnel = _funnel(manifest, cohort=len(features))
    charts: dict[str, str] = {}
    if funnel["steps"]:
        charts["funnel"] = plot_funnel(path=out_dir / "funnel.png", steps=funnel["steps"]).name
    drift = manifest.get("drift") or {}
    if drift.get("previous") and drift.get("sizes"):
        names_by_id = dict(zip(segments["segment_id"].tolist(), names, strict=True))
        ids = sorted(drift["sizes"], key=int)
        charts["drift"] = plot_drift(
            path=out_dir / "drift.png",
            segments=[f"{i} {names_by_id.get(int(i), '(not in this run)')}" for i in ids],
            previous=[drift["sizes"][i]["previous"] for i in ids],
            now=[drift["sizes"][i]["now"] for i in ids],
        ).name
    charts["sizes"] = plot_segment_sizes(
        path=out_dir / "segment_sizes.png", names=names, perks=perks, users=segments["users"].tolist()
    ).name
    profile_features = [f for f in PROFILE_FEATURES if f in segments.columns and f in features.columns]
    plots_dir = out_dir.parent / "plots"
    # The segment step drew this chart from the same means (1 s of matplotlib): copied when it did.
    charts["profiles"] = (
        _copy_recorded(seg_info, kind="profiles", plots_dir=plots_dir, target=out_dir / "segment_profiles.png")
        or plot_segment_profiles(
            path=out_dir / "segment_profiles.png",
            features=profile_features,
            names=names,
            perks=perks,
            segment_means=segments[profile_features].to_numpy(dtype=float),
            cohort_means=features[profile_features].mean().to_numpy(dtype=float),
        ).name
    )

    fit = _perk_fit(users)
    charts["perk_fit"] = plot_perk_fit(
        path=out_dir / "perk_fit.png",
        perks=users["perk"].tolist(),
        assigned_scores=fit["assigned"],
        runner_up_gaps=fit["gaps"],
        close=CLOSE_POINTS,
    ).name
    charts.update(_diagnostics(seg_info, plots_dir=plots_dir, out_dir=out_dir))
    sensitivity = manifest.get("sensitivity") or []
    if sensitivity:
        charts["sensitivity"] = plot_sensitivity(
            path=out_dir / "sensitivity.png",
            thresholds=[r["min_sessions"] for r in sensitivity],
            cohort=[r["cohort"] for r in sensitivity],
            shares={
                **{p: [r["offered_share"].get(p, 0.0) for r in sensitivity] for p in PERK_NAMES},
                "No usable perk": [r["offered_share"].get("none", 0.0) for r in sensitivity],
            },
            setting=int(settings.get("min_sessions", 0)),
        ).name

    context = {
        "run": _run(manifest),
        "settings": settings,
        "funnel": funnel,
        "segments": _segment_rows(segments, fit),
        "perk_colors": PERK_COLORS,
        "k": _k_story(seg_info, k=len(segments), settings=settings),
        "features": [
            {"name": f, "label": FEATURE_LABELS.get(f, (f, "", False))[0], "input": f in CLUSTER_FEATURES}
            for f in profile_features
        ],
        "fit": {
            "close_points": CLOSE_POINTS,
            "share_close": float(np.mean(fit["gaps"] <= CLOSE_POINTS)) if len(users) else 0.0,
            "median": float(np.median(fit["assigned"])) if len(users) else 0.0,
        },
        "quality": _quality(manifest.get("validation") or {}),
        "data_docs": _DATA_DOCS,
        "source": _source(manifest),
        "rejects": _rejects(manifest),
        "drift": manifest.get("drift"),
        "offers": _offers(seg_info),
        "sensitivity": sensitivity,
        "stability": seg_info.get("stability"),
        "experiment": seg_info.get("experiment"),
        "charts": charts,
    }
    page = out_dir / "index.html"
    page.write_text(_template().render(**context), encoding="utf-8")
    return page


def _rejects(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The published list of set-aside lines, linked from the page (from beside ``report/``)."""
    rejects = manifest.get("rejects")
    if not rejects:
        return None
    return {"lines": rejects.get("lines", 0), "csv": f"../{rejects['csv']}", "parquet": f"../{rejects['parquet']}"}


def _read(db_path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if not db_path.is_file():
        raise ReportError(f"{db_path}: no such DuckDB file; run the pipeline up to the segment step first")
    with duckdb.connect(str(db_path), read_only=True) as con:
        frames, missing = [], []
        for table in _TABLES:
            try:
                frames.append(con.table(table).to_arrow_table().to_pandas())
            except duckdb.CatalogException:
                missing.append(table)
    if missing:
        raise ReportError(
            f"{db_path}: missing table(s) {missing}; the report needs the gold layer and the "
            "segments (run the gold and segment steps first)"
        )
    segments, users, features = frames
    score_cols = list(SCORE_COLUMNS.values())
    for table, frame, needed in (
        ("gold.segments", segments, ["segment_id", "segment_name", "perk", "users", "share", "reason"]),
        ("gold.user_segments", users, ["user_id", "segment_id", "perk", "runner_up_perk", *score_cols]),
    ):
        absent = [c for c in needed if c not in frame.columns]
        if absent:
            raise ReportError(f"{db_path}: {table} has no column(s) {absent}; rebuild the segments")
    if segments.empty:
        raise ReportError(f"{db_path}: gold.segments is empty; the segment step produced no segments")
    for table, frame, column in (
        ("gold.segments", segments, "perk"),
        ("gold.user_segments", users, "perk"),
        ("gold.user_segments", users, "runner_up_perk"),
    ):
        values = frame[column]
        unknown = sorted(set(values.dropna()) - set(PERK_NAMES)) + (["NULL"] if values.isna().any() else [])
        if unknown:
            raise ReportError(
                f"{db_path}: {table}.{column} has perk(s) {unknown} outside {list(PERK_NAMES)}; rebuild the segments"
            )
    return segments.sort_values("segment_id").reset_index(drop=True), users, features


def _perk_fit(users: pd.DataFrame) -> dict[str, Any]:
    """Each user's score for their perk, its lead over the runner-up perk, and the usual runner-up."""
    rows = np.arange(len(users))
    scores = users[[SCORE_COLUMNS[p] for p in PERK_NAMES]].to_numpy(dtype=float)
    index = {p: i for i, p in enumerate(PERK_NAMES)}
    assigned = scores[rows, users["perk"].map(index).to_numpy(dtype=int)]
    runner = scores[rows, users["runner_up_perk"].map(index).to_numpy(dtype=int)]
    top = {}
    for segment_id, runner_ups in users.groupby("segment_id")["runner_up_perk"]:
        counts = runner_ups.value_counts()
        top[segment_id] = max(counts.index, key=lambda p: (counts[p], -index[p]))  # ties: earlier perk
    return {
        "assigned": assigned,
        "gaps": assigned - runner,
        "segment_id": users["segment_id"].to_numpy(),
        "top_runner_up": top,
    }


def _segment_rows(segments: pd.DataFrame, fit: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for seg in segments.itertuples(index=False):
        mine = fit["segment_id"] == seg.segment_id
        gaps = fit["gaps"][mine]
        rows.append(
            {
                "id": int(seg.segment_id),
                "name": seg.segment_name,
                "perk": seg.perk,
                "color": PERK_COLORS[seg.perk],
                "users": int(seg.users),
                "share": float(seg.share),
                "reason": seg.reason,
                "median_fit": float(np.median(fit["assigned"][mine])) if mine.any() else None,
                "share_close": float(np.mean(gaps <= CLOSE_POINTS)) if mine.any() else None,
                "runner_up": fit["top_runner_up"].get(seg.segment_id),
                **{
                    f: _value(getattr(seg, f, None))
                    for f in (
                        "eligible_users",
                        "stability",
                        "treatment_users",
                        "control_users",
                        "baseline_booking_rate",
                        "mde_booking_rate",
                    )
                },
            }
        )
    return rows


def _value(v: Any) -> Any:
    """A table cell as a plain number, None for a missing or NaN one."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _offers(seg: dict[str, Any]) -> dict[str, Any] | None:
    """Each perk, supported or not, and how many users are offered it (from the manifest)."""
    support = seg.get("perk_support")
    if not support:
        return None
    offered = seg.get("offers") or {}
    return {
        "perks": [
            {**p, "offered": offered.get(p["perk"], 0), "color": PERK_COLORS.get(p["perk"], "#999999")} for p in support
        ],
        "none": offered.get("none", 0),
    }


def _funnel(manifest: dict[str, Any], *, cohort: int) -> dict[str, Any]:
    gold = (manifest.get("row_counts") or {}).get("gold") or {}
    recorded = gold.get("funnel") or {}
    settings = manifest.get("settings") or {}
    steps = [
        ("All users", recorded.get("users")),
        ("Users with a session in the window", recorded.get("users_in_window")),
        ("Cohort (segmented)", recorded.get("cohort", gold.get("cohort", cohort))),
    ]
    known = [(label, int(v)) for label, v in steps if v is not None]
    rule = "users with at least {n} sessions starting on or after {d}".format(
        n=settings.get("min_sessions", "the minimum number of"), d=settings.get("start_date", "the start date")
    )
    return {"steps": known, "complete": len(known) == len(steps), "rule": rule}


def _run(manifest: dict[str, Any]) -> dict[str, Any]:
    started, finished = manifest.get("started_at"), manifest.get("finished_at")
    seconds = None
    if started and finished:
        seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    return {
        "id": manifest.get("run_id", "unknown"),
        "version": manifest.get("package_version", "unknown"),
        "started": _when(started),
        "finished": _when(finished),
        "seconds": seconds,
    }


def _when(stamp: str | None) -> str:
    if not stamp:
        return "not recorded"
    return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def _k_story(seg: dict[str, Any], *, k: int, settings: dict[str, Any]) -> dict[str, Any]:
    """How k was chosen, in words, from what the segmentation recorded (``traveltide.segmentation``)."""
    how = seg.get("k_selection") or seg.get("k_choice")
    candidates = [c for c in seg.get("candidates") or [] if isinstance(c, dict) and "k" in c]
    tried = sorted(int(c["k"]) for c in candidates)
    if how == "silhouette":
        span = f" among k = {tried[0]} to {tried[-1]}" if tried else ""
        text = f"{k} segments were chosen automatically: the best silhouette (clearest separation){span}."
    elif how == "fixed" or settings.get("k") not in (None, "auto"):
        text = f"The number of segments was fixed at {k} in the run's settings (by default one segment per perk)."
    else:
        text = f"The run produced {k} segments."
    minimum = int(seg.get("min_segment_size") or settings.get("min_segment_size") or 0)
    if how == "silhouette" and minimum:
        text += f" Only k whose every segment has at least {minimum} users could be chosen."
    return {
        "k": k,
        "text": text,
        "min_segment_size": minimum,
        "silhouette": seg.get("silhouette"),
        "candidates": [
            {
                "k": int(c["k"]),
                "inertia": c.get("inertia"),
                "silhouette": c.get("silhouette"),
                "smallest": c.get("smallest"),
                "too_small": how == "silhouette" and (c.get("smallest") or 0) < minimum,
                "chosen": int(c["k"]) == k,
            }
            for c in sorted(candidates, key=lambda c: int(c["k"]))
        ],
    }


def _diagnostics(seg: dict[str, Any], *, plots_dir: Path, out_dir: Path) -> dict[str, str]:
    """Copy the segmentation's k-selection and projection pictures beside the report.

    ``seg["plots"]`` maps a picture's kind to its path when the run was made; the files are
    looked up by name in ``plots_dir`` (the run's plots folder, a sibling of the report).
    """
    found: dict[str, str] = {}
    for kind, chart in (("k_selection", "k_choice"), ("projection", "projection")):
        copied = _copy_recorded(seg, kind=kind, plots_dir=plots_dir, target=out_dir / f"diagnostic_{kind}.png")
        if copied:
            found[chart] = copied
    return found


def _copy_recorded(seg: dict[str, Any], *, kind: str, plots_dir: Path, target: Path) -> str | None:
    """Copy the segmentation's picture of ``kind`` to ``target``; its name, or None if the run has none."""
    recorded = (seg.get("plots") or {}).get(kind)
    source = plots_dir / Path(recorded).name if recorded else None
    if source is None or not source.is_file():
        return None
    shutil.copyfile(source, target)
    return target.name


def _quality(validation: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per layer and suite: expectations passed, warned and failed (critical).

    Reads the per-expectation outcomes of ``traveltide.quality``'s layer summary; a
    layer without outcomes is shown from its totals.
    """
    rows = []
    for layer, result in validation.items():
        outcomes = [o for o in result.get("outcomes") or [] if isinstance(o, dict)]
        suites = list(dict.fromkeys([*(result.get("suites") or []), *(o.get("suite") for o in outcomes)]))
        if not outcomes:
            failed, warned = int(result.get("critical_failures") or 0), int(result.get("warnings") or 0)
            total = result.get("expectations")
            passed = None if total is None else int(total) - failed - warned
            suites = ["all suites"]
            counts = {"all suites": (passed, warned, failed)}
        else:
            counts = {}
            for suite in suites:
                mine = [o for o in outcomes if o.get("suite") == suite]
                bad = [o for o in mine if not o.get("success")]
                failed = sum(o.get("severity") == "critical" for o in bad)
                counts[suite] = (len(mine) - len(bad), len(bad) - failed, failed)
        for suite in suites:
            passed, warned, failed = counts[suite]
            status = "failed" if failed else "warned" if warned else "passed"
            rows.append(
                {"layer": layer, "suite": suite, "passed": passed, "warned": warned, "failed": failed, "status": status}
            )
    return rows


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


def _source(manifest: dict[str, Any]) -> dict[str, Any]:
    source = manifest.get("source") or {}
    bronze = manifest.get("bronze") or {}
    silver = manifest.get("silver") or {}
    files = []
    for f in source.get("files") or []:
        table = f.get("table")
        set_aside = (silver.get(table) or {}).get("set_aside") or {}
        files.append(
            {
                "table": table,
                "origin": f.get("origin") or f.get("path"),
                "size": _size(f.get("size")),
                "sha256": (f.get("sha256") or "")[:12],
                "downloaded": f.get("downloaded"),
                "rows": (bronze.get("rows") or {}).get(table),
                "rejected": (bronze.get("rejected") or {}).get(table),
                "set_aside": sum(int(v or 0) for v in set_aside.values()) if isinstance(set_aside, dict) else None,
                "silver_rows": (silver.get(table) or {}).get("rows"),
            }
        )
    timings = manifest.get("timings_seconds") or {}
    return {
        "kind": source.get("kind", "unknown"),
        "files": files,
        "warnings": list(bronze.get("warnings") or []),
        "timings": [(step, float(sec)) for step, sec in timings.items()],
        "total_seconds": sum(float(s) for s in timings.values()),
    }


def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("traveltide.publish", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.1%}"  # one decimal: 2.5 % is not 3 %
    env.filters["num"] = lambda v: "–" if v is None else f"{v:,.0f}"
    env.filters["dec"] = lambda v, d=1: "–" if v is None else f"{v:,.{d}f}"
    return env.get_template("report.html.j2")
