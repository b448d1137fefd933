"""The steps of a run as plain functions: fetch → bronze → silver → gold → segment → mart →
extract → publish, with each layer's checks (validate) and the work beside them.

Steps take the settings and the run's paths (its DuckDB file, its staging folder), never
connections or DataFrames, and return dataclasses the manifest is built from, so each can be
run and tested without Prefect. :class:`traveltide.run.Run` keeps the time and the gates;
``flows/`` makes Prefect tasks of these functions.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from traveltide.bronze import BronzeReport
from traveltide.errors import TravelTideError
from traveltide.publish.parquet import ParquetFile
from traveltide.publish.rejects import Rejects
from traveltide.quality import LayerValidation
from traveltide.quality.suites import LayerName
from traveltide.run import RunPaths
from traveltide.segmentation import DiagnosticInputs, Diagnostics, SegmentationResult
from traveltide.segmentation.drift import Drift
from traveltide.settings import Settings
from traveltide.sources import SourceFile

__all__ = [
    "EXTRACT_NAME",
    "MANIFEST_NAME",
    "Cleaned",
    "Cohort",
    "EmptyCohortError",
    "EvaluateError",
    "Evaluated",
    "Extracted",
    "Fetched",
    "Funnel",
    "Loaded",
    "ScoreError",
    "Scored",
    "SegmentsTooSmall",
    "SilverTable",
    "Star",
    "read_silver_accounts",
    "step_bronze",
    "step_data_docs",
    "step_diagnostic_inputs",
    "step_export_parquet",
    "step_extract",
    "step_fetch",
    "step_gold",
    "step_mart",
    "step_publish",
    "step_publish_tableau",
    "step_segment",
    "step_segment_diagnostics",
    "step_sensitivity",
    "step_silver",
    "step_validate",
]

EXTRACT_NAME = "traveltide.hyper"
MANIFEST_NAME = "manifest.json"
# What goes to a Tableau site: the packaged data source, then the workbook built on it.
TABLEAU_PACKAGES = ("traveltide.tdsx", "traveltide.twbx")
MODEL_DIR = "model"


class ScoreError(TravelTideError):
    """Users cannot be scored as asked (no model, no users); the message says what to do."""


class EvaluateError(TravelTideError):
    """A campaign cannot be evaluated as asked (no run, no groups, no later sessions); the message says what to do."""


class EmptyCohortError(TravelTideError):
    """No user meets the cohort rule: nothing to segment, nothing is published."""


class SegmentsTooSmall(TravelTideError):
    """The cohort cannot fill a fixed k segments of min_segment_size users: refused before clustering."""


@dataclass(frozen=True)
class Fetched:
    """The four exports on local disk."""

    kind: str
    files: tuple[SourceFile, ...]

    def paths(self) -> dict[str, Path]:
        return {f.table: f.path for f in self.files}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "files": [{**asdict(f), "path": str(f.path.resolve())} for f in self.files]}


@dataclass(frozen=True)
class Loaded:
    """What bronze loaded (its unparsable lines are published in full by the rejects step)."""

    report: BronzeReport

    def to_dict(self) -> dict[str, Any]:
        return self.report.to_dict()


@dataclass(frozen=True)
class SilverTable:
    """A silver table's rows and, by reason, the bronze rows it left out."""

    rows: int
    set_aside: dict[str, int]


@dataclass(frozen=True)
class Cleaned:
    """Silver, table by table."""

    tables: dict[str, SilverTable]

    def to_dict(self) -> dict[str, Any]:
        return {name: asdict(t) for name, t in self.tables.items()}


@dataclass(frozen=True)
class Funnel:
    """From every user to the cohort."""

    users: int
    users_in_window: int
    cohort: int


@dataclass(frozen=True)
class Cohort:
    """Gold's row counts and the funnel to the cohort."""

    rows: dict[str, int]
    funnel: Funnel

    def to_dict(self) -> dict[str, Any]:
        return {**self.rows, "funnel": asdict(self.funnel)}


@dataclass(frozen=True)
class Star:
    """The mart's row counts."""

    rows: dict[str, int]


@dataclass(frozen=True)
class Extracted:
    """The extract in the staging folder, with its dictionary, data source and Parquet layers."""

    path: Path
    file_version: str
    tables: dict[str, int]
    dictionary: tuple[str, ...]
    tableau: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path), "dictionary": list(self.dictionary)}


def _connect(paths: RunPaths) -> duckdb.DuckDBPyConnection:
    from traveltide.runtime.database import connect

    return connect(path=paths.db)


