"""Perks from behaviour: per-user fit scores, one perk per segment, names and reasons.

Scores are *percentiles within the cohort*, so the four perks are compared on one scale
whatever the units of their drivers (bags, rates, nights):

- each driver feature becomes a midrank percentile: the share of the cohort below the
  user plus half the share tied with them, times 100 (0-100; ties such as the many users
  who never cancel share one value);
- a user's score for a perk is the mean percentile of the perk's drivers
  (:data:`PERKS`); over the whole cohort every score averages exactly 50;
- a segment's *affinity* for a perk is its users' mean score minus 50: how far the segment
  sits above the cohort on that perk's drivers.

Perks go to segments by affinity, never by the k-means label (:func:`assign_perks`):
with k = 4 an optimal one-to-one assignment (Hungarian method); with k < 4 distinct perks,
the best total match; with k > 4 every perk is used once by the same assignment and the
remaining segments get their own best perk. "Free hotel meal" is not supported by the
data and is never assigned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import rankdata

from traveltide.contract.gold import PERK_NAMES, SCORE_COLUMNS
from traveltide.segmentation.features import group_means

__all__ = [
    "DRIVER_FEATURES",
    "FIT_MARGIN",
    "PERKS",
    "Perk",
    "assign_perks",
    "name_segments",
    "percentile_ranks",
    "perk_scores",
    "reason",
    "runner_up",
]


@dataclass(frozen=True, slots=True)
class Perk:
    """A perk, the behaviour that makes it worth offering, and how to say so."""

    name: str
    score_column: str
    drivers: tuple[str, ...]
    # Feature quoted in the reason sentence, and the sentence's opening ("{seg}" = its value).
    headline: str
    phrase: str
    as_share: bool


PERKS: tuple[Perk, ...] = (
    Perk(
        name=PERK_NAMES[0],
        score_column=SCORE_COLUMNS[PERK_NAMES[0]],
        drivers=("total_checked_bags", "bags_per_flight"),
        headline="total_checked_bags",
        phrase="checks {seg} bags per user",
        as_share=False,
    ),
    Perk(
        name=PERK_NAMES[1],
        score_column=SCORE_COLUMNS[PERK_NAMES[1]],
        drivers=("cancellation_rate",),
        headline="cancellation_rate",
        phrase="cancels in {seg} of sessions",
        as_share=True,
    ),
    Perk(
        name=PERK_NAMES[2],
        score_column=SCORE_COLUMNS[PERK_NAMES[2]],
        drivers=("discount_usage_rate", "avg_discount_amount"),
        headline="discount_usage_rate",
        phrase="uses a discount in {seg} of sessions",
        as_share=True,
    ),
    Perk(
        name=PERK_NAMES[3],
        score_column=SCORE_COLUMNS[PERK_NAMES[3]],
        drivers=("total_nights", "bundle_rate"),
        headline="total_nights",
        phrase="stays {seg} hotel nights per user",
        as_share=False,
    ),
)

# Affinity (percentile points above the cohort) from which a perk counts as a real fit:
# below it the reason sentence says "weak fit" and the name comes from the profile.
FIT_MARGIN = 5.0

# Every feature a perk score reads, in first-use order.
DRIVER_FEATURES: tuple[str, ...] = tuple(dict.fromkeys(d for p in PERKS for d in p.drivers))

# Name vocabulary: (feature, direction, name), ranked per segment by its deviation from the
# cohort (mean percentile - 50, times direction); earlier entries win ties. Names stay
# unique within a run.
_NAMES: tuple[tuple[str, int, str], ...] = (
    ("total_checked_bags", 1, "Heavy packers"),
    ("bags_per_flight", 1, "Heavy packers"),
    ("cancellation_rate", 1, "Frequent cancellers"),
    ("discount_usage_rate", 1, "Discount hunters"),
    ("avg_discount_amount", 1, "Deep-discount seekers"),
    ("total_nights", 1, "Long-stay travellers"),
    ("nights_per_hotel_trip", 1, "Long-stay travellers"),
    ("bundle_rate", 1, "Flight + hotel bundlers"),
    ("total_base_fare", 1, "Big-fare flyers"),
    ("total_sessions", 1, "Frequent visitors"),
    ("total_sessions", -1, "Occasional visitors"),
    ("total_base_fare", -1, "Light travellers"),
    ("total_nights", -1, "Hotel skippers"),
    ("total_checked_bags", -1, "Light packers"),
    ("discount_usage_rate", -1, "Full-price bookers"),
    ("cancellation_rate", -1, "Committed bookers"),
)


def percentile_ranks(*, values: np.ndarray) -> np.ndarray:
    """Midrank percentile (0-100) of each value within ``values``; ties share one value."""
    n = len(values)
    if n == 0:
        return np.zeros(0)
    return (rankdata(values, method="average") - 0.5) / n * 100.0


def perk_scores(*, percentiles: Mapping[str, np.ndarray]) -> np.ndarray:
    """Users x perks matrix (columns in :data:`PERKS` order): mean percentile of each perk's drivers."""
    return np.column_stack([np.mean([percentiles[d] for d in p.drivers], axis=0) for p in PERKS])


