"""Run a layer's suites against the DuckDB file with Great Expectations and build Data Docs.

Great Expectations is imported here, inside the function, so ``traveltide --help`` stays fast.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from traveltide.errors import TravelTideError
from traveltide.quality.suites import LAYERS, LayerName, Suite, load_layer_suites
from traveltide.quality.summary import ExpectationOutcome, LayerValidation
from traveltide.runtime.database import connect

__all__ = ["SAMPLE_SIZE", "SITE_NAME", "ValidationSetupError", "build_data_docs", "validate_layer"]

SITE_NAME = "traveltide"
SAMPLE_SIZE = 5
_RESULTS_FOLDER = "validation_results"
_RUN_MARKER = "RUN_ID"


class ValidationSetupError(TravelTideError):
    """Validation could not start (missing database or table); the message says what to do."""


def validate_layer(
    *,
    db_path: Path,
    layer: LayerName,
    docs_dir: Path,
    run_id: str | None = None,
    expectations_dir: Path | None = None,
    build_docs: bool = True,
) -> LayerValidation:
    """Validate every table of ``layer`` in the DuckDB file and add the results to Data Docs.

    Results accumulate under ``docs_dir`` (each layer of a run adds its suites); a ``run_id``
    different from the one the docs were built under starts them afresh, so a fixed
    ``docs_dir`` shows one run. ``build_docs=False`` only stores the results, for a caller
    that validates several layers and builds the pages once (:func:`build_data_docs`). The
    caller gates with ``raise_for_critical()``.
    """
    started = time.perf_counter()
    suites = load_layer_suites(layer=layer, expectations_dir=expectations_dir)
    _check_tables(db_path=Path(db_path), suites=suites)
    docs_dir = Path(docs_dir).resolve()
    if run_id is not None:
        _start_run(docs_dir=docs_dir, run_id=run_id)

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    from traveltide.quality.gx_duckdb import add_duckdb_datasource, one_reflection_per_schema

    context = gx.get_context(mode="ephemeral", project_config=_project_config(docs_dir=docs_dir))
    datasource = add_duckdb_datasource(context=context, name=f"traveltide_{layer}", db_path=Path(db_path), schema=layer)
    definitions = []
    for suite in suites:
        # The schema comes from the connection's search_path (GX deprecates schema_name).
        asset = datasource.add_table_asset(name=suite.name, table_name=suite.table)
        batch = asset.add_batch_definition_whole_table(name="whole table")
        gx_suite = context.suites.add(
            gx.ExpectationSuite(name=suite.name, expectations=[dict(e) for e in suite.expectations])
        )
        definitions.append(
            context.validation_definitions.add(gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite))
        )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"traveltide_{layer}",
            validation_definitions=definitions,
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE},
        )
    )
    try:
        with one_reflection_per_schema():
            result = checkpoint.run(run_id=RunIdentifier(run_name=f"{run_id or 'traveltide'}-{layer}"))
    finally:
        # Release the file: the pipeline's next step opens it read-write.
        datasource.get_execution_engine().close()
        datasource.get_engine().dispose()
    if build_docs:  # the layer's suites and results pages, then the index of the whole run
        _build(
            context=context,
            docs_dir=docs_dir,
            resources=[*result.run_results, *(ExpectationSuiteIdentifier(name=s.name) for s in suites)],
        )

    outcomes: list[ExpectationOutcome] = []
    pending: dict[int, str] = {}  # outcome index -> failed SQL expectation, {batch} filled in
    for suite_result in result.run_results.values():
        table = f"{layer}.{suite_result.suite_name.split('.', 1)[1]}"
        for r in suite_result.results:
            outcome = _outcome(suite_name=suite_result.suite_name, result=r)
            query = r.expectation_config.kwargs.get("unexpected_rows_query") if r.expectation_config else None
            if query and not outcome.success and not outcome.error:
                pending[len(outcomes)] = query.replace("{batch}", table)
            outcomes.append(outcome)
    outcomes = _with_row_samples(db_path=Path(db_path), outcomes=outcomes, pending=pending)
    return LayerValidation(
        layer=layer,
        docs_index=docs_dir / "index.html",
        outcomes=tuple(outcomes),
        seconds=time.perf_counter() - started,
        suites=tuple(s.name for s in suites),
    )


def build_data_docs(*, docs_dir: Path, expectations_dir: Path | None = None) -> Path:
    """Build the Data Docs of every result stored in ``docs_dir`` at once; returns the index.

    Each build compiles GX's page templates anew (about 0.6 s) and rewrites the index, so a
    run that validates its layers with ``build_docs=False`` (side by side) builds once here,
    also after a failure. Results of one run only are stored (see ``run_id``).
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    docs_dir = Path(docs_dir).resolve()
    context = gx.get_context(mode="ephemeral", project_config=_project_config(docs_dir=docs_dir))
    names = {
        key.expectation_suite_identifier.name
        for key in context.validation_results_store.list_keys()
        if isinstance(key, ValidationResultIdentifier)
    }
    for layer in LAYERS:  # the suites pages; suites live in memory, their results on disk
        for suite in load_layer_suites(layer=layer, expectations_dir=expectations_dir):
            if suite.name in names:
                context.suites.add(
                    gx.ExpectationSuite(name=suite.name, expectations=[dict(e) for e in suite.expectations])
                )
    _build(context=context, docs_dir=docs_dir, resources=None)
    return docs_dir / "index.html"