def step_fetch(*, settings: Settings) -> Fetched:
    """Bring the four bronze files to local disk (generate, read a folder in place, or download)."""
    from traveltide.sources import fetch_sources

    return Fetched(kind=settings.source_kind, files=tuple(fetch_sources(settings=settings, progress=print)))


def step_bronze(*, paths: RunPaths, fetched: Fetched) -> Loaded:
    """Load the files into typed bronze tables; unparsable lines go to bronze.rejects."""
    from traveltide.bronze import load_bronze

    with _connect(paths) as con:
        return Loaded(report=load_bronze(con=con, files=fetched.paths()))


def step_validate(*, paths: RunPaths, layer: LayerName) -> LayerValidation:
    """Run the layer's expectation suites; a critical failure raises and stops the run.

    The results are stored for Data Docs; :func:`step_data_docs` renders them all once.
    """
    from traveltide.quality import validate_layer

    result = validate_layer(db_path=paths.db, layer=layer, docs_dir=paths.docs, run_id=paths.run_id, build_docs=False)
    print(result.format())
    if result.critical_failures:
        with _connect(paths) as con:
            files = dict(con.execute("select table_name, file from bronze.sources").fetchall())
        # The docs are published with the run, also when it fails: point at where readers find them.
        result.raise_for_critical(docs=paths.exports / "data_docs" / "index.html", files=files)
    return result


def step_data_docs(*, paths: RunPaths) -> Path:
    """Render the Data Docs of every layer validated in this run (into the staging folder)."""
    from traveltide.quality import build_data_docs

    return build_data_docs(docs_dir=paths.docs)


def read_silver_accounts(*, con: duckdb.DuckDBPyConnection) -> dict[str, SilverTable]:
    """Each silver source table's rows and the bronze rows it set aside, by reason (from silver.set_aside)."""
    from traveltide.contract.silver import SET_ASIDE_REASONS

    counts = {(t, r): n for t, r, n in con.execute("select table_name, reason, rows from silver.set_aside").fetchall()}
    return {
        name: SilverTable(
            rows=con.execute(f"select count(*) from silver.{name}").fetchall()[0][0],
            set_aside={r: counts[(name, r)] for r in reasons},
        )
        for name, reasons in SET_ASIDE_REASONS.items()
    }


def step_silver(*, settings: Settings, paths: RunPaths) -> Cleaned:
    """Clean, deduplicate and derive the silver tables."""
    from traveltide.build import build_layer

    with _connect(paths) as con:
        build_layer(con=con, layer="silver", params={"conflict_tolerance": settings.conflict_tolerance})
        return Cleaned(tables=read_silver_accounts(con=con))


def step_gold(*, settings: Settings, paths: RunPaths) -> Cohort:
    """Window, cohort, gold sessions and trips, user features; refuses an empty cohort."""
    from traveltide.build import build_layer

    with _connect(paths) as con:
        rows = build_layer(
            con=con, layer="gold", params={"start_date": settings.start_date, "min_sessions": settings.min_sessions}
        )
        ((users, in_window, most),) = con.execute(
            "select (select count(*) from silver.users), count(*), coalesce(max(n), 0) from ("
            "select user_id, count(*) as n from silver.sessions "
            "where session_start >= $start_date group by user_id)",
            {"start_date": settings.start_date},
        ).fetchall()
    if rows["cohort"] == 0:
        raise EmptyCohortError(
            f"no user has at least {settings.min_sessions} sessions since {settings.start_date} "
            f"({in_window} users have sessions in that window, the most active has {most}); "
            "lower --min-sessions or choose an earlier --start-date. Nothing was published."
        )
    if settings.k is not None and rows["cohort"] < settings.k * settings.min_segment_size:
        most_k = rows["cohort"] // settings.min_segment_size
        raise SegmentsTooSmall(
            f"--k {settings.k} needs at least {settings.k * settings.min_segment_size:,} cohort users "
            f"({settings.min_segment_size} per segment, min_segment_size); the cohort has {rows['cohort']:,}: "
            + (f"set --k to at most {most_k}, " if most_k >= 2 else "")
            + "use --k auto, lower min_segment_size or widen the cohort. Nothing was published."
        )
    return Cohort(rows=rows, funnel=Funnel(users=users, users_in_window=in_window, cohort=rows["cohort"]))


