"""A perk campaign marketing can measure: treatment and control groups, and what they can detect.

Each cohort user gets ``experiment_group`` 'treatment' (is offered the perk) or 'control' (is
not, for now), stratified by segment: within a segment, users are ordered by a salted SHA-256
of their user id and the first ``round(control_share x users)`` are control. The split is
deterministic (same salt, users and segments: same groups), every segment has the set share,
and a new salt draws a new split.

The campaign's metric is the **booking rate per visit**: a user's booking sessions / non-cancellation
sessions (``conversion_rate`` of gold.user_features), averaged over a group's users. Cancellation
sessions are left out: they follow bookings, so counting them would dilute a perk's effect most
in the segments that cancel most. A user-level "booked at all" would not do: nearly every cohort
user (at least ``min_sessions`` sessions) books in a half-year window, so that share sits at its
ceiling and no effect could show. The minimum
detectable effect (MDE) of a segment is the smallest difference in mean booking rate between
treatment and control that a two-sided two-sample z-test at ``alpha`` detects with ``power``,
with the spread of the segment's current booking rates:
``MDE = (z(1 - alpha/2) + z(power)) * sd * sqrt(1/n_treatment + 1/n_control)``.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy.stats import norm

__all__ = ["ALPHA", "CONTROL", "POWER", "TREATMENT", "assign_groups", "hash_order", "minimum_detectable_effect"]

TREATMENT = "treatment"
CONTROL = "control"
ALPHA = 0.05
POWER = 0.8


def hash_order(*, user_ids: np.ndarray, salt: str) -> np.ndarray:
    """A 64-bit key per user from SHA-256 of ``salt:user_id``: the same on every machine and run."""
    keys = [hashlib.sha256(f"{salt}:{int(u)}".encode()).digest()[:8] for u in user_ids.tolist()]
    return np.array([int.from_bytes(b, "big") for b in keys], dtype=np.uint64)


def assign_groups(*, user_ids: np.ndarray, seg: np.ndarray, control_share: float, salt: str) -> np.ndarray:
    """'treatment' or 'control' per user, stratified by segment (``seg``), ``control_share`` control."""
    key = hash_order(user_ids=user_ids, salt=salt)
    control = np.zeros(len(user_ids), dtype=bool)
    for s in np.unique(seg):
        members = np.flatnonzero(seg == s)
        ranked = members[np.argsort(key[members], kind="stable")]
        control[ranked[: round(control_share * len(members))]] = True
    return np.where(control, CONTROL, TREATMENT).astype(object)


def minimum_detectable_effect(
    *, sd: float, treatment: int, control: int, alpha: float = ALPHA, power: float = POWER
) -> float | None:
    """Smallest detectable difference in a mean whose per-user spread is ``sd`` (same units);
    None when a group is empty."""
    if treatment == 0 or control == 0:
        return None
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    return float(z * sd * np.sqrt(1 / treatment + 1 / control))
