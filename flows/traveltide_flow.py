"""The TravelTide Mart run as a Prefect flow: thin tasks over ``traveltide.pipeline``.

fetch → bronze → silver → gold → segment → mart → extract → data docs → publish, with each
layer's checks beside the steps after it (reading a layer never conflicts with writing the
next). The run waits for bronze's checks once silver is built, so a broken export stops it
early; silver's, gold's and mart's run side by side and are waited for once the extract is
written to the staging folder. The Parquet export of silver and gold and the segments'
pictures are made in the background from segment to publish. A failed critical expectation
raises at its wait, so publish is never reached and the previous extract stays; the Data
Docs of every layer are rendered once, after the checks (also after a failure).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from traveltide import __version__, pipeline
from traveltide.publish.staging import exports_lock
from traveltide.quality import ValidationFailed
from traveltide.runtime.preload import RUN_MODULES, preload_modules
from traveltide.settings import Settings, load_settings
from traveltide.sources.download import DownloadError

__all__ = ["traveltide_mart", "run_flow", "serve", "RunResult"]


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry the fetch only when the source may come back (not for a 404 or a bad file)."""
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, DownloadError) and exc.transient


@task(name="fetch", retries=2, retry_delay_seconds=60, retry_condition_fn=_transient)
def fetch(settings: Settings) -> dict[str, Any]:
    return pipeline.step_fetch(settings=settings)


@task(name="bronze")
def bronze(paths: pipeline.RunPaths, fetched: dict[str, Any]) -> dict[str, Any]:
    return pipeline.step_bronze(paths=paths, fetched=fetched)


@task(name="validate", task_run_name="validate-{layer}")
def validate(paths: pipeline.RunPaths, layer: str) -> dict[str, Any]:
    return pipeline.step_validate(paths=paths, layer=layer)


@task(name="data_docs")
def data_docs(paths: pipeline.RunPaths) -> str:
    return pipeline.step_data_docs(paths=paths)


@task(name="silver")
def silver(paths: pipeline.RunPaths) -> dict[str, Any]:
    return pipeline.step_silver(paths=paths)


@task(name="gold")
def gold(settings: Settings, paths: pipeline.RunPaths) -> dict[str, Any]:
    return pipeline.step_gold(settings=settings, paths=paths)


@task(name="segment")
def segment(settings: Settings, paths: pipeline.RunPaths) -> dict[str, Any]:
    return pipeline.step_segment(settings=settings, paths=paths)


@task(name="segment_diagnostics")
def segment_diagnostics(settings: Settings, paths: pipeline.RunPaths, segments: dict[str, Any]) -> dict[str, Any]:
    return pipeline.step_segment_diagnostics(settings=settings, paths=paths, segments=segments)


@task(name="mart")
def mart(paths: pipeline.RunPaths) -> dict[str, Any]:
    return pipeline.step_mart(paths=paths)


@task(name="export_parquet")
def export_parquet(paths: pipeline.RunPaths) -> dict[str, Any]:
    return pipeline.step_export_parquet(paths=paths)


@task(name="extract")
def extract(settings: Settings, paths: pipeline.RunPaths) -> dict[str, Any]:
    return pipeline.step_extract(settings=settings, paths=paths)


@task(name="publish")
def publish(paths: pipeline.RunPaths, manifest: dict[str, Any]) -> list[str]:
    return pipeline.step_publish(paths=paths, manifest=manifest)


def _timed(timings: dict[str, float], name: str, fn: Any, **kwargs: Any) -> Any:
    t0 = time.perf_counter()
    out = fn(**kwargs)
    timings[name] = round(time.perf_counter() - t0, 3)
    print(f"{name}: done in {timings[name]:.1f} s")
    return out


def _gate(timings: dict[str, float], name: str, checks: Any) -> dict[str, Any]:
    """Wait for a layer's checks that ran beside the next step; a critical failure raises here.

    The timings get the wait (what the checks added to the run); their own time is in the
    layer's validation summary.
    """
    t0 = time.perf_counter()
    result: dict[str, Any] = checks.result()
    timings[f"{name}_wait"] = round(time.perf_counter() - t0, 3)
    print(f"{name}: done in {result['seconds']:.1f} s beside the next step; waited {timings[f'{name}_wait']:.1f} s")
    return result


def _failed_checks(running: list[Any]) -> BaseException | None:
    """After a step failed: the critical failure of checks still running beside it, if any.

    A layer that failed its checks explains a later step's failure better than that step's error.
    """
    outcomes = [checks.result(raise_on_failure=False) for checks in running]  # all finish first
    return next((o for o in outcomes if isinstance(o, ValidationFailed)), None)


def _artifacts(manifest: dict[str, Any]) -> None:
    seg = manifest["segments"]
    create_table_artifact(
        key="traveltide-segments",
        table=[
            {"segment": s["segment_name"], "perk": s["perk"], "users": s["users"], "share": s["share"]}
            for s in seg["segments"]
        ],
        description=f"Segments of the cohort (k = {seg['k']}).",
    )
    create_table_artifact(
        key="traveltide-row-counts",
        table=[
            {"layer": layer, "table": table, "rows": rows}
            for layer, tables in manifest["row_counts"].items()
            for table, rows in tables.items()
        ],
        description="Rows per table and layer.",
    )
    lines = ["| layer | passed | warnings | critical failures |", "|---|---|---|---|"]
    for layer, v in manifest["validation"].items():
        lines.append(f"| {layer} | {v['passed']} | {v['warnings']} | {v['critical_failures']} |")
    docs = manifest["exports"] + "/data_docs/index.html"
    create_markdown_artifact(
        key="traveltide-data-quality",
        markdown="## Data quality\n\n" + "\n".join(lines) + f"\n\nData Docs: `{docs}`\n",
        description="Validation summary of this run.",
    )


