"""One run of the pipeline: its folders, its clock, the work beside its steps, and its failure.

A :class:`Run` is the bookkeeping the steps of :mod:`traveltide.pipeline` need around them, kept
out of the Prefect flow so the flow reads as the pipeline: it holds the exports folder's lock,
creates the run's DuckDB and staging folders, times each step (the manifest's
``timings_seconds`` is the critical path), holds each layer's checks while they run beside the
next steps until the flow gates on them, and holds the work done in the background (Parquet,
pictures). On a failure it waits for that work, reports a failed check before the error of a step
beside it, publishes the failed run's Data Docs, removes the rest and turns a full disk into a
sentence. Pending work is anything with ``result()`` (a Prefect future, a ``concurrent.futures``
one), so this module does not depend on Prefect.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

from traveltide.errors import TravelTideError
from traveltide.quality import LayerValidation, ValidationFailed
from traveltide.runtime.interrupt import raise_if_interrupted
from traveltide.runtime.progress import working
from traveltide.settings import Settings

__all__ = ["DiskFullError", "Pending", "Run", "RunPaths", "prepare_run"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class DiskFullError(TravelTideError):
    """The disk filled up while the run was writing; nothing was published."""


class Pending(Protocol[T_co]):
    """Work started beside the run's steps (a Prefect or ``concurrent.futures`` future)."""

    def result(self) -> T_co: ...


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

    @property
    def docs(self) -> Path:
        """The run's Data Docs, built in the staging folder."""
        return self.staging / "data_docs"


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


class Run:
    """A run in progress; use as a context manager around the steps (see the module docstring)."""

    def __init__(self, *, settings: Settings) -> None:
        self.settings = settings
        self.started = datetime.now(UTC)
        self.timings: dict[str, float] = {}
        self.validation: dict[str, LayerValidation] = {}
        self._checks: dict[str, Pending[LayerValidation]] = {}
        self._background: dict[str, Pending[Any]] = {}
        self._stack = ExitStack()
        self._paths: RunPaths | None = None

    @property
    def paths(self) -> RunPaths:
        if self._paths is None:
            raise RuntimeError("the run has not started; use it as a context manager")
        return self._paths

    def __enter__(self) -> Run:
        from traveltide.publish.staging import exports_lock
        from traveltide.runtime.preload import RUN_MODULES, preload_modules

        preload_modules(names=RUN_MODULES)  # the later steps' libraries load while fetch and bronze run
        try:
            with _in_words(folder=self.settings.exports, setting="exports"):
                self._stack.enter_context(exports_lock(exports=self.settings.exports))
            with _in_words(folder=self.settings.cache_dir, setting="cache_dir"):
                self._paths = prepare_run(settings=self.settings)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        with self._stack:
            if error is None:
                return
            for pending in self._background.values():  # nothing may still write into the staging folder
                _outcome(pending)
            failed = next((o for o in map(_outcome, self._checks.values()) if isinstance(o, ValidationFailed)), None)
            # A run stopped by a signal (Ctrl-C, SIGTERM) says nothing of the data: the previous
            # run's Data Docs stay too.
            _discard(paths=self.paths, keep_docs=isinstance(failed or error, Exception))
            shown = _explain(exc=failed or error, paths=self.paths)
            if shown is not error:
                raise shown from error

    def time(self, name: str, step: Callable[..., T], /, **kwargs: Any) -> T:
        """Run ``step(**kwargs)`` on the run's critical path, a live line on a terminal while it runs,
        and record its wall time as ``name`` (not after a Ctrl-C, even one swallowed on its way:
        :mod:`traveltide.runtime.interrupt`)."""
        raise_if_interrupted()
        started = time.perf_counter()
        with working(label=name):
            out = step(**kwargs)
        self.timings[name] = round(time.perf_counter() - started, 3)
        print(f"{name}: done in {self.timings[name]:.1f} s")
        return out

    def check(self, layer: str, pending: Pending[LayerValidation]) -> None:
        """Hold ``layer``'s checks, started beside the steps that follow, until :meth:`gate`."""
        self._checks[layer] = pending

    def gate(self, *layers: str) -> None:
        """Wait for the checks of ``layers``, in order; a critical failure raises here, before publish.

        The timings get the wait (what the checks added to the run); their own time is in the
        layer's validation summary.
        """
        for layer in layers:
            started = time.perf_counter()
            result = self._checks[layer].result()
            del self._checks[layer]
            wait = self.timings[f"validate_{layer}_wait"] = round(time.perf_counter() - started, 3)
            print(f"validate_{layer}: done in {result.seconds:.1f} s beside the next step; waited {wait:.1f} s")
            self.validation[layer] = result

    def beside(self, name: str, pending: Pending[Any]) -> None:
        """Hold work started in the background under ``name`` until :meth:`collect`."""
        self._background[name] = pending

    def collect(self, name: str) -> Any:
        """The result of the background work ``name``; the wait is recorded as ``<name>_wait``."""
        return self.time(f"{name}_wait", self._background.pop(name).result)

    def finished_validation(self) -> dict[str, LayerValidation]:
        """Every layer's checks, once all gates passed, with the Data Docs where readers find them."""
        docs = self.paths.exports / "data_docs" / "index.html"
        return {layer: replace(v, docs_index=docs) for layer, v in self.validation.items()}


@contextmanager
def _in_words(*, folder: Path, setting: str) -> Iterator[None]:
    """Say an unusable ``folder`` (a file, read-only, no permission) in words instead of errno text."""
    from traveltide.publish.staging import folder_problem

    try:
        yield
    except OSError as exc:
        problem = folder_problem(exc=exc, folder=folder.resolve(), setting=setting)
        if problem is None:
            raise
        raise problem from exc


def _outcome(pending: Pending[Any]) -> Any:
    """The result of ``pending`` or the exception it raised, once it has finished."""
    try:
        return pending.result()
    except BaseException as exc:  # the caller decides which failure to report
        return exc


def _discard(*, paths: RunPaths, keep_docs: bool) -> None:
    """After a failure: render and keep the Data Docs of the failed run for reviewers (when
    ``keep_docs``), drop the rest.

    The previous extract and manifest stay untouched; the run's DuckDB file stays in the
    cache for debugging until the next run.
    """
    from traveltide.publish.staging import publish_staging
    from traveltide.quality import build_data_docs

    try:
        if keep_docs and paths.docs.is_dir():
            build_data_docs(docs_dir=paths.docs)
            keep = paths.staging.with_name(paths.staging.name + "-docs")
            keep.mkdir()
            os.replace(paths.docs, keep / "data_docs")
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


def _explain(*, exc: BaseException, paths: RunPaths) -> BaseException:
    """The exception to show the operator: a full disk becomes one plain sentence."""
    if _is_disk_full(exc):
        return DiskFullError(
            f"the disk holding {paths.exports} or {paths.work} is full; the run stopped and "
            f"nothing was published (the previous extract is unchanged). Free some space or "
            f"point --exports / cache_dir at a larger disk, then run again. ({exc})"
        )
    return exc
