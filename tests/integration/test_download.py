"""Downloads against a real HTTP server on 127.0.0.1: success, caching, and every failure named."""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import sys
from pathlib import Path

import pytest

from helpers.httpserver import LocalHTTPServer
from helpers.terminal import on_a_terminal
from traveltide.sources.download import DownloadError, download
from traveltide.sources.hashing import file_sha256

USERS_COLUMNS = (
    "user_id",
    "birthdate",
    "gender",
    "married",
    "has_children",
    "home_country",
    "home_city",
    "home_airport",
    "home_airport_lat",
    "home_airport_lon",
    "sign_up_date",
)
USERS_CSV = (
    ",".join(USERS_COLUMNS)
    + "\n"
    + "".join(f"{i},1980-01-01,F,true,false,usa,boston,BOS,42.364,-71.005,2021-05-01\n" for i in range(1, 400))
).encode()


@pytest.fixture
def server():
    with LocalHTTPServer() as s:
        yield s


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def fetch(server: LocalHTTPServer, path: str, dest: Path, **kw):
    args = {"timeout": 5.0, "connect_timeout": 5.0, "attempts": 3, "backoff": 0.01, "expect_columns": USERS_COLUMNS}
    args.update(kw)
    return download(url=server.url(path), dest_dir=dest, **args)


def test_success_records_size_and_sha256(server, tmp_path):
    server.serve("/exports/users.csv", USERS_CSV)
    messages: list[str] = []
    got = fetch(server, "/exports/users.csv", tmp_path / "cache", progress=messages.append)
    assert got.downloaded is True
    assert got.path == tmp_path / "cache" / "users.csv"
    assert got.path.read_bytes() == USERS_CSV
    assert got.size == len(USERS_CSV)
    assert got.sha256 == hashlib.sha256(USERS_CSV).hexdigest()
    sidecar = json.loads((tmp_path / "cache" / "users.csv.json").read_text())
    assert sidecar["sha256"] == got.sha256 and sidecar["size"] == len(USERS_CSV)
    assert sidecar["etag"] and sidecar["last_modified"]
    assert leftovers(tmp_path / "cache") == []
    assert any("downloaded" in m for m in messages)
    assert file_sha256(path=got.path) == hashlib.sha256(USERS_CSV).hexdigest()


def test_unchanged_file_is_not_downloaded_again(server, tmp_path):
    server.serve("/users.csv", USERS_CSV)
    first = fetch(server, "/users.csv", tmp_path)
    stat = first.path.stat()
    second = fetch(server, "/users.csv", tmp_path)
    assert second.downloaded is False
    assert (second.sha256, second.size, second.path) == (first.sha256, first.size, first.path)
    conditional = server.gets("/users.csv")[1].headers
    assert conditional["if-none-match"] == first.etag
    assert conditional["if-modified-since"] == first.last_modified
    after = first.path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (stat.st_mtime_ns, stat.st_ino)


def test_changed_file_is_downloaded_again(server, tmp_path):
    server.serve("/users.csv", USERS_CSV)
    fetch(server, "/users.csv", tmp_path)
    changed = USERS_CSV + b"999,1980-01-01,F,true,false,usa,boston,BOS,42.364,-71.005,2021-05-01\n"
    server.serve("/users.csv", changed, validators=False)
    got = fetch(server, "/users.csv", tmp_path)
    assert got.downloaded is True
    assert got.path.read_bytes() == changed


def test_tampered_cache_is_not_trusted(server, tmp_path):
    server.serve("/users.csv", USERS_CSV)
    got = fetch(server, "/users.csv", tmp_path)
    got.path.write_bytes(USERS_CSV[:100])  # size no longer matches the sidecar
    again = fetch(server, "/users.csv", tmp_path)
    assert again.downloaded is True
    assert "if-none-match" not in server.gets("/users.csv")[1].headers
    assert again.path.read_bytes() == USERS_CSV


def test_gzip_payload_is_kept_as_sent(server, tmp_path):
    body = gzip.compress(USERS_CSV)
    server.serve("/users.csv.gz", body, content_type="application/gzip")
    got = fetch(server, "/users.csv.gz", tmp_path)
    assert got.path.name == "users.csv.gz"
    assert gzip.decompress(got.path.read_bytes()) == USERS_CSV


