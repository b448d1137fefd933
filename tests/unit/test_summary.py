"""The terminal's lines after a published run (format_summary), from a manifest written here."""

from __future__ import annotations

from traveltide.publish.manifest import format_summary


def _outcome(suite: str, column: str | None, severity: str, success: bool) -> dict:
    return {"suite": suite, "expectation": "expect_x", "column": column, "severity": severity, "success": success}


def _manifest(rejects: dict) -> dict:
    return {
        "validation": {
            "bronze": {
                "expectations": 3,
                "passed": 2,
                "outcomes": [
                    _outcome("bronze.users", None, "critical", True),
                    _outcome("bronze.users", "gender", "warning", True),
                    _outcome("bronze.hotels", "nights", "warning", False),
                ],
            },
            "mart": {
                "expectations": 2,
                "passed": 1,
                "outcomes": [
                    _outcome("mart.dim_trips", None, "warning", False),
                    _outcome("mart.dim_users", "age", "critical", True),
                ],
            },
        },
        "extract": {"path": "/x/exports/traveltide.hyper"},
        "row_counts": {"gold": {"cohort": 120}},
        "settings": {"min_sessions": 7, "start_date": "2023-01-04"},
        "segments": {
            "k": 2,
            "k_note": "fixed",
            "segments": [
                {"segment_id": 1, "segment_name": "Heavy packers", "users": 70, "perk": "Free checked bag"},
                {"segment_id": 2, "segment_name": "Discount hunters", "users": 50, "perk": "Exclusive discounts"},
            ],
        },
        "exports": "/x/exports",
        "rejects": rejects,
        "drift": {
            "previous": True,
            "model": "scored",
            "why": "the saved model of run r1 fits (same settings, largest PSI 0.01)",
            "returning_users": 100,
            "changed_users": 3,
            "changed_perk": 2,
            "changed_share": 0.02,
            "warnings": [],
        },
    }


def test_the_summary_counts_the_set_aside_lines_by_reason_and_names_the_file() -> None:
    text = format_summary(
        manifest=_manifest(
            {
                "csv": "rejects/rejects.csv",
                "lines": 7,
                "by_reason": {
                    "sessions": {"does not parse": 2, "repeated row": 1},
                    "flights": {"repeated row": 3, "implausible value": 1},
                },
            }
        )
    )
    assert (
        "Set aside: 7 source line(s) (2 does not parse, 1 implausible value, 4 repeated row): "
        "/x/exports/rejects/rejects.csv"
    ) in text.splitlines()
    assert "Segments (k = 2, fixed):" in text.splitlines()


def test_a_clean_run_says_nothing_was_set_aside() -> None:
    text = format_summary(manifest=_manifest({"csv": "rejects/rejects.csv", "lines": 0, "by_reason": {}}))
    assert "Set aside: no source line" in text.splitlines()


def test_the_summary_says_how_the_segments_were_made_and_what_changed() -> None:
    lines = format_summary(manifest=_manifest({"csv": "rejects/rejects.csv", "lines": 0, "by_reason": {}})).splitlines()
    assert "Model: scored: the saved model of run r1 fits (same settings, largest PSI 0.01)" in lines
    assert "Since the previous run: 2 of 100 returning users changed perk (2.0%), 3 changed segment or perk" in lines


def test_the_summary_names_the_tableau_files_and_what_went_to_a_site() -> None:
    manifest = _manifest({"csv": "rejects/rejects.csv", "lines": 0, "by_reason": {}})
    manifest["extract"]["tableau"] = ["traveltide.tds", "traveltide.tdsx", "traveltide.twbx"]
    manifest["tableau"] = [
        {"kind": "data source", "name": "TravelTide", "project": "Mart", "id": "a", "file": "traveltide.tdsx"},
        {"kind": "workbook", "name": "TravelTide", "project": "Mart", "id": "b", "file": "traveltide.twbx"},
    ]
    lines = format_summary(manifest=manifest).splitlines()
    assert (
        "Tableau: /x/exports/traveltide.tdsx (the data source, to open or hand on), "
        "/x/exports/traveltide.twbx (starter workbook)"
    ) in lines
    assert "Published to Tableau: data source 'TravelTide' in project 'Mart'" in lines
    assert "Published to Tableau: workbook 'TravelTide' in project 'Mart'" in lines


def test_the_summary_counts_the_checks_and_names_each_warning() -> None:
    manifest = _manifest({"csv": "rejects/rejects.csv", "lines": 0, "by_reason": {}})
    lines = format_summary(manifest=manifest).splitlines()
    assert (
        "Checks: 3 of 5 expectations passed in 2 layers; 2 warning(s): bronze.hotels.nights, mart.dim_trips expect_x"
    ) in lines
    for layer in manifest["validation"].values():
        layer["passed"] = layer["expectations"]
        for o in layer["outcomes"]:
            o["success"] = True
    assert (
        "Checks: 5 of 5 expectations passed in 2 layers; no warning" in format_summary(manifest=manifest).splitlines()
    )
