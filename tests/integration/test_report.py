"""The run report: a hand-built run (8 users, 4 segments) and the numbers worked out by hand.

Scores of the 8 users (bag, cancel, discount, hotel); the assigned perk's score minus the
runner-up's is the gap, close when <= 10 points:

    user seg perk        scores            runner-up     gap  close
    1    1   bag         90 50 40 30       cancellation  40
    2    1   bag         70 65 10 20       cancellation   5   yes
    3    2   cancel      20 80 30 75       hotel          5   yes
    4    2   cancel      10 95 30 90       hotel          5   yes
    5    3   discount    30 20 60 50       hotel         10   yes (boundary)
    6    3   discount    10 10 88 20       hotel         68
    7    4   hotel       40 20 30 99       bag           59
    8    4   hotel       60 20 30 75       bag           15

Close: 4 of 8 = 50 %; by segment 50 %, 100 %, 50 %, 0 %. Assigned scores sorted:
60 70 75 80 88 90 95 99, median 84; by segment 80, 87.5, 74, 87.
"""

from __future__ import annotations

import html.parser
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from traveltide.charts import PERK_COLORS
from traveltide.contract.gold import PERK_NAMES, PROFILE_FEATURES, SCORE_COLUMNS
from traveltide.publish.report import ReportError, write_report

BAG, CANCEL, DISCOUNT, HOTEL = PERK_NAMES
SEGMENTS = (
    (1, "Heavy packers", BAG, "Checks 3.0 bags per user vs 1.0 <cohort> & more."),
    (2, "Frequent cancellers", CANCEL, "Cancels in 30% of sessions vs 5% for the cohort."),
    (3, "Discount hunters", DISCOUNT, "Uses a discount in 60% of sessions vs 20% for the cohort."),
    (4, "Long-stay travellers", HOTEL, "Stays 12.0 hotel nights per user vs 4.0 for the cohort."),
)
USERS = (  # user_id, segment_id, scores (bag, cancel, discount, hotel), runner-up
    (1, 1, (90, 50, 40, 30), CANCEL),
    (2, 1, (70, 65, 10, 20), CANCEL),
    (3, 2, (20, 80, 30, 75), HOTEL),
    (4, 2, (10, 95, 30, 90), HOTEL),
    (5, 3, (30, 20, 60, 50), HOTEL),
    (6, 3, (10, 10, 88, 20), HOTEL),
    (7, 4, (40, 20, 30, 99), BAG),
    (8, 4, (60, 20, 30, 75), BAG),
)


def build_run_db(path: Path, *, perks: tuple[str, ...] = (BAG, CANCEL, DISCOUNT, HOTEL)) -> Path:
    """gold.user_features, gold.segments and gold.user_segments of the 8-user run above."""
    seg_perk = {sid: perks[sid - 1] for sid, *_ in SEGMENTS}
    features = {"user_id": [u for u, *_ in USERS]}
    for i, f in enumerate(PROFILE_FEATURES):
        features[f] = [float(u * (i + 1)) for u, *_ in USERS]
    segments: dict[str, list[Any]] = {
        "segment_id": [s for s, *_ in SEGMENTS],
        "segment_name": [n for _, n, *_ in SEGMENTS],
        "perk": [seg_perk[s] for s, *_ in SEGMENTS],
        "users": [2, 2, 2, 2],
        "share": [0.25] * 4,
        "reason": [r for *_, r in SEGMENTS],
    }
    for i, f in enumerate(PROFILE_FEATURES):  # segment s holds users 2s-1 and 2s
        segments[f] = [float((4 * s - 1) * (i + 1)) / 2 for s, *_ in SEGMENTS]
    for c in SCORE_COLUMNS.values():
        segments[c] = [50.0] * 4
    user_segments: dict[str, list[Any]] = {
        "user_id": [u for u, *_ in USERS],
        "segment_id": [s for _, s, *_ in USERS],
        "segment_name": [SEGMENTS[s - 1][1] for _, s, *_ in USERS],
        "perk": [seg_perk[s] for _, s, *_ in USERS],
        "perk_score": [float(sc[PERK_NAMES.index(seg_perk[s])]) for _, s, sc, _ in USERS],
        "runner_up_perk": [r for *_, r in USERS],
    }
    for j, c in enumerate(SCORE_COLUMNS[p] for p in PERK_NAMES):
        user_segments[c] = [float(sc[j]) for _, _, sc, _ in USERS]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema gold")
        for name, data in (("user_features", features), ("segments", segments), ("user_segments", user_segments)):
            con.register("incoming", pa.table(data))
            con.execute(f"create table gold.{name} as select * from incoming")
            con.unregister("incoming")
    return path


