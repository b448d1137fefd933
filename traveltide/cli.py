"""The ``traveltide`` command. Heavy libraries are imported inside the commands, so
``traveltide --help`` answers at once."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the settings import pydantic; `traveltide --help` does not need it
    from traveltide.settings import Settings

__all__ = ["main"]


def _settings_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="TOML settings file (default: ./traveltide.toml if present)")
    p.add_argument("--source", help="'sample' (built-in generator), 'remote' (public exports) or a folder")
    p.add_argument("--exports", type=Path, help="folder the extract and its companions are published to")
    p.add_argument("--start-date", dest="start_date", help="first day of the window, YYYY-MM-DD (default 2023-01-04)")
    p.add_argument(
        "--min-sessions", dest="min_sessions", type=int, help="sessions in the window to join the cohort (default 7)"
    )
    p.add_argument("--k", help="number of segments, or 'auto' to choose it by silhouette (default 4)")
    p.add_argument("--seed", type=int, help="seed of the segmentation (default 42)")
    p.add_argument(
        "--conflict-tolerance",
        dest="conflict_tolerance",
        type=float,
        help="largest share of an export's rows that may conflict (same key, other values) before the run stops (default 0.01)",
    )
    p.add_argument(
        "--sample-users", dest="sample_users", type=int, help="users in the built-in sample (default 100000)"
    )


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


def _load(args: argparse.Namespace) -> Settings:
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
        conflict_tolerance=args.conflict_tolerance,
    )


def _orchestration() -> ModuleType:
    """The Prefect flows, registered by the distribution as the ``traveltide.flows`` entry point.

    The package does not import ``flows/``: the flows depend on the package, never the reverse.
    """
    from importlib.metadata import entry_points

    (found,) = entry_points(group="traveltide.flows", name="mart")
    module: ModuleType = found.load()
    return module


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 success, 1 failed run, 2 bad usage or settings)."""
    args = _parser().parse_args(argv)
    from traveltide.runtime import configure_environment

    configure_environment()
    from traveltide.errors import TravelTideError
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
            _orchestration().serve(settings=settings, cron=args.cron)
            return 0
        from traveltide.runtime import prepare_command_line_run

        wait_ready = prepare_command_line_run()
        flows = _orchestration()
        wait_ready()
        manifest = flows.traveltide_mart(settings=settings)
        from traveltide.publish.manifest import format_summary

        print(format_summary(manifest=manifest))
        return 0
    except SettingsError as exc:
        print(f"traveltide: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("traveltide: interrupted; the previous extract is unchanged", file=sys.stderr)
        return 130
    except TravelTideError as exc:  # every explained failure reaches the operator as one line
        print(f"traveltide: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # not explained: still one line, with the error's type
        print(f"traveltide: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def console_main() -> None:
    """Console-script entry: exit with ``main``'s code, skipping interpreter teardown."""
    from traveltide.runtime import exit_without_teardown

    exit_without_teardown(main())


if __name__ == "__main__":
    sys.exit(main())
