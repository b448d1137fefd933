"""The run report and the Data Docs, opened in headless Chromium as a reviewer would.

A small real run is built (bronze rows validated by Great Expectations into Data Docs,
synthetic user features segmented by ``traveltide.segmentation`` with its diagnostic plots,
then the report), laid out like a published exports folder. Each page is loaded from a
file:// URL through the DevTools protocol over a pipe (no port, no extra dependency);
the test fails on console errors, broken images, links to missing files inside the
exports folder, and any attempt to reach the network (every http(s) request is blocked
and recorded). A full-page screenshot of each page is saved in the test's tmp folder.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from helpers.bronze_builder import insert_one_user
from helpers.processes import free_port, stop_group
from traveltide.contract.gold import PROFILE_FEATURES
from traveltide.publish.report import write_report
from traveltide.segmentation.perks import DRIVER_FEATURES

pytestmark = pytest.mark.browser

INSTALL = "apt-get update && apt-get install -y chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
WIDTH = 1280
MAX_SHOT_HEIGHT = 12_000
TIMEOUT = 60.0

# What the page holds, gathered in the page itself after it loaded.
_INVENTORY = """JSON.stringify({
  images: [...document.images].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0})),
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  resources: [...document.querySelectorAll('script[src], link[href], iframe[src]')].map(e => e.src || e.href),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  visible: document.body ? document.body.innerText : '',
})"""


def chromium_binary() -> str:
    """Chromium from the system's packages. A fresh machine may lack it: the browser tests are
    then skipped, saying how to install it; under CI (``CI=true``, where ``.ci/run`` installs
    it) a missing browser fails them."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        message = f"headless Chromium is not on PATH, so the browser tests cannot run; install it with: {INSTALL}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return found


class DevTools:
    """A minimal DevTools-protocol client over Chromium's --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, *, binary: str, profile: Path, allow: str | None = None) -> None:
        self.allow = allow  # requests to URLs starting with it go through (a local server under test)
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes() -> None:  # in the child, before exec: its fd 3 reads, fd 4 writes
            a, b = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire_pipes,  # noqa: PLW1509 (no threads started yet in this helper)
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next = 0
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for m in messages:
                self._inbox.put(json.loads(m))
        self._inbox.put(None)

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next += 1
        mine = self._next
        message: dict[str, Any] = {"id": mine, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._receive(deadline, what=method)
            if reply.get("id") == mine:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_for(self, method: str, *, seconds: float) -> None:
        """Handle events until ``method`` arrives (or ``seconds`` pass: fail)."""
        deadline = time.monotonic() + seconds
        while self._receive(deadline, what=method).get("method") != method:
            pass

    def settle(self, *, seconds: float) -> None:
        """Handle events for ``seconds`` (late console messages, blocked requests)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self._handle(self._inbox.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                return

    def _receive(self, deadline: float, *, what: str) -> dict[str, Any]:
        try:
            message = self._inbox.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"Chromium did not answer {what} within {TIMEOUT:.0f} s")
        return self._handle(message)

    def _handle(self, message: dict[str, Any] | None) -> dict[str, Any]:
        if message is None:
            pytest.fail(f"Chromium exited (code {self.proc.poll()}) while the test talked to it")
        if message.get("method") == "Fetch.requestPaused":  # the network is off limits: refuse, record
            request_id = message["params"]["requestId"]
            if self.allow and message["params"]["request"]["url"].startswith(self.allow):
                method, params = "Fetch.continueRequest", {"requestId": request_id}
            else:
                self.events.append(message)
                method, params = "Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"}
            self._next += 1
            out = {"id": self._next, "method": method, "params": params, "sessionId": message["sessionId"]}
            os.write(self._to_browser, json.dumps(out).encode() + b"\0")
        elif "method" in message:
            self.events.append(message)
        return message

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError, pytest.fail.Exception):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)


