"""Did the perk work? Treatment against control, per segment, on a later export (``traveltide evaluate``).

The groups are the run's (``gold/user_segments.parquet`` beside its manifest); the behaviour is
the later export's sessions from ``evaluate_from`` on (the day after the run's last session by
default), built into gold.user_features as a run builds it. Per segment, three measures (and the
first two for all segments together, ``segment_id`` empty):

- **returned**: the share of the group's users with at least one session in the period;
- **booking rate per visit** (``conversion_rate``), the campaign's metric, over returning users;
- **the perk's own behaviour**, over returning users: checked bags per user (free checked bag),
  cancellation rate (no cancellation fees), discount usage rate (exclusive discounts), hotel
  nights per user (one night free hotel with flight).

The uplift is the treatment mean minus the control mean, with a 95 % confidence interval from
the normal approximation with unequal variances (Welch): ``d ± 1.96 sqrt(s_t²/n_t + s_c²/n_c)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from scipy.stats import norm

from traveltide.contract.gold import PERK_NAMES
from traveltide.segmentation.experiment import CONTROL, TREATMENT
from traveltide.sql import read_sql

__all__ = ["CONFIDENCE", "PERK_BEHAVIOUR", "Uplift", "format_uplifts", "measure_uplift"]

CONFIDENCE = 0.95

# The behaviour a perk should move, as (column of gold.user_features, label).
PERK_BEHAVIOUR: dict[str, tuple[str, str]] = {
    PERK_NAMES[0]: ("total_checked_bags", "checked bags per user"),
    PERK_NAMES[1]: ("cancellation_rate", "cancellation rate"),
    PERK_NAMES[2]: ("discount_usage_rate", "discount usage rate"),
    PERK_NAMES[3]: ("total_nights", "hotel nights per user"),
}


@dataclass(frozen=True, slots=True)
class Uplift:
    """One measure of one segment: both groups' means, the difference and its interval."""

    segment_id: int | None  # None: all segments together
    segment_name: str
    perk: str
    measure: str
    label: str
    treatment_users: int
    control_users: int
    treatment_mean: float | None
    control_mean: float | None
    uplift: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def significant(self) -> bool:
        """The interval excludes 0."""
        return bool(self.ci_low is not None and self.ci_high is not None and (self.ci_low > 0 or self.ci_high < 0))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"significant": self.significant}


def measure_uplift(*, con: duckdb.DuckDBPyConnection, groups: Path) -> list[Uplift]:
    """Per segment: returned, booking rate per visit and the perk's behaviour, treatment vs control;
    then returned and booking rate per visit over all segments."""
    rows = con.sql(read_sql(layer="evaluation", name="campaign_outcomes"), params={"groups": str(groups)})
    data = rows.to_arrow_table().to_pydict()
    segment = np.array(data["segment_id"])
    group = np.array(data["experiment_group"])
    returned = np.array(data["returned"], dtype=bool)
    measures = {
        "returned": ("share with a session in the period", returned.astype(float), np.ones_like(returned)),
        "conversion_rate": ("booking rate per visit", _values(data["conversion_rate"]), returned),
    }
    found = []
    heads: list[tuple[tuple[int | None, str, str], np.ndarray, tuple[str, ...]]] = []
    for s in sorted(set(segment.tolist())):
        first = int(np.flatnonzero(segment == s)[0])
        perk = data["perk"][first]
        column, label = PERK_BEHAVIOUR[perk]
        measures[column] = (label, _values(data[column]), returned)
        heads.append(
            ((int(s), data["segment_name"][first], perk), segment == s, ("returned", "conversion_rate", column))
        )
    heads.append(
        ((None, "All segments", "each segment's own"), np.ones_like(returned), ("returned", "conversion_rate"))
    )
    for head, mine, names in heads:
        for name in names:
            label, values, among = measures[name]
            found.append(
                _uplift(
                    values=values,
                    treated=mine & among & (group == TREATMENT),
                    control=mine & among & (group == CONTROL),
                    head=(*head, name, label),
                )
            )
    return found


def _values(column: list[Any]) -> np.ndarray:
    return np.array([math.nan if v is None else float(v) for v in column])


def _uplift(
    *, values: np.ndarray, treated: np.ndarray, control: np.ndarray, head: tuple[int | None, str, str, str, str]
) -> Uplift:
    t, c = values[treated], values[control]
    mean_t = float(t.mean()) if len(t) else None
    mean_c = float(c.mean()) if len(c) else None
    diff = low = high = None
    if mean_t is not None and mean_c is not None:
        diff = mean_t - mean_c
        if len(t) > 1 and len(c) > 1:
            half = float(norm.ppf(0.5 + CONFIDENCE / 2)) * math.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c))
            low, high = diff - half, diff + half
    segment_id, segment_name, perk, measure, label = head
    return Uplift(
        segment_id=segment_id,
        segment_name=segment_name,
        perk=perk,
        measure=measure,
        label=label,
        treatment_users=len(t),
        control_users=len(c),
        treatment_mean=mean_t,
        control_mean=mean_c,
        uplift=diff,
        ci_low=low,
        ci_high=high,
    )


def format_uplifts(*, uplifts: list[dict[str, Any]], run_id: str, start: str) -> str:
    """The terminal's table: per segment and measure, both means and the uplift with its interval."""
    lines = [f"Perk campaign of run {run_id}, treatment minus control, from {start} (95 % intervals):"]
    segment: object = "none yet"
    for u in uplifts:
        if u["segment_id"] != segment:
            segment = u["segment_id"]
            title = "All segments" if segment is None else f"{segment}  {u['segment_name']} → {u['perk']}"
            lines.append(f"  {title} ({u['treatment_users']:,} treatment, {u['control_users']:,} control)")
        if u["uplift"] is None:
            lines.append(f"       {u['label']:<36} not measurable (a group is empty)")
            continue
        interval = (
            f"[{u['ci_low']:+.3f}, {u['ci_high']:+.3f}]" if u["ci_low"] is not None else "[no interval: too few users]"
        )
        mark = "  significant" if u["significant"] else ""
        lines.append(
            f"       {u['label']:<36} {u['treatment_mean']:.3f} vs {u['control_mean']:.3f}: "
            f"{u['uplift']:+.3f} {interval}{mark}"
        )
    return "\n".join(lines)
