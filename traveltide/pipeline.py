"""The steps of a run as plain functions, so they can be tested without Prefect.

Steps hand each other paths (the run's DuckDB file, the staging folder), never
connections or DataFrames; the Prefect flow in ``flows/`` only wires them together.
Each step returns a JSON-ready dict for the manifest.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from traveltide.settings import Settings

__all__ = [
    "EmptyCohortError",
    "RunPaths",
    "prepare_run",
    "step_fetch",
    "step_bronze",
    "step_validate",
    "step_silver",
    "step_gold",
    "step_segment",
    "step_mart",
    "step_export_parquet",
    "step_extract",
    "step_publish",
    "discard_run",
    "explain_failure",
]

EXTRACT_NAME = "traveltide.hyper"
MANIFEST_NAME = "manifest.json"


class EmptyCohortError(RuntimeError):
    """No user meets the cohort rule: nothing to segment, nothing is published."""


class DiskFullError(RuntimeError):
    """The disk filled up while the run was writing; nothing was published."""


@dataclass(frozen=True)
class RunPaths:
    """Where one run works: its DuckDB file and its staging folder inside the exports."""

    run_id: str
    exports: Path
    staging: Path
    work: Path

    @property
    def db(self) -> Path:
        return self.work / "warehouse.duckdb"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_run(*, settings: Settings) -> RunPaths:
    """Create the run's folders; clear what dead runs left behind (call under the exports lock)."""
    from traveltide.publish.staging import new_staging, remove_stale_staging

    exports = settings.exports.resolve()
    remove_stale_staging(exports=exports)
    runs = settings.cache_dir.resolve() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for old in runs.iterdir():
        pid_file = old / "pid"
        pid = int(pid_file.read_text()) if pid_file.is_file() else 0
        if not pid or not _pid_alive(pid):
            shutil.rmtree(old, ignore_errors=True)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    work = runs / run_id
    work.mkdir()
    (work / "pid").write_text(str(os.getpid()))
    return RunPaths(run_id=run_id, exports=exports, staging=new_staging(exports=exports, run_id=run_id), work=work)


def _connect(paths: RunPaths) -> duckdb.DuckDBPyConnection:
    from traveltide.runtime.database import connect

    return connect(path=paths.db)


def step_fetch(*, settings: Settings) -> dict[str, Any]:
    """Bring the four bronze files to local disk (generate, copy-free folder, or download)."""
    from traveltide.sources import fetch_sources

    files = fetch_sources(settings=settings, progress=print)
    return {
        "kind": settings.source_kind,
        "files": [
            {
                "table": f.table,
                "path": str(f.path.resolve()),
                "origin": f.origin,
                "size": f.size,
                "sha256": f.sha256,
                "downloaded": f.downloaded,
            }
            for f in files
        ],
    }


def step_bronze(*, paths: RunPaths, fetched: dict[str, Any]) -> dict[str, Any]:
    """Load the files into typed bronze tables; unparsable rows go to bronze.rejects."""
    from traveltide.bronze import load_bronze

    files = {f["table"]: Path(f["path"]) for f in fetched["files"]}
    with _connect(paths) as con:
        report = load_bronze(con=con, files=files)
        # The first rejected lines, so the manifest alone tells an operator what to fix.
        sample = con.execute(
            "select table_name, line, column_name, reason from bronze.rejects "
            "order by table_name, line limit 20"
        ).fetchall()
    keys = ("table", "line", "column", "reason")
    return {**report.to_dict(), "rejects_sample": [dict(zip(keys, row, strict=True)) for row in sample]}


def step_validate(*, paths: RunPaths, layer: str) -> dict[str, Any]:
    """Run the layer's expectation suites; a critical failure raises and stops the run.

    The results are stored for Data Docs; :func:`step_data_docs` renders them all once.
    """
    from traveltide.quality import validate_layer

    result = validate_layer(
        db_path=paths.db, layer=layer, docs_dir=_docs_dir(paths), run_id=paths.run_id, build_docs=False
    )
    print(result.format())
    # The docs are published with the run, also when it fails: point at where readers find them.
    docs = paths.exports / "data_docs" / "index.html"
    result.raise_for_critical(docs=docs)
    return {**result.to_dict(), "docs": str(docs)}


def step_data_docs(*, paths: RunPaths) -> str:
    """Render the Data Docs of every layer validated in this run (into the staging folder)."""
    from traveltide.quality import build_data_docs

    return str(build_data_docs(docs_dir=_docs_dir(paths)))


def _docs_dir(paths: RunPaths) -> Path:
    return paths.staging / "data_docs"


def step_silver(*, paths: RunPaths) -> dict[str, Any]:
    """Clean, deduplicate and derive the silver tables."""
    from traveltide.transform import build_silver

    with _connect(paths) as con:
        return build_silver(con=con)


def step_gold(*, settings: Settings, paths: RunPaths) -> dict[str, Any]:
    """Window, cohort, gold sessions and trips, user features; refuses an empty cohort."""
    from traveltide.transform import build_gold

    with _connect(paths) as con:
        counts = build_gold(con=con, start_date=settings.start_date, min_sessions=settings.min_sessions)
        ((users, in_window, most),) = con.execute(
            "select (select count(*) from silver.users), count(*), coalesce(max(n), 0) from ("
            "select user_id, count(*) as n from silver.sessions "
            "where session_start >= $start_date group by user_id)",
            {"start_date": settings.start_date},
        ).fetchall()
    cohort = counts.get("cohort", 0)
    counts["funnel"] = {"users": users, "users_in_window": in_window, "cohort": cohort}
    if cohort == 0:
        raise EmptyCohortError(
            f"no user has at least {settings.min_sessions} sessions since {settings.start_date} "
            f"({in_window} users have sessions in that window, the most active has {most}); "
            "lower --min-sessions or choose an earlier --start-date. Nothing was published."
        )
    return counts


