"""Full-scale benchmark of TravelTide Mart against the I/O floors and the notebook approach.

On the same generated bronze files it measures, each run as a fresh child process (wall
time and peak RSS) from a warm page cache: the DuckDB read floors (into a file and into
memory), the core (bronze → silver → gold → segments, no
Prefect), every build and layer's checks alone (their CPU seconds), Prefect's fixed start-up, the toolkit as a user runs it (``traveltide run``), and
the pandas baseline, interleaved in rounds (each round runs each once). It prints a
markdown table, the ratios and issue 20's targets, checks that toolkit, core and baseline agree on
the cohort and the six SPEC features (exit 1 if not), then runs the toolkit at smaller scales
to show how time and memory grow.

    .venv/bin/python bench/benchmark.py                      # full scale (make bench)
    .venv/bin/python bench/benchmark.py --users 50000 --repeat 1 --scales 0.5,1

Data are generated once per (users, seed) into bench/data/ and reused; results go to
bench/results/ as JSON and markdown.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from bench.measure import (
    MeasuredCommandError,
    Measurement,
    last_json_line,
    median_of,
    run_measured,
)
from traveltide.contract import bronze
from traveltide.contract.gold import SPEC_FEATURES
from traveltide.sample import generator_fingerprint

__all__ = ["FULL_USERS", "GIB", "RESULTS", "main", "parser", "rss_limit_gib", "targets"]

FULL_USERS = 1_020_926
BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
RESULTS = BENCH / "results"
GIB = 2**30


@dataclass(frozen=True)
class Bench:
    """One benchmark invocation: its options, scratch folder, logs and child environment."""

    args: argparse.Namespace
    scratch: Path
    logs: Path
    env: dict[str, str]

    def pipeline_flags(self) -> list[str]:
        """The cohort and segmentation settings, as flags of ``traveltide run`` and the bench modules."""
        a = self.args
        return [
            "--start-date",
            a.start_date.isoformat(),
            "--min-sessions",
            str(a.min_sessions),
            "--k",
            str(a.k),
            "--seed",
            str(a.segment_seed),
        ]


def _python(module: str, *args: str | Path) -> list[str]:
    return [sys.executable, "-m", module, *(str(a) for a in args)]


def _traveltide(*args: str | Path) -> list[str]:
    return [str(Path(sys.executable).with_name("traveltide")), *(str(a) for a in args)]


def _child_env(*, prefect_home: Path, cache_dir: Path) -> dict[str, str]:
    """The caller's environment without TravelTide or Prefect server settings that would change the run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAVELTIDE_") and k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(prefect_home)
    env["TRAVELTIDE_CACHE_DIR"] = str(cache_dir)
    return env


