"""The ``traveltide`` command. Heavy libraries are imported inside the commands, so
``traveltide --help`` answers at once."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

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
    p.add_argument("--k", help="number of segments (2 to 20), or 'auto' to choose it by silhouette (default 4)")
    p.add_argument(
        "--min-segment-size",
        dest="min_segment_size",
        type=int,
        help="fewest users a segment may have; auto never keeps a smaller one (default 30)",
    )
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
    p.add_argument(
        "--refit",
        action="store_const",
        const=True,
        help="fit new segments even when the saved model (exports/model/model.json) still fits",
    )
    p.add_argument(
        "--drift-threshold",
        dest="drift_threshold",
        type=float,
        help="an input's population stability index above which the saved model is refitted (default 0.25)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="traveltide",
        description="TravelTide Mart: bronze CSVs -> DuckDB silver/gold -> segments and perks -> Tableau .hyper.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run the pipeline (a Prefect flow) and publish the extract")
    _settings_flags(p)
    p.add_argument(
        "--verbose", action="store_true", help="show Prefect's own log lines and tracebacks on the terminal too"
    )

    p = sub.add_parser("sample", help="write the four bronze CSVs of the built-in generator")
    p.add_argument("--out", type=Path, required=True, help="folder to write users/sessions/flights/hotels.csv into")
    p.add_argument("--users", type=int, default=100_000, help="number of users (default 100000; 1020926 = real scale)")
    p.add_argument("--seed", type=int, default=20230104, help="generator seed (same seed, same files)")
    p.add_argument("--dirty", action="store_true", help="inject the faults real exports have")
    p.add_argument(
        "--campaign",
        type=Path,
        help="a published run's manifest.json: add its perk campaign after the export end (users and seed: the run's)",
    )
    p.add_argument(
        "--effect", type=float, default=0.1, help="with --campaign: added booking probability of treated users"
    )
    p.add_argument("--campaign-days", type=int, default=60, help="with --campaign: days the campaign runs (default 60)")

    p = sub.add_parser("inspect", help="print the tables, row counts and keys of an extract")
    p.add_argument("path", type=Path, help="a .hyper file written by 'traveltide run'")

    p = sub.add_parser("score", help="give users a segment from a saved model, in the cohort or not")
    _settings_flags(p)
    p.add_argument("--model", type=Path, required=True, help="a published exports/model folder (or its model.json)")
    p.add_argument("--out", type=Path, required=True, help="folder to write scores.csv and scores.parquet into")
    p.add_argument(
        "--verbose", action="store_true", help="show Prefect's own log lines and tracebacks on the terminal too"
    )

    p = sub.add_parser("evaluate", help="measure a run's perk campaign, treatment against control, on a later export")
    _settings_flags(p)
    p.add_argument("--run", type=Path, required=True, help="the manifest.json of the published run whose groups to use")
    p.add_argument(
        "--from", dest="evaluate_from", help="first day of the campaign period (default: the day after the run's data)"
    )
    p.add_argument(
        "--out", type=Path, help="folder for evaluation.csv/.parquet/.json (default: evaluation/ beside the manifest)"
    )
    p.add_argument(
        "--verbose", action="store_true", help="show Prefect's own log lines and tracebacks on the terminal too"
    )

    p = sub.add_parser(
        "publish-tableau",
        help="publish the exports' traveltide.tdsx and traveltide.twbx to Tableau Server or Cloud",
        description=(
            "Signs in with a personal access token from the environment variables "
            "TRAVELTIDE_TABLEAU_TOKEN_NAME and TRAVELTIDE_TABLEAU_TOKEN_SECRET (never from a file)."
        ),
    )
    p.add_argument("--config", type=Path, help="TOML settings file (default: ./traveltide.toml if present)")
    p.add_argument("--exports", type=Path, help="folder a run published to (default: exports)")
    p.add_argument(
        "--server", help="the site's server, e.g. https://tableau.example.com or https://<pod>.online.tableau.com"
    )
    p.add_argument(
        "--site", help="the site's content URL, the part after /site/ in its address (default: the Default site)"
    )
    p.add_argument("--project", help="project to publish into (default: default)")
    p.add_argument("--name", help="name of the data source and the workbook on the site (default: TravelTide)")
    p.add_argument(
        "--mode",
        choices=("overwrite", "create-new"),
        help="overwrite what is there (default), or create new and refuse if it exists",
    )

    p = sub.add_parser("serve", help="serve the flow with its daily schedule (Prefect)")
    _settings_flags(p)
    p.add_argument("--cron", default="0 6 * * *", help="cron schedule (default daily 06:00)")
    return parser


def _load(args: argparse.Namespace) -> Settings:
    from traveltide.settings import load_settings

    return load_settings(**_flags(args))


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags (None = not given)."""
    return {
        "config": args.config,
        "source": args.source,
        "exports": args.exports,
        "start_date": args.start_date,
        "min_sessions": args.min_sessions,
        "k": args.k,
        "seed": args.seed,
        "sample_users": args.sample_users,
        "conflict_tolerance": args.conflict_tolerance,
        "min_segment_size": args.min_segment_size,
        "refit": args.refit,
        "drift_threshold": args.drift_threshold,
    }


def _orchestration() -> ModuleType:
    """The Prefect flows, registered by the distribution as the ``traveltide.flows`` entry point.

    The package does not import ``flows/``: the flows depend on the package, never the reverse.
    """
    from importlib.metadata import entry_points

    (found,) = entry_points(group="traveltide.flows", name="mart")
    module: ModuleType = found.load()
    return module


class Terminated(BaseException):
    """SIGTERM: stops a run as Ctrl-C does (a BaseException, so no step takes it for a failure)."""


