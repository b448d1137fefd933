"""Download one export over HTTP(S) into a cache folder, safely and only when it changed.

The body is streamed to a temporary file next to the target and renamed into place only when
it is complete (its size matches Content-Length) and looks like the expected CSV, so a cut
connection never leaves a half file that a later run would trust. A JSON sidecar keeps the
ETag, Last-Modified, size and SHA-256 so the next run asks "changed since?" and reuses the
cached file on 304 Not Modified.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx

from traveltide.errors import TravelTideError
from traveltide.runtime.progress import Transfer

__all__ = ["Download", "DownloadError", "download"]

_CHUNK = 1 << 20


class DownloadError(TravelTideError, RuntimeError):
    """A download failed; the message names the URL, what happened and what to do."""


class _Retryable(Exception):
    """A failure worth another attempt (connection error, timeout, 5xx, body cut short)."""


@dataclass(frozen=True)
class Download:
    """A file in the cache folder and where it came from."""

    url: str
    path: Path
    size: int
    sha256: str
    downloaded: bool
    etag: str | None = None
    last_modified: str | None = None


def _target_name(url: str) -> str:
    name = unquote(Path(urlparse(url).path).name)
    if not name or name in {".", ".."}:
        raise DownloadError(f"{url}: the URL names no file; give the full address of the CSV export")
    return name


def _read_sidecar(meta: Path, dest: Path, url: str) -> dict[str, Any] | None:
    if not (meta.is_file() and dest.is_file()):
        return None
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if info.get("url") != url or info.get("size") != dest.stat().st_size:
        return None
    return info


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _describe_transport(url: str, exc: httpx.TransportError, timeout: float, connect_timeout: float) -> str:
    host = urlparse(url).hostname
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"the host name {host!r} could not be resolved (DNS); check the URL and the network"
        if isinstance(cause, ConnectionRefusedError):
            return f"the connection to {host!r} was refused; check the URL and that the server is up"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectTimeout):
        return (
            f"no connection to {host!r} within {connect_timeout:g} s (the host does not answer); "
            "check the URL and the network, or raise connect_timeout"
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server closed the connection before the body was complete ({exc}); try again later"
    if isinstance(exc, httpx.TimeoutException):
        return f"no data from the server for {timeout:g} s (it stalled); try again later or raise download_timeout"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        if "Name or service not known" in text or "nodename nor servname" in text:
            return f"the host name {host!r} could not be resolved (DNS); check the URL and the network"
        if "refused" in text.lower():
            return f"the connection to {host!r} was refused; check the URL and that the server is up"
        return f"could not connect ({text}); check the URL and the network"
    return f"the connection broke ({type(exc).__name__}: {exc}); try again later"


def _check_body(path: Path, url: str, content_type: str, expect_columns: Sequence[str] | None) -> None:
    from traveltide.bronze import BronzeError, read_header

    with path.open("rb") as f:
        start = f.read(512).lstrip()
    if "html" in content_type.lower() or start[:1] == b"<":
        raise DownloadError(
            f"{url}: the server sent a web page ({content_type or 'markup'}), not a CSV export; "
            "open the URL in a browser and fix settings.urls"
        )
    if expect_columns is None:
        return
    try:
        header = {h.strip().lower() for h in read_header(path=path)}
    except BronzeError as exc:
        raise DownloadError(f"{url}: the body is not a usable CSV export: {exc}") from None
    found = [c for c in expect_columns if c in header]
    if 2 * len(found) < len(expect_columns):
        raise DownloadError(
            f"{url}: the header does not look like the expected export (only {len(found)} of "
            f"{len(expect_columns)} expected columns, e.g. {list(expect_columns[:3])}); "
            "check that settings.urls points each table at its own export"
        )


def _fetch_once(
    *,
    client: httpx.Client,
    url: str,
    dest: Path,
    meta: Path,
    cached: dict[str, Any] | None,
    timeout: float,
    expect_columns: Sequence[str] | None,
    progress: Callable[[str], None] | None,
) -> Download:
    headers = {"Accept-Encoding": "identity"}
    if cached and cached.get("etag"):
        headers["If-None-Match"] = cached["etag"]
    if cached and cached.get("last_modified"):
        headers["If-Modified-Since"] = cached["last_modified"]
    with client.stream("GET", url, headers=headers) as response:
        status = response.status_code
        if status == 304 and cached:
            if progress:
                progress(f"{url}: not modified; using the cached copy ({cached['size']:,} bytes, {dest})")
            return Download(
                url=url,
                path=dest,
                size=cached["size"],
                sha256=cached["sha256"],
                downloaded=False,
                etag=cached.get("etag"),
                last_modified=cached.get("last_modified"),
            )
        if status >= 500:
            raise _Retryable(f"HTTP {status} {response.reason_phrase}: the server is failing; try again later")
        if status != 200:
            raise DownloadError(
                f"{url}: HTTP {status} {response.reason_phrase}; check the address in settings.urls "
                "(the export may have moved or need a new link)"
            )
        expected = response.headers.get("Content-Length")
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with (
                os.fdopen(fd, "wb") as out,
                Transfer(label=dest.name, total=int(expected) if expected else None, say=progress) as meter,
            ):
                for chunk in response.iter_raw(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    meter.advance(len(chunk))
            if expected is not None and int(expected) != size:
                raise _Retryable(f"the body was cut short: got {size} of {expected} bytes")
            _check_body(tmp, url, response.headers.get("Content-Type", ""), expect_columns)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
    result = Download(
        url=url,
        path=dest,
        size=size,
        sha256=digest.hexdigest(),
        downloaded=True,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )
    info = {k: v for k, v in asdict(result).items() if k not in {"path", "downloaded"}}
    _write_atomic(meta, json.dumps(info, indent=2))
    if progress:
        progress(f"downloaded {url} ({size:,} bytes in {meter.seconds:.1f} s)")
    return result


def download(
    *,
    url: str,
    dest_dir: Path,
    timeout: float,
    connect_timeout: float,
    attempts: int,
    progress: Callable[[str], None] | None = None,
    backoff: float = 1.0,
    expect_columns: Sequence[str] | None = None,
) -> Download:
    """Fetch ``url`` into ``dest_dir`` unless the cached copy is still current.

    ``connect_timeout`` bounds each wait for a connection, ``timeout`` each wait for data;
    connection errors, timeouts, HTTP 5xx and cut bodies are retried up to ``attempts`` times
    in all (the only retries of a run: the message's count is the count made), waiting
    ``backoff`` seconds, then twice as long each time. HTTP 4xx is not retried.
    ``expect_columns`` (the table's columns) rejects a body whose header is another file's.
    Raises :class:`DownloadError` naming the URL.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / _target_name(url)
    meta = dest_dir / f"{dest.name}.json"
    cached = _read_sidecar(meta, dest, url)
    if progress:
        progress(f"checking {url}" if cached else f"downloading {url}")
    last = ""
    started = time.monotonic()
    limits = httpx.Timeout(timeout, connect=connect_timeout)
    with httpx.Client(timeout=limits, follow_redirects=True) as client:
        for attempt in range(1, attempts + 1):
            try:
                return _fetch_once(
                    client=client,
                    url=url,
                    dest=dest,
                    meta=meta,
                    cached=cached,
                    timeout=timeout,
                    expect_columns=expect_columns,
                    progress=progress,
                )
            except _Retryable as exc:
                last = str(exc)
            except httpx.TransportError as exc:
                last = _describe_transport(url, exc, timeout, connect_timeout)
            except httpx.HTTPError as exc:
                raise DownloadError(f"{url}: {type(exc).__name__}: {exc}; check the URL") from None
            if attempt < attempts:
                delay = backoff * 2 ** (attempt - 1)
                if progress:
                    progress(f"{url}: {last}; retrying in {delay:g} s (attempt {attempt + 1} of {attempts})")
                time.sleep(delay)
    spent = time.monotonic() - started
    raise DownloadError(f"{url}: {last} (gave up after {attempts} attempt(s) in {spent:.0f} s)")
