"""The walkthrough notebook runs end to end on a real run's exports (nbclient, a real kernel)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "walkthrough.ipynb"


def test_the_committed_notebook_has_no_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_the_notebook_runs_on_a_runs_exports(good_run, tmp_path, monkeypatch) -> None:
    exports, manifest = good_run
    monkeypatch.setenv("TRAVELTIDE_EXPORTS", str(exports))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 5  # funnel, profiles, perk fit, offers, experiment
    text = json.dumps([o.get("data", {}).get("text/plain", o.get("text", "")) for o in outputs])
    assert manifest["run_id"] in text
    funnel = manifest["row_counts"]["gold"]["funnel"]
    for label, key in (("users in the export", "users"), ("in the cohort", "cohort")):
        assert f"{label}" in text and str(funnel[key]) in text
    for segment in manifest["segments"]["segments"]:
        assert segment["segment_name"] in text