def build_manifest(*, plots: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "run_id": "20261124T060000Z-abc12345",
        "package_version": "0.1.0",
        "started_at": "2026-11-24T06:00:00+00:00",
        "finished_at": "2026-11-24T06:02:30+00:00",
        "exports": "/tmp/exports",
        "settings": {"start_date": "2023-01-04", "min_sessions": 7, "k": 4, "seed": 42},
        "source": {
            "kind": "folder",
            "files": [
                {
                    "table": "users",
                    "path": "/data/users.csv",
                    "origin": "/data/users.csv",
                    "size": 2048,
                    "sha256": "abcdef0123456789" + "0" * 48,
                    "downloaded": False,
                },
            ],
        },
        "bronze": {
            "rows": {"users": 120},
            "rejected": {"users": 3},
            "warnings": ["users.csv: 3 rows could not be read"],
        },
        "silver": {"users": {"rows": 114, "set_aside": {"duplicate key": 2, "null key": 1}}},
        "rejects": {"csv": "rejects/rejects.csv", "parquet": "rejects/rejects.parquet", "lines": 6, "by_reason": {}},
        "drift": {
            "previous": True,
            "model": "scored",
            "why": "the saved model of run r0 fits (same settings, largest PSI 0.02)",
            "returning_users": 7,
            "changed_users": 2,
            "changed_perk": 1,
            "changed_share": 1 / 7,
            "sizes": {"1": {"previous": 3, "now": 4}, "2": {"previous": 4, "now": 3}, "9": {"previous": 1, "now": 0}},
            "psi": {},
            "files": {"csv": "drift/changed_users.csv", "parquet": "drift/changed_users.parquet"},
            "warnings": ["1 of 7 returning cohort users (14.3%) changed perk since the previous run"],
        },
        "row_counts": {"gold": {"cohort": 8, "funnel": {"users": 100, "users_in_window": 40, "cohort": 8}}},
        "segments": {
            "k": 4,
            "k_selection": "silhouette",
            "min_segment_size": 30,
            # k = 5 has the best silhouette but a segment of 12 users: left out.
            "candidates": [
                {"k": k, "inertia": 100.0 / k, "silhouette": 0.1 * k, "smallest": smallest}
                for k, smallest in ((2, 60), (3, 40), (4, 31), (5, 12))
            ],
            "silhouette": 0.4,
            "plots": plots or {},
        },
        "validation": {
            "bronze": {
                "suites": ["bronze.users", "bronze.sessions", "bronze.flights"],
                "expectations": 7,
                "critical_failures": 1,
                "warnings": 1,
                "outcomes": [
                    *({"suite": "bronze.users", "severity": "critical", "success": True} for _ in range(3)),
                    {"suite": "bronze.users", "severity": "warning", "success": False},
                    {"suite": "bronze.sessions", "severity": "critical", "success": False},
                    *({"suite": "bronze.sessions", "severity": "warning", "success": True} for _ in range(2)),
                ],
            },
            "silver": {"suites": [], "expectations": 10, "critical_failures": 0, "warnings": 2},
        },
        "timings_seconds": {"fetch": 1.5, "bronze": 2.25},
    }


class _Page(html.parser.HTMLParser):
    """Tables (rows of cell texts), image sources, link targets, tags and text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        a = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(a["src"] or "")
        elif tag == "a":
            self.links.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    @property
    def text(self) -> str:
        return " ".join("".join(self.chunks).split())

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(page: Path) -> _Page:
    p = _Page()
    p.feed(page.read_text(encoding="utf-8"))
    return p


def table_with(page: _Page, header: str) -> list[list[str]]:
    return next(t for t in page.tables if header in t[0])


@pytest.fixture
def run_dir(tmp_path: Path) -> tuple[Path, Path]:
    """(db_path, exports) of the hand-built run; the report goes to exports/report."""
    exports = tmp_path / "exports"
    exports.mkdir()
    return build_run_db(tmp_path / "run.duckdb"), exports


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the hand-built run with the full manifest, written once for the module."""
    root = tmp_path_factory.mktemp("report")
    page = write_report(
        db_path=build_run_db(root / "run.duckdb"), manifest=build_manifest(), out_dir=root / "exports" / "report"
    )
    assert page == root / "exports" / "report" / "index.html"
    return page