def step_segment(*, settings: Settings, paths: RunPaths) -> SegmentationResult:
    """Score the cohort with the saved model, or fit one, and give each segment its perk; the
    model goes to the staging folder (the pictures: :func:`step_segment_diagnostics`)."""
    from traveltide.segmentation import segment_users
    from traveltide.segmentation.model import read_model, write_model
    from traveltide.segmentation.segment import Campaign

    saved = paths.exports / MODEL_DIR / "model.json"
    with _connect(paths) as con:
        result = segment_users(
            con=con,
            k=settings.k,
            k_min=settings.k_min,
            k_max=settings.k_max,
            min_segment_size=settings.min_segment_size,
            seed=settings.seed,
            plots_dir=None,
            previous=read_model(path=saved),
            refit=settings.refit,
            drift_threshold=settings.drift_threshold,
            run_id=paths.run_id,
            campaign=Campaign.of(settings),
        )
    if result.model is not None:
        write_model(model=result.model, path=paths.staging / MODEL_DIR / "model.json")
    if saved.is_file():  # the model this run replaces stays beside it
        shutil.copyfile(saved, paths.staging / MODEL_DIR / "previous.json")
    return result


def step_drift(*, settings: Settings, paths: RunPaths, segments: SegmentationResult) -> Drift:
    """Compare the segments with the previous published run; the users who changed go to staging."""
    from traveltide.segmentation.drift import measure_drift

    with _connect(paths) as con:
        return measure_drift(
            con=con,
            previous=paths.exports / "gold" / "user_segments.parquet",
            decision=segments.decision,
            drift_threshold=settings.drift_threshold,
            out_dir=paths.staging,
        )


def step_sensitivity(*, settings: Settings, paths: RunPaths, segments: SegmentationResult) -> list[dict[str, Any]]:
    """Cohort size and offered-perk shares for min_sessions around its setting (a scratch gold, this run's model).

    It starts by letting DuckDB drop what it has cached of the run's database, so its scratch gold
    does not add to everything read before (the run's peak memory): the flow runs it when no other
    DuckDB work is under way.
    """
    from traveltide.runtime.database import release_cached_blocks
    from traveltide.segmentation.segment import Campaign
    from traveltide.segmentation.sensitivity import cohort_sensitivity

    if segments.model is None:
        return []
    with _connect(paths) as con:
        release_cached_blocks(con=con)
        rows = cohort_sensitivity(
            con=con,
            model=segments.model,
            start_date=settings.start_date,
            min_sessions=settings.min_sessions,
            perk_min_users=Campaign.of(settings).perk_min_users,
            perk_min_share=settings.perk_min_share,
        )
    return [r.to_dict() for r in rows]


def step_diagnostic_inputs(*, paths: RunPaths) -> DiagnosticInputs:
    """Read what the segments' pictures need from gold, so drawing them needs no database."""
    from traveltide.segmentation import read_diagnostic_inputs

    with _connect(paths) as con:
        return read_diagnostic_inputs(con=con)


def step_segment_diagnostics(
    *, settings: Settings, paths: RunPaths, segments: SegmentationResult, inputs: DiagnosticInputs
) -> Diagnostics:
    """Draw the segments' diagnostic pictures into the staging folder; returns the k range and the files.

    The flow runs this in the background, beside the steps after segmentation; it reads no
    database (``inputs``: :func:`step_diagnostic_inputs`).
    """
    from traveltide.segmentation import draw_diagnostics

    drawn = draw_diagnostics(
        inputs=inputs,
        k=segments.k,
        k_selection=segments.k_selection,
        candidates=segments.candidates,
        k_min=settings.k_min,
        k_max=settings.k_max,
        min_segment_size=settings.min_segment_size,
        seed=settings.seed,
        plots_dir=paths.staging / "plots",
    )
    # Recorded relative to the exports folder, as every output of the manifest: the staging
    # folder is gone once the run is published.
    plots = {kind: Path(p).relative_to(paths.staging).as_posix() for kind, p in drawn.plots.items()}
    return replace(drawn, plots=plots)


def step_mart(*, paths: RunPaths) -> Star:
    """Build the star schema tables in DuckDB."""
    from traveltide.build import build_layer

    with _connect(paths) as con:
        return Star(rows=build_layer(con=con, layer="mart"))


def step_rejects(*, paths: RunPaths) -> Rejects:
    """Write every source line bronze could not parse or silver set aside into the staging folder."""
    from traveltide.publish.rejects import write_rejects

    with _connect(paths) as con:
        return write_rejects(con=con, out_dir=paths.staging)


def step_export_parquet(*, paths: RunPaths) -> dict[str, dict[str, ParquetFile]]:
    """Write the silver and gold tables as Parquet into the staging folder.

    The flow runs this in the background once the segments are built: it is DuckDB work on
    both cores, while the steps after it (validation, the extract) mostly use one.
    """
    from traveltide.publish.parquet import export_parquet

    with _connect(paths) as con:
        return export_parquet(con=con, out_dir=paths.staging)


