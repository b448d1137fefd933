"""The cohort-size series pairs the right points and works out growth exponents as by hand.

Every figure is made up; each exponent is worked out in the comments.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.benchmark import GIB
from bench.series import exponent, report, summarize


def _res(*, users: int, rows: int, cohort: int, rule: str, seconds: float, cohort_steps: float) -> dict[str, Any]:
    return {
        "command": f".venv/bin/python bench/benchmark.py --users {users} {rule} --repeat 3 --skip-growth",
        "users": users,
        "input_rows": rows,
        "repeat": 3,
        "floor": {"seconds": 10.0},
        "memory_floor": {"seconds": 5.0},
        "prefect_startup": {"seconds": 5.0},
        "toolkit": {
            "seconds": seconds + 5.0,
            "cohort": cohort,
            "peak_rss_bytes": 2 * GIB,
            # The four cohort-sized steps add up to cohort_steps; bronze is not one of them.
            "timings_seconds": {
                "bronze": 7.0,
                "gold": cohort_steps / 2,
                "segment": cohort_steps / 4,
                "mart": 0.0,
                "extract": cohort_steps / 4,
            },
        },
        "baseline": {"seconds": 60.0, "peak_rss_bytes": 4 * GIB},
        "cpu_seconds": {"silver": 6.0, "validate_silver": 7.0},
        "targets": [["toolkit <= 3x floor", seconds / 10.0 <= 3, ""]],
    }


_SMALL = _res(users=1_000_000, rows=10_000_000, cohort=25_000, rule="", seconds=20.0, cohort_steps=5.0)
_LARGER = _res(
    users=1_000_000,
    rows=10_000_000,
    cohort=100_000,
    rule="--min-sessions 6 --start-date 2022-12-20",
    seconds=40.0,
    cohort_steps=20.0,
)
_BIGGER_DATA = _res(users=4_000_000, rows=40_000_000, cohort=100_000, rule="", seconds=80.0, cohort_steps=10.0)


def test_exponents_along_the_cohort_and_along_the_data() -> None:
    summary = summarize(results=[("big", _BIGGER_DATA), ("larger", _LARGER), ("small", _SMALL)])
    assert [p["file"] for p in summary["points"]] == ["small", "larger", "big"]
    assert [(p["start_date"], p["min_sessions"]) for p in summary["points"]] == [
        ("2023-01-04", 7),
        ("2022-12-20", 6),
        ("2023-01-04", 7),
    ]
    pairs = {(g["from"], g["to"]): g for g in summary["growth"]}
    # "larger" and "big" have different cohort rules and different data: never compared.
    assert set(pairs) == {("small", "larger"), ("small", "big")}
    along_cohort = pairs[("small", "larger")]
    # Cohort x4; 20 -> 40 s: log 2 / log 4 = 0.5; cohort steps 5 -> 20 s: log 4 / log 4 = 1; baseline flat: 0.
    assert along_cohort["by"] == "cohort"
    assert along_cohort["factor"] == pytest.approx(4.0)
    assert along_cohort["toolkit"] == pytest.approx(0.5)
    assert along_cohort["cohort_steps"] == pytest.approx(1.0)
    assert along_cohort["baseline"] == pytest.approx(0.0)
    along_data = pairs[("small", "big")]
    # Rows x4; 20 -> 80 s: linear (1); cohort steps 5 -> 10 s: log 2 / log 4 = 0.5; RSS flat.
    assert along_data["by"] == "rows"
    assert along_data["toolkit"] == pytest.approx(1.0)
    assert along_data["cohort_steps"] == pytest.approx(0.5)
    assert along_data["peak_rss"] == pytest.approx(0.0)


def test_the_points_figures_and_missed_targets_reach_the_report() -> None:
    summary = summarize(results=[("small", _SMALL), ("big", _BIGGER_DATA)])
    small = summary["points"][0]
    # 20 s without start-up over a 10 s floor, and over the 5 s in-memory floor.
    assert small["per_floor"] == pytest.approx(2.0)
    assert small["per_memory_floor"] == pytest.approx(4.0)
    assert small["cohort_steps"] == pytest.approx(5.0)
    assert small["checks_cpu"]["silver"] == (7.0, 6.0)
    text = report(summary=summary)
    assert "| 4,000,000 | 100,000 | 3 | 10.0 | 5.0 | 85.0 | 80.0 | 8.00 |" in text
    # 80 s is 8x the floor: missed there, met at 2x.
    assert "- 4,000,000 users, cohort 100,000: toolkit <= 3x floor" in text
    assert "- 1,000,000 users, cohort 25,000: none" in text


def test_an_exponent_needs_two_different_positive_sizes() -> None:
    assert exponent(x0=10, x1=10, y0=1, y1=2) is None
    assert exponent(x0=10, x1=20, y0=0, y1=2) is None
    assert exponent(x0=10, x1=100, y0=1, y1=10) == pytest.approx(1.0)
