"""Bring the four bronze exports to local disk from the configured source.

Three kinds of source (``Settings.source``): ``sample`` generates them once per
(users, seed) into the cache (as users.csv, sessions.csv, ...); ``remote`` downloads ``Settings.urls`` into the cache;
anything else is a folder holding ``Settings.file_names`` (each may also be gzipped, ``.gz``).
Every file is recorded with its size and SHA-256 for the run manifest.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from traveltide.contract.bronze import LAYER
from traveltide.errors import TravelTideError
from traveltide.settings import Settings
from traveltide.sources.download import download
from traveltide.sources.hashing import files_sha256

__all__ = ["SourceError", "SourceFile", "fetch_sources"]


class SourceError(TravelTideError, RuntimeError):
    """A source file is missing or the source cannot be prepared; the message says which and why."""


@dataclass(frozen=True)
class SourceFile:
    """One bronze export on local disk and where it came from (URL or path)."""

    table: str
    path: Path
    origin: str
    size: int
    sha256: str
    downloaded: bool


def _local(found: list[tuple[str, Path, str]]) -> list[SourceFile]:
    """SourceFiles for (table, path, origin) triples, hashed side by side."""
    hashes = files_sha256(paths=[path for _, path, _ in found])
    return [
        SourceFile(table=table, path=path, origin=origin, size=path.stat().st_size, sha256=sha, downloaded=False)
        for (table, path, origin), sha in zip(found, hashes, strict=True)
    ]


def _from_folder(settings: Settings) -> list[SourceFile]:
    folder = Path(settings.source)
    found: list[tuple[str, Path, str]] = []
    for table in LAYER.published:
        name = settings.file_names[table.name]
        candidates = [folder / name, folder / f"{name}.gz"]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise SourceError(
                f"{folder / name}: the {table.name} export is missing (also looked for {name}.gz); "
                f"put it there or set file_names.{table.name} to its file name"
            )
        found.append((table.name, path, str(path.resolve())))
    return _local(found)


def _sample_name(table: str) -> str:
    return f"{table}.csv"


def _sample_complete(folder: Path) -> bool:
    return folder.is_dir() and all((folder / _sample_name(t.name)).is_file() for t in LAYER.published)


def _from_sample(settings: Settings, progress: Callable[[str], None] | None) -> list[SourceFile]:
    from traveltide.sample import generator_fingerprint, write_sample

    parent = settings.cache_dir / "sample"
    # The generator's fingerprint in the name: a changed generator never reuses an old sample.
    folder = parent / f"{settings.sample_users}-{settings.sample_seed}-{generator_fingerprint()}"
    if not _sample_complete(folder):
        parent.mkdir(parents=True, exist_ok=True)
        if progress:
            progress(
                f"generating the sample ({settings.sample_users:,} users, seed {settings.sample_seed}) in {folder}"
            )
        # Generate into a private folder and rename it into place only when complete,
        # so an interrupted generation is never mistaken for a finished one.
        work = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}.", suffix=".part"))
        try:
            written = write_sample(out=work, users=settings.sample_users, seed=settings.sample_seed, dirty=False)
            for table in LAYER.published:
                target = work / _sample_name(table.name)
                if Path(written[table.name]) != target:
                    Path(written[table.name]).rename(target)
            if not _sample_complete(folder):  # another run may have finished first
                if folder.exists():
                    shutil.rmtree(folder)
                work.rename(folder)
        finally:
            if work.exists():
                shutil.rmtree(work)
    origin = f"sample:users={settings.sample_users},seed={settings.sample_seed}"
    return _local([(t.name, folder / _sample_name(t.name), origin) for t in LAYER.published])


def _from_remote(settings: Settings, progress: Callable[[str], None] | None) -> list[SourceFile]:
    found: list[SourceFile] = []
    for table in LAYER.published:
        got = download(
            url=settings.urls[table.name],
            dest_dir=settings.cache_dir / "downloads" / table.name,
            timeout=settings.download_timeout,
            connect_timeout=settings.connect_timeout,
            attempts=settings.download_attempts,
            progress=progress,
            expect_columns=table.column_names,
        )
        found.append(
            SourceFile(
                table=table.name,
                path=got.path,
                origin=got.url,
                size=got.size,
                sha256=got.sha256,
                downloaded=got.downloaded,
            )
        )
    return found


def fetch_sources(*, settings: Settings, progress: Callable[[str], None] | None = None) -> list[SourceFile]:
    """The four exports on local disk, in contract order (users, sessions, flights, hotels)."""
    kind = settings.source_kind
    if kind == "sample":
        return _from_sample(settings, progress)
    if kind == "remote":
        return _from_remote(settings, progress)
    return _from_folder(settings)