def ensure_data(*, bench: Bench, users: int) -> tuple[Path, Measurement | None]:
    """The bronze folder for ``users`` (generated with ``traveltide sample`` unless already there)."""
    seed = bench.args.seed
    # Keyed by the generator's code too: a changed generator regenerates the data.
    folder = DATA / f"{users}-{seed}-{generator_fingerprint()}"
    files = [folder / f"{t.name}.csv" for t in bronze.LAYER.published]
    if all(f.is_file() for f in files):
        return folder, None
    part = folder.with_name(folder.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    print(f"generating {users:,} users (seed {seed}) into {folder} ...", flush=True)
    m = run_measured(
        cmd=_traveltide("sample", "--out", part, "--users", str(users), "--seed", str(seed)),
        log=bench.logs / f"generate-{users}.log",
        env=bench.env,
        cwd=bench.scratch,
    )
    missing = [f.name for f in files if not (part / f.name).is_file()]
    if missing:
        raise RuntimeError(f"traveltide sample did not write {missing} into {part}; see {m.log}")
    part.rename(folder)
    return folder, m


def warm_page_cache(*, folder: Path) -> None:
    """Read every CSV of ``folder`` once, so each measurement starts from a warm page cache.

    A cold read of a busy disk is the machine's noise, not the code's: it made one floor 26.7 s
    and the next, warm, 4.8 s.
    """
    for f in sorted(folder.glob("*.csv")):
        with f.open("rb") as fh:
            while fh.read(1 << 24):
                pass


def _once(bench: Bench, name: str, cmd: list[str], run: str, folder: Path) -> Measurement:
    warm_page_cache(folder=folder)
    m = run_measured(cmd=cmd, log=bench.logs / f"{name}-{run}.log", env=bench.env, cwd=bench.scratch)
    print(f"  {name} run {run}: {m.seconds:.1f} s, {m.peak_rss_gib:.2f} GiB", flush=True)
    return m


def measure_rounds(*, bench: Bench, folder: Path) -> dict[str, Any]:
    """Floor, core, Prefect start-up, toolkit and baseline, each once per round, ``--repeat`` rounds.

    The measurements are interleaved, not run one after another: this VM's speed drifts by
    10-20 % within an invocation (the same toolkit run took 52 s, then 61 s ten minutes later),
    and measuring the floor first and the toolkit minutes later put that drift into their
    ratio. A first Prefect flow run on a new database is measured before the rounds ("cold").
    """
    args = bench.args
    floor_db, core_db = bench.scratch / "floor.duckdb", bench.scratch / "core.duckdb"
    cpu_db = bench.scratch / "steps_cpu.duckdb"
    core_features = bench.scratch / "core_features.parquet"
    toolkit_features = bench.scratch / "toolkit_features.parquet"
    commands = {
        "floor": _python("bench.floor", "--source", folder, "--db", floor_db),
        "memory-floor": _python("bench.floor", "--source", folder, "--memory"),
        "core": _python(
            "bench.core", "--source", folder, "--db", core_db, "--features-out", core_features, *bench.pipeline_flags()
        ),
        "prefect-startup": _python("bench.prefect_startup"),
        # Each layer's build and its checks alone, one after another in one process: their CPU seconds.
        "steps-cpu": _python(
            "bench.profile_steps",
            "--source",
            folder,
            "--db",
            cpu_db,
            "--json",
            *bench.pipeline_flags(),
            *CPU_STEPS,
        ),
    }
    if not args.skip_baseline:
        baseline_features = bench.scratch / "baseline_features.parquet"
        commands["baseline"] = _python(
            "bench.baseline", "--source", folder, "--out", baseline_features, *bench.pipeline_flags()
        )
    cold = _once(bench, "prefect-startup", commands["prefect-startup"], "cold", folder)
    runs: dict[str, list[Measurement]] = {name: [] for name in commands}
    toolkit_runs: list[tuple[Measurement, dict[str, Any]]] = []
    order = [
        "floor",
        "memory-floor",
        "core",
        "steps-cpu",
        "prefect-startup",
        "toolkit",
        *(["baseline"] if "baseline" in commands else []),
    ]
    for i in range(1, args.repeat + 1):
        print(f"round {i}/{args.repeat}", flush=True)
        for name in order:
            if name == "toolkit":
                toolkit_runs.append(_toolkit_run(bench=bench, folder=folder, run=str(i), features=toolkit_features))
            else:
                runs[name].append(_once(bench, name, commands[name], str(i), folder))
    for db in (floor_db, core_db, cpu_db):
        db.unlink(missing_ok=True)
    core = [last_json_line(measurement=r) for r in runs["core"]]
    alone = [last_json_line(measurement=r)["steps"] for r in runs["steps-cpu"]]
    res: dict[str, Any] = {
        "floor": {**median_of(runs=runs["floor"]), "tables": last_json_line(measurement=runs["floor"][-1])["tables"]},
        "memory_floor": median_of(runs=runs["memory-floor"]),
        "core": {
            **median_of(runs=runs["core"]),
            "steps": {
                step: {
                    "seconds": round(statistics.median(c["steps"][step]["seconds"] for c in core), 3),
                    "peak_rss_bytes": int(statistics.median(c["steps"][step]["peak_rss_bytes"] for c in core)),
                }
                for step in core[-1]["steps"]
            },
            "cohort": core[-1]["cohort"],
            "features": core_features,
        },
        "prefect_startup": {**median_of(runs=runs["prefect-startup"]), "cold_seconds": cold.seconds},
        # Median CPU seconds of each build and check run alone (the checks' target is CPU).
        "cpu_seconds": {step: round(statistics.median(a[step]["cpu_seconds"] for a in alone), 3) for step in CPU_STEPS},
        "toolkit": _toolkit_summary(runs=toolkit_runs, features=toolkit_features),
        # Each round's own ratio: how far one invocation's rounds spread.
        "rounds": [
            {
                "floor": f.seconds,
                "toolkit": t.seconds,
                "prefect_startup": p.seconds,
                "toolkit_without_startup_per_floor": round((t.seconds - p.seconds) / f.seconds, 3),
            }
            for f, (t, _), p in zip(runs["floor"], toolkit_runs, runs["prefect-startup"], strict=True)
        ],
    }
    if not args.skip_baseline:
        summary = last_json_line(measurement=runs["baseline"][-1])
        res["baseline"] = {
            **median_of(runs=runs["baseline"]),
            "stages": summary["timings"],
            "cohort": summary["cohort"],
            "features": baseline_features,
        }
    return res


def _toolkit_features(*, hyper: Path) -> pd.DataFrame:
    """The six SPEC features per user as published in the extract's dim_users."""
    import pantab
    from tableauhyperapi import TableName

    table = pantab.frame_from_hyper(hyper, table=TableName("Extract", "dim_users"), return_type="pyarrow")
    return table.select(["user_id", *SPEC_FEATURES]).to_pandas()


def _toolkit_run(*, bench: Bench, folder: Path, run: str, features: Path | None) -> tuple[Measurement, dict[str, Any]]:
    """``traveltide run --source folder --exports <tmp>`` once: its measurement and manifest.

    With ``features``, the six SPEC features of the published extract are written there.
    """
    exports = Path(tempfile.mkdtemp(dir=bench.scratch, prefix="exports-"))
    warm_page_cache(folder=folder)
    cmd = _traveltide("run", "--source", folder, "--exports", exports, *bench.pipeline_flags())
    m = run_measured(cmd=cmd, log=bench.logs / f"toolkit-{folder.name}-{run}.log", env=bench.env, cwd=bench.scratch)
    manifest = json.loads((exports / "manifest.json").read_text(encoding="utf-8"))
    if features is not None:
        _toolkit_features(hyper=exports / "traveltide.hyper").to_parquet(features, index=False)
    shutil.rmtree(exports)
    print(f"  toolkit {folder.name} run {run}: {m.seconds:.1f} s, {m.peak_rss_gib:.2f} GiB", flush=True)
    return m, manifest


def _toolkit_summary(*, runs: list[tuple[Measurement, dict[str, Any]]], features: Path | None) -> dict[str, Any]:
    """Medians of the toolkit's runs: wall, peak RSS and the manifest's step times."""
    manifests = [mf for _, mf in runs]
    timings = {
        step: round(statistics.median(mf["timings_seconds"][step] for mf in manifests), 3)
        for step in manifests[-1]["timings_seconds"]
    }
    # The checks' own time: they run beside the steps after their layer (timings hold the wait).
    checks = {
        layer: round(statistics.median(mf["validation"][layer]["seconds"] for mf in manifests), 3)
        for layer in manifests[-1]["validation"]
    }
    outside = [m.seconds - sum(mf["timings_seconds"].values()) for m, mf in runs]
    last = manifests[-1]
    return {
        **median_of(runs=[m for m, _ in runs]),
        "timings_seconds": timings,
        "checks_seconds": checks,
        "outside_steps_seconds": round(statistics.median(outside), 3),
        "cohort": last["row_counts"]["gold"]["cohort"],
        "bronze_rows": last["bronze"]["rows"],
        "features": features,
    }


def compare_features(*, name: str, expected: Path, got: Path) -> list[str]:
    """Differences between two per-user feature files (same users, values equal to 1e-9 relative)."""
    a = pd.read_parquet(expected).set_index("user_id").sort_index()
    b = pd.read_parquet(got).set_index("user_id").sort_index()
    problems = []
    only_a, only_b = a.index.difference(b.index), b.index.difference(a.index)
    if len(only_a) or len(only_b):
        problems.append(
            f"{name}: cohorts differ: {len(only_a)} users only in {expected.name} (e.g. {list(only_a[:5])}), "
            f"{len(only_b)} only in {got.name} (e.g. {list(only_b[:5])})"
        )
    common = a.index.intersection(b.index)
    for col in SPEC_FEATURES:
        x = a.loc[common, col].to_numpy(dtype=float)
        y = b.loc[common, col].to_numpy(dtype=float)
        bad = ~np.isclose(x, y, rtol=1e-9, atol=1e-9)
        if bad.any():
            first = common[bad][0]
            problems.append(
                f"{name}: {col} differs for {int(bad.sum())} of {len(common)} users "
                f"(e.g. user {first}: {a.loc[first, col]} vs {b.loc[first, col]})"
            )
    return problems


def _gib(b: int) -> str:
    return f"{b / GIB:.2f}"


def _exponent(x0: float, x1: float, y0: float, y1: float) -> float:
    """Growth exponent between two points: 1 is linear, 2 quadratic."""
    return math.log(y1 / y0) / math.log(x1 / x0)


# Each layer's checks are set against the step of the same name, which builds that layer.
CHECKED_LAYERS = ("bronze", "silver", "gold", "mart")
# What bench.profile_steps runs for the CPU seconds of every build and check (segment: gold's model).
CPU_STEPS = ("bronze", "silver", "gold", "segment", "mart", *(f"validate_{layer}" for layer in CHECKED_LAYERS))
COHORT_STEPS = ("gold", "segment", "mart", "extract")


def rss_limit_gib(*, users: int) -> float:
    """Issue 20's peak-RSS target: 2 GiB up to the real 1 M users, 4 GiB at 4 M."""
    return 2.0 if users <= 1.1 * FULL_USERS else 4.0


def targets(*, res: dict[str, Any]) -> list[tuple[str, bool, str]]:
    """Each issue 20 target: (target, met, the figures behind it), medians against the bench's floor."""
    floor, tk, pf = res["floor"]["seconds"], res["toolkit"]["seconds"], res["prefect_startup"]["seconds"]
    steps, checks = res["toolkit"]["timings_seconds"], res["toolkit"]["checks_seconds"]
    cohort_work = sum(steps.get(s, 0.0) for s in COHORT_STEPS)
    out = [
        (
            "toolkit <= 3x floor, without Prefect start-up",
            (tk - pf) / floor <= 3,
            f"(toolkit - start-up)/floor = ({tk:.1f} - {pf:.1f})/{floor:.1f} = {(tk - pf) / floor:.2f}",
        ),
    ]
    if "baseline" in res:
        base = res["baseline"]["seconds"]
        out.append(("toolkit faster than baseline, Prefect included", tk < base, f"baseline/toolkit = {base / tk:.2f}"))
    out.append(
        (
            "gold + segment + mart + extract <= 1x floor (set at the 250 k cohort)",
            cohort_work <= floor,
            f"{' + '.join(f'{steps.get(s, 0.0):.1f}' for s in COHORT_STEPS)} = {cohort_work:.1f} s vs {floor:.1f} s",
        )
    )
    cpu = res.get("cpu_seconds", {})
    for layer in CHECKED_LAYERS:
        if f"validate_{layer}" in cpu and layer in cpu:
            out.append(
                (
                    f"{layer} checks cost less CPU than building {layer} (each alone)",
                    cpu[f"validate_{layer}"] < cpu[layer],
                    f"checks {cpu[f'validate_{layer}']:.1f} CPU s vs {layer} {cpu[layer]:.1f} CPU s"
                    + (f" (in the run, beside other steps: {checks[layer]:.1f} s wall)" if layer in checks else ""),
                )
            )
    limit = rss_limit_gib(users=res["users"])
    rss = res["toolkit"]["peak_rss_bytes"]
    out.append(
        (
            f"toolkit peak RSS <= {limit:g} GiB at {res['users']:,} users",
            rss <= limit * GIB,
            f"{_gib(rss)} GiB",
        )
    )
    growth = res.get("growth", [])
    if len(growth) >= 2:
        g0, g1 = growth[-2], growth[-1]
        t_exp = _exponent(g0["rows"], g1["rows"], g0["seconds_without_startup"], g1["seconds_without_startup"])
        out.append(
            ("time grows at most linearly (last doubling, exponent <= 1)", t_exp <= 1, f"time exponent {t_exp:.2f}")
        )
    return out


def report(*, res: dict[str, Any]) -> str:
    """The results as markdown, ready for the README's performance section."""
    floor = res["floor"]["seconds"]
    n = res["repeat"]
    lines = [
        f"Command: `{res['command']}`  ",
        f"Data: {res['users']:,} users (seed {res['seed']}), {res['input_rows']:,} rows, "
        f"{res['input_bytes'] / 1e9:.2f} GB of CSV; machine: {res['machine']['cpus']} cores, "
        f"{res['machine']['memory_gib']:.0f} GiB, load average {res['machine']['load_average']} at start.  ",
        f"Wall time and peak RSS of each measurement as its own process, median of {n} round(s); each "
        "round runs every measurement once, in the table's order, so drift of the machine's speed "
        "during the invocation reaches them all.",
        "",
        "| measurement | wall (s) | peak RSS (GiB) | × floor |",
        "|---|---:|---:|---:|",
    ]

    def row(label: str, seconds: float, rss: int | None) -> None:
        lines.append(f"| {label} | {seconds:.1f} | {_gib(rss) if rss is not None else '–'} | {seconds / floor:.2f} |")

    row("floor: DuckDB reads the 4 CSVs (typed) into a database file", floor, res["floor"]["peak_rss_bytes"])
    mem = res["memory_floor"]
    row("in-memory floor: the same, into memory (the limit of parsing)", mem["seconds"], mem["peak_rss_bytes"])
    row("core: bronze → silver → gold → segments", res["core"]["seconds"], res["core"]["peak_rss_bytes"])
    tk, pf = res["toolkit"], res["prefect_startup"]
    row("toolkit: `traveltide run` (Prefect flow, end to end)", tk["seconds"], tk["peak_rss_bytes"])
    row("toolkit without Prefect start-up", tk["seconds"] - pf["seconds"], None)
    row("Prefect start-up (a trivial flow run)", pf["seconds"], pf["peak_rss_bytes"])
    if "baseline" in res:
        row("baseline: pandas notebook approach", res["baseline"]["seconds"], res["baseline"]["peak_rss_bytes"])
    lines += [
        "",
        f"Toolkit time outside its steps (interpreter, imports, Prefect server, flow bookkeeping): "
        f"{tk['outside_steps_seconds']:.1f} s; a first flow run on a new Prefect database: "
        f"{pf['cold_seconds']:.1f} s.",
        "",
        "| toolkit step | s | × in-memory floor |  | core step | s | peak RSS so far (GiB) |",
        "|---|---:|---:|---|---|---:|---:|",
    ]
    t_steps = list(tk["timings_seconds"].items())
    c_steps = list(res["core"]["steps"].items())
    for i in range(max(len(t_steps), len(c_steps))):
        left = (
            f"| {t_steps[i][0]} | {t_steps[i][1]:.1f} | {t_steps[i][1] / mem['seconds']:.2f} |"
            if i < len(t_steps)
            else "| | | |"
        )
        right = (
            f" | {c_steps[i][0]} | {c_steps[i][1]['seconds']:.1f} | {_gib(c_steps[i][1]['peak_rss_bytes'])} |"
            if i < len(c_steps)
            else " | | | |"
        )
        lines.append(left + right)
    lines += [
        "",
        "Checks' own time per layer (s; they run beside the steps after their layer, and "
        "`validate_<layer>_wait` above is what they added): "
        + ", ".join(f"{layer} {sec:.1f}" for layer, sec in tk["checks_seconds"].items())
        + ".",
    ]
    if "cpu_seconds" in res:
        cpu = res["cpu_seconds"]
        lines += [
            "",
            "CPU seconds of each build and its checks, each run alone (`bench.profile_steps`, median): "
            + "; ".join(
                f"{layer} build {cpu[layer]:.1f}, checks {cpu[f'validate_{layer}']:.1f}" for layer in CHECKED_LAYERS
            )
            + f"; segment {cpu['segment']:.1f}.",
        ]
    if "baseline" in res:
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in res["baseline"]["stages"].items())
        lines += ["", f"Baseline stages (last run): {stages}."]
    aim = (tk["seconds"] - pf["seconds"]) / mem["seconds"]
    lines += [
        "",
        f"Long-run aim, end to end (without start-up) <= 2x the in-memory floor: {aim:.2f}x "
        f"({tk['seconds'] - pf['seconds']:.1f} s vs {mem['seconds']:.1f} s).",
    ]
    lines += ["", "Ratios: " + ", ".join(f"{k} = {v:.2f}" for k, v in res["ratios"].items()) + "."]
    per_round = [r["toolkit_without_startup_per_floor"] for r in res["rounds"]]
    lines += [
        "",
        "Toolkit without start-up / floor, round by round (each round's own three runs): "
        + ", ".join(f"{x:.2f}" for x in per_round)
        + f" (median {statistics.median(per_round):.2f}).",
    ]
    if res.get("growth"):
        lines += [
            "",
            "| scale | users | input rows | toolkit (s) | without start-up (s) | s per M rows | peak RSS (GiB) | time exp. | memory exp. |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        prev = None
        for g in res["growth"]:
            exps = (
                f"{_exponent(prev['rows'], g['rows'], prev['seconds_without_startup'], g['seconds_without_startup']):.2f} | "
                f"{_exponent(prev['rows'], g['rows'], prev['peak_rss_bytes'], g['peak_rss_bytes']):.2f}"
                if prev
                else "– | –"
            )
            lines.append(
                f"| {g['scale']:g} | {g['users']:,} | {g['rows']:,} | {g['seconds']:.1f} | {g['seconds_without_startup']:.1f} | "
                f"{g['seconds_without_startup'] / g['rows'] * 1e6:.2f} | {_gib(g['peak_rss_bytes'])} | {exps} |"
            )
            prev = g
        lines.append("")
        lines.append("Exponents compare each scale with the previous one (1 = linear growth).")
    lines += ["", "| target | met | figures |", "|---|---|---|"]
    lines += [f"| {t} | {'yes' if ok else '**no**'} | {why} |" for t, ok, why in res["targets"]]
    agreement = res["agreement"]
    lines += ["", "Agreement: " + ("cohort and the six features agree." if not agreement else "; ".join(agreement))]
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    """The command line (also read back from a results file's command, by bench.series)."""
    p = argparse.ArgumentParser(prog="bench/benchmark.py", description=__doc__.splitlines()[0])
    p.add_argument(
        "--users", type=int, default=FULL_USERS, help=f"users at full scale (default {FULL_USERS:,}, the real size)"
    )
    p.add_argument("--seed", type=int, default=20230104, help="generator seed (default 20230104)")
    p.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement at full scale; medians are quoted (default 3)"
    )
    p.add_argument(
        "--scales",
        default="0.125,0.25,0.5,1",
        help="fractions of --users for the growth series (default 0.125,0.25,0.5,1)",
    )
    p.add_argument("--skip-baseline", action="store_true", help="do not run the pandas baseline")
    p.add_argument("--skip-growth", action="store_true", help="do not run the growth series")
    p.add_argument(
        "--start-date", type=date.fromisoformat, default=date(2023, 1, 4), help="window start (default 2023-01-04)"
    )
    p.add_argument("--min-sessions", type=int, default=7, help="cohort rule (default 7)")
    p.add_argument("--k", type=int, default=4, help="segments (default 4)")
    p.add_argument("--segment-seed", type=int, default=42, help="k-means seed (default 42)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when toolkit, core and baseline agree, 1 when they do not, 2 when a run fails."""
    args = parser().parse_args(argv)
    scales = sorted(float(s) for s in args.scales.split(","))
    DATA.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    scratch = Path(tempfile.mkdtemp(dir=DATA, prefix=f"run-{stamp}-"))
    bench = Bench(
        args=args,
        scratch=scratch,
        logs=RESULTS / f"logs-{stamp}",
        env=_child_env(prefect_home=DATA / "prefect-home", cache_dir=scratch / "cache"),
    )
    try:
        res = _run(bench=bench, scales=scales, argv=argv, stamp=stamp)
    except MeasuredCommandError as exc:
        print(f"benchmark: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if res["agreement"] else 0


def _run(*, bench: Bench, scales: list[float], argv: Sequence[str] | None, stamp: str) -> dict[str, Any]:
    args = bench.args
    folder, generated = ensure_data(bench=bench, users=args.users)
    print(f"measuring on {folder}", flush=True)
    res: dict[str, Any] = {
        "command": " ".join([".venv/bin/python bench/benchmark.py", *(argv if argv is not None else sys.argv[1:])]),
        "started_at": stamp,
        "users": args.users,
        "seed": args.seed,
        "repeat": args.repeat,
        "input_bytes": sum((folder / f"{t.name}.csv").stat().st_size for t in bronze.LAYER.published),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB,
            "load_average": [round(x, 1) for x in os.getloadavg()],
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "pandas": pd.__version__,
        },
        "generation_seconds": generated.seconds if generated else None,
    }
    res |= measure_rounds(bench=bench, folder=folder)
    res["input_rows"] = sum(t["rows"] for t in res["floor"]["tables"].values())
    agreement = []
    if res["toolkit"]["cohort"] != res["core"]["cohort"]:
        agreement.append(f"cohort: toolkit {res['toolkit']['cohort']} vs core {res['core']['cohort']}")
    agreement += compare_features(
        name="core vs toolkit", expected=res["core"]["features"], got=res["toolkit"]["features"]
    )
    if "baseline" in res:
        if res["toolkit"]["cohort"] != res["baseline"]["cohort"]:
            agreement.append(f"cohort: toolkit {res['toolkit']['cohort']} vs baseline {res['baseline']['cohort']}")
        agreement += compare_features(
            name="baseline vs toolkit", expected=res["baseline"]["features"], got=res["toolkit"]["features"]
        )
    res["agreement"] = agreement
    floor, core, tk, pf = (
        res["floor"]["seconds"],
        res["core"]["seconds"],
        res["toolkit"]["seconds"],
        res["prefect_startup"]["seconds"],
    )
    res["ratios"] = {
        "toolkit/floor": tk / floor,
        "toolkit without start-up/floor": (tk - pf) / floor,
        "toolkit without start-up/in-memory floor": (tk - pf) / res["memory_floor"]["seconds"],
        "core/floor": core / floor,
    }
    if "baseline" in res:
        res["ratios"]["baseline/core"] = res["baseline"]["seconds"] / core
        res["ratios"]["baseline/toolkit"] = res["baseline"]["seconds"] / tk
    if not args.skip_growth:
        res["growth"] = _growth(bench=bench, scales=scales, full=res["toolkit"], startup=res["prefect_startup"])
    res["targets"] = targets(res=res)
    text = report(res=res)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for key in ("core", "toolkit", "baseline"):
        if key in res:
            res[key].pop("features", None)
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    (RESULTS / f"bench-{stamp}.md").write_text(text + "\n", encoding="utf-8")
    print("\n" + text)
    print(f"\nresults: {RESULTS / f'bench-{stamp}.json'}, logs: {bench.logs}")
    return res


def _growth(
    *, bench: Bench, scales: list[float], full: dict[str, Any], startup: dict[str, Any]
) -> list[dict[str, Any]]:
    """Toolkit time and memory at each fraction of the full user count (one run each below full)."""
    series = []
    for scale in scales:
        users = round(bench.args.users * scale)
        if scale == 1:
            m = full
        else:
            folder, _ = ensure_data(bench=bench, users=users)
            m = _toolkit_summary(runs=[_toolkit_run(bench=bench, folder=folder, run="1", features=None)], features=None)
        series.append(
            {
                "scale": scale,
                "users": users,
                "rows": sum(m["bronze_rows"].values()),
                "seconds": m["seconds"],
                "seconds_without_startup": round(m["seconds"] - startup["seconds"], 3),
                "peak_rss_bytes": m["peak_rss_bytes"],
                "timings_seconds": m["timings_seconds"],
            }
        )
    return series


if __name__ == "__main__":
    sys.exit(main())
