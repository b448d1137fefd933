"""What changed since the previous published run: users who moved segment or perk, segment
sizes, and each input's population stability index against the saved model.

The previous run is read from what it published (``exports/gold/user_segments.parquet``), so
nothing beyond the exports folder is kept between runs. The users who changed are published
as ``drift/changed_users.csv`` and ``.parquet``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from traveltide.segmentation.summary import ModelDecision
from traveltide.sql import read_sql

__all__ = ["CHANGED_SHARE_WARNING", "DRIFT_DIR", "Drift", "measure_drift"]

DRIFT_DIR = "drift"
# More returning users than this share changing perk between two runs is a warning: marketing
# would be re-targeting a tenth of its audience.
CHANGED_SHARE_WARNING = 0.10


@dataclass(frozen=True)
class Drift:
    """Drift against the previous published run (``previous`` False on a first run)."""

    previous: bool
    model: str
    why: str
    returning_users: int = 0
    changed_users: int = 0
    changed_perk: int = 0
    changed_share: float = 0.0
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)
    psi: dict[str, float] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the run manifest."""
        out = asdict(self)
        out["warnings"] = list(self.warnings)
        return out


def measure_drift(
    *, con: duckdb.DuckDBPyConnection, previous: Path, decision: ModelDecision, drift_threshold: float, out_dir: Path
) -> Drift:
    """Compare gold.user_segments with the previous run's ``previous`` Parquet; write the users who changed."""
    if not previous.is_file():
        return Drift(previous=False, model=decision.mode, why=decision.why, psi=dict(decision.psi))
    params = {"previous": str(previous)}
    changed = con.sql(read_sql(layer="drift", name="changed_users"), params=params)
    folder = out_dir / DRIFT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    changed.write_csv(str(folder / "changed_users.csv"), header=True)
    changed.write_parquet(str(folder / "changed_users.parquet"))
    rows = con.sql(
        "select count(*), count(*) filter (where perk is distinct from previous_perk) from read_parquet(?)",
        params=[str(folder / "changed_users.parquet")],
    ).fetchall()[0]
    sizes_rows = con.sql(read_sql(layer="drift", name="segment_sizes"), params=params).fetchall()
    returning = int(sizes_rows[0][3]) if sizes_rows else 0
    changed_users, changed_perk = int(rows[0]), int(rows[1])
    share = changed_perk / returning if returning else 0.0
    warnings = []
    if share > CHANGED_SHARE_WARNING:
        warnings.append(
            f"{changed_perk} of {returning} returning cohort users ({share:.1%}) changed perk since the previous run"
        )
    warnings += [
        f"the population stability index of {f} is {v:.2f}, above drift_threshold {drift_threshold}"
        for f, v in decision.psi.items()
        if v > drift_threshold
    ]
    return Drift(
        previous=True,
        model=decision.mode,
        why=decision.why,
        returning_users=returning,
        changed_users=changed_users,
        changed_perk=changed_perk,
        changed_share=share,
        sizes={str(r[0]): {"previous": int(r[1]), "now": int(r[2])} for r in sizes_rows},
        psi=dict(decision.psi),
        files={"csv": f"{DRIFT_DIR}/changed_users.csv", "parquet": f"{DRIFT_DIR}/changed_users.parquet"},
        warnings=tuple(warnings),
    )
