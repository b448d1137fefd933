"""The cohort-size series: one benchmark invocation per cohort setting, summarised with growth exponents.

Run as ``python -m bench.series --point USERS:START:MIN_SESSIONS ...`` (each point one
``bench/benchmark.py`` invocation, with its own interleaved rounds of floors, toolkit and
baseline) or ``--summarize FILE...`` to summarise benchmark results already in
``bench/results/``. The summary (``bench/results/series-<stamp>.{md,json}``) puts the points
side by side and gives growth exponents between successive points: against the cohort where the
data is the same, against the input rows where the data grows (1 = linear).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from bench.benchmark import GIB, RESULTS, parser

__all__ = ["COHORT_STEPS", "Point", "exponent", "main", "summarize"]

COHORT_STEPS = ("gold", "segment", "mart", "extract")
_LAYERS = ("bronze", "silver", "gold", "mart")


@dataclass(frozen=True, slots=True)
class Point:
    """One cohort setting: the data's user count and the cohort rule."""

    users: int
    start_date: str
    min_sessions: int

    @classmethod
    def parse(cls, text: str) -> Point:
        users, start, minimum = text.split(":")
        return cls(users=int(users), start_date=start, min_sessions=int(minimum))


def exponent(*, x0: float, x1: float, y0: float, y1: float) -> float | None:
    """Growth exponent of y against x between two points (None when x does not change)."""
    if x0 <= 0 or x1 <= 0 or y0 <= 0 or y1 <= 0 or x0 == x1:
        return None
    return math.log(y1 / y0) / math.log(x1 / x0)


def _rule(res: dict[str, Any]) -> tuple[str, int]:
    """The cohort rule a result was measured with, read from its command (older results lack fields)."""
    args = parser().parse_args(res["command"].split()[2:])
    return str(args.start_date), args.min_sessions


def _row(res: dict[str, Any], name: str) -> dict[str, Any]:
    tk, floor = res["toolkit"], res["floor"]["seconds"]
    start_date, min_sessions = _rule(res)
    without = tk["seconds"] - res["prefect_startup"]["seconds"]
    cohort_steps = sum(tk["timings_seconds"].get(s, 0.0) for s in COHORT_STEPS)
    cpu = res.get("cpu_seconds", {})
    return {
        "file": name,
        "users": res["users"],
        "rows": res["input_rows"],
        "cohort": tk["cohort"],
        "start_date": start_date,
        "min_sessions": min_sessions,
        "rounds": res["repeat"],
        "floor": floor,
        "memory_floor": res["memory_floor"]["seconds"],
        "toolkit": tk["seconds"],
        "without_startup": without,
        "per_floor": without / floor,
        "per_memory_floor": without / res["memory_floor"]["seconds"],
        "baseline": res["baseline"]["seconds"] if "baseline" in res else None,
        "baseline_per_toolkit": res["baseline"]["seconds"] / tk["seconds"] if "baseline" in res else None,
        "peak_rss_gib": tk["peak_rss_bytes"] / GIB,
        "baseline_rss_gib": res["baseline"]["peak_rss_bytes"] / GIB if "baseline" in res else None,
        "cohort_steps": cohort_steps,
        "cohort_steps_per_floor": cohort_steps / floor,
        "steps": tk["timings_seconds"],
        "checks_cpu": {layer: (cpu.get(f"validate_{layer}"), cpu.get(layer)) for layer in _LAYERS},
        "targets": res.get("targets", []),
    }