def test_funnel_rule_and_segments(report: Path) -> None:
    page_path = report
    text = page_path.read_text(encoding="utf-8")
    page = parse(page_path)

    assert "users with at least 7 sessions starting on or after 2023-01-04" in text
    assert table_with(page, "Step")[1:] == [
        ["All users", "100", "100.0%"],
        ["Users with a session in the window", "40", "40.0%"],
        ["Cohort (segmented)", "8", "8.0%"],
    ]
    segments = table_with(page, "Why this perk")
    assert [row[:5] for row in segments[1:]] == [
        ["1", "Heavy packers", BAG, "2", "25.0%"],
        ["2", "Frequent cancellers", CANCEL, "2", "25.0%"],
        ["3", "Discount hunters", DISCOUNT, "2", "25.0%"],
        ["4", "Long-stay travellers", HOTEL, "2", "25.0%"],
    ]
    # The reason is escaped, not injected as markup.
    assert "Checks 3.0 bags per user vs 1.0 &lt;cohort&gt; &amp; more." in text
    for perk in PERK_NAMES:
        assert f"background: {PERK_COLORS[perk]}" in text


def test_perk_fit_numbers(report: Path) -> None:
    page_path = report
    text = " ".join(page_path.read_text(encoding="utf-8").split())
    assert "The median customer scores <b>84</b>" in text
    assert "For <b>50.0%</b> of customers another perk scores within 10 points" in text
    fit = table_with(parse(page_path), "Median fit")
    assert fit[1:] == [
        ["Heavy packers", BAG, "80", "50.0%", CANCEL],
        ["Frequent cancellers", CANCEL, "88", "100.0%", HOTEL],
        ["Discount hunters", DISCOUNT, "74", "50.0%", HOTEL],
        ["Long-stay travellers", HOTEL, "87", "0.0%", BAG],
    ]


def test_quality_source_and_k(report: Path) -> None:
    page = parse(report)
    assert table_with(page, "Check suite")[1:] == [
        ["bronze", "bronze.users", "3", "1", "0", "warned"],
        ["bronze", "bronze.sessions", "2", "0", "1", "failed"],
        ["bronze", "bronze.flights", "0", "0", "0", "passed"],
        ["silver", "all suites", "8", "2", "0", "warned"],
    ]
    assert "../data_docs/index.html" in page.links
    assert {"../rejects/rejects.csv", "../rejects/rejects.parquet"} <= set(page.links)
    assert "Every such line (6)" in page.text
    assert "../drift/changed_users.csv" in page.links
    assert "1 of 7 returning cohort users changed perk (14.3%); 2 changed segment or perk" in page.text
    assert "Warning: 1 of 7 returning cohort users (14.3%) changed perk since the previous run" in page.text
    assert table_with(page, "SHA-256 (first 12)")[1] == [
        "users",
        "/data/users.csv",
        "2.0 KB",
        "abcdef012345",
        "120",
        "3",
        "3",
    ]
    assert table_with(page, "Seconds")[1:] == [["fetch", "1.5"], ["bronze", "2.2"], ["Total", "3.8"]]
    k_rows = table_with(page, "Segments (k)")[1:]
    assert [r[0] for r in k_rows] == ["2", "3", "4", "5"]
    assert [r[3] for r in k_rows] == ["60", "40", "31", "12"]
    assert [r[4] for r in k_rows] == ["", "", "chosen", "left out: a segment under 30 users"]
    assert "Only k whose every segment has at least 30 users could be chosen." in page.text