def test_404_is_not_retried_and_names_the_url(server, tmp_path):
    url = server.url("/gone.csv")
    with pytest.raises(DownloadError, match=rf"{url}: HTTP 404 Not Found; check the address in settings\.urls"):
        fetch(server, "/gone.csv", tmp_path)
    assert len(server.gets("/gone.csv")) == 1
    assert not (tmp_path / "gone.csv").exists()


def test_500_then_success_is_retried(server, tmp_path):
    server.fail_then_serve("/users.csv", USERS_CSV, failures=2)
    messages: list[str] = []
    got = fetch(server, "/users.csv", tmp_path, attempts=3, progress=messages.append)
    assert got.path.read_bytes() == USERS_CSV
    assert len(server.gets("/users.csv")) == 3
    assert sum("retrying" in m for m in messages) == 2


def test_500_until_attempts_run_out(server, tmp_path):
    server.status("/users.csv", 503)
    with pytest.raises(DownloadError, match=r"/users\.csv: HTTP 503 .*gave up after 2 attempt\(s\) in \d+ s\)"):
        fetch(server, "/users.csv", tmp_path, attempts=2)
    assert len(server.gets("/users.csv")) == 2


def test_truncated_body_is_an_error_and_leaves_nothing(server, tmp_path):
    server.truncated("/users.csv", USERS_CSV, send=len(USERS_CSV) // 2)
    url = server.url("/users.csv")
    with pytest.raises(DownloadError, match=rf"{url}: .*(cut short|before the body was complete).*gave up after 2"):
        fetch(server, "/users.csv", tmp_path, attempts=2)
    assert len(server.gets("/users.csv")) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_truncated_body_does_not_replace_a_good_cache(server, tmp_path):
    server.serve("/users.csv", USERS_CSV, validators=False)
    fetch(server, "/users.csv", tmp_path)
    server.truncated("/users.csv", USERS_CSV + b"x" * 1000, send=100)
    with pytest.raises(DownloadError, match=r"cut short|before the body was complete"):
        fetch(server, "/users.csv", tmp_path, attempts=1)
    assert (tmp_path / "users.csv").read_bytes() == USERS_CSV
    assert leftovers(tmp_path) == []


def test_stalled_server_times_out(server, tmp_path):
    server.stall("/users.csv", seconds=10)
    url = server.url("/users.csv")
    with pytest.raises(
        DownloadError, match=rf"{url}: no data from the server for 0\.3 s \(it stalled\).*raise download_timeout"
    ):
        fetch(server, "/users.csv", tmp_path, timeout=0.3, attempts=1)
    assert leftovers(tmp_path) == []


def test_connection_refused(tmp_path):
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/users.csv"
    with pytest.raises(DownloadError, match=rf"{url}: the connection to '127\.0\.0\.1' was refused"):
        download(url=url, dest_dir=tmp_path, timeout=2, connect_timeout=2, attempts=2, backoff=0.01)


def test_host_that_does_not_answer_fails_after_the_connect_timeout(tmp_path):
    # A listener whose accept queue is full: the kernel drops further SYNs, so a connection
    # hangs as it does to a host behind a firewall (nothing answers, nothing refuses).
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler.connect(listener.getsockname())
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/users.csv"
        with pytest.raises(
            DownloadError,
            match=rf"{url}: no connection to '127\.0\.0\.1' within 0\.5 s \(the host does not answer\); "
            r"check the URL and the network, or raise connect_timeout \(gave up after 2 attempt\(s\)",
        ):
            download(url=url, dest_dir=tmp_path, timeout=30, connect_timeout=0.5, attempts=2, backoff=0.01)


def test_unresolvable_host(tmp_path):
    url = "http://traveltide-exports.invalid/users.csv"
    with pytest.raises(
        DownloadError, match=rf"{url}: the host name 'traveltide-exports\.invalid' could not be resolved \(DNS\)"
    ):
        download(url=url, dest_dir=tmp_path, timeout=2, connect_timeout=2, attempts=1, backoff=0.01)


def test_html_page_is_not_a_csv(server, tmp_path):
    server.serve("/users.csv", b"<!DOCTYPE html><html><body>Sign in</body></html>", content_type="text/html")
    with pytest.raises(DownloadError, match=r"/users\.csv: the server sent a web page \(text/html\), not a CSV"):
        fetch(server, "/users.csv", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_xml_error_body_is_not_a_csv(server, tmp_path):
    server.serve(
        "/users.csv",
        b'<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>',
        content_type="application/octet-stream",
    )
    with pytest.raises(DownloadError, match="not a CSV export"):
        fetch(server, "/users.csv", tmp_path)


def test_another_tables_export_is_refused(server, tmp_path):
    sessions = b"session_id,user_id,trip_id,session_start\n1-a,1,,2023-01-01 10:00:00\n"
    server.serve("/users.csv", sessions)
    with pytest.raises(
        DownloadError, match=r"/users\.csv: the header does not look like the expected export \(only 1 of 11"
    ):
        fetch(server, "/users.csv", tmp_path)
    assert not (tmp_path / "users.csv").exists()


def test_url_without_file_name(tmp_path):
    with pytest.raises(DownloadError, match="the URL names no file"):
        download(url="http://127.0.0.1:9/", dest_dir=tmp_path, timeout=1, connect_timeout=1, attempts=1)


BIG_USERS_CSV = (
    ",".join(USERS_COLUMNS)
    + "\n"
    + "".join(f"{i},1980-01-01,F,true,false,usa,boston,BOS,42.364,-71.005,2021-05-01\n" for i in range(1, 40_000))
).encode()


def test_a_download_off_a_terminal_says_each_quarter_with_its_rate(server, tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")  # never a live bar here
    server.throttled("/users.csv", BIG_USERS_CSV, chunk=len(BIG_USERS_CSV) // 40 + 1, delay=0.01)
    messages: list[str] = []
    fetch(server, "/users.csv", tmp_path, progress=messages.append)
    moving = [m for m in messages if m.startswith("  users.csv: ")]
    shares = [int(m.split("(")[1].split("%)")[0]) for m in moving]
    # One line per quarter reached (a read of the body may cross more than one), never at 100 %.
    assert len(shares) >= 2 and [s // 25 for s in shares] == sorted({s // 25 for s in shares}) and shares[-1] < 100
    total = f"{len(BIG_USERS_CSV) / 1e6:,.1f} MB"
    assert all(f" of {total} " in m and " MB/s, about " in m for m in moving)
    assert messages[-1].startswith(f"downloaded {server.url('/users.csv')} ({len(BIG_USERS_CSV):,} bytes in ")


def test_a_cache_hit_says_the_cached_copy_is_used(server, tmp_path):
    server.serve("/users.csv", USERS_CSV)
    fetch(server, "/users.csv", tmp_path)
    messages: list[str] = []
    fetch(server, "/users.csv", tmp_path, progress=messages.append)
    assert messages[0] == f"checking {server.url('/users.csv')}"
    assert messages[1] == (
        f"{server.url('/users.csv')}: not modified; using the cached copy ({len(USERS_CSV):,} bytes, "
        f"{tmp_path / 'users.csv'})"
    )


def test_on_a_terminal_a_download_draws_a_live_bar(server, tmp_path):
    """A real pseudo-terminal: the bar shows the file, the bytes and the rate while it moves."""
    server.throttled("/users.csv", BIG_USERS_CSV, chunk=len(BIG_USERS_CSV) // 30 + 1, delay=0.05)
    script = (
        "import sys\nfrom pathlib import Path\nfrom traveltide.sources.download import download\n"
        f"download(url={server.url('/users.csv')!r}, dest_dir=Path({str(tmp_path)!r}), timeout=5, "
        "connect_timeout=5, attempts=1, progress=print)\n"
    )
    code, text = on_a_terminal([sys.executable, "-c", script], timeout=60)
    assert code == 0
    assert "users.csv" in text and "━" in text  # rich's bar
    assert "MB/s" in text or "kB/s" in text
    assert "downloaded " in text and "  users.csv: " not in text  # no plain lines on a terminal
