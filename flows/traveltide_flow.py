"""The TravelTide Mart run as a Prefect flow: tasks made from ``traveltide.pipeline``'s steps.

fetch → bronze → silver → gold → segment → mart → extract → data docs → publish. Each layer's
checks run beside the steps after it (reading a layer never conflicts with writing the next) and
are gated on: bronze's once silver is built, so a broken export stops the run early; silver's,
gold's and mart's once the extract is staged. The Parquet export and the segments' pictures run
in the background from segment (the pictures from inputs read first, touching no database); after
the gates and the export, the cohort sensitivity runs beside the Data Docs, alone on DuckDB (it
drops DuckDB's cache first). A failed critical check raises at its gate,
so publish is never reached and the previous extract stays (``traveltide.run.Run``).
"""

# No "from __future__ import annotations": Prefect validates a deployed run's parameters with
# a model built from this signature, and a string annotation ('Settings') is not resolved there
# (the scheduled run failed with "Traveltide_MartModel is not fully defined").
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from traveltide import pipeline
from traveltide.publish.artifacts import run_artifacts
from traveltide.publish.manifest import build_manifest
from traveltide.publish.tableau_server import TableauPublishError, token_from_environment
from traveltide.run import Run
from traveltide.runtime import quiet_teardown
from traveltide.settings import Settings, load_settings

__all__ = ["serve", "traveltide_evaluate", "traveltide_mart", "traveltide_score"]


# No task retries: the download retries each file itself (download_attempts), so the count a
# failure reports is the count made; a scheduler's next run is the next try.
fetch = task(name="fetch")(pipeline.step_fetch)
bronze = task(name="bronze")(pipeline.step_bronze)
validate = task(name="validate", task_run_name="validate-{layer}")(pipeline.step_validate)
silver = task(name="silver")(pipeline.step_silver)
gold = task(name="gold")(pipeline.step_gold)
segment = task(name="segment")(pipeline.step_segment)
diagnostic_inputs = task(name="diagnostic_inputs")(pipeline.step_diagnostic_inputs)
# Its inputs are arrays of the whole cohort: not hashed into a cache key (nothing is cached).
segment_diagnostics = task(name="segment_diagnostics", cache_policy=NO_CACHE)(pipeline.step_segment_diagnostics)
sensitivity = task(name="sensitivity")(pipeline.step_sensitivity)
drift = task(name="drift")(pipeline.step_drift)
mart = task(name="mart")(pipeline.step_mart)
rejects = task(name="rejects")(pipeline.step_rejects)
export_parquet = task(name="export_parquet")(pipeline.step_export_parquet)
extract = task(name="extract")(pipeline.step_extract)
data_docs = task(name="data_docs")(pipeline.step_data_docs)
publish = task(name="publish")(pipeline.step_publish)
publish_tableau = task(name="publish_tableau")(pipeline.step_publish_tableau)


