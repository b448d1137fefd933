"""What a segmentation run decided, for the manifest and the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from traveltide.segmentation.clustering import KCandidate
from traveltide.segmentation.model import SavedModel

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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready diagnostics (sizes keyed by segment id as text; the model is its own file)."""
        out = asdict(self)
        out.pop("model")
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