def _terminate(signum: int, _frame: object) -> None:
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 success, 1 failed run, 2 bad usage or settings,
    130 interrupted, 143 terminated). A failure's message goes to stderr as the last lines."""
    code, message = _outcome(argv)
    if message:
        print(message, file=sys.stderr)
    return code


def _outcome(argv: Sequence[str] | None) -> tuple[int, str | None]:
    """The exit code and the message to print last (None when there is nothing to say)."""
    args = _parser().parse_args(argv)
    from traveltide.runtime import configure_environment

    configure_environment()
    signal.signal(signal.SIGTERM, _terminate)
    from traveltide.runtime.interrupt import catch_interrupts, interrupted

    catch_interrupts()
    from traveltide.errors import TravelTideError
    from traveltide.settings import SettingsError

    try:
        _command(args)
    except SettingsError as exc:
        return 2, f"traveltide: {exc}"
    except KeyboardInterrupt:
        return 130, "traveltide: interrupted (SIGINT); nothing was published, the previous extract is unchanged"
    except Terminated:
        return 143, "traveltide: stopped (SIGTERM); nothing was published, the previous extract is unchanged"
    except TravelTideError as exc:  # every explained failure reaches the operator as its message
        if interrupted():
            return 130, "traveltide: interrupted (SIGINT); nothing was published, the previous extract is unchanged"
        return 1, f"traveltide: {exc}"
    except Exception as exc:  # not explained: still one line, with the error's type
        if interrupted():  # DuckDB turns Ctrl-C during a query into RuntimeError('Query interrupted')
            return 130, "traveltide: interrupted (SIGINT); nothing was published, the previous extract is unchanged"
        return 1, f"traveltide: unexpected {type(exc).__name__}: {exc}"
    return 0, None


def _command(args: argparse.Namespace) -> None:
    if args.command == "sample":
        from traveltide.sample import write_sample

        users, seed, campaign = args.users, args.seed, None
        if args.campaign is not None:
            from traveltide.sample.campaign import read_campaign

            users, seed, campaign = read_campaign(manifest=args.campaign, effect=args.effect, days=args.campaign_days)
        paths = write_sample(out=args.out, users=users, seed=seed, dirty=args.dirty, campaign=campaign)
        for table, path in paths.items():
            print(f"{table:<9} {path}")
        return
    if args.command == "inspect":
        from traveltide.publish.inspect import inspect_text

        print(inspect_text(path=args.path))
        return
    if args.command == "publish-tableau":
        _publish_tableau(args)
        return
    settings = _load(args)  # invalid settings are refused now, not at the first scheduled run
    if args.command == "serve":
        given = {
            k: v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, Path) else v
            for k, v in _flags(args).items()
            if v is not None
        }
        _orchestration().serve(overrides=given, cron=args.cron)
        return
    # The first line comes at once: Prefect and the libraries take seconds to start.
    print(
        f"traveltide {args.command}: source {settings.source}, exports {settings.exports.resolve()}; starting",
        flush=True,
    )
    from traveltide.runtime import prepare_command_line_run

    wait_ready = prepare_command_line_run()
    flows = _orchestration()
    from traveltide.runtime.logs import route_logs

    log = route_logs(folder=settings.cache_dir.resolve() / "logs", verbose=args.verbose)
    wait_ready()
    try:
        if args.command == "score":
            scored = flows.traveltide_score(settings=settings, model=str(args.model), out=str(args.out))
            print(
                f"Scored {scored['users']} users with sessions since {settings.start_date} "
                f"({scored['in_cohort']} in the cohort, {scored['by_default']} by the default rule) "
                f"with the model of run {scored['model_run']}: {scored['csv']}, {scored['parquet']}"
            )
            print(f"Log: {log}")
            return
        if args.command == "evaluate":
            evaluated = flows.traveltide_evaluate(
                settings=settings, run=str(args.run), out=str(args.out) if args.out else None, start=args.evaluate_from
            )
            from traveltide.segmentation.evaluation import format_uplifts

            print(
                format_uplifts(
                    uplifts=evaluated["uplifts"], run_id=evaluated["run_id"], start=evaluated["evaluate_from"]
                )
            )
            print(f"Written: {evaluated['csv']}, {evaluated['parquet']}, {evaluated['json']}")
            print(f"Log: {log}")
            return
        manifest = flows.traveltide_mart(settings=settings)
    except Exception:
        print(f"traveltide: the run's log, tracebacks included, is {log}", file=sys.stderr)
        raise
    from traveltide.publish.manifest import format_summary

    print(format_summary(manifest=manifest))
    print(f"Log: {log}")


def _publish_tableau(args: argparse.Namespace) -> None:
    from traveltide.pipeline import step_publish_tableau
    from traveltide.settings import load_settings

    settings = load_settings(
        config=args.config,
        exports=args.exports,
        tableau_server=args.server,
        tableau_site=args.site,
        tableau_project=args.project,
        tableau_name=args.name,
        tableau_mode=args.mode.replace("-", "_") if args.mode else None,
    )
    site = settings.tableau_site or "Default"
    print(
        f"traveltide publish-tableau: {settings.exports.resolve()} to {settings.tableau_server}, site {site}",
        flush=True,
    )
    for item in step_publish_tableau(settings=settings, exports=settings.exports):
        print(
            f"Published {item['kind']} {item['name']!r} ({item['file']}) to project {item['project']!r}, id {item['id']}"
        )


def console_main() -> None:
    """Console-script entry: stop the run's services (exit handlers), then print the message last
    and exit with the code, skipping interpreter teardown."""
    from traveltide.runtime import exit_without_teardown

    code, message = _outcome(None)
    exit_without_teardown(code, last_words=message)


if __name__ == "__main__":
    console_main()
