"""The behaviour model of the TravelTide sample: users, sessions, flights and hotels as numpy
columns, fully vectorised, drawn from one seeded generator.

Figures used (worked out from the real rows in ``shared/reference/``; "parquet" = the 23,825
real sessions of 2023-01-13..17, "cohort" = the 5,998 users / 13,767 flights / 13,772 hotels
of the course's cohort extract):

* Sign-up dates follow user_id (first/last user_id per sign-up month in the cohort files):
  id 0 on 2021-04-01, 94k on 2022-02-01, 503k on 2023-01-01, 1,020,926 by 2023-07-22.
  A sample of N users keeps the same date range (user_id / N is the position on the curve).
* Activity: non-cancellation sessions per user = 1 + Binomial(8, engagement / 8) with the
  engagement a hidden per-user Gamma(20) draw around a sign-up dependent mean (4.5 up to
  2022-06, 8.5 by 2022-09, falling to 3.7 by mid-Nov 2022, 4.0 around 2023-01-10, 3.6-4.0
  after), spread evenly (stratified) over an active span of 140-240 days after sign-up and cut
  at 2023-07-28; 80 % of the users who signed up before 2022-08 come back in 2023 for 2-5
  sessions (too few to make any of them a cohort member). The thin binomial tail is what the
  real cohort needs (users with >= 8 window sessions are only a quarter of those with >= 7).
  On 100,000 users (seeds 11, 12) it gives 1.03-1.08x the real share with >= 7 sessions since
  2023-01-04 (2.42 %), 1.20-1.25x the share with >= 8 (0.59 %), 5.22 sessions per user (real
  5.30), 58.4 % of sessions in 2023 (real 58.4 %), cohort members concentrated among users who
  signed up in Dec 2022 - Feb 2023 as in the real cohort, and session volume growing over time.
* Gender follows activity as in the real data: the default cohort (>= 7 sessions since
  2023-01-04) is 88 % female as the cohort extract is; the other users get the mix that makes
  the whole base the real one (M 54.8 %, F 44.4 %, O 0.8 %). Nothing else depends on gender.
* Session kinds: 57 % browse, 41.5 % booking (70 % flight+hotel, 14.5 % flight only, 15.5 %
  hotel only), 1.7 % cancellation (4.1 % of trips, dropped when it would fall after the
  export end). A cancellation starts at its booking session's end plus 0..lead days (the
  real rows keep the seconds of that end), carries all four flags true and no amounts.
* Start hours: the parquet's 24 hourly counts (peak 19-20 h). Page clicks: browse median 8
  (lognormal sigma 0.8), single bookings median 16.5, flight+hotel median 23 (sigma 0.42);
  session length = clicks x U(5.4, 9.4) s, i.e. 7.4 s per click (parquet slope 7.41).
* Discount offers (flight, hotel) by kind, parquet: browse 16.8 % / 11.6 %, flight+hotel
  14.3 / 12.1, flight only 14.3 / 14.6, hotel only 18.3 / 21.2; amounts 0.05..0.60 in 0.05
  steps with the parquet's counts (0.10 most common).
* Flights: origin = home airport; destination by the cohort's destination counts; fare per
  seat per leg = 39.4 + 69.1 USD per 1,000 km (cohort regression, R^2 0.92) x lognormal(0,
  0.2); seats 85.3 % 1, 10.8 % 2, ...; bags 48.5 % 0, 46.1 % 1, 4.4 % 2, ...; return booked
  95.7 %; trip length median 3.5 days (real 3); departure 3-14 days after booking (median 8, 12 % up to
  170 days) at a whole hour (34 % at 07:00, 8-16 h ~7 % each, rare evenings).
* Hotels: 20 brands equally likely; city = flight destination for bundles; check-in 2-7 h
  after departure (3 % up to 22 h) with millisecond precision, hotel-only check-in at
  11:00:00; check-out at 11:00 on the return day, the day before or two days before (real
  38/56/6 %; 55/42/3 % here with at least a one-day stay, which brings the source nights <= 0
  to the real ~9 %, cohort extract 9.1 %); rooms 84.4 % 1, 12.2 % 2, 2.7 % 3, 0.6 % 4; price per room lognormal
  (median 148, sigma 0.6, whole dollars); source nights by the real rule.

Hidden per-user archetypes (never exported) make users differ so a segmentation can find
them: discount hunters (2.6x the offers), heavy packers (more checked bags), cancellers
(30 % of trips cancelled), long-stay travellers (longer flight+hotel trips, more bundles),
window shoppers (few bookings), and typical users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from traveltide.sample.catalog import (
    AIRLINES,
    DESTINATIONS,
    HOME_AIRPORTS,
    HOTEL_BRANDS,
    SESSION_HOURS,
)

__all__ = ["EXPORT_END", "SampleArrays", "simulate", "simulate_followup"]

_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000


def _day(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


# Sessions run up to this day (inclusive); nothing in the export starts later.
EXPORT_END = "2023-07-28"
_END = _day(EXPORT_END) + 1

_SIGNUP_CURVE = (  # (date, share of user ids signed up by then)
    ("2021-04-01", 0),
    ("2021-05-01", 1_500),
    ("2021-06-01", 4_000),
    ("2021-07-01", 9_000),
    ("2021-08-01", 25_000),
    ("2021-10-01", 45_000),
    ("2022-01-01", 78_000),
    ("2022-02-01", 94_000),
    ("2022-03-01", 117_000),
    ("2022-04-01", 140_000),
    ("2022-05-01", 166_000),
    ("2022-06-01", 200_000),
    ("2022-07-01", 240_000),
    ("2022-08-01", 273_000),
    ("2022-09-01", 306_500),
    ("2022-10-01", 346_000),
    ("2022-11-01", 389_000),
    ("2022-12-01", 442_000),
    ("2023-01-01", 503_000),
    ("2023-02-01", 565_000),
    ("2023-03-01", 627_600),
    ("2023-04-01", 710_000),
    ("2023-05-01", 795_000),
    ("2023-06-01", 885_000),
    ("2023-07-01", 975_000),
    ("2023-07-22", 1_020_926),
)
_ENGAGEMENT = (  # (sign-up date, mean planned sessions beyond the first)
    ("2021-04-01", 4.5),
    ("2022-06-01", 4.5),
    ("2022-09-01", 8.5),
    ("2022-10-01", 8.2),
    ("2022-11-15", 3.7),
    ("2023-01-10", 4.0),
    ("2023-02-10", 3.7),
    ("2023-03-15", 3.6),
    ("2023-05-01", 3.9),
    ("2023-07-28", 4.0),
)
_MAX_EXTRA_SESSIONS = 8
# Returning users: of those who signed up before _RETURN_BEFORE, this share comes back in 2023
# for 2 + Binomial(3, 0.5) sessions spread over 2023 (at most 5: none reaches a cohort).
_RETURN_BEFORE = "2022-08-01"
_RETURN_FROM = "2023-01-01"
_RETURN_SHARE = 0.8
# Gender follows activity, as in the real data: the default cohort (>= 7 sessions since
# 2023-01-04) is 88.1 % female (cohort extract), the whole user base 44.4 % (M 54.8, O 0.8).
_COHORT_START = "2023-01-04"
_COHORT_SESSIONS = 7
_GENDERS = np.array(["F", "M", "O"])
_COHORT_GENDER = np.array([0.881, 0.117, 0.002])
_BASE_GENDER = np.array([0.444, 0.548, 0.008])

# Archetypes: typical, discount hunter, heavy packer, long-stay traveller, canceller, window shopper.
_ARCHETYPE_SHARE = np.array([0.50, 0.15, 0.12, 0.13, 0.05, 0.05])
_BOOK_P = np.array([0.43, 0.45, 0.43, 0.50, 0.43, 0.12])
_DISCOUNT_MULT = np.array([0.72, 2.6, 0.72, 0.72, 0.72, 0.72])
_CANCEL_P = np.array([0.028, 0.028, 0.028, 0.028, 0.30, 0.028])
_TRIP_MIX = np.array(
    [  # flight+hotel, flight only, hotel only
        [0.69, 0.15, 0.16],
        [0.69, 0.15, 0.16],
        [0.69, 0.15, 0.16],
        [0.85, 0.07, 0.08],
        [0.69, 0.15, 0.16],
        [0.69, 0.15, 0.16],
    ]
)
_TRIP_MEDIAN_DAYS = np.array([3.5, 3.5, 3.5, 7.5, 3.5, 3.5])
_BAGS_TYPICAL = np.array([0.52, 0.45, 0.025, 0.004, 0.001])
_BAGS_HEAVY = np.array([0.08, 0.50, 0.30, 0.08, 0.04])

_OFFER_RATE = {  # kind -> (flight, hotel); kinds: 0 browse, 1 flight+hotel, 2 flight, 3 hotel
    0: (0.168, 0.116),
    1: (0.143, 0.121),
    2: (0.143, 0.146),
    3: (0.183, 0.212),
}
_FLIGHT_AMOUNTS = np.array([798, 1153, 686, 431, 244, 156, 76, 31, 13, 9, 3, 3], float)
_HOTEL_AMOUNTS = np.array([1003, 1216, 566, 277, 110, 47, 16, 3, 4, 0, 1, 0], float)
_SEATS = np.array([0.853, 0.108, 0.028, 0.0088, 0.0012, 0.0008, 0.0001, 0.0001])
_ROOMS = np.array([0.844, 0.122, 0.027, 0.007])
_DEPARTURE_HOURS = np.array([4542, 1144, 1001, 983, 957, 919, 877, 899, 876, 853, 26, 23, 22, 25, 23, 23], float)
_CHECKOUT_BEFORE_RETURN = np.array([0.55, 0.42, 0.03])


@dataclass(frozen=True, slots=True)
class SampleArrays:
    """Column arrays of the four tables; timestamps as int64 microseconds since 1970."""

    users: dict[str, np.ndarray]
    sessions: dict[str, np.ndarray]
    flights: dict[str, np.ndarray]
    hotels: dict[str, np.ndarray]
    trip_user: np.ndarray  # user index of each trip; sessions/flights/hotels "trip" columns index it


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights."""
    cdf = np.cumsum(weights, dtype=float)
    return np.searchsorted(cdf / cdf[-1], rng.random(size), side="right").clip(0, len(weights) - 1)