def runner_up(*, scores: np.ndarray, assigned: np.ndarray) -> np.ndarray:
    """Index of each user's best-scoring perk other than ``assigned`` (earlier perk wins ties)."""
    masked = scores.astype(float, copy=True)
    masked[np.arange(len(assigned)), assigned] = -np.inf
    return np.argmax(masked, axis=1)


def assign_perks(*, affinity: np.ndarray) -> np.ndarray:
    """Perk index for each segment from a segments x perks affinity matrix (higher = better fit).

    k = 4: optimal one-to-one. k < 4: distinct perks, best total match. k > 4: every perk once
    by the same optimal match, the other segments their own best perk.
    """
    k = affinity.shape[0]
    rows, cols = linear_sum_assignment(affinity, maximize=True)
    chosen = np.full(k, -1)
    chosen[rows] = cols
    rest = chosen < 0
    chosen[rest] = np.argmax(affinity[rest], axis=1)
    return chosen


def name_segments(*, deviation: np.ndarray, features: Sequence[str], preferred: Sequence[tuple[str, ...]]) -> list[str]:
    """Unique names for segments (rows, in id order) from how they deviate from the cohort.

    ``deviation[s, j]`` is segment s's mean percentile of ``features[j]`` minus 50. A segment
    is named after its perk's drivers (``preferred[s]``) when it sits above the cohort on
    them, so name and perk tell one story; otherwise after its largest deviation.
    """
    column = {f: j for j, f in enumerate(features)}
    vocab = [(column[f], sign, f, name) for f, sign, name in _NAMES if f in column]
    taken: set[str] = set()
    names: list[str] = []
    for row, drivers in zip(deviation, preferred, strict=True):
        strength = [round(sign * row[j], 6) for j, sign, _, _ in vocab]
        order = sorted(range(len(vocab)), key=lambda i: (-strength[i], i))
        fitting = [i for i in order if vocab[i][2] in drivers and vocab[i][1] > 0 and strength[i] > 0]
        ranked = [vocab[i][3] for i in fitting + order]
        name = next((n for n in ranked if n not in taken), None)
        if name is None:
            name = next(f"{ranked[0]} {j}" for j in range(2, len(names) + 3) if f"{ranked[0]} {j}" not in taken)
        taken.add(name)
        names.append(name)
    return names


def reason(*, perk: Perk, segment_value: float, cohort_value: float, fits: bool) -> str:
    """One sentence on why ``perk`` suits a segment, from its headline driver vs the cohort.

    ``fits`` is False when the segment's affinity is below :data:`FIT_MARGIN`; the sentence
    then says the perk is only the best available (all perks used, or none fits well).
    """

    def fmt(v: float) -> str:
        return f"{v:.0%}" if perk.as_share else f"{v:.1f}"

    body = perk.phrase.format(seg=fmt(segment_value))
    if cohort_value > 0:
        body += f", {segment_value / cohort_value:.1f}× the cohort average of {fmt(cohort_value)}"
    else:
        body += f", while the cohort average is {fmt(cohort_value)}"
    if fits:
        return body[0].upper() + body[1:] + "."
    return f"Weak fit, the best available: {body}."


def segments_by_perk(*, labels: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Perk per cluster, then segment positions ordered by perk, size, canonical label.

    Returns each user's segment position (id - 1), each segment's perk index and its
    segments x perks affinity (mean score - 50).
    """
    affinity = group_means(values=scores, groups=labels, k=k) - 50.0
    perk_of_cluster = assign_perks(affinity=affinity)
    sizes = np.bincount(labels, minlength=k)
    order = sorted(range(k), key=lambda c: (perk_of_cluster[c], -sizes[c], c))
    position = np.empty(k, dtype=int)
    position[order] = np.arange(k)
    return position[labels], perk_of_cluster[order], affinity[order]