@flow(name="traveltide-mart", log_prints=True)
def traveltide_mart(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the whole pipeline with the settings (file, environment, ``overrides``) and publish."""
    settings = load_settings(**(overrides or {}))
    started = datetime.now(UTC)
    timings: dict[str, float] = {}
    with exports_lock(exports=settings.exports):
        preload_modules(names=RUN_MODULES)  # overlaps the imports with fetch and bronze
        paths = pipeline.prepare_run(settings=settings)
        background: dict[str, Any] = {}  # futures of work that writes into the staging folder
        running: dict[str, Any] = {}  # each layer's checks, by layer, until waited for
        try:
            fetched = _timed(timings, "fetch", fetch, settings=settings)
            loaded = _timed(timings, "bronze", bronze, paths=paths, fetched=fetched)
            # Each layer's checks (half of it Great Expectations' Python, on one core) run beside
            # the next steps (DuckDB on both cores). Bronze's are waited for first: a broken
            # export stops the run a few seconds in.
            running["bronze"] = validate.submit(paths=paths, layer="bronze")
            cleaned = _timed(timings, "silver", silver, paths=paths)
            checks = {"bronze": _gate(timings, "validate_bronze", running.pop("bronze"))}
            running["silver"] = validate.submit(paths=paths, layer="silver")
            gold_counts = _timed(timings, "gold", gold, settings=settings, paths=paths)
            segments = _timed(timings, "segment", segment, settings=settings, paths=paths)
            # Nothing reads the segments' pictures before publish: drawn beside the steps below.
            background["diagnostics"] = segment_diagnostics.submit(settings=settings, paths=paths, segments=segments)
            # Silver and gold are final: their Parquet export (DuckDB on both cores) runs in the
            # background, beside the steps that follow (mostly one core of Python).
            background["parquet"] = export_parquet.submit(paths=paths)
            running["gold"] = validate.submit(paths=paths, layer="gold")
            mart_counts = _timed(timings, "mart", mart, paths=paths)
            running["mart"] = validate.submit(paths=paths, layer="mart")
            # The extract goes to the staging folder: it is published only if every check passed.
            extracted = _timed(timings, "extract", extract, settings=settings, paths=paths)
            for layer in ("silver", "gold", "mart"):  # in layer order: the earliest failure is reported
                checks[layer] = _gate(timings, f"validate_{layer}", running[layer])
            running.clear()
            _timed(timings, "data_docs", data_docs, paths=paths)
            extracted["parquet"] = _timed(timings, "parquet_export_wait", background["parquet"].result)
            segments |= _timed(timings, "segment_diagnostics_wait", background["diagnostics"].result)
            manifest = {
                "run_id": paths.run_id,
                "package_version": __version__,
                "started_at": started.isoformat(),
                "finished_at": datetime.now(UTC).isoformat(),
                "exports": str(paths.exports),
                "settings": settings.public_dict(),
                "source": fetched,
                "bronze": loaded,
                "silver": cleaned,
                "row_counts": {"gold": gold_counts, "mart": mart_counts},
                "segments": segments,
                "validation": checks,
                "extract": extracted,
                "timings_seconds": dict(timings),  # publish, still to come, is printed only
            }
            _timed(timings, "publish", publish, paths=paths, manifest=manifest)
        except BaseException as error:
            for future in background.values():  # nothing may still write into the staging folder
                future.wait()
            exc = _failed_checks(list(running.values())) or error
            pipeline.discard_run(paths=paths)
            explained = pipeline.explain_failure(exc=exc, paths=paths)
            if explained is error:
                raise
            raise explained from error
    _artifacts(manifest)
    return manifest


@dataclass(frozen=True)
class RunResult:
    """What a finished run published, with a short summary for the terminal."""

    manifest: dict[str, Any]

    def summary(self) -> str:
        m = self.manifest
        seg = m["segments"]
        lines = [
            f"Published {m['extract']['path']}",
            f"Cohort: {m['row_counts']['gold'].get('cohort')} users "
            f"(>= {m['settings']['min_sessions']} sessions since {m['settings']['start_date']})",
            f"Segments (k = {seg['k']}):",
        ]
        for s in seg["segments"]:
            lines.append(f"  {s['segment_id']}  {s['segment_name']:<28} {s['users']:>7} users  {s['perk']}")
        lines.append(f"Manifest: {m['exports']}/manifest.json   Data Docs: {m['exports']}/data_docs/index.html")
        return "\n".join(lines)


def run_flow(*, settings: Settings) -> RunResult:
    """Run the flow once with these settings (the same code path as a scheduled run)."""
    return RunResult(manifest=traveltide_mart(overrides=_overrides(settings)))


def _overrides(settings: Settings) -> dict[str, Any]:
    values = settings.public_dict()
    values["k"] = values["k"] if values["k"] is not None else "auto"
    return values


def serve(*, settings: Settings, cron: str) -> None:
    """Serve the flow with a cron schedule until interrupted (needs a Prefect server to schedule)."""
    traveltide_mart.serve(name="traveltide-mart-daily", cron=cron, parameters={"overrides": _overrides(settings)})
