"""Segment the cohort by behaviour and give each segment and user a perk (SPEC §3).

One module per job: :mod:`features` (inputs, scaling), :mod:`clustering` (k-means, k, silhouettes),
:mod:`perks` (scores, assignment, names, reasons), :mod:`tables` (the two gold tables),
:mod:`diagnostics` (pictures) and :mod:`segment` (the step that ties them together).
"""

from traveltide.segmentation.clustering import (
    SILHOUETTE_SAMPLE,
    KCandidate,
    silhouettes,
)
from traveltide.segmentation.diagnostics import (
    DiagnosticInputs,
    Diagnostics,
    draw_diagnostics,
    read_diagnostic_inputs,
)
from traveltide.segmentation.features import (
    DEMOGRAPHIC_COLUMNS,
    FEATURES,
    LOG_FEATURES,
    SegmentationError,
)
from traveltide.segmentation.segment import segment_users
from traveltide.segmentation.summary import SegmentationResult, SegmentSummary

__all__ = [
    "DEMOGRAPHIC_COLUMNS",
    "FEATURES",
    "LOG_FEATURES",
    "SILHOUETTE_SAMPLE",
    "DiagnosticInputs",
    "Diagnostics",
    "KCandidate",
    "SegmentSummary",
    "SegmentationError",
    "SegmentationResult",
    "draw_diagnostics",
    "read_diagnostic_inputs",
    "segment_users",
    "silhouettes",
]
