"""A perk campaign end to end: a real run splits the cohort, the generator simulates the campaign
with a known effect after the export end, and ``traveltide evaluate`` must find that effect."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "traveltide.cli"]
EFFECT = 0.15


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def campaign_run(harness, tmp_path_factory) -> Path:
    """A published run on the built-in sample (20,000 users): its manifest."""
    from flows.traveltide_flow import traveltide_mart
    from traveltide.settings import load_settings

    tmp = tmp_path_factory.mktemp("campaign")
    traveltide_mart(
        settings=load_settings(
            source="sample",
            sample_users=20_000,
            sample_seed=11,
            exports=tmp / "exports",
            cache_dir=tmp / "cache",
            min_segment_size=10,
        )
    )
    return tmp / "exports" / "manifest.json"


def _evaluate(manifest: Path, later: Path, out: Path) -> dict:
    result = _cli("evaluate", "--run", str(manifest), "--source", str(later), "--out", str(out), cwd=out.parent)
    assert "Perk campaign of run" in result.stdout
    return json.loads((out / "evaluation.json").read_text())


def _conversion(doc: dict) -> dict:
    return {u["segment_id"]: u for u in doc["uplifts"] if u["measure"] == "conversion_rate"}


def test_the_evaluation_recovers_a_simulated_effect_inside_its_interval(campaign_run: Path, tmp_path: Path) -> None:
    later = tmp_path / "later"
    _cli("sample", "--out", str(later), "--campaign", str(campaign_run), "--effect", str(EFFECT), cwd=tmp_path)
    truth = json.loads((later / "campaign_truth.json").read_text())
    groups = json.loads(campaign_run.read_text())["segments"]["segments"]
    assert truth["control_users"] == sum(s["control_users"] for s in groups)
    assert truth["treated_users"] == sum(s["treatment_users"] for s in groups)

    doc = _evaluate(campaign_run, later, tmp_path / "evaluation")
    rate = _conversion(doc)
    pooled = rate.pop(None)
    assert pooled["ci_low"] <= EFFECT <= pooled["ci_high"]
    assert pooled["ci_low"] > 0  # and it is detected
    assert pooled["treatment_users"] + pooled["control_users"] == truth["treated_users"] + truth["control_users"]
    assert len(rate) == len(groups)
    for segment in rate.values():
        assert segment["ci_low"] <= EFFECT <= segment["ci_high"], segment
    # every segment has its perk's own behaviour measured too
    measures = {(u["segment_id"], u["measure"]) for u in doc["uplifts"]}
    perk_measure = {
        "Free checked bag": "total_checked_bags",
        "No cancellation fees": "cancellation_rate",
        "Exclusive discounts": "discount_usage_rate",
        "One night free hotel with flight": "total_nights",
    }
    for s in groups:
        assert (s["segment_id"], perk_measure[s["perk"]]) in measures


def test_no_effect_is_not_found_and_the_history_is_unchanged(campaign_run: Path, tmp_path: Path) -> None:
    later, base = tmp_path / "later", tmp_path / "base"
    _cli("sample", "--out", str(later), "--campaign", str(campaign_run), "--effect", "0", cwd=tmp_path)
    _cli("sample", "--out", str(base), "--users", "20000", "--seed", "11", cwd=tmp_path)
    for table in ("users", "sessions", "flights", "hotels"):
        before = (base / f"{table}.csv").read_bytes()
        assert (later / f"{table}.csv").read_bytes().startswith(before), table  # the campaign is only appended
    pooled = _conversion(_evaluate(campaign_run, later, tmp_path / "evaluation"))[None]
    assert pooled["ci_low"] <= 0 <= pooled["ci_high"]


def test_evaluating_an_export_without_later_sessions_says_what_to_do(campaign_run: Path, tmp_path: Path) -> None:
    base = tmp_path / "base"
    _cli("sample", "--out", str(base), "--users", "20000", "--seed", "11", cwd=tmp_path)
    result = subprocess.run(
        [*CLI, "evaluate", "--run", str(campaign_run), "--source", str(base)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"traveltide: {base}: no session on or after 2023-07-29")
    assert "set --from" in last