def step_extract(*, settings: Settings, paths: RunPaths) -> Extracted:
    """Write and verify the .hyper extract in the staging folder, the dictionary and the
    Tableau files: the .tds beside the extract, the packaged .tdsx and the starter .twbx."""
    from traveltide.publish.dictionary import write_dictionary
    from traveltide.publish.extract import write_extract
    from traveltide.publish.package import PACKAGED_EXTRACT, write_package
    from traveltide.publish.tds import render_tds, write_tds
    from traveltide.publish.workbook import render_workbook

    extract = paths.staging / EXTRACT_NAME
    with _connect(paths) as con:
        counts = write_extract(con=con, path=extract, file_version=settings.hyper_file_version)
    dictionary = tuple(p.name for p in write_dictionary(out_dir=paths.staging / "dictionary"))
    tds = write_tds(out=paths.staging / "traveltide.tds", extract_path=EXTRACT_NAME)
    tdsx = write_package(
        out=paths.staging / "traveltide.tdsx",
        document_name="traveltide.tds",
        document=render_tds(extract_path=PACKAGED_EXTRACT),
        extract=extract,
    )
    twbx = write_package(
        out=paths.staging / "traveltide.twbx",
        document_name="traveltide.twb",
        document=render_workbook(extract_path=PACKAGED_EXTRACT),
        extract=extract,
    )
    return Extracted(
        path=paths.exports / EXTRACT_NAME,
        file_version=settings.hyper_file_version,
        tables=counts,
        dictionary=dictionary,
        tableau=(tds.name, tdsx.name, twbx.name),
    )


def step_publish(*, paths: RunPaths, manifest: dict[str, Any]) -> list[Path]:
    """Write the report and the manifest, then move everything into the exports folder, the extract last."""
    from traveltide.publish.manifest import write_manifest
    from traveltide.publish.report import write_report
    from traveltide.publish.staging import publish_staging

    write_report(db_path=paths.db, manifest=manifest, out_dir=paths.staging / "report")
    write_manifest(manifest=manifest, path=paths.staging / MANIFEST_NAME, staging=paths.staging)
    published = publish_staging(staging=paths.staging, exports=paths.exports, last=(MANIFEST_NAME, EXTRACT_NAME))
    shutil.rmtree(paths.work, ignore_errors=True)
    return published


def step_publish_tableau(*, settings: Settings, exports: Path) -> list[dict[str, str]]:
    """Publish the exports folder's .tdsx and .twbx to the configured Tableau site."""
    from traveltide.publish.tableau_server import TableauPublishError, publish_to_tableau, token_from_environment

    if not settings.tableau_server:
        raise TableauPublishError("no Tableau site to publish to: give --server (or tableau_server in traveltide.toml)")
    token = token_from_environment()
    files = [exports / name for name in TABLEAU_PACKAGES]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise TableauPublishError(
            f"{exports.resolve()} has no {' or '.join(missing)}: run `traveltide run` with these exports first; "
            "nothing was published"
        )
    published = publish_to_tableau(
        server=settings.tableau_server,
        site=settings.tableau_site,
        project=settings.tableau_project,
        files=files,
        name=settings.tableau_name,
        mode=settings.tableau_mode,
        token=token,
        timeout=settings.tableau_timeout,
    )
    return [p.to_dict() for p in published]


@dataclass(frozen=True)
class Scored:
    """What ``traveltide score`` wrote: the files, users scored, in the cohort, by the default rule."""

    csv: Path
    parquet: Path
    users: int
    in_cohort: int
    by_default: int
    model_run: str


def score_source(*, settings: Settings, model_path: Path, out_dir: Path) -> Scored:
    """Score every user with sessions in the window of ``settings.source`` with the saved model.

    The source goes through fetch, bronze, silver and gold as in a run (no validation, nothing
    published), gold with every window user instead of the cohort; the saved model places them.
    """
    from traveltide.segmentation.model import read_model
    from traveltide.segmentation.scoring import score_users

    path = model_path / "model.json" if model_path.is_dir() else model_path
    model = read_model(path=path)
    if model is None:
        raise ScoreError(
            f"{path}: no segmentation model here (or of another format); point --model at the exports/model "
            "folder of a published run, or publish one first with 'traveltide run'"
        )
    work = settings.cache_dir.resolve() / "score"
    try:
        with _window_gold(settings=settings, work=work, start_date=settings.start_date) as con:
            table = score_users(con=con, model=model, min_sessions=settings.min_sessions)
            targets = _write_both(con=con, table=table, out_dir=out_dir, name="scores")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    in_cohort = table.column("in_cohort").to_numpy(zero_copy_only=False)
    basis = table.column("basis").to_pylist()
    return Scored(
        csv=targets["csv"],
        parquet=targets["parquet"],
        users=table.num_rows,
        in_cohort=int(in_cohort.sum()),
        by_default=basis.count("default"),
        model_run=model.run_id,
    )


