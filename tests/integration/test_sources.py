"""fetch_sources for each kind of source: a local folder, the remote URLs (local server), the sample."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from helpers.httpserver import LocalHTTPServer
from traveltide.contract.bronze import LAYER
from traveltide.sample import generator_fingerprint
from traveltide.settings import Settings
from traveltide.sources import SourceError, fetch_sources
from traveltide.sources.download import DownloadError

CONTENT = {
    t.name: (",".join(t.column_names) + "\n" + ",".join("1" for _ in t.columns) + "\n").encode()
    for t in LAYER.published
}


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray traveltide.toml is read


def write_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for table, body in CONTENT.items():
        (folder / f"{table}.csv").write_bytes(body)
    return folder


def test_folder_source_in_contract_order_with_hashes(tmp_path):
    folder = write_folder(tmp_path / "exports here, it's ü")
    got = fetch_sources(settings=Settings(source=str(folder), cache_dir=tmp_path / "cache"))
    assert [f.table for f in got] == ["users", "sessions", "flights", "hotels"]
    for f in got:
        body = CONTENT[f.table]
        assert f.path == folder / f"{f.table}.csv"
        assert f.origin == str((folder / f"{f.table}.csv").resolve())
        assert (f.size, f.sha256, f.downloaded) == (len(body), hashlib.sha256(body).hexdigest(), False)
    assert not (tmp_path / "cache").exists()  # a folder is read in place, not copied


def test_folder_source_accepts_gz_and_custom_names(tmp_path):
    folder = write_folder(tmp_path / "src")
    (folder / "sessions.csv").unlink()
    (folder / "sessions.csv.gz").write_bytes(gzip.compress(CONTENT["sessions"]))
    (folder / "hotels.csv").rename(folder / "hotel_export.csv")
    settings = Settings(source=str(folder), file_names={"hotels": "hotel_export.csv"})
    got = {f.table: f for f in fetch_sources(settings=settings)}
    assert got["sessions"].path.name == "sessions.csv.gz"
    assert got["hotels"].path.name == "hotel_export.csv"


def test_folder_source_missing_file_names_it(tmp_path):
    folder = write_folder(tmp_path / "src")
    (folder / "flights.csv").unlink()
    with pytest.raises(
        SourceError, match=r"src/flights\.csv: the flights export is missing \(also looked for flights\.csv\.gz\)"
    ):
        fetch_sources(settings=Settings(source=str(folder)))


def test_remote_source_downloads_then_reuses_the_cache(tmp_path):
    with LocalHTTPServer() as server:
        urls = {}
        for table, body in CONTENT.items():
            server.serve(f"/bronze/public_{table}_export.csv", body)
            urls[table] = server.url(f"/bronze/public_{table}_export.csv")
        settings = Settings(source="remote", urls=urls, cache_dir=tmp_path / "cache", download_timeout=5)
        first = fetch_sources(settings=settings)
        second = fetch_sources(settings=settings)
    assert [f.table for f in first] == ["users", "sessions", "flights", "hotels"]
    for f in first:
        assert f.downloaded is True
        assert f.origin == urls[f.table]
        assert f.path == tmp_path / "cache" / "downloads" / f.table / f"public_{f.table}_export.csv"
        assert f.sha256 == hashlib.sha256(CONTENT[f.table]).hexdigest()
    assert [f.downloaded for f in second] == [False] * 4
    assert [(f.path, f.sha256) for f in second] == [(f.path, f.sha256) for f in first]


def test_remote_source_error_names_the_table_url(tmp_path):
    with LocalHTTPServer() as server:
        urls = {t: server.url(f"/{t}.csv") for t in CONTENT}
        for table, body in CONTENT.items():
            if table != "flights":
                server.serve(f"/{table}.csv", body)
        settings = Settings(source="remote", urls=urls, cache_dir=tmp_path / "cache", download_attempts=1)
        with pytest.raises(DownloadError, match=rf"{urls['flights']}: HTTP 404"):
            fetch_sources(settings=settings)


def test_sample_source_is_generated_once_and_reused(tmp_path):
    settings = Settings(source="sample", sample_users=200, sample_seed=7, cache_dir=tmp_path / "cache")
    first = fetch_sources(settings=settings)
    folder = tmp_path / "cache" / "sample" / f"200-7-{generator_fingerprint()}"
    assert [f.path for f in first] == [folder / f"{t}.csv" for t in ("users", "sessions", "flights", "hotels")]
    stamps = [f.path.stat().st_mtime_ns for f in first]
    second = fetch_sources(settings=settings)
    assert [f.path.stat().st_mtime_ns for f in second] == stamps
    assert [f.sha256 for f in second] == [hashlib.sha256(f.path.read_bytes()).hexdigest() for f in first]
    assert sorted(p.name for p in (tmp_path / "cache" / "sample").iterdir()) == [folder.name]