def _build(*, context: Any, docs_dir: Path, resources: list[Any] | None) -> None:
    """Render the pages of ``resources`` (None: everything stored) and the index, readable offline."""
    from traveltide.quality.offline_docs import localize_data_docs
    from traveltide.quality.validation_pages import render_pages_for_reviewers, with_status

    render_pages_for_reviewers()  # values from the exports as text; each check's severity and why
    context.get_validation_result = with_status(context.get_validation_result)  # the index's status per suite
    context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=resources)
    localize_data_docs(docs_dir=docs_dir)  # the pages load their CSS/JS from CDNs: vendored copies instead


def _project_config(*, docs_dir: Path) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False))
    # Results persist on disk so later layers' docs still list earlier layers' runs.
    config.stores[config.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir / _RESULTS_FOLDER),
        },
    }
    config.data_docs_sites = {
        SITE_NAME: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    }
    config.analytics_enabled = False
    # The run prints its own one-line summary per layer; GX's metric progress bars are noise.
    config.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return config


def _start_run(*, docs_dir: Path, run_id: str) -> None:
    """Clear the previous run's results and pages when ``run_id`` is new."""
    results = docs_dir / _RESULTS_FOLDER
    marker = results / _RUN_MARKER
    if marker.is_file() and marker.read_text(encoding="utf-8") == run_id:
        return
    for stale in (results, docs_dir / "validations", docs_dir / "expectations"):
        shutil.rmtree(stale, ignore_errors=True)
    results.mkdir(parents=True, exist_ok=True)
    marker.write_text(run_id, encoding="utf-8")


def _check_tables(*, db_path: Path, suites: tuple[Suite, ...]) -> None:
    if not db_path.is_file():
        raise ValidationSetupError(f"database {db_path} does not exist: build the layers before validating them")
    con = connect(path=db_path)
    try:
        present = {
            f"{schema}.{name}"
            for schema, name in con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        }
    finally:
        con.close()
    missing = [s for s in suites if s.qualified_table not in present]
    if missing:
        names = ", ".join(f"{s.qualified_table} (suite {s.path})" for s in missing)
        raise ValidationSetupError(
            f"{db_path} has no table {names}: run the step that builds it first, or remove the suite file"
        )


def _outcome(*, suite_name: str, result: Any) -> ExpectationOutcome:
    config = result.expectation_config
    meta = config.meta or {}
    body = result.result or {}
    error = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        error = result.exception_info.get("exception_message")
    else:
        for info in (result.exception_info or {}).values():
            if isinstance(info, dict) and info.get("raised_exception"):
                error = info.get("exception_message")
                break
    if error:  # the first lines name the problem; the rest is the full SQL
        error = " ".join(error.splitlines()[:2])
    observed = body.get("observed_value")
    if observed is None and "unexpected_count" in body:
        observed = f"{body['unexpected_count']} of {body.get('element_count')} rows unexpected"
    # SQL expectations are all one type: their description says what they check.
    description = getattr(config, "description", None) or config.kwargs.get("description")
    return ExpectationOutcome(
        suite=suite_name,
        expectation=f"{config.type} ({description})" if description else config.type,
        column=config.kwargs.get("column"),
        severity=meta.get("severity", "critical"),
        success=bool(result.success),
        why=meta.get("why", ""),
        fix=meta.get("fix", ""),
        observed=observed,
        sample=tuple(body.get("partial_unexpected_list") or ())[:SAMPLE_SIZE],
        error=error,
    )


def _with_row_samples(
    *, db_path: Path, outcomes: list[ExpectationOutcome], pending: dict[int, str]
) -> list[ExpectationOutcome]:
    """Fetch a few offending rows of failed SQL expectations (GX SUMMARY results carry only counts)."""
    if not pending:
        return outcomes
    con = connect(path=db_path)
    try:
        samples = {}
        for index, query in pending.items():
            rows = con.execute(f"select * from ({query}) limit ?", [SAMPLE_SIZE]).fetchall()
            samples[index] = tuple(row[0] if len(row) == 1 else row for row in rows)
    finally:
        con.close()
    return [replace(o, sample=samples[i]) if i in samples else o for i, o in enumerate(outcomes)]