@contextmanager
def _window_gold(*, settings: Settings, work: Path, start_date: date) -> Iterator[duckdb.DuckDBPyConnection]:
    """Fetch, bronze, silver and gold of ``settings.source`` into a scratch database in ``work``,
    gold with every user who has a session on or after ``start_date`` (no validation, nothing published)."""
    from traveltide.bronze import load_bronze
    from traveltide.build import build_layer

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    fetched = step_fetch(settings=settings)
    with duckdb.connect(str(work / "window.duckdb")) as con:
        load_bronze(con=con, files=fetched.paths())
        build_layer(con=con, layer="silver", params={"conflict_tolerance": settings.conflict_tolerance})
        build_layer(con=con, layer="gold", params={"start_date": start_date, "min_sessions": 1})
        yield con


def _write_both(*, con: duckdb.DuckDBPyConnection, table: Any, out_dir: Path, name: str) -> dict[str, Path]:
    """``table`` as ``name``.csv and ``name``.parquet in ``out_dir``, each written beside and then renamed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con.register("written", table)
    targets = {"csv": out_dir / f"{name}.csv", "parquet": out_dir / f"{name}.parquet"}
    for kind, target in targets.items():
        partial = target.with_name(f".{target.name}.partial")
        options = "format csv, header true" if kind == "csv" else "format parquet"
        con.execute(f"copy written to $path ({options})", {"path": str(partial)})
        partial.replace(target)
    con.unregister("written")
    return targets


@dataclass(frozen=True)
class Evaluated:
    """What ``traveltide evaluate`` measured and wrote."""

    csv: Path
    parquet: Path
    json: Path
    evaluate_from: str
    run_id: str
    uplifts: list[dict[str, Any]]


def evaluate_source(
    *, settings: Settings, run_manifest: Path, out_dir: Path | None, evaluate_from: date | None
) -> Evaluated:
    """Measure the perk campaign of the run behind ``run_manifest`` on the later export ``settings.source``.

    The groups are the run's published ``gold/user_segments.parquet``; the period starts at
    ``evaluate_from`` (default: the day after the run's last session).
    """
    import json

    import pyarrow as pa

    from traveltide.segmentation.evaluation import measure_uplift

    if not run_manifest.is_file():
        raise EvaluateError(f"{run_manifest}: no such manifest; point --run at the manifest.json of a published run")
    exports = run_manifest.parent
    groups = exports / "gold" / "user_segments.parquet"
    sessions = exports / "silver" / "sessions.parquet"
    run_id = json.loads(run_manifest.read_text(encoding="utf-8")).get("run_id", "unknown")
    with duckdb.connect() as con:
        if not groups.is_file() or not sessions.is_file():
            raise EvaluateError(
                f"{exports}: no gold/user_segments.parquet or silver/sessions.parquet beside the manifest; "
                "evaluate a run published by 'traveltide run' (its exports folder as published)"
            )
        if "experiment_group" not in con.read_parquet(str(groups)).columns:
            raise EvaluateError(
                f"{groups} has no experiment_group: run {run_id} was published before campaigns were split; "
                "publish a new run, run its campaign, then evaluate"
            )
        ((last,),) = con.execute("select max(session_start) from read_parquet($p)", {"p": str(sessions)}).fetchall()
    start = evaluate_from or (last.date() + timedelta(days=1))
    work = settings.cache_dir.resolve() / "evaluate"
    try:
        with _window_gold(settings=settings, work=work, start_date=start) as con:
            ((users,),) = con.execute("select count(*) from gold.user_features").fetchall()
            if users == 0:
                raise EvaluateError(
                    f"{settings.source}: no session on or after {start}; evaluate an export taken after the "
                    f"campaign started (the run's data ends {last:%Y-%m-%d}), or set --from"
                )
            uplifts = measure_uplift(con=con, groups=groups)
            rows = [u.to_dict() for u in uplifts]
            target = out_dir or exports / "evaluation"
            written = _write_both(con=con, table=pa.Table.from_pylist(rows), out_dir=target, name="evaluation")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    doc = {"run_id": run_id, "source": settings.source, "evaluate_from": start.isoformat(), "uplifts": rows}
    summary = target / "evaluation.json"
    summary.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return Evaluated(
        csv=written["csv"],
        parquet=written["parquet"],
        json=summary,
        evaluate_from=start.isoformat(),
        run_id=run_id,
        uplifts=rows,
    )