@flow(name="traveltide-mart", log_prints=True)
def traveltide_mart(settings: Settings | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the whole pipeline and publish; without ``settings``, from the TOML file and environment
    as they are when the run starts, with ``overrides`` (a served schedule's own flags) on top."""
    quiet_teardown()  # under serve or a worker, Prefect's process ends after the run
    settings = settings or load_settings(**(overrides or {}))
    if settings.tableau_server:  # a missing token stops the run before any work, not after it
        token_from_environment()
    with Run(settings=settings) as run:
        paths = run.paths
        fetched = run.time("fetch", fetch, settings=settings)
        loaded = run.time("bronze", bronze, paths=paths, fetched=fetched)
        run.check("bronze", validate.submit(paths=paths, layer="bronze"))
        cleaned = run.time("silver", silver, settings=settings, paths=paths)
        rejected = run.time("rejects", rejects, paths=paths)
        run.gate("bronze")
        run.check("silver", validate.submit(paths=paths, layer="silver"))
        cohort = run.time("gold", gold, settings=settings, paths=paths)
        segments = run.time("segment", segment, settings=settings, paths=paths)
        drifted = run.time("drift", drift, settings=settings, paths=paths, segments=segments)
        inputs = run.time("diagnostic_inputs", diagnostic_inputs, paths=paths)
        run.beside(
            "segment_diagnostics",
            segment_diagnostics.submit(settings=settings, paths=paths, segments=segments, inputs=inputs),
        )
        run.beside("parquet_export", export_parquet.submit(paths=paths))
        run.check("gold", validate.submit(paths=paths, layer="gold"))
        star = run.time("mart", mart, paths=paths)
        run.check("mart", validate.submit(paths=paths, layer="mart"))
        extracted = run.time("extract", extract, settings=settings, paths=paths)
        run.gate("silver", "gold", "mart")  # in layer order: the earliest failure is reported
        parquet = run.collect("parquet_export")  # the last DuckDB work beside the steps (the pictures read none)
        # After the gates and the export: it drops DuckDB's cache first, with no other query under way.
        run.beside("sensitivity", sensitivity.submit(settings=settings, paths=paths, segments=segments))
        run.time("data_docs", data_docs, paths=paths)
        diagnostics = run.collect("segment_diagnostics")
        manifest = build_manifest(
            run=run,
            fetched=fetched,
            loaded=loaded,
            cleaned=cleaned,
            rejected=rejected,
            drifted=drifted,
            cohort=cohort,
            segments=segments,
            parquet=parquet,
            diagnostics=diagnostics,
            sensitivity=run.collect("sensitivity"),
            star=star,
            extracted=extracted,
        )
        run.time("publish", publish, paths=paths, manifest=manifest)
    for artifact in run_artifacts(manifest=manifest):
        if isinstance(artifact.content, str):
            create_markdown_artifact(key=artifact.key, markdown=artifact.content, description=artifact.description)
        else:
            create_table_artifact(key=artifact.key, table=artifact.content, description=artifact.description)
    if settings.tableau_server:
        # After the run's own publish: a site that is down never costs the exports their new extract.
        try:
            manifest = {**manifest, "tableau": publish_tableau(settings=settings, exports=settings.exports)}
        except TableauPublishError as exc:
            raise TableauPublishError(
                f"the run published its outputs to {settings.exports.resolve()}; publishing them to Tableau "
                f"failed: {exc}. Retry with `traveltide publish-tableau` once the site answers"
            ) from None
        create_table_artifact(
            key="traveltide-tableau",
            table=manifest["tableau"],
            description=f"Published to {settings.tableau_server} (site {settings.tableau_site or 'Default'}).",
        )
    return manifest


score = task(name="score")(pipeline.score_source)
evaluate = task(name="evaluate")(pipeline.evaluate_source)


@flow(name="traveltide-score", log_prints=True)
def traveltide_score(settings: Settings, model: str, out: str) -> dict[str, Any]:
    """Give every user with sessions in the window a segment from the saved model at ``model``."""
    from dataclasses import asdict
    from pathlib import Path

    scored = score(settings=settings, model_path=Path(model), out_dir=Path(out))
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(scored).items()}


@flow(name="traveltide-evaluate", log_prints=True)
def traveltide_evaluate(
    settings: Settings, run: str, out: str | None = None, start: str | None = None
) -> dict[str, Any]:
    """Measure the perk campaign of the published run at ``run`` (its manifest) on the later export
    ``settings.source``, from ``start`` (ISO date; default the day after the run's last session)."""
    from dataclasses import asdict
    from datetime import date
    from pathlib import Path

    evaluated = evaluate(
        settings=settings,
        run_manifest=Path(run),
        out_dir=Path(out) if out else None,
        evaluate_from=date.fromisoformat(start) if start else None,
    )
    create_table_artifact(
        key="traveltide-evaluation",
        table=evaluated.uplifts,
        description=f"Perk campaign of run {evaluated.run_id}: treatment minus control from {evaluated.evaluate_from}.",
    )
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(evaluated).items()}


# Not prefect.yaml's "traveltide-mart-daily": serving must not replace the operator's deployment.
SERVED_DEPLOYMENT = "traveltide-mart-served"


def serve(*, overrides: dict[str, Any], cron: str) -> None:
    """Serve the flow with a cron schedule until interrupted (needs a Prefect server to schedule).

    Only the settings given on the command line (``overrides``) become the deployment's
    parameters; the others are read from the TOML file and environment when each run starts.
    """
    traveltide_mart.serve(name=SERVED_DEPLOYMENT, cron=cron, parameters={"overrides": overrides} if overrides else {})
