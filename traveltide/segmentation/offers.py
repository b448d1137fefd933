"""Which perks this cohort supports, which perks each user can use, and the perk each user is offered.

A perk is only worth offering when the behaviour that drives it exists: it is *supported* when at
least ``perk_min_users`` cohort users, and at least ``perk_min_share`` of the cohort, show its
behaviour (:attr:`Usage.behaviour`: a checked bag, a cancelled trip, a discount used, a hotel
night). An unsupported perk is never assigned to a segment and never offered.

A perk goes to a user only when their own behaviour makes it usable (:data:`USAGE`):

- Free checked bag: at least one booked, not cancelled flight (``flight_trips`` > 0);
- No cancellation fees: at least one booking session (``booking_sessions`` > 0); a user whose
  only booking was cancelled can use it, and is who it is for;
- Exclusive discounts: any cohort user;
- One night free hotel with flight: at least one booked, not cancelled hotel stay
  (``hotel_trips`` > 0). A flight + hotel trip is *not* required: the perk is redeemed on a future
  flight + hotel booking, and a user who books hotels can add the flight.

The offered perk is the segment's perk when the user can use it, else the user's best-scoring
usable supported perk (earlier perk on ties), else none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from traveltide.segmentation.perks import PERKS

__all__ = [
    "HOTEL_MEAL",
    "NO_OFFER",
    "USAGE",
    "PerkSupport",
    "Usage",
    "eligibility",
    "offers",
    "perk_support",
]

# offer_reason of a user who can use no supported perk (offered_perk is NULL).
NO_OFFER = "No usable perk: no supported perk fits this user's bookings"


@dataclass(frozen=True, slots=True)
class Usage:
    """What makes a perk supported by a cohort, and usable by one user."""

    # Feature whose non-zero value is the perk's behaviour, and that behaviour in words.
    driver: str
    behaviour: str
    # Feature that must be > 0 for a user to use the perk (None: anyone), and the need in words.
    needs: str | None
    need: str


USAGE: dict[str, Usage] = {
    PERKS[0].name: Usage("total_checked_bags", "checked a bag", "flight_trips", "a booked, not cancelled flight"),
    PERKS[1].name: Usage("cancellation_rate", "cancelled a trip", "booking_sessions", "a booking"),
    PERKS[2].name: Usage("discount_usage_rate", "used a discount", None, "no booking (any cohort user)"),
    PERKS[3].name: Usage("total_nights", "stayed a hotel night", "hotel_trips", "a booked, not cancelled hotel stay"),
}

# Features the support and eligibility rules read.
USAGE_FEATURES: tuple[str, ...] = tuple(
    dict.fromkeys([u.driver for u in USAGE.values()] + [u.needs for u in USAGE.values() if u.needs])
)


@dataclass(frozen=True, slots=True)
class PerkSupport:
    """Whether the cohort supports a perk, on what evidence, in a sentence."""

    perk: str
    supported: bool
    users_with_behaviour: int
    share_with_behaviour: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The programme's fifth perk: nothing in the exports (no meal purchases) can show who would use it.
HOTEL_MEAL = PerkSupport(
    perk="Free hotel meal",
    supported=False,
    users_with_behaviour=0,
    share_with_behaviour=0.0,
    reason="Not offered: the exports record no hotel meals, so no behaviour shows who would use it.",
)


def perk_support(*, columns: Mapping[str, np.ndarray], min_users: int, min_share: float) -> tuple[PerkSupport, ...]:
    """Each perk of :data:`PERKS`, supported or not, from how many cohort users show its behaviour
    (:data:`HOTEL_MEAL` is listed apart: it is never supported)."""
    found = []
    for perk in PERKS:
        usage = USAGE[perk.name]
        values = columns[usage.driver]
        n = len(values)
        users = int((values > 0).sum())
        share = users / n if n else 0.0
        evidence = f"{users:,} of {n:,} cohort users ({share:.1%}) {usage.behaviour}"
        supported = users >= min_users and share >= min_share
        if supported:
            text = f"Supported: {evidence}."
        else:
            text = (
                f"Not offered: only {evidence}; it needs at least {min_users:,} users "
                f"and {min_share:.0%} of the cohort (perk_min_users, perk_min_share)."
            )
        found.append(PerkSupport(perk.name, supported, users, share, text))
    return tuple(found)


def eligibility(*, columns: Mapping[str, np.ndarray], supported: np.ndarray) -> np.ndarray:
    """Users x perks: True where the user can use the perk and the cohort supports it."""
    n = len(next(iter(columns.values())))
    usable = np.ones((n, len(PERKS)), dtype=bool)
    for j, perk in enumerate(PERKS):
        needs = USAGE[perk.name].needs
        if needs is not None:
            usable[:, j] = columns[needs] > 0
    return usable & supported[None, :]


def offers(*, user_perk: np.ndarray, eligible: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each user's offered perk index (-1: none) and the reason, from their segment's perk.

    The segment's perk when usable, else the best-scoring usable perk (earlier perk wins ties).
    """
    n = len(user_perk)
    rows = np.arange(n)
    own = eligible[rows, user_perk]
    masked = np.where(eligible, scores, -np.inf)
    best = np.argmax(masked, axis=1)
    any_usable = eligible.any(axis=1)
    offered = np.where(own, user_perk, np.where(any_usable, best, -1))
    texts = {}
    for j, perk in enumerate(PERKS):
        usage = USAGE[perk.name]
        texts[("own", j, j)] = (
            f"The segment's perk; the user has {usage.need}"
            if usage.needs
            else "The segment's perk; any user can use it"
        )
        for i, other in enumerate(PERKS):
            if i != j:
                texts[("other", j, i)] = (
                    f"The segment's perk ({perk.name}) needs {USAGE[perk.name].need}, which the user lacks: "
                    f"offered their best usable perk, {other.name}"
                )
    reasons = [
        texts[("own", p, p)] if o == p else (texts[("other", p, o)] if o >= 0 else NO_OFFER)
        for p, o in zip(user_perk.tolist(), offered.tolist(), strict=True)
    ]
    return offered, reasons