def _pick_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One index per row of a (n, k) probability matrix."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cdf[:, -1:]
    return (u >= cdf).sum(axis=1).clip(0, probs.shape[1] - 1)


def _lognormal_int(rng: np.random.Generator, median: np.ndarray | float, sigma: float, size: int) -> np.ndarray:
    return np.maximum(1, np.rint(np.asarray(median) * np.exp(sigma * rng.standard_normal(size)))).astype(np.int64)


def _users(rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    curve_days = np.array([_day(d) for d, _ in _SIGNUP_CURVE], float)
    curve_share = np.array([i for _, i in _SIGNUP_CURVE], float) / _SIGNUP_CURVE[-1][1]
    signup_day = np.floor(np.interp(np.arange(n) / n, curve_share, curve_days)).astype(np.int64)

    birth = _day("1981-01-01") + np.rint(rng.normal(0.0, 11.5 * 365.25, n)).astype(np.int64)
    birth = birth.clip(_day("1935-01-01"), _day("2006-12-31"))
    home = _pick(rng, np.array([a[5] for a in HOME_AIRPORTS], float), n)
    users = {
        "user_id": np.arange(n, dtype=np.int32),
        "birthdate": birth,
        "gender": rng.random(n),  # a uniform draw, turned into a gender once activity is known
        "married": rng.random(n) < 0.44,
        "has_children": rng.random(n) < 0.33,
        "home_country": np.array([a[2] for a in HOME_AIRPORTS])[home],
        "home_city": np.array([a[1] for a in HOME_AIRPORTS])[home],
        "home_airport": np.array([a[0] for a in HOME_AIRPORTS])[home],
        "home_airport_lat": np.array([a[3] for a in HOME_AIRPORTS])[home],
        "home_airport_lon": np.array([a[4] for a in HOME_AIRPORTS])[home],
        "sign_up_date": signup_day,
    }
    return users, signup_day, home


def _session_days(rng: np.random.Generator, signup_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(user index, fractional day) of every non-cancellation session, in user order."""
    n = len(signup_day)
    eng_days = np.array([_day(d) for d, _ in _ENGAGEMENT], float)
    eng_mean = np.array([m for _, m in _ENGAGEMENT])
    engagement = np.interp(signup_day, eng_days, eng_mean) * rng.gamma(20.0, 1 / 20.0, n)
    planned = 1 + rng.binomial(_MAX_EXTRA_SESSIONS, np.clip(engagement / _MAX_EXTRA_SESSIONS, 0, 1))
    span = rng.uniform(140.0, 240.0, n)
    user = np.repeat(np.arange(n), planned)
    first = np.cumsum(planned) - planned
    pos = np.arange(len(user)) - np.repeat(first, planned)
    t = signup_day[user] + span[user] * (pos + rng.random(len(user))) / planned[user]
    # The first session always happens (before the export end); later ones past it are not exported.
    t = np.where(
        pos == 0,
        np.minimum(t, signup_day[user] + rng.random(len(user)) * np.minimum(span[user], _END - signup_day[user])),
        t,
    )
    keep = t < _END
    returning = (signup_day < _day(_RETURN_BEFORE)) & (rng.random(n) < _RETURN_SHARE)
    extra = np.where(returning, 2 + rng.binomial(3, 0.5, n), 0)
    r_user = np.repeat(np.arange(n), extra)
    r_t = _day(_RETURN_FROM) + rng.random(len(r_user)) * (_END - _day(_RETURN_FROM))
    user, t = np.concatenate([user[keep], r_user]), np.concatenate([t[keep], r_t])
    order = np.lexsort((t, user))
    return user[order], t[order]


def _genders(uniform: np.ndarray, cohort: np.ndarray) -> np.ndarray:
    """Genders from one uniform draw per user: the cohort's mix for cohort users, and for the
    others the mix that brings the whole base to the real one."""
    share = cohort.mean()
    rest = ((_BASE_GENDER - share * _COHORT_GENDER) / max(1.0 - share, 1e-9)).clip(0, None)
    cdf = np.where(cohort[:, None], np.cumsum(_COHORT_GENDER), np.cumsum(rest / rest.sum()))
    return _GENDERS[(uniform[:, None] >= cdf).sum(axis=1).clip(0, 2)]


def simulate(*, users: int, seed: int) -> SampleArrays:
    """Draw all four tables for ``users`` users from ``seed`` (same inputs, same arrays)."""
    rng = np.random.default_rng(seed)
    u, signup_day, home = _users(rng, users)
    arche = _pick(rng, _ARCHETYPE_SHARE, users)
    s_user, s_day = _session_days(rng, signup_day)
    sessions, flights, hotels, trip_user = _activity(
        rng, u=u, home=home, arche=arche, s_user=s_user, s_day=s_day, last=_END, boost=np.zeros(users)
    )
    window = sessions["session_start"] >= _day(_COHORT_START) * _DAY_US
    cohort = np.bincount(sessions["user"][window], minlength=users) >= _COHORT_SESSIONS
    u["gender"] = _genders(u["gender"], cohort)
    return SampleArrays(users=u, sessions=sessions, flights=flights, hotels=hotels, trip_user=trip_user)


def simulate_followup(
    *, users: int, seed: int, campaign: np.ndarray, treated: np.ndarray, effect: float, days: int
) -> SampleArrays:
    """The sessions, flights and hotels of a perk campaign after the export end, for the sample of
    ``users`` and ``seed``: the users of ``campaign`` (user ids) come back for 2 + Binomial(6, 0.5)
    sessions spread over ``days`` days, and a session of a ``treated`` user is a booking with
    probability ``effect`` higher than their archetype's (the known truth an evaluation must find).

    Its own generator, so the base sample stays byte-identical; ``users`` holds the base users
    (same ids, archetypes and homes).
    """
    rng = np.random.default_rng(seed)
    u, _, home = _users(rng, users)
    arche = _pick(rng, _ARCHETYPE_SHARE, users)
    rng = np.random.default_rng([seed, 7])
    visits = 2 + rng.binomial(6, 0.5, len(campaign))
    s_user = np.repeat(campaign.astype(np.int64), visits)
    s_day = _END + rng.random(len(s_user)) * days
    order = np.lexsort((s_day, s_user))
    boost = np.zeros(users)
    boost[campaign[treated]] = effect
    sessions, flights, hotels, trip_user = _activity(
        rng, u=u, home=home, arche=arche, s_user=s_user[order], s_day=s_day[order], last=_END + days, boost=boost
    )
    return SampleArrays(users=u, sessions=sessions, flights=flights, hotels=hotels, trip_user=trip_user)


def _activity(
    rng: np.random.Generator,
    *,
    u: dict[str, np.ndarray],
    home: np.ndarray,
    arche: np.ndarray,
    s_user: np.ndarray,
    s_day: np.ndarray,
    last: int,
    boost: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Sessions (sorted by start), flights, hotels and each trip's user from the non-cancellation
    session days; nothing starts on or after day ``last``; ``boost`` raises a user's booking odds."""
    ns = len(s_user)
    a = arche[s_user]
    hour = _pick(rng, np.array(SESSION_HOURS, float), ns)
    start = np.floor(s_day).astype(np.int64) * _DAY_US + hour * _HOUR_US + rng.integers(0, 60, ns) * 60_000_000

    # Kind: 0 browse, 1 flight+hotel, 2 flight only, 3 hotel only.
    booking = rng.random(ns) < _BOOK_P[a] + boost[s_user]
    kind = np.where(booking, 1 + _pick_rows(rng, _TRIP_MIX[a]), 0)
    clicks = np.where(
        kind == 0,
        _lognormal_int(rng, 8.5, 0.8, ns),
        np.where(kind == 1, _lognormal_int(rng, 23.0, 0.42, ns), _lognormal_int(rng, 16.5, 0.42, ns)),
    )
    end = start + np.rint(clicks * rng.uniform(5.4, 9.4, ns) * 1e6).astype(np.int64) // 1_000_000 * 1_000_000

    offer_f = np.array([_OFFER_RATE[k][0] for k in range(4)])[kind] * _DISCOUNT_MULT[a]
    offer_h = np.array([_OFFER_RATE[k][1] for k in range(4)])[kind] * _DISCOUNT_MULT[a]
    f_disc = rng.random(ns) < offer_f.clip(0, 0.9)
    h_disc = rng.random(ns) < offer_h.clip(0, 0.9)
    f_amt = np.where(f_disc, (1 + _pick(rng, _FLIGHT_AMOUNTS, ns)) / 20, np.nan)
    h_amt = np.where(h_disc, (1 + _pick(rng, _HOTEL_AMOUNTS, ns)) / 20, np.nan)

    # Trips: one per booking session.
    trip_sess = np.flatnonzero(booking)
    nt = len(trip_sess)
    t_user = s_user[trip_sess]
    t_arche = a[trip_sess]
    t_kind = kind[trip_sess]
    has_flight = t_kind != 3
    has_hotel = t_kind != 2
    book_day = start[trip_sess] // _DAY_US
    lead = np.where(rng.random(nt) < 0.88, 3 + np.floor(rng.gamma(2.0, 2.7, nt)), rng.integers(20, 171, nt)).astype(
        np.int64
    )

    flights = _flights(
        rng,
        user=t_user[has_flight],
        arche=t_arche[has_flight],
        dep_day=(book_day + lead)[has_flight],
        u=u,
        home=home,
    )
    hotels = _hotels(
        rng,
        arche=t_arche,
        kind=t_kind,
        stay_day=book_day + lead,
        has_flight=has_flight,
        has_hotel=has_hotel,
        flights=flights,
    )

    # Cancellations: a later session on the same trip, starting at the booking's end + 0..lead days.
    cancel = rng.random(nt) < _CANCEL_P[t_arche]
    c_start = end[trip_sess] + np.floor(rng.random(nt) * (lead + 1)).astype(np.int64) * _DAY_US
    cancel &= c_start < last * _DAY_US
    c_idx = np.flatnonzero(cancel)
    nc = len(c_idx)
    c_clicks = _lognormal_int(rng, 12.0, 0.6, nc)
    c_start = c_start[c_idx]
    c_end = c_start + np.rint(c_clicks * rng.uniform(5.4, 9.4, nc)).astype(np.int64) * 1_000_000

    trip_of_session = np.full(ns, -1, dtype=np.int64)
    trip_of_session[trip_sess] = np.arange(nt)
    all_true = np.ones(nc, dtype=bool)
    sessions = {
        "user": np.concatenate([s_user, t_user[c_idx]]),
        "trip": np.concatenate([trip_of_session, c_idx]),
        "session_start": np.concatenate([start, c_start]),
        "session_end": np.concatenate([end, c_end]),
        "flight_discount": np.concatenate([f_disc, all_true]),
        "hotel_discount": np.concatenate([h_disc, all_true]),
        "flight_discount_amount": np.concatenate([f_amt, np.full(nc, np.nan)]),
        "hotel_discount_amount": np.concatenate([h_amt, np.full(nc, np.nan)]),
        "flight_booked": np.concatenate([(kind == 1) | (kind == 2), all_true]),
        "hotel_booked": np.concatenate([(kind == 1) | (kind == 3), all_true]),
        "page_clicks": np.concatenate([clicks, c_clicks]).astype(np.int32),
        "cancellation": np.concatenate([np.zeros(ns, dtype=bool), all_true]),
    }
    order = np.lexsort((sessions["user"], sessions["session_start"]))
    sessions = {k: v[order] for k, v in sessions.items()}
    flights["trip"] = np.flatnonzero(has_flight)
    hotels["trip"] = np.flatnonzero(has_hotel)
    return sessions, flights, hotels, t_user


def _flights(
    rng: np.random.Generator,
    *,
    user: np.ndarray,
    arche: np.ndarray,
    dep_day: np.ndarray,
    u: dict[str, np.ndarray],
    home: np.ndarray,
) -> dict[str, np.ndarray]:
    nf = len(user)
    dest = _pick(rng, np.array([d[4] for d in DESTINATIONS], float), nf)
    dest_city = np.array([d[1] for d in DESTINATIONS])
    same = dest_city[dest] == u["home_city"][user]
    dest = np.where(same, (dest + rng.integers(1, len(DESTINATIONS), nf)) % len(DESTINATIONS), dest)
    same = dest_city[dest] == u["home_city"][user]  # a second shift leaves a handful; move them on by one
    dest = np.where(same, (dest + 1) % len(DESTINATIONS), dest)
    lat = np.array([d[2] for d in DESTINATIONS])[dest]
    lon = np.array([d[3] for d in DESTINATIONS])[dest]
    h_lat, h_lon = u["home_airport_lat"][user], u["home_airport_lon"][user]
    km = 111.0 * np.hypot(lat - h_lat, (lon - h_lon) * np.cos(np.radians(h_lat)))

    seats = 1 + _pick(rng, _SEATS, nf)
    ret = rng.random(nf) < 0.957
    legs = np.where(ret, 2, 1)
    fare = np.round(seats * legs * (39.4 + 0.0691 * km) * np.exp(0.2 * rng.standard_normal(nf)), 2)
    heavy = arche == 2
    bags = np.where(heavy, _pick(rng, _BAGS_HEAVY, nf), _pick(rng, _BAGS_TYPICAL, nf))
    bags = bags + np.where(seats > 1, rng.binomial(seats - 1, np.where(heavy, 0.6, 0.25)), 0)
    dep = dep_day * _DAY_US + (7 + _pick(rng, _DEPARTURE_HOURS, nf)) * _HOUR_US
    days = np.rint(_TRIP_MEDIAN_DAYS[arche] * np.exp(0.6 * rng.standard_normal(nf))).astype(np.int64).clip(0, 60)
    airline = np.array([a[0] for a in AIRLINES])[_pick(rng, np.array([a[1] for a in AIRLINES], float), nf)]
    return {
        "origin_airport": u["home_airport"][user],
        "destination": dest_city[dest],
        "destination_airport": np.array([d[0] for d in DESTINATIONS])[dest],
        "seats": seats.astype(np.int32),
        "return_flight_booked": ret,
        "departure_time": dep,
        "return_time": np.where(ret, dep + days * _DAY_US, -1),
        "checked_bags": bags.astype(np.int32),
        "trip_airline": airline,
        "destination_airport_lat": lat,
        "destination_airport_lon": lon,
        "base_fare_usd": fare,
    }


def _hotels(
    rng: np.random.Generator,
    *,
    arche: np.ndarray,
    kind: np.ndarray,
    stay_day: np.ndarray,
    has_flight: np.ndarray,
    has_hotel: np.ndarray,
    flights: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    nt = len(kind)
    long_stay = arche == 3
    # Flight fields per trip (only meaningful where the trip has a flight).
    f_pos = np.cumsum(has_flight) - 1
    dep = np.where(has_flight, flights["departure_time"][f_pos.clip(0)], 0)
    ret = np.where(has_flight, flights["return_time"][f_pos.clip(0)], -1)
    city = np.where(has_flight, flights["destination"][f_pos.clip(0)], "")
    lone_city = np.array([d[1] for d in DESTINATIONS])[_pick(rng, np.array([d[4] for d in DESTINATIONS], float), nt)]
    city = np.where(has_flight, city, lone_city)

    after_dep_ms = np.where(rng.random(nt) < 0.97, rng.uniform(2.0, 7.0, nt), rng.uniform(7.0, 22.0, nt)) * 3_600_000
    check_in = np.where(
        has_flight,
        dep + (np.rint(after_dep_ms / 5) * 5).astype(np.int64) * 1000,
        stay_day * _DAY_US + 11 * _HOUR_US,
    )
    in_day = check_in // _DAY_US
    ret_day = ret // _DAY_US
    back = _pick(rng, _CHECKOUT_BEFORE_RETURN, nt)  # but at least one day's stay when the trip allows it
    one_way_days = np.rint(np.where(long_stay, 6.0, 3.0) * np.exp(0.6 * rng.standard_normal(nt)))
    lone_days = np.maximum(1, np.floor(np.where(long_stay, 10.0, 6.0) * np.exp(0.6 * rng.standard_normal(nt))))
    out_day = np.where(
        ~has_flight,
        in_day + lone_days,
        np.where(ret >= 0, np.maximum(in_day + np.minimum(1, ret_day - in_day), ret_day - back), in_day + one_way_days),
    ).astype(np.int64)
    check_out = out_day * _DAY_US + 11 * _HOUR_US
    nights = np.floor((check_out - check_in // _HOUR_US * _HOUR_US) / _DAY_US).astype(np.int32)
    brand = np.array(HOTEL_BRANDS)[rng.integers(0, len(HOTEL_BRANDS), nt)]
    sel = has_hotel
    n = int(sel.sum())
    return {
        "hotel_name": np.char.add(np.char.add(brand[sel].astype(str), " - "), city[sel].astype(str)),
        "nights": nights[sel],
        "rooms": (1 + _pick(rng, _ROOMS, n)).astype(np.int32),
        "check_in_time": check_in[sel],
        "check_out_time": check_out[sel],
        "hotel_per_room_usd": np.maximum(10, np.rint(148.0 * np.exp(0.6 * rng.standard_normal(n)))).astype(np.int64),
    }