def test_images_exist_and_page_is_offline(report: Path) -> None:
    page_path = report
    page = parse(page_path)
    assert sorted(page.images) == [
        "drift.png",
        "funnel.png",
        "perk_fit.png",
        "segment_profiles.png",
        "segment_sizes.png",
    ]
    for src in page.images:
        assert (page_path.parent / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "script" not in page.tags and "link" not in page.tags
    external = [u for u in page.images + page.links if "://" in u or u.startswith("//")]
    assert external == []


def _has_colour(png: Path, hex_colour: str) -> bool:
    pixels = imread(png)[..., :3].reshape(-1, 3)
    target = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return bool((np.abs(pixels - target).max(axis=1) < 0.02).any())


def test_charts_use_one_colour_per_perk(run_dir: tuple[Path, Path], tmp_path: Path) -> None:
    _, exports = run_dir
    # Only three perks in this run: the fourth perk's colour must appear nowhere.
    db = build_run_db(tmp_path / "three.duckdb", perks=(BAG, CANCEL, DISCOUNT, DISCOUNT))
    report = write_report(db_path=db, manifest=build_manifest(), out_dir=exports / "report").parent
    for chart in ("segment_sizes.png", "segment_profiles.png", "perk_fit.png"):
        assert [_has_colour(report / chart, PERK_COLORS[p]) for p in PERK_NAMES] == [True, True, True, False], chart


def test_diagnostic_plots_are_copied_beside_the_report(run_dir: tuple[Path, Path]) -> None:
    db, exports = run_dir
    plots = exports / "plots"
    plots.mkdir()
    for name in ("segments_k_selection.png", "segments_projection.png", "segments_profiles.png"):
        fig = Figure(figsize=(2, 2))
        fig.add_subplot().plot([1, 2], [2, 1])
        fig.savefig(plots / name)
    recorded = {
        "k_selection": "/staging/run/plots/segments_k_selection.png",
        "projection": "/elsewhere/segments_projection.png",
        "profiles": "/staging/run/plots/segments_profiles.png",
    }
    page_path = write_report(db_path=db, manifest=build_manifest(plots=recorded), out_dir=exports / "report")
    page = parse(page_path)
    assert "diagnostic_k_selection.png" in page.images and "diagnostic_projection.png" in page.images
    assert (page_path.parent / "diagnostic_k_selection.png").read_bytes() == (
        plots / "segments_k_selection.png"
    ).read_bytes()
    # The profile chart the segment step drew is reused, not drawn a second time.
    assert (page_path.parent / "segment_profiles.png").read_bytes() == (plots / "segments_profiles.png").read_bytes()
    assert "No 2-D projection" not in page_path.read_text(encoding="utf-8")


def test_missing_manifest_parts_are_said_not_fatal(run_dir: tuple[Path, Path]) -> None:
    db, exports = run_dir
    manifest = {"run_id": "r1", "settings": {"k": None}}
    text = write_report(db_path=db, manifest=manifest, out_dir=exports / "report").read_text(encoding="utf-8")
    assert "This run recorded no validation results." in text
    assert "No elbow/silhouette chart was produced by this run." in text
    assert "Some funnel steps were not recorded by this run." in text
    # The cohort size then comes from gold.user_features.
    assert "<b>8</b><span>customers in the cohort" in " ".join(text.split()).replace("> <", "><")


def test_manifest_read_back_from_json_renders_the_same(report: Path, tmp_path: Path) -> None:
    manifest = json.loads(json.dumps(build_manifest()))
    again = write_report(db_path=report.parent.parent.parent / "run.duckdb", manifest=manifest, out_dir=tmp_path / "r")
    assert again.read_text(encoding="utf-8") == report.read_text(encoding="utf-8")


def test_missing_database_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"nothere\.duckdb: no such DuckDB file; run the pipeline"):
        write_report(db_path=tmp_path / "nothere.duckdb", manifest=build_manifest(), out_dir=tmp_path / "r")


def test_missing_table_names_the_table(run_dir: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = run_dir
    with duckdb.connect(str(db)) as con:
        con.execute("drop table gold.user_segments")
    with pytest.raises(ReportError, match=r"missing table\(s\) \['gold\.user_segments'\]; .*segment steps first"):
        write_report(db_path=db, manifest=build_manifest(), out_dir=tmp_path / "r")


def test_unknown_perk_is_refused(run_dir: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = run_dir
    with duckdb.connect(str(db)) as con:
        con.execute("update gold.segments set perk = 'Free hotel meal' where segment_id = 2")
    with pytest.raises(ReportError, match=r"gold\.segments\.perk has perk\(s\) \['Free hotel meal'\] outside"):
        write_report(db_path=db, manifest=build_manifest(), out_dir=tmp_path / "r")


def test_missing_runner_up_is_refused(run_dir: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = run_dir
    with duckdb.connect(str(db)) as con:
        con.execute("update gold.user_segments set runner_up_perk = null where user_id = 3")
    with pytest.raises(ReportError, match=r"gold\.user_segments\.runner_up_perk has perk\(s\) \['NULL'\] outside"):
        write_report(db_path=db, manifest=build_manifest(), out_dir=tmp_path / "r")


def test_a_first_run_says_there_is_nothing_to_compare_with(tmp_path: Path) -> None:
    root = tmp_path / "first"
    root.mkdir()
    manifest = build_manifest()
    manifest["drift"] = {"previous": False, "model": "fitted", "why": "no saved model", "warnings": [], "sizes": {}}
    page_path = write_report(db_path=build_run_db(root / "run.duckdb"), manifest=manifest, out_dir=root / "report")
    page = parse(page_path)
    assert "Segments were fitted: no saved model. There is no previous published run to compare with." in page.text
    assert "drift.png" not in page.images
