"""The ``traveltide`` command. Heavy libraries are imported inside the commands, so
``traveltide --help`` answers at once."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _settings_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="TOML settings file (default: ./traveltide.toml if present)")
    p.add_argument("--source", help="'sample' (built-in generator), 'remote' (public exports) or a folder")
    p.add_argument("--exports", type=Path, help="folder the extract and its companions are published to")
    p.add_argument("--start-date", dest="start_date", help="first day of the window, YYYY-MM-DD (default 2023-01-04)")
    p.add_argument("--min-sessions", dest="min_sessions", type=int, help="sessions in the window to join the cohort (default 7)")
    p.add_argument("--k", help="number of segments, or 'auto' to choose it by silhouette (default 4)")
    p.add_argument("--seed", type=int, help="seed of the segmentation (default 42)")
    p.add_argument("--sample-users", dest="sample_users", type=int, help="users in the built-in sample (default 100000)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="traveltide",
        description="TravelTide Mart: bronze CSVs -> DuckDB silver/gold -> segments and perks -> Tableau .hyper.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run the pipeline (a Prefect flow) and publish the extract")
    _settings_flags(p)

    p = sub.add_parser("sample", help="write the four bronze CSVs of the built-in generator")
    p.add_argument("--out", type=Path, required=True, help="folder to write users/sessions/flights/hotels.csv into")
    p.add_argument("--users", type=int, default=100_000, help="number of users (default 100000; 1020926 = real scale)")
    p.add_argument("--seed", type=int, default=20230104, help="generator seed (same seed, same files)")
    p.add_argument("--dirty", action="store_true", help="inject the faults real exports have")

    p = sub.add_parser("inspect", help="print the tables, row counts and keys of an extract")
    p.add_argument("path", type=Path, help="a .hyper file written by 'traveltide run'")

    p = sub.add_parser("serve", help="serve the flow with its daily schedule (Prefect)")
    _settings_flags(p)
    p.add_argument("--cron", default="0 6 * * *", help="cron schedule (default daily 06:00)")
    return parser


def _load(args: argparse.Namespace):  # noqa: ANN202 - Settings imported lazily
    from traveltide.settings import load_settings

    return load_settings(
        config=args.config,
        source=args.source,
        exports=args.exports,
        start_date=args.start_date,
        min_sessions=args.min_sessions,
        k=args.k,
        seed=args.seed,
        sample_users=args.sample_users,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 success, 1 failed run, 2 bad usage or settings)."""
    args = _parser().parse_args(argv)
    from traveltide.runtime.environment import configure_environment

    configure_environment()
    from traveltide.settings import SettingsError

    try:
        if args.command == "sample":
            from traveltide.sample import write_sample

            paths = write_sample(out=args.out, users=args.users, seed=args.seed, dirty=args.dirty)
            for table, path in paths.items():
                print(f"{table:<9} {path}")
            return 0
        if args.command == "inspect":
            from traveltide.publish.inspect import inspect_text

            print(inspect_text(path=args.path))
            return 0
        settings = _load(args)
        if args.command == "serve":
            from flows.traveltide_flow import serve

            serve(settings=settings, cron=args.cron)
            return 0
        from traveltide.runtime.prefect_server import start_temporary_server

        wait_ready = start_temporary_server(prefect_home=Path(os.environ["PREFECT_HOME"]))
        # While the server boots: the libraries of the later steps, then Prefect and the flow.
        from traveltide.runtime.preload import RUN_MODULES, preload_modules

        preload_modules(names=RUN_MODULES)
        from flows.traveltide_flow import run_flow

        wait_ready()
        result = run_flow(settings=settings)
        print(result.summary())
        return 0
    except SettingsError as exc:
        print(f"traveltide: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("traveltide: interrupted; the previous extract is unchanged", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure reaches the operator as one readable line
        print(f"traveltide: {exc}", file=sys.stderr)
        return 1


def console_main() -> None:
    """Console-script entry: exit with ``main``'s code, skipping interpreter teardown.

    Exit handlers still run (they stop Prefect's temporary server); the teardown that is
    skipped only makes DuckDB's bindings print "nanobind: leaked ..." lines about objects
    that Great Expectations' caches hold at exit, which would bury the run's last message.
    """
    import atexit

    code = main()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
