"""What a segmentation run decided, for the manifest and the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from traveltide.segmentation.clustering import KCandidate

__all__ = ["SegmentSummary", "SegmentationResult"]


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
    plots: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready diagnostics (sizes keyed by segment id as text)."""
        out = asdict(self)
        out["sizes"] = {str(s.segment_id): s.users for s in self.segments}
        out["k_note"] = self.k_note()
        return out

    def k_note(self) -> str:
        """How k was decided, in words: what auto left out, or a fixed k's segments that are too small."""
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