def open_page(tools: DevTools, *, url: str, screenshot: Path, ready: str | None = None) -> dict[str, Any]:
    """Load ``url`` in a fresh tab; return its inventory, console errors and blocked requests.
    ``ready``: a text the page shows once its scripts have drawn it (a single-page app)."""
    target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    tools.events.clear()
    for method in ("Page.enable", "Runtime.enable", "Log.enable"):
        tools.send(method, session=session)
    tools.send("Fetch.enable", {"patterns": [{"urlPattern": "http://*"}, {"urlPattern": "https://*"}]}, session=session)
    metrics = {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    tools.send("Emulation.setDeviceMetricsOverride", metrics, session=session)
    tools.send("Page.navigate", {"url": url}, session=session)
    tools.wait_for("Page.loadEventFired", seconds=TIMEOUT)
    tools.settle(seconds=1.0)
    deadline = time.monotonic() + TIMEOUT
    while ready is not None:
        probe = {"expression": f"document.body.innerText.includes({json.dumps(ready)})", "returnByValue": True}
        if tools.send("Runtime.evaluate", probe, session=session)["result"]["value"]:
            tools.settle(seconds=1.0)
            break
        assert time.monotonic() < deadline, f"{url} never showed {ready!r}"
        tools.settle(seconds=0.5)
    found = json.loads(
        tools.send("Runtime.evaluate", {"expression": _INVENTORY, "returnByValue": True}, session=session)["result"][
            "value"
        ]
    )
    height = int(tools.send("Page.getLayoutMetrics", session=session)["cssContentSize"]["height"])
    clip = {"x": 0, "y": 0, "width": WIDTH, "height": min(height, MAX_SHOT_HEIGHT), "scale": 1}
    shot = tools.send(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}, session=session
    )
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    tools.settle(seconds=0.2)
    errors = []
    for e in tools.events:
        p = e.get("params", {})
        if e["method"] == "Runtime.exceptionThrown":
            errors.append(
                f"exception: {p['exceptionDetails'].get('exception', {}).get('description') or p['exceptionDetails']['text']}"
            )
        elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append(
                "console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"])
            )
        elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
            errors.append(f"log: {p['entry']['text']} {p['entry'].get('url', '')}".strip())
    blocked = [e["params"]["request"]["url"] for e in tools.events if e["method"] == "Fetch.requestPaused"]
    tools.send("Target.closeTarget", {"targetId": target})
    return {**found, "errors": errors, "blocked": blocked, "height": height}


def broken_local_refs(page: Path, found: dict[str, Any], *, exports: Path) -> list[str]:
    """Images that did not load, and file:// links or resources that leave ``exports`` or miss their file."""
    broken = [
        f"image did not load: {i['src']}" for i in found["images"] if not i["ok"] and i["src"].startswith("file:")
    ]
    for ref in found["links"] + found["resources"] + [i["src"] for i in found["images"]]:
        url = urlparse(ref)
        if url.scheme in ("http", "https", "mailto", "data", "javascript"):
            continue
        if url.scheme != "file":
            broken.append(f"unexpected link {ref}")
            continue
        target = Path(unquote(url.path))
        if target == page and url.fragment and url.fragment not in found["ids"]:
            broken.append(f"anchor #{url.fragment} has no element")
        elif not target.resolve().is_relative_to(exports.resolve()):
            broken.append(f"link leaves the exports folder: {ref}")
        elif not target.exists():
            broken.append(f"link to a missing file: {ref}")
    return broken


