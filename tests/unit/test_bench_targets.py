"""The benchmark judges issue 20's targets from its figures the way the issue states them.

Every figure below is made up, and every verdict is worked out by hand in the comments.
"""

from __future__ import annotations

from typing import Any

from bench.benchmark import FULL_USERS, GIB, rss_limit_gib, targets


def _res(*, users: int, rss_gib: float) -> dict[str, Any]:
    return {
        "users": users,
        "floor": {"seconds": 10.0},
        "prefect_startup": {"seconds": 5.0},
        "baseline": {"seconds": 40.0},
        "toolkit": {
            "seconds": 36.0,
            "peak_rss_bytes": int(rss_gib * GIB),
            # gold + segment + mart + extract = 3 + 1 + 2 + 3.5 = 9.5 s, under the 10 s floor.
            "timings_seconds": {"bronze": 8.0, "silver": 4.0, "gold": 3.0, "segment": 1.0, "mart": 2.0, "extract": 3.5},
            "checks_seconds": {"bronze": 4.0, "silver": 6.0, "gold": 2.5, "mart": 2.0},
        },
        # CPU seconds of each build and its checks, each alone (the wall times above are beside other steps).
        "cpu_seconds": {
            **{"bronze": 15.0, "silver": 6.0, "gold": 2.5, "segment": 2.0, "mart": 0.8},
            **{"validate_bronze": 6.5, "validate_silver": 7.9, "validate_gold": 1.9, "validate_mart": 0.8},
        },
        "growth": [
            {"rows": 1_000_000, "seconds_without_startup": 10.0},
            # Twice the rows in 2.2x the time: exponent log(2.2)/log(2) = 1.14, more than linear.
            {"rows": 2_000_000, "seconds_without_startup": 22.0},
        ],
    }


def test_each_target_is_judged_from_the_figures() -> None:
    verdicts = {name: met for name, met, _ in targets(res=_res(users=FULL_USERS, rss_gib=1.9))}
    assert verdicts == {
        # (36 - 5) / 10 = 3.1 > 3.
        "toolkit <= 3x floor, without Prefect start-up": False,
        # 36 < 40.
        "toolkit faster than baseline, Prefect included": True,
        "gold + segment + mart + extract <= 1x floor (set at the 250 k cohort)": True,
        # CPU: 6.5 < 15; 7.9 > 6; 1.9 < 2.5; 0.8 == 0.8 is not less (the wall times are not judged).
        "bronze checks cost less CPU than building bronze (each alone)": True,
        "silver checks cost less CPU than building silver (each alone)": False,
        "gold checks cost less CPU than building gold (each alone)": True,
        "mart checks cost less CPU than building mart (each alone)": False,
        "toolkit peak RSS <= 2 GiB at 1,020,926 users": True,
        "time grows at most linearly (last doubling, exponent <= 1)": False,
    }


def test_the_memory_target_is_2_gib_at_real_scale_and_4_gib_at_four_times_it() -> None:
    assert rss_limit_gib(users=FULL_USERS) == 2.0
    assert rss_limit_gib(users=4 * FULL_USERS) == 4.0
    at_4m = {name: met for name, met, _ in targets(res=_res(users=4 * FULL_USERS, rss_gib=3.5))}
    assert at_4m["toolkit peak RSS <= 4 GiB at 4,083,704 users"] is True
    at_1m = {name: met for name, met, _ in targets(res=_res(users=FULL_USERS, rss_gib=3.5))}
    assert at_1m["toolkit peak RSS <= 2 GiB at 1,020,926 users"] is False