def step_segment(*, settings: Settings, paths: RunPaths) -> dict[str, Any]:
    """Cluster the cohort and give each segment its perk (the pictures: :func:`step_segment_diagnostics`)."""
    from traveltide.segmentation import segment_users

    with _connect(paths) as con:
        result = segment_users(
            con=con, k=settings.k, k_min=settings.k_min, k_max=settings.k_max, seed=settings.seed, plots_dir=None
        )
    return result.to_dict()


def step_segment_diagnostics(*, settings: Settings, paths: RunPaths, segments: dict[str, Any]) -> dict[str, Any]:
    """Draw the segments' diagnostic pictures into the staging folder; returns the k range and the files.

    ``segments`` is :func:`step_segment`'s result; the flow runs this in the background and
    adds what it returns to the manifest's segments.
    """
    from traveltide.segmentation import KCandidate, draw_diagnostics

    with _connect(paths) as con:
        found = draw_diagnostics(
            con=con,
            k=segments["k"],
            k_selection=segments["k_selection"],
            candidates=tuple(KCandidate(**c) for c in segments["candidates"]),
            k_min=settings.k_min,
            k_max=settings.k_max,
            seed=settings.seed,
            plots_dir=paths.staging / "plots",
        )
    return found.to_dict()


def step_mart(*, paths: RunPaths) -> dict[str, Any]:
    """Build the star schema tables in DuckDB."""
    from traveltide.mart import build_mart

    with _connect(paths) as con:
        return build_mart(con=con)


def step_export_parquet(*, paths: RunPaths) -> dict[str, Any]:
    """Write the silver and gold tables as Parquet into the staging folder.

    The flow runs this in the background once the segments are built: it is DuckDB work on
    both cores, while the steps after it (validation, the extract) mostly use one.
    """
    from traveltide.publish.parquet import export_parquet

    with _connect(paths) as con:
        return export_parquet(con=con, out_dir=paths.staging)


def step_extract(*, settings: Settings, paths: RunPaths) -> dict[str, Any]:
    """Write and verify the .hyper extract in the staging folder, the dictionary and the .tds."""
    from traveltide.publish.dictionary import write_dictionary, write_tds
    from traveltide.publish.extract import write_extract

    hyper = paths.staging / EXTRACT_NAME
    with _connect(paths) as con:
        counts = write_extract(con=con, path=hyper, file_version=settings.hyper_file_version)
    dictionary = [p.name for p in write_dictionary(out_dir=paths.staging / "dictionary")]
    tds = write_tds(out=paths.staging / "traveltide.tds", extract_path=EXTRACT_NAME)
    return {
        "path": str(paths.exports / EXTRACT_NAME),
        "file_version": settings.hyper_file_version,
        "tables": counts,
        "dictionary": dictionary,
        "tds": tds.name,
    }


def step_publish(*, paths: RunPaths, manifest: dict[str, Any]) -> list[str]:
    """Write the report and the manifest, then move everything into the exports folder, the extract last."""
    from traveltide.publish.manifest import write_manifest
    from traveltide.publish.report import write_report
    from traveltide.publish.staging import publish_staging

    write_report(db_path=paths.db, manifest=manifest, out_dir=paths.staging / "report")
    write_manifest(manifest=manifest, path=paths.staging / MANIFEST_NAME, staging=paths.staging)
    published = publish_staging(staging=paths.staging, exports=paths.exports, last=(MANIFEST_NAME, EXTRACT_NAME))
    shutil.rmtree(paths.work, ignore_errors=True)
    return [str(p) for p in published]


def discard_run(*, paths: RunPaths) -> None:
    """After a failure: render and keep the data docs of the failed run for reviewers, drop the rest.

    The previous extract and manifest stay untouched; the run's DuckDB file stays in the
    cache for debugging until the next run.
    """
    from traveltide.publish.staging import publish_staging

    docs = _docs_dir(paths)
    try:
        if docs.is_dir():
            step_data_docs(paths=paths)
            keep = paths.staging.with_name(paths.staging.name + "-docs")
            keep.mkdir()
            os.replace(docs, keep / "data_docs")
            publish_staging(staging=keep, exports=paths.exports)
    except Exception as exc:  # a full disk, a docs build that fails: the run's own failure matters more
        print(f"could not publish the data docs of the failed run: {exc}")
    finally:
        for leftover in paths.exports.glob(paths.staging.name + "*"):
            shutil.rmtree(leftover, ignore_errors=True)


def _is_disk_full(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if "no space left on device" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def explain_failure(*, exc: BaseException, paths: RunPaths) -> BaseException:
    """The exception to show the operator: a full disk becomes one plain sentence."""
    if _is_disk_full(exc):
        return DiskFullError(
            f"the disk holding {paths.exports} or {paths.work} is full; the run stopped and "
            f"nothing was published (the previous extract is unchanged). Free some space or "
            f"point --exports / cache_dir at a larger disk, then run again. ({exc})"
        )
    return exc
