"""The TravelTide Mart run as a Prefect flow: tasks made from ``traveltide.pipeline``'s steps.

fetch → bronze → silver → gold → segment → mart → extract → data docs → publish. Each layer's
checks run beside the steps after it (reading a layer never conflicts with writing the next) and
are gated on: bronze's once silver is built, so a broken export stops the run early; silver's,
gold's and mart's once the extract is staged. The Parquet export and the segments' pictures run
in the background from segment to publish. A failed critical check raises at its gate, so publish
is never reached and the previous extract stays (``traveltide.run.Run``).
"""

from __future__ import annotations

from typing import Any

from prefect import Task, flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import TaskRun
from prefect.states import State

from traveltide import pipeline
from traveltide.publish.artifacts import run_artifacts
from traveltide.publish.manifest import build_manifest
from traveltide.run import Run
from traveltide.settings import Settings, load_settings
from traveltide.sources import DownloadError

__all__ = ["serve", "traveltide_mart"]


def _transient(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry the fetch only when the source may come back (not for a 404 or a bad file)."""
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, DownloadError) and exc.transient


fetch = task(pipeline.step_fetch, name="fetch", retries=2, retry_delay_seconds=60, retry_condition_fn=_transient)
bronze = task(pipeline.step_bronze, name="bronze")
validate = task(pipeline.step_validate, name="validate", task_run_name="validate-{layer}")
silver = task(pipeline.step_silver, name="silver")
gold = task(pipeline.step_gold, name="gold")
segment = task(pipeline.step_segment, name="segment")
segment_diagnostics = task(pipeline.step_segment_diagnostics, name="segment_diagnostics")
mart = task(pipeline.step_mart, name="mart")
export_parquet = task(pipeline.step_export_parquet, name="export_parquet")
extract = task(pipeline.step_extract, name="extract")
data_docs = task(pipeline.step_data_docs, name="data_docs")
publish = task(pipeline.step_publish, name="publish")


@flow(name="traveltide-mart", log_prints=True)
def traveltide_mart(settings: Settings | None = None) -> dict[str, Any]:
    """Run the whole pipeline and publish; without ``settings``, from the TOML file and environment."""
    settings = settings or load_settings()
    with Run(settings=settings) as run:
        paths = run.paths
        fetched = run.time("fetch", fetch, settings=settings)
        loaded = run.time("bronze", bronze, paths=paths, fetched=fetched)
        run.check("bronze", validate.submit(paths=paths, layer="bronze"))
        cleaned = run.time("silver", silver, paths=paths)
        run.gate("bronze")
        run.check("silver", validate.submit(paths=paths, layer="silver"))
        cohort = run.time("gold", gold, settings=settings, paths=paths)
        segments = run.time("segment", segment, settings=settings, paths=paths)
        run.beside("segment_diagnostics", segment_diagnostics.submit(settings=settings, paths=paths, segments=segments))
        run.beside("parquet_export", export_parquet.submit(paths=paths))
        run.check("gold", validate.submit(paths=paths, layer="gold"))
        star = run.time("mart", mart, paths=paths)
        run.check("mart", validate.submit(paths=paths, layer="mart"))
        extracted = run.time("extract", extract, settings=settings, paths=paths)
        run.gate("silver", "gold", "mart")  # in layer order: the earliest failure is reported
        run.time("data_docs", data_docs, paths=paths)
        manifest = build_manifest(
            run=run,
            fetched=fetched,
            loaded=loaded,
            cleaned=cleaned,
            cohort=cohort,
            segments=segments,
            parquet=run.collect("parquet_export"),
            diagnostics=run.collect("segment_diagnostics"),
            star=star,
            extracted=extracted,
        )
        run.time("publish", publish, paths=paths, manifest=manifest)
    for artifact in run_artifacts(manifest=manifest):
        if artifact.kind == "table":
            create_table_artifact(key=artifact.key, table=artifact.content, description=artifact.description)
        else:
            create_markdown_artifact(key=artifact.key, markdown=str(artifact.content), description=artifact.description)
    return manifest


def serve(*, settings: Settings, cron: str) -> None:
    """Serve the flow with a cron schedule until interrupted (needs a Prefect server to schedule)."""
    traveltide_mart.serve(
        name="traveltide-mart-daily", cron=cron, parameters={"settings": settings.model_dump(mode="json")}
    )
