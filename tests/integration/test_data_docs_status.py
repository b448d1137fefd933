"""Data Docs say which suite stopped a run: real GX pages built from a real validation, read back."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from helpers.bronze_builder import insert_one_user
from traveltide.quality import validate_layer


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bronze of one user from 'mars' (a warning) with no flights and no hotels (critical: empty tables)."""
    root = tmp_path_factory.mktemp("status")
    db = root / "run.duckdb"
    with duckdb.connect(str(db)) as con:
        insert_one_user(con=con)
        con.execute("update bronze.users set home_country = 'mars'")
    validate_layer(db_path=db, layer="bronze", docs_dir=root / "data_docs", run_id="status-test")
    return root / "data_docs"


def _index_rows(docs: Path) -> dict[str, str]:
    """Suite name -> the words of its status cell on the index (GX writes the rows as a JS literal)."""
    index = (docs / "index.html").read_text(encoding="utf-8")
    found = re.findall(r"'validation_success': '(.*?)', 'run_time'.*?'_expectation_suite_name_sort': '(.*?)'", index)
    return {suite: " ".join(re.sub(r"<[^>]+>|\\n", " ", cell).split()) for cell, suite in found}


def test_the_index_tells_warnings_from_the_failure_that_stops_the_run(docs: Path) -> None:
    rows = _index_rows(docs)
    assert rows["bronze.users"] == "Passed with warnings"
    assert rows["bronze.flights"] == rows["bronze.hotels"] == "Critical failure: stops the run"
    assert rows["bronze.sessions"] == ""  # passed: GX's green check alone
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert index.count("fa-exclamation-triangle") == 1
    assert index.count("fa-times") >= 2


def test_a_validation_page_header_says_the_suites_status(docs: Path) -> None:
    users = next((docs / "validations" / "bronze" / "users").rglob("*.html")).read_text(encoding="utf-8")
    flights = next((docs / "validations" / "bronze" / "flights").rglob("*.html")).read_text(encoding="utf-8")
    status = r"Status:.*?</i>\s*(.*?)\s*<"
    assert re.search(status, users, re.DOTALL).group(1) == "Passed with warnings"
    assert re.search(status, flights, re.DOTALL).group(1) == "Critical failure: stops the run"
