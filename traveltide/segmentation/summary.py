"""What a segmentation run decided, for the manifest and the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from traveltide.segmentation.clustering import KCandidate
from traveltide.segmentation.model import SavedModel
from traveltide.segmentation.offers import PerkSupport
from traveltide.segmentation.stability import Stability

__all__ = ["ModelDecision", "SegmentSummary", "SegmentationResult"]


@dataclass(frozen=True, slots=True)
class ModelDecision:
    """Whether the run scored the cohort with the saved model or fitted one, and why.

    ``mode``: 'fitted' (no saved model), 'scored' (the saved model's centres, ids, names, perks)
    or 'refitted' (a new fit, matched to the saved segments). ``psi``: each input's population
    stability index against the saved model's training data (empty without one).
    """

    mode: Literal["fitted", "scored", "refitted"]
    why: str
    previous_run: str | None = None
    psi: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SegmentSummary:
    """One segment as written to gold.segments (without the profile means)."""

    segment_id: int
    segment_name: str
    perk: str
    users: int
    share: float
    reason: str
    # Users of the segment who can use its perk (offered_perk = perk).
    eligible_users: int = 0
    # The campaign split and what it can detect (traveltide.segmentation.experiment).
    treatment_users: int = 0
    control_users: int = 0
    baseline_booking_rate: float = 0.0
    mde_booking_rate: float | None = None
    # Mean best Jaccard overlap under resampling (traveltide.segmentation.stability); None when not measured.
    stability: float | None = None


@dataclass(frozen=True, slots=True)
class SegmentationResult:
    """What a segmentation run decided and measured, for the manifest and the report."""

    k: int
    k_selection: Literal["fixed", "silhouette"]
    min_segment_size: int
    candidates: tuple[KCandidate, ...]
    silhouette: float | None
    silhouette_sample: int
    users: int
    segments: tuple[SegmentSummary, ...]
    features: tuple[str, ...]
    scaler: dict[str, Any]
    seed: int
    decision: ModelDecision = field(default_factory=lambda: ModelDecision(mode="fitted", why="no saved model given"))
    model: SavedModel | None = None
    plots: dict[str, str] = field(default_factory=dict)
    # Every perk, supported by this cohort or not, with its reason (Free hotel meal included).
    perk_support: tuple[PerkSupport, ...] = ()
    # Users offered each perk (offered_perk), 'none' for users who can use no supported perk.
    offers: dict[str, int] = field(default_factory=dict)
    stability: Stability | None = None
    # The campaign split's settings: control_share, salt, alpha, power.
    experiment: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready diagnostics (sizes keyed by segment id as text; the model is its own file)."""
        out = asdict(self)
        out.pop("model")
        out["stability"] = self.stability.to_dict() if self.stability else None
        out["sizes"] = {str(s.segment_id): s.users for s in self.segments}
        out["k_note"] = self.k_note()
        return out

    def k_note(self) -> str:
        """How k was decided, in words: what auto left out, or a fixed k's segments that are too small."""
        if self.decision.mode == "scored":
            return f"scored with the saved model of run {self.decision.previous_run}"
        if self.k_selection == "silhouette":
            left_out = [c.k for c in self.candidates if c.smallest < self.min_segment_size]
            text = "chosen by silhouette"
            if left_out:
                text += f"; k = {', '.join(map(str, left_out))} left out: a segment under {self.min_segment_size} users"
            return text
        small = [s.segment_id for s in self.segments if s.users < self.min_segment_size]
        text = "fixed"
        if small:
            text += f"; segment {', '.join(map(str, small))} under min_segment_size ({self.min_segment_size} users)"
        return text
