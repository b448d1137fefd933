"""Every knob of a run in one typed object.

Precedence, lowest first: defaults, a TOML file (``traveltide.toml`` in the working
directory, or the file named by ``TRAVELTIDE_CONFIG`` / ``--config``), ``TRAVELTIDE_*``
environment variables, command-line flags. Invalid values fail at start with the
setting's name in the message.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from traveltide.contract import bronze
from traveltide.errors import TravelTideError

__all__ = ["BRONZE_TABLES", "MIN_SEGMENT_SIZE", "Settings", "SettingsError", "load_settings"]

K_LIMIT = 20
# The smallest segment a campaign can act on (the usual floor for a mean): the default of min_segment_size.
MIN_SEGMENT_SIZE = 30
BRONZE_TABLES: tuple[str, ...] = tuple(t.name for t in bronze.LAYER.published)

_BUCKET = "https://lakehouse-masteryproject-2025.s3.eu-north-1.amazonaws.com/bronze"
DEFAULT_URLS: dict[str, str] = {
    "users": f"{_BUCKET}/public_users_export_2025-04-01_101058.csv",
    "sessions": f"{_BUCKET}/public_sessions_export_2025-03-31_221253.csv",
    "flights": f"{_BUCKET}/public_flights_export_2025-03-31_134734.csv",
    "hotels": f"{_BUCKET}/public_hotels_export_2025-03-31_171805.csv",
}
DEFAULT_FILE_NAMES: dict[str, str] = {t: f"{t}.csv" for t in BRONZE_TABLES}


class SettingsError(TravelTideError, ValueError):
    """A setting has an invalid value; the message names the setting."""


class Settings(BaseSettings):
    """Settings of a TravelTide Mart run (see the README's settings table)."""

    model_config = SettingsConfigDict(
        env_prefix="TRAVELTIDE_",
        extra="forbid",
        validate_default=True,
    )

    # Where the bronze exports come from: 'sample' (built-in generator),
    # 'remote' (the public HTTPS exports in `urls`) or a folder holding the four files.
    source: str = "sample"
    # Folder the extract, manifest, data docs and report are published to.
    exports: Path = Path("exports")
    # Working folder: download cache, generated sample, the run's DuckDB database.
    cache_dir: Path = Path(".cache")
    # Download addresses of the four exports, used when source = 'remote'.
    urls: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_URLS))
    # File name of each table inside a source folder ('.csv' or '.csv.gz').
    file_names: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_FILE_NAMES))
    # Seconds without data before a download attempt is abandoned.
    download_timeout: float = Field(default=60.0, gt=0)
    # Seconds to wait for a connection: a host that does not answer fails after
    # download_attempts x this plus the backoff (1 + 2 + 4 s), about 27 s by default.
    connect_timeout: float = Field(default=5.0, gt=0)
    # Attempts per file on connection errors and HTTP 5xx (with exponential backoff); the only
    # retries of a run.
    download_attempts: int = Field(default=4, ge=1)
    # Users in the built-in sample (source = 'sample').
    sample_users: int = Field(default=100_000, ge=10)
    # Seed of the built-in sample generator.
    sample_seed: int = 20230104
    # The window starts here: sessions with session_start >= start_date count.
    start_date: date = date(2023, 1, 4)
    # Cohort: users with at least this many sessions in the window.
    min_sessions: int = Field(default=7, ge=1)
    # Largest share of a source table's rows that may be conflicting versions of a key (same key,
    # other values) before the run stops. Identical repeated rows are always dropped and reported.
    conflict_tolerance: float = Field(default=0.01, ge=0, le=1)
    # Number of segments; None chooses it automatically within [k_min, k_max]. At most
    # K_LIMIT: every segment is an audience marketing names, reads and measures.
    k: int | None = Field(default=4, ge=2, le=K_LIMIT)
    # Range searched when k is chosen automatically.
    k_min: int = Field(default=2, ge=2, le=K_LIMIT)
    k_max: int = Field(default=8, ge=2, le=K_LIMIT)
    # Fewest users a segment may have: --k auto never keeps a smaller one; a fixed k that the
    # cohort cannot fill (k x this) is refused before clustering. 30: the usual floor for a
    # mean (the segment's averages are its reasons) to mean anything.
    min_segment_size: int = Field(default=MIN_SEGMENT_SIZE, ge=1)
    # Seed of k-means and of any sampling in the segmentation step.
    seed: int = 42
    # Fit new segments although the saved model (exports/model/model.json) still fits. Without
    # it a run scores the cohort with the saved model, so segment ids, names and perks stay.
    refit: bool = False
    # Population stability index of an input (against the saved model's training data) above
    # which the model is refitted: 0.25 is the usual "significant shift" mark of the PSI.
    drift_threshold: float = Field(default=0.25, gt=0)
    # A perk is offered only when at least this many cohort users (unset: min_segment_size), and this
    # share of the cohort, show its behaviour (a checked bag, a cancelled trip, a discount, a hotel night).
    perk_min_users: int | None = Field(default=None, ge=1)
    perk_min_share: float = Field(default=0.05, ge=0, le=1)
    # Share of each segment held out of the perk campaign as its control group.
    control_share: float = Field(default=0.2, gt=0, lt=1)
    # Salt of the hash that splits treatment and control: change it to draw a new split.
    experiment_salt: str = Field(default="traveltide-perks", min_length=1)
    # Bootstrap refits measuring how stable the segments are (0: not measured).
    stability_rounds: int = Field(default=10, ge=0, le=100)
    # Mean adjusted Rand index over those refits below which a run warns.
    stability_threshold: float = Field(default=0.6, ge=0, le=1)
    # Hyper file format version of the extract (decides which Tableau releases open it).
    hyper_file_version: Literal["0", "1", "2", "3", "4"] = "2"
    # Tableau Server or Cloud a run publishes traveltide.tdsx and traveltide.twbx to once its own
    # outputs are in place (unset: no publishing; `traveltide publish-tableau` publishes by hand).
    # https:// (plain http only to this machine). The personal access token is never a setting:
    # it is read from TRAVELTIDE_TABLEAU_TOKEN_NAME and TRAVELTIDE_TABLEAU_TOKEN_SECRET.
    tableau_server: str | None = None
    # The site's content URL (the part after /site/ in its address); '' is the Default site.
    tableau_site: str = ""
    # Project published into, and the name the data source and the workbook get there.
    tableau_project: str = Field(default="default", min_length=1)
    tableau_name: str = Field(default="TravelTide", min_length=1)
    # 'overwrite' replaces what an earlier run published; 'create_new' refuses when it exists.
    tableau_mode: Literal["overwrite", "create_new"] = "overwrite"
    # Seconds a request to the Tableau site may take (an upload of the .tdsx included).
    tableau_timeout: float = Field(default=300.0, gt=0)

    @field_validator("start_date", mode="before")
    @classmethod
    def _parse_date(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return date.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"{v!r} is not a date; use YYYY-MM-DD, e.g. 2023-01-04") from None
        return v

    @field_validator("k", mode="before")
    @classmethod
    def _parse_k(cls, v: Any) -> Any:
        if isinstance(v, str) and v.strip().lower() in {"auto", "none", ""}:
            return None
        return v

    @field_validator("source")
    @classmethod
    def _check_source(cls, v: str) -> str:
        if v in {"sample", "remote"}:
            return v
        if Path(v).is_dir():
            return v
        raise ValueError(
            f"{v!r} is not a known source: use 'sample', 'remote' or an existing folder "
            "holding users, sessions, flights and hotels exports"
        )

    @field_validator("urls", "file_names")
    @classmethod
    def _check_tables(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(BRONZE_TABLES))
        if unknown:
            raise ValueError(f"unknown table(s) {unknown}; expected keys {list(BRONZE_TABLES)}")
        return v

    @field_validator("tableau_server")
    @classmethod
    def _check_tableau_server(cls, v: str | None) -> str | None:
        from traveltide.publish.tableau_server import check_server_url

        return None if v is None else check_server_url(v)

    @model_validator(mode="after")
    def _check_ranges(self) -> Settings:
        # Partial overrides of urls / file_names keep the defaults for the other tables.
        self.urls = {**DEFAULT_URLS, **self.urls}
        self.file_names = {**DEFAULT_FILE_NAMES, **self.file_names}
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) must not exceed k_max ({self.k_max})")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config = os.environ.get("TRAVELTIDE_CONFIG", "traveltide.toml")
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=Path(config)),
        )

    @property
    def source_kind(self) -> Literal["sample", "remote", "folder"]:
        if self.source == "sample":
            return "sample"
        if self.source == "remote":
            return "remote"
        return "folder"

    def public_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values, for the manifest."""
        return self.model_dump(mode="json")


def load_settings(*, config: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings from file, environment and ``overrides`` (CLI flags; None = unset).

    Raises :class:`SettingsError` whose message names each invalid setting.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    if config is not None:
        config = Path(config)
        if not config.is_file():
            raise SettingsError(f"config: {config} does not exist or is not a file")
        previous = os.environ.get("TRAVELTIDE_CONFIG")
        os.environ["TRAVELTIDE_CONFIG"] = str(config)
    try:
        return Settings(**given)
    except tomllib.TOMLDecodeError as exc:
        path = Path(os.environ.get("TRAVELTIDE_CONFIG", "traveltide.toml")).resolve()
        raise SettingsError(
            f"{path}: not a valid TOML file ({exc}); fix that line (the README's Settings section has an example)"
        ) from None
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"invalid setting {name}: {msg} (got {err.get('input')!r})")
        raise SettingsError("\n".join(lines)) from None
    finally:
        if config is not None:
            if previous is None:
                os.environ.pop("TRAVELTIDE_CONFIG", None)
            else:
                os.environ["TRAVELTIDE_CONFIG"] = previous
