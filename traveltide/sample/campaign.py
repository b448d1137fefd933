"""The groups of a published run, as a campaign for the generator to simulate (``traveltide sample --campaign``).

The later export must be the run's own data plus what happened after it, so the sample's users
and seed are the run's (its manifest's ``sample_users`` and ``sample_seed``), and the groups are
its published ``gold/user_segments.parquet``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from traveltide.errors import TravelTideError
from traveltide.sample.writer import CampaignTruth

__all__ = ["CampaignError", "read_campaign"]


class CampaignError(TravelTideError):
    """The run cannot be turned into a simulated campaign; the message says why."""


def read_campaign(*, manifest: Path, effect: float, days: int) -> tuple[int, int, CampaignTruth]:
    """The run's sample users and seed, and its groups with ``effect`` on treated users' bookings."""
    if not manifest.is_file():
        raise CampaignError(f"{manifest}: no such manifest; point --campaign at a published run's manifest.json")
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    if doc.get("source", {}).get("kind") != "sample":
        raise CampaignError(
            f"{manifest}: run {doc.get('run_id')} did not read the built-in sample; only a sample run's "
            "campaign can be simulated (its users and seed are the run's)"
        )
    if not 0 <= effect <= 1 or days < 1:
        raise CampaignError(f"--effect must be within 0..1 and --campaign-days at least 1 (got {effect}, {days})")
    groups_path = manifest.parent / "gold" / "user_segments.parquet"
    if not groups_path.is_file():
        raise CampaignError(f"{groups_path}: no such file; simulate the campaign of a run as it was published")
    groups = pq.read_table(groups_path, columns=["user_id", "experiment_group"])
    ids = groups.column("user_id").to_numpy()
    treated = groups.column("experiment_group").to_numpy(zero_copy_only=False) == "treatment"
    settings = doc["settings"]
    return (
        int(settings["sample_users"]),
        int(settings["sample_seed"]),
        CampaignTruth(user_ids=ids, treated=treated, effect=effect, days=days),
    )