def _synthetic_features(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """300 users in four obvious behaviour groups: packers, cancellers, discount hunters, long stays."""
    n = 75
    usage = ("flight_trips", "hotel_trips", "booking_sessions", "conversion_rate")
    cols = {f: [] for f in dict.fromkeys(PROFILE_FEATURES + DRIVER_FEATURES + usage)}
    for group in range(4):
        cols["total_sessions"].append(rng.integers(7, 14, n))
        cols["cancellation_rate"].append(rng.uniform(0.25, 0.4, n) if group == 1 else rng.uniform(0, 0.05, n))
        cols["discount_usage_rate"].append(rng.uniform(0.6, 0.9, n) if group == 2 else rng.uniform(0, 0.2, n))
        cols["avg_discount_amount"].append(rng.uniform(0.2, 0.3, n) if group == 2 else rng.uniform(0.05, 0.1, n))
        cols["total_nights"].append(rng.integers(15, 25, n) if group == 3 else rng.integers(0, 6, n))
        cols["nights_per_hotel_trip"].append(rng.uniform(5, 8, n) if group == 3 else rng.uniform(0, 3, n))
        cols["bundle_rate"].append(rng.uniform(0.7, 1, n) if group == 3 else rng.uniform(0, 0.4, n))
        cols["total_checked_bags"].append(rng.integers(5, 9, n) if group == 0 else rng.integers(0, 2, n))
        cols["bags_per_flight"].append(rng.uniform(1.5, 2.5, n) if group == 0 else rng.uniform(0, 0.5, n))
        cols["total_base_fare"].append(rng.uniform(800, 3000, n))
        cols["flight_trips"].append(rng.integers(0, 4, n))
        cols["hotel_trips"].append(rng.integers(0, 4, n))
        cols["booking_sessions"].append(rng.integers(0, 5, n))
        cols["conversion_rate"].append(rng.uniform(0, 0.6, n))
    return {f: np.concatenate(v).astype(float) for f, v in cols.items()}


def build_exports(root: Path) -> tuple[Path, Path]:
    """A run's exports folder with data_docs/ (bronze validated), plots/ and report/; returns (exports, db)."""
    from traveltide.quality import validate_layer
    from traveltide.segmentation import segment_users

    exports, db = root / "exports", root / "run.duckdb"
    exports.mkdir()
    with duckdb.connect(str(db)) as con:
        insert_one_user(con=con)
        con.execute("create schema gold")
        con.register(
            "features", pa.table({"user_id": np.arange(1, 301), **_synthetic_features(np.random.default_rng(7))})
        )
        con.execute("create table gold.user_features as select * from features")
        con.unregister("features")
        segmented = segment_users(
            con=con, k=4, k_min=2, k_max=6, min_segment_size=1, seed=42, plots_dir=exports / "plots"
        ).to_dict()
    checks = validate_layer(db_path=db, layer="bronze", docs_dir=exports / "data_docs", run_id="browser-test")
    manifest = {
        "run_id": "browser-test",
        "package_version": "test",
        "started_at": "2026-11-24T06:00:00+00:00",
        "finished_at": "2026-11-24T06:01:00+00:00",
        "settings": {"start_date": "2023-01-04", "min_sessions": 7, "k": 4, "seed": 42},
        "row_counts": {"gold": {"funnel": {"users": 1000, "users_in_window": 600, "cohort": 300}}},
        "segments": segmented,
        "validation": {"bronze": checks.to_dict()},
        "timings_seconds": {"segment": 1.0},
    }
    write_report(db_path=db, manifest=manifest, out_dir=exports / "report")
    return exports, db


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    binary = chromium_binary()
    tools = DevTools(binary=binary, profile=tmp_path_factory.mktemp("chromium-profile"))
    yield tools
    tools.close()


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_exports(tmp_path_factory.mktemp("run"))[0]


@pytest.fixture(scope="module")
def seen(browser: DevTools, exports: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each page opened once; its screenshot is saved as <page>.png in this fixture's tmp folder."""
    shots = tmp_path_factory.mktemp("screenshots")
    found = {}
    for page in PAGES:
        shot = shots / (page.split("/")[0] + ".png")
        found[page] = {**open_page(browser, url=(exports / page).as_uri(), screenshot=shot), "screenshot": shot}
        print(f"screenshot of {page}: {shot}")
    return found


PAGES = ("report/index.html", "data_docs/index.html")
# What a reader must see on each page (visible text, not just markup).
MUST_SHOW = {
    "report/index.html": (
        "Heavy packers",
        "Frequent cancellers",
        "Discount hunters",
        "Long-stay travellers",
        "bronze.users",
    ),
    "data_docs/index.html": ("bronze.users", "bronze.sessions", "bronze.flights", "bronze.hotels"),
}


@pytest.mark.parametrize("page", PAGES)
def test_no_broken_local_images_or_links(seen: dict[str, dict[str, Any]], exports: Path, page: str) -> None:
    assert broken_local_refs(exports / page, seen[page], exports=exports) == []
    assert seen[page]["screenshot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("page", PAGES)
def test_page_is_offline_and_error_free(seen: dict[str, dict[str, Any]], page: str) -> None:
    assert seen[page]["blocked"] == [], "the page tried to reach the network"
    assert seen[page]["errors"] == []
    assert [link for link in seen[page]["links"] if urlparse(link).scheme in ("http", "https")] == []


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_its_content(seen: dict[str, dict[str, Any]], page: str) -> None:
    missing = [t for t in MUST_SHOW[page] if t not in seen[page]["visible"]]
    assert missing == []


def test_report_images_all_load(seen: dict[str, dict[str, Any]], exports: Path) -> None:
    found = seen["report/index.html"]
    names = sorted(Path(urlparse(i["src"]).path).name for i in found["images"] if i["ok"])
    assert names == [
        "diagnostic_k_selection.png",
        "diagnostic_projection.png",
        "funnel.png",
        "perk_fit.png",
        "segment_profiles.png",
        "segment_sizes.png",
    ]
    assert (exports / "data_docs" / "index.html").as_uri() in found["links"]


def test_checker_catches_a_broken_image_and_link(browser: DevTools, tmp_path: Path) -> None:
    """The same checks on a page that is broken on purpose must report each fault."""
    root = tmp_path / "exports"
    root.mkdir()
    page = root / "index.html"
    page.write_text(
        '<html><body><p>broken on purpose</p><img src="missing.png"><a href="gone.html">gone</a>'
        '<a href="#nowhere">anchor</a><script>console.error("boom")</script></body></html>',
        encoding="utf-8",
    )
    found = open_page(browser, url=page.as_uri(), screenshot=tmp_path / "broken.png")
    assert any("boom" in e for e in found["errors"])
    assert "broken on purpose" in found["visible"]
    assert broken_local_refs(page, found, exports=root) == [
        f"image did not load: {(root / 'missing.png').as_uri()}",
        f"link to a missing file: {(root / 'gone.html').as_uri()}",
        "anchor #nowhere has no element",
        f"link to a missing file: {(root / 'missing.png').as_uri()}",
    ]


# --- No markup from the data: script planted in every string column of an export ---------------

PLANTED = {
    "users": ("gender", "home_country", "home_city", "home_airport", "birthdate"),
    "sessions": ("session_id", "trip_id", "session_start"),
    "flights": ("trip_id", "origin_airport", "destination", "destination_airport", "trip_airline"),
    "hotels": ("trip_id", "hotel_name"),
}


def _payload(table: str, column: str) -> str:
    """A tag that runs script the moment a browser parses it as markup (no comma or quote: plain CSV)."""
    return f"<img src=x onerror=window.__planted=(window.__planted||[]).concat(this.alt) alt={table}.{column}>"


@pytest.fixture(scope="module")
def planted_docs(harness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run on an export whose every string column (and a date column per table) holds script in
    one line: the checks stop it at bronze, and its Data Docs show the offending values."""
    import csv

    from flows.traveltide_flow import traveltide_mart
    from traveltide.sample import write_sample
    from traveltide.settings import load_settings

    root = tmp_path_factory.mktemp("planted")
    source = root / "export"
    write_sample(out=source, users=2000, seed=5)
    for table, columns in PLANTED.items():
        path = source / f"{table}.csv"
        with path.open(newline="") as f:
            rows = list(csv.reader(f))
        header = rows[0]
        for i, column in enumerate(columns):
            rows[1 + 7 * i][header.index(column)] = _payload(table, column)
        with path.open("w", newline="") as f:
            csv.writer(f, quoting=csv.QUOTE_NONE, escapechar="\\", lineterminator="\n").writerows(rows)
    settings = load_settings(source=str(source), exports=root / "exports", cache_dir=root / "cache")
    from traveltide.quality.summary import ValidationFailed

    with pytest.raises(ValidationFailed, match=r"bronze validation failed"):
        traveltide_mart(settings=settings)
    return root / "exports"


def test_no_page_runs_markup_that_came_from_the_data(planted_docs: Path, browser: DevTools, tmp_path: Path) -> None:
    docs = planted_docs / "data_docs"
    pages = [docs / "index.html", *sorted((docs / "validations").rglob("*.html"))]
    assert len(pages) > 4
    shown: set[str] = set()
    for page in pages:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        browser.send("Page.enable", session=session)
        browser.send("Page.navigate", {"url": page.as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired", seconds=TIMEOUT)
        browser.settle(seconds=0.5)
        probe = "JSON.stringify({ran: window.__planted || [], text: document.body.innerText})"
        found = json.loads(
            browser.send("Runtime.evaluate", {"expression": probe, "returnByValue": True}, session=session)["result"][
                "value"
            ]
        )
        browser.send("Target.closeTarget", {"targetId": target})
        assert found["ran"] == [], f"{page.relative_to(docs)} ran script planted in {found['ran']}"
        assert "&lt;img" not in found["text"], f"{page.relative_to(docs)} shows a value escaped twice"
        shown |= {f"{t}.{c}" for t, cs in PLANTED.items() for c in cs if _payload(t, c) in found["text"]}
    # the reviewer sees the planted values as text (the checks that failed on them show samples),
    # so the test looked where they are shown
    assert {"users.gender", "users.home_country"} <= shown


def test_the_index_of_a_failed_run_shows_which_suite_stopped_it(planted_docs: Path, browser: DevTools) -> None:
    """The planted run stopped at bronze.users (its gender check is critical); the index's row for
    it says so in words, and a suite with warnings only does not look like it."""
    shot = planted_docs.parent / "data_docs_failed.png"
    found = open_page(browser, url=(planted_docs / "data_docs" / "index.html").as_uri(), screenshot=shot)
    assert found["errors"] == [] and found["blocked"] == []
    # the validation results table: a row per suite of the run (status, time, run, suite, ...)
    rows = [line for line in found["visible"].splitlines() if "\tbronze." in line]
    users = [row for row in rows if "bronze.users" in row]
    assert users and all("Critical failure: stops the run" in row for row in users), rows
    warned = [row for row in rows if "Passed with warnings" in row]
    assert warned and not any("Critical failure" in row for row in warned), rows
    print(f"screenshot of the failed run's Data Docs index: {shot}")


def test_a_validation_page_shows_each_checks_severity_and_why(browser: DevTools, exports: Path, tmp_path: Path) -> None:
    page = next((exports / "data_docs" / "validations" / "bronze" / "users").rglob("*.html"))
    found = open_page(browser, url=page.as_uri(), screenshot=tmp_path / "users.png")
    assert found["errors"] == [] and found["blocked"] == []
    text = found["visible"]
    for header in ("Status", "Expectation", "Observed Value", "Severity", "Why"):
        assert header in text
    assert "SPEC §1: gender is 'F', 'M' or 'O'; anything else breaks the dimension's slicers." in text
    assert "Real exports hold only 'usa' and 'canada' (lowercase); a new value is worth a look, not a stop." in text
    assert "critical" in text and "warning" in text


def test_the_data_docs_index_is_one_page(seen: dict[str, dict[str, Any]]) -> None:
    """No paging bar: bootstrap-table writes 'Showing 1 to N of M rows' only when it pages."""
    visible = seen["data_docs/index.html"]["visible"]
    assert "bronze.users" in visible
    assert "Showing 1 to" not in visible and "rows per page" not in visible


@pytest.mark.slow
def test_the_prefect_ui_shows_the_runs_artifacts_readably(tmp_path: Path) -> None:
    """A real ``prefect server start`` with its UI, a real ``traveltide run`` against it, and the
    artifact pages opened in Chromium as an operator opens them."""
    import sys

    import httpx

    binary = chromium_binary()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": api,
    }
    env.pop("PREFECT_API_URL", None)
    bin_dir = Path(sys.executable).parent
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    tools = None
    try:
        deadline = time.monotonic() + 180
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-2000:]
            time.sleep(1)
        work = tmp_path / "work"
        work.mkdir()
        run = subprocess.run(
            [str(bin_dir / "traveltide"), "run", "--sample-users", "3000", "--min-segment-size", "10"],
            cwd=work,
            env={**env, "PREFECT_API_URL": api},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        manifest = json.loads((work / "exports" / "manifest.json").read_text())
        artifacts = {a["key"]: a["id"] for a in httpx.post(f"{api}/artifacts/filter", json={}, timeout=10).json()}
        tools = DevTools(binary=binary, profile=tmp_path / "profile", allow=f"http://127.0.0.1:{port}/")
        segments = manifest["segments"]["segments"]
        page = open_page(
            tools,
            url=f"http://127.0.0.1:{port}/artifacts/artifact/{artifacts['traveltide-segments']}",
            screenshot=tmp_path / "segments.png",
            ready=segments[0]["segment_name"],
        )
        text = page["visible"]
        for s in segments:
            assert s["segment_name"] in text and s["perk"] in text
            share = 1000 * s["users"] / manifest["segments"]["users"]  # in tenths of a percent
            assert {f"{math.floor(share) / 10:.1f}%", f"{math.ceil(share) / 10:.1f}%"} & set(text.split()), s
        assert not re.search(r"\d\.\d{6,}", text), "a share or score shown with all its digits"
        funnel = open_page(
            tools,
            url=f"http://127.0.0.1:{port}/artifacts/artifact/{artifacts['traveltide-funnel']}",
            screenshot=tmp_path / "funnel.png",
            ready="in the cohort",
        )
        assert "users in the export" in funnel["visible"] and "%" in funnel["visible"]
        assert not re.search(r"\d\.\d{6,}", funnel["visible"])
    finally:
        if tools is not None:
            tools.close()
        stop_group(server)
