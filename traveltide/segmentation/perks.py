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

Perks go to segments by affinity, never by the k-means label (:func:`assign_perks`), and only
perks the cohort supports (:mod:`~traveltide.segmentation.offers`): an optimal one-to-one
assignment (Hungarian method) over the supported perks; segments left over (more segments than
supported perks) get their own best supported perk, and so does a segment whose matched perk
does not fit it (affinity below :data:`FIT_MARGIN`) while another supported perk does. "Free
hotel meal" is not supported by the data and is never assigned.
"""

from __future__ import annotations

import math
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
    "contradicts",
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


def assign_perks(*, affinity: np.ndarray, supported: np.ndarray) -> np.ndarray:
    """Perk index for each segment from a segments x perks affinity matrix (higher = better fit).

    One-to-one over the ``supported`` perks by the best total match; the other segments, and a
    segment whose match is below :data:`FIT_MARGIN` while a supported perk fits it, get their
    own best supported perk.
    """
    columns = np.flatnonzero(supported)
    if not len(columns):
        raise ValueError("no perk is supported")
    k = affinity.shape[0]
    rows, cols = linear_sum_assignment(affinity[:, columns], maximize=True)
    chosen = np.full(k, -1)
    chosen[rows] = columns[cols]
    masked = np.where(supported[None, :], affinity, -np.inf)
    best = np.argmax(masked, axis=1)
    chosen[chosen < 0] = best[chosen < 0]
    every = np.arange(k)
    switch = (affinity[every, chosen] < FIT_MARGIN) & (masked[every, best] >= FIT_MARGIN)
    chosen[switch] = best[switch]
    return chosen


def name_segments(*, deviation: np.ndarray, features: Sequence[str], perks: Sequence[int]) -> list[str]:
    """Unique names for segments (rows, in id order) from how they deviate from the cohort.

    ``deviation[s, j]`` is segment s's mean percentile of ``features[j]`` minus 50. A segment
    is named after its perk's drivers (``perks[s]`` indexes :data:`PERKS`) where it sits above
    the cohort on them, so name and perk tell one story; otherwise after its largest deviation.
    A name that says the opposite of the perk's drivers (a "Light packers" segment with the free
    checked bag) is never given.
    """
    column = {f: j for j, f in enumerate(features)}
    vocab = [(column[f], sign, f, name) for f, sign, name in _NAMES if f in column]
    taken: set[str] = set()
    names: list[str] = []
    for row, p in zip(deviation, perks, strict=True):
        drivers = PERKS[p].drivers
        strength = [round(sign * row[j], 6) for j, sign, _, _ in vocab]
        allowed = [i for i in range(len(vocab)) if not (vocab[i][2] in drivers and vocab[i][1] < 0)]
        order = sorted(allowed, key=lambda i: (-strength[i], i))
        fitting = [i for i in order if vocab[i][2] in drivers and strength[i] > 0]
        ranked = [vocab[i][3] for i in fitting + order]
        name = next((n for n in ranked if n not in taken), None)
        if name is None:
            name = next(f"{ranked[0]} {j}" for j in range(2, len(names) + 3) if f"{ranked[0]} {j}" not in taken)
        taken.add(name)
        names.append(name)
    return names


def contradicts(*, name: str, perk: Perk) -> bool:
    """Whether a segment name says the opposite of the perk's drivers ("Hotel skippers" for a hotel night)."""
    return any(f in perk.drivers and sign < 0 and n == name.rstrip(" 0123456789") for f, sign, n in _NAMES)


def _decimals(value: float) -> int:
    """Decimals that show a value with two significant digits below 1, one decimal below 10, none above."""
    v = abs(value)
    if v == 0 or v >= 10:
        return 0
    if v >= 1:
        return 1
    return 1 - math.floor(math.log10(v))


def _format_pair(*, values: tuple[float, float], as_share: bool) -> tuple[str, str]:
    """The segment's and the cohort's value, the smaller with two significant digits (so the cohort
    average never reads as 0 when it is not) and the larger at least at one decimal when the
    smaller needs one: ``24.9`` / ``8.4``, ``1.4`` / ``0.021``, ``46%`` / ``12%``, ``4.3%`` / ``0.62%``."""
    shown = tuple(v * 100 for v in values) if as_share else values
    small = min(range(2), key=lambda i: abs(shown[i]) if shown[i] else math.inf)
    places = [0, 0]
    places[small] = _decimals(shown[small])
    places[1 - small] = max(_decimals(shown[1 - small]), min(places[small], 1))
    unit = "%" if as_share else ""
    return f"{shown[0]:,.{places[0]}f}{unit}", f"{shown[1]:,.{places[1]}f}{unit}"


def reason(*, perk: Perk, segment_value: float, cohort_value: float, fits: bool) -> str:
    """One sentence on why ``perk`` suits a segment, from its headline driver vs the cohort.

    Both values share one precision, chosen so the smaller keeps two significant digits; the
    ratio is left out when the cohort average is 0. ``fits`` is False when the segment's
    affinity is below :data:`FIT_MARGIN`: the sentence then says the perk is only the best available.
    """
    seg, coh = _format_pair(values=(segment_value, cohort_value), as_share=perk.as_share)
    body = perk.phrase.format(seg=seg)
    if cohort_value > 0:
        ratio = segment_value / cohort_value
        body += f", {ratio:.0f}×" if ratio >= 10 else f", {ratio:.1f}×"
        body += f" the cohort average of {coh}"
    else:
        body += ", while no cohort user does"
    if fits:
        return body[0].upper() + body[1:] + "."
    return f"Weak fit, the best available: {body}."


def segments_by_perk(
    *, labels: np.ndarray, scores: np.ndarray, k: int, supported: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Perk per cluster, then segment positions ordered by perk, size, canonical label.

    Returns each user's segment position (id - 1), each segment's perk index and its
    segments x perks affinity (mean score - 50).
    """
    affinity = group_means(values=scores, groups=labels, k=k) - 50.0
    perk_of_cluster = assign_perks(affinity=affinity, supported=supported)
    sizes = np.bincount(labels, minlength=k)
    order = sorted(range(k), key=lambda c: (perk_of_cluster[c], -sizes[c], c))
    position = np.empty(k, dtype=int)
    position[order] = np.arange(k)
    return position[labels], perk_of_cluster[order], affinity[order]