def _neighbours(rows: list[dict[str, Any]], *, same: tuple[str, ...], by: str) -> list[tuple[Any, Any]]:
    """Successive pairs, ordered by ``by``, among the rows that agree on ``same``."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in same), []).append(r)
    pairs = []
    for group in groups.values():
        pairs += [(a, b) for a, b in pairwise(sorted(group, key=lambda r: r[by])) if a[by] != b[by]]
    return pairs


def summarize(*, results: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Side-by-side rows and the growth exponents between neighbours.

    Along the cohort: points on the same data (input rows), by cohort size. Along the data:
    points with the same cohort rule, by input rows. Rows are ordered by data, then cohort.
    """
    rows = sorted((_row(res, name) for name, res in results), key=lambda r: (r["rows"], r["cohort"]))
    pairs = [
        *((a, b, "cohort") for a, b in _neighbours(rows, same=("rows",), by="cohort")),
        *((a, b, "rows") for a, b in _neighbours(rows, same=("start_date", "min_sessions"), by="rows")),
    ]
    growth = []
    for a, b, by in pairs:
        growth.append(
            {
                "from": a["file"],
                "to": b["file"],
                "by": by,
                "factor": b[by] / a[by],
                "toolkit": exponent(x0=a[by], x1=b[by], y0=a["without_startup"], y1=b["without_startup"]),
                "cohort_steps": exponent(x0=a[by], x1=b[by], y0=a["cohort_steps"], y1=b["cohort_steps"]),
                "peak_rss": exponent(x0=a[by], x1=b[by], y0=a["peak_rss_gib"], y1=b["peak_rss_gib"]),
                "baseline": exponent(x0=a[by], x1=b[by], y0=a["baseline"] or 0, y1=b["baseline"] or 0),
            }
        )
    return {"points": rows, "growth": growth}


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def report(*, summary: dict[str, Any]) -> str:
    """The series as markdown: the points, the cohort-sized steps, the checks, the growth."""
    points = summary["points"]
    lines = [
        "| data (users) | cohort | rounds | floor (s) | in-memory floor (s) | toolkit (s) | without start-up (s) "
        "| × floor | × in-memory floor | baseline (s) | baseline / toolkit | toolkit peak RSS (GiB) "
        "| baseline peak RSS (GiB) | file |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in points:
        lines.append(
            f"| {p['users']:,} | {p['cohort']:,} | {p['rounds']} | {_fmt(p['floor'])} | {_fmt(p['memory_floor'])} "
            f"| {_fmt(p['toolkit'])} | {_fmt(p['without_startup'])} | {_fmt(p['per_floor'], 2)} "
            f"| {_fmt(p['per_memory_floor'], 2)} | {_fmt(p['baseline'])} | {_fmt(p['baseline_per_toolkit'], 2)} "
            f"| {_fmt(p['peak_rss_gib'], 2)} | {_fmt(p['baseline_rss_gib'], 2)} | `{p['file']}` |"
        )
    lines += [
        "",
        "Cohort-sized steps on the run's critical path (s; their checks run beside them) and each layer's "
        "checks against its build in CPU seconds, each alone (checks / build):",
        "",
        "| data (users) | cohort | gold | segment | mart | extract | sum | × floor | bronze | silver | gold | mart |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for p in points:
        steps = [_fmt(p["steps"].get(s)) for s in COHORT_STEPS]
        checks = [f"{_fmt(c)} / {_fmt(b)}" for c, b in p["checks_cpu"].values()]
        lines.append(
            f"| {p['users']:,} | {p['cohort']:,} | {' | '.join(steps)} | {_fmt(p['cohort_steps'])} "
            f"| {_fmt(p['cohort_steps_per_floor'], 2)} | {' | '.join(checks)} |"
        )
    lines += [
        "",
        "Growth exponents between successive points (1 = linear): against the cohort between points on the "
        "same data, against the input rows between points with the same cohort rule:",
        "",
        "| from → to | grows by | factor | toolkit without start-up | cohort-sized steps | toolkit peak RSS | baseline |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for g in summary["growth"]:
        lines.append(
            f"| `{g['from']}` → `{g['to']}` | {g['by']} | {g['factor']:.2f} | {_fmt(g['toolkit'], 2)} "
            f"| {_fmt(g['cohort_steps'], 2)} | {_fmt(g['peak_rss'], 2)} | {_fmt(g['baseline'], 2)} |"
        )
    lines += ["", "Targets missed, per point (the rest are met):", ""]
    for p in points:
        missed = [name for name, met, _ in p["targets"] if not met]
        lines.append(f"- {p['users']:,} users, cohort {p['cohort']:,}: {'; '.join(missed) or 'none'}")
    return "\n".join(lines)


def _benchmark(*, point: Point, repeat: int, skip_baseline: bool) -> Path:
    """Run one benchmark invocation for ``point``; returns its results file."""
    before = set(RESULTS.glob("bench-*.json"))
    argv = [
        *("--users", str(point.users), "--start-date", point.start_date),
        *("--min-sessions", str(point.min_sessions), "--repeat", str(repeat), "--skip-growth"),
        *(("--skip-baseline",) if skip_baseline else ()),
    ]
    print(f"series: benchmark {' '.join(argv)}", flush=True)
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("benchmark.py")), *argv], check=False)
    if done.returncode == 2:
        raise SystemExit(f"series: the benchmark of {point} failed (exit 2); its log is named above")
    (new,) = set(RESULTS.glob("bench-*.json")) - before
    return new


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run or summarise the series and write its report."""
    p = argparse.ArgumentParser(prog="python -m bench.series", description=__doc__.splitlines()[0])
    p.add_argument("--point", action="append", type=Point.parse, default=[], help="USERS:START_DATE:MIN_SESSIONS")
    p.add_argument("--summarize", nargs="+", type=Path, default=[], help="benchmark results files to add")
    p.add_argument("--repeat", type=int, default=3, help="rounds per point (default 3)")
    p.add_argument("--skip-baseline", action="store_true", help="do not run the pandas baseline")
    args = p.parse_args(argv)
    if not args.point and not args.summarize:
        p.error("give --point (to measure) or --summarize (results already measured)")
    files = [*args.summarize]
    files += [_benchmark(point=pt, repeat=args.repeat, skip_baseline=args.skip_baseline) for pt in args.point]
    summary = summarize(results=[(f.name, json.loads(f.read_text(encoding="utf-8"))) for f in files])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = report(summary=summary)
    (RESULTS / f"series-{stamp}.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"series-{stamp}.md").write_text(text + "\n", encoding="utf-8")
    print("\n" + text + f"\n\nseries: {RESULTS / f'series-{stamp}.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
