"""Shared test set-up: quiet, offline, and isolated from the developer's own Prefect home."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from traveltide.runtime.environment import configure_environment

# Before any test module imports Prefect or Great Expectations.
_HOME = Path(tempfile.mkdtemp(prefix="traveltide-tests-"))
os.environ["PREFECT_HOME"] = str(_HOME / "prefect")
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("TRAVELTIDE_CONFIG", None)
for key in [k for k in os.environ if k.startswith("TRAVELTIDE_")]:
    os.environ.pop(key)

configure_environment(project_dir=_HOME)


# --- Fixtures shared by the end-to-end tests (Prefect harness, one generated sample) ---


@pytest.fixture(scope="session")
def harness():
    """A temporary Prefect API for the whole session (starting one costs 10-20 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """A small generated bronze folder (6,000 users, a cohort of about 170)."""
    from traveltide.sample import write_sample

    out = tmp_path_factory.mktemp("bronze")
    write_sample(out=out, users=6000, seed=11)
    return out


@pytest.fixture(scope="session")
def good_run(harness, sample_dir, tmp_path_factory):
    """One successful flow run on the sample: (exports folder, manifest)."""
    from flows.traveltide_flow import traveltide_mart
    from traveltide.settings import load_settings

    tmp = tmp_path_factory.mktemp("run")
    manifest = traveltide_mart(
        settings=load_settings(
            source=str(sample_dir), exports=tmp / "exports", cache_dir=tmp / "cache", min_segment_size=10
        )
    )
    return tmp / "exports", manifest


# --- A clean end: pytest's summary stays the last thing printed ---

_EXIT: dict[str, int] = {"status": 0}


def pytest_sessionfinish(session, exitstatus) -> None:
    _EXIT["status"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config) -> None:
    """Leave without interpreter teardown (as the ``traveltide`` command does).

    Great Expectations' caches keep DuckDB objects alive until teardown, where DuckDB's
    bindings print pages of "nanobind: leaked ..." lines after the test summary. Every
    fixture, plugin and exit handler has finished by now; only that teardown is skipped.
    """
    import shutil

    from traveltide.runtime import exit_without_teardown

    shutil.rmtree(_HOME, ignore_errors=True)
    exit_without_teardown(_EXIT["status"])
