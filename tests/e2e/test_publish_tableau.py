"""Publishing to Tableau Server/Cloud with tableauserverclient, against a local stand-in of its
REST API that checks the token, the site, the session, the project and the uploaded files.

The command is run as a user runs it (the installed ``traveltide`` command, the token in the
environment); the flow's own publishing step runs in a real flow run.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers.tableau_rest import FakeTableauServer
from helpers.tableau_schema import schema_errors

pytestmark = pytest.mark.slow

CLI = [str(Path(sys.executable).with_name("traveltide"))]
NAME, SECRET = "traveltide-ci", "pat-secret-4f1c9e"


def _publish(exports: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "TRAVELTIDE_TABLEAU_TOKEN_NAME": NAME,
        "TRAVELTIDE_TABLEAU_TOKEN_SECRET": SECRET,
        **(env or {}),
    }
    return subprocess.run(
        [*CLI, "publish-tableau", "--exports", str(exports), *args],
        capture_output=True,
        text=True,
        env={k: v for k, v in environment.items() if v},
        timeout=120,
        check=False,
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def site():
    with FakeTableauServer(token_name=NAME, token_secret=SECRET, site="marketing", projects=("default", "Mart")) as s:
        yield s


def test_publishes_the_data_source_and_the_workbook(good_run, site) -> None:
    exports, _ = good_run
    done = _publish(exports, "--server", site.url, "--site", "marketing", "--project", "Mart")
    assert done.returncode == 0, done.stderr
    assert site.problems == []
    assert [(p.kind, p.name, p.project_id, p.file_name) for p in site.published] == [
        ("datasource", "TravelTide", site.projects["Mart"], "traveltide.tdsx"),
        ("workbook", "TravelTide", site.projects["Mart"], "traveltide.twbx"),
    ]
    for published, name in zip(site.published, ("traveltide.tdsx", "traveltide.twbx"), strict=True):
        assert _sha(published.content) == _sha((exports / name).read_bytes())
        with zipfile.ZipFile(io.BytesIO(published.content)) as z:
            document = next(n for n in z.namelist() if n.endswith((".tds", ".twb")))
            assert schema_errors(z.read(document)) == []
    assert site.published[1].show_tabs == "true"
    publishes = [r for r in site.received if r.path.endswith(("/datasources", "/workbooks"))]
    assert all(r.query["overwrite"] == ["true"] for r in publishes)
    assert site.signed_out
    assert "Published data source 'TravelTide' (traveltide.tdsx) to project 'Mart'" in done.stdout
    assert "Published workbook 'TravelTide' (traveltide.twbx)" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_a_large_package_goes_up_in_chunks(good_run, site, tmp_path) -> None:
    """Large files go up in chunks (here 1 MB ones): a data source above TSC_FILESIZE_LIMIT_MB,
    a workbook above 64 MB (tableauserverclient 0.42 fixes that limit for workbooks)."""
    exports, _ = good_run
    folder = tmp_path / "exports"
    shutil.copytree(exports, folder)
    # Pad the packages with an extra member, so the chunked path really runs.
    for name, size in (("traveltide.tdsx", 2_500_000), ("traveltide.twbx", 65 * 1024 * 1024)):
        with zipfile.ZipFile(folder / name, "a") as z:
            z.writestr("Data/padding.bin", os.urandom(size))
    done = _publish(
        folder,
        "--server",
        site.url,
        "--site",
        "marketing",
        env={"TSC_FILESIZE_LIMIT_MB": "1", "TSC_CHUNK_SIZE_MB": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert [p.chunked for p in site.published] == [True, True]
    for published, name in zip(site.published, ("traveltide.tdsx", "traveltide.twbx"), strict=True):
        assert _sha(published.content) == _sha((folder / name).read_bytes())
    assert sum(r.method == "PUT" for r in site.received) >= 3 + 65  # one per 1 MB chunk
    assert site.problems == []


def test_a_refused_token_says_what_to_check_and_never_shows_the_secret(good_run, site) -> None:
    exports, _ = good_run
    done = _publish(
        exports, "--server", site.url, "--site", "marketing", env={"TRAVELTIDE_TABLEAU_TOKEN_SECRET": "wrong-9"}
    )
    assert done.returncode == 1
    message = done.stderr.strip().splitlines()[-1]
    assert "sign-in refused (401001" in message
    assert "TRAVELTIDE_TABLEAU_TOKEN_NAME" in message and "nothing was published" in message
    assert "wrong-9" not in done.stdout + done.stderr
    assert site.published == []


def test_a_wrong_site_or_project_is_named(good_run, site) -> None:
    exports, _ = good_run
    done = _publish(exports, "--server", site.url, "--site", "sales")
    assert done.returncode == 1 and "sign-in refused" in done.stderr and "site is 'sales'" in done.stderr
    done = _publish(exports, "--server", site.url, "--site", "marketing", "--project", "Marketing")
    assert done.returncode == 1
    assert "no project named 'Marketing' on the site" in done.stderr and "nothing was published" in done.stderr
    assert site.published == []


def test_a_404_from_the_server_says_what_to_check(good_run, site) -> None:
    exports, _ = good_run
    site.fail["projects"] = 404
    done = _publish(exports, "--server", site.url, "--site", "marketing")
    assert done.returncode == 1
    message = done.stderr.strip().splitlines()[-1]
    assert "the server refused (404000 Resource Not Found" in message
    assert "check the server address and the site's content URL" in message and "nothing was published" in message


def test_a_server_failure_says_what_was_already_published(good_run, site) -> None:
    exports, _ = good_run
    site.fail["workbooks"] = 500
    done = _publish(exports, "--server", site.url, "--site", "marketing")
    assert done.returncode == 1
    assert "failed with HTTP 500" in done.stderr
    assert "already published: data source 'TravelTide' (traveltide.tdsx)" in done.stderr
    assert [p.kind for p in site.published] == ["datasource"]
    site.fail = {"datasources": 503}
    done = _publish(exports, "--server", site.url, "--site", "marketing")
    assert "failed with HTTP 503" in done.stderr and "nothing was published" in done.stderr


def test_create_new_refuses_to_replace(good_run, site) -> None:
    exports, _ = good_run
    assert _publish(exports, "--server", site.url, "--site", "marketing", "--mode", "create-new").returncode == 0
    again = _publish(exports, "--server", site.url, "--site", "marketing", "--mode", "create-new")
    assert again.returncode == 1
    assert "409004" in again.stderr and "publish with mode overwrite" in again.stderr
    assert all(r.query.get("overwrite") != ["true"] for r in site.received if r.path.endswith("/datasources"))


def test_without_a_token_nothing_is_sent(good_run, site) -> None:
    exports, _ = good_run
    done = _publish(exports, "--server", site.url, env={"TRAVELTIDE_TABLEAU_TOKEN_SECRET": ""})
    assert done.returncode == 1
    assert "TRAVELTIDE_TABLEAU_TOKEN_SECRET not set" in done.stderr
    assert site.received == []


def test_plain_http_to_another_machine_is_refused(good_run) -> None:
    exports, _ = good_run
    done = _publish(exports, "--server", "http://tableau.example.com")
    assert done.returncode == 2
    assert "not an https:// address" in done.stderr


def test_a_run_publishes_to_the_configured_site_after_its_own_outputs(
    harness, sample_dir, tmp_path, monkeypatch, caplog
) -> None:
    from flows.traveltide_flow import traveltide_mart
    from traveltide.publish.tableau_server import TableauPublishError
    from traveltide.settings import load_settings

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TRAVELTIDE_TABLEAU_TOKEN_NAME", NAME)
    monkeypatch.setenv("TRAVELTIDE_TABLEAU_TOKEN_SECRET", SECRET)
    with FakeTableauServer(token_name=NAME, token_secret=SECRET) as fake:
        settings = load_settings(
            source=str(sample_dir),
            exports=tmp_path / "exports",
            cache_dir=tmp_path / "cache",
            min_segment_size=10,
            tableau_server=fake.url,
        )
        manifest = traveltide_mart(settings=settings)
        assert [(p["kind"], p["file"]) for p in manifest["tableau"]] == [
            ("data source", "traveltide.tdsx"),
            ("workbook", "traveltide.twbx"),
        ]
        assert [_sha(p.content) for p in fake.published] == [
            _sha((tmp_path / "exports" / n).read_bytes()) for n in ("traveltide.tdsx", "traveltide.twbx")
        ]
        # A site that fails leaves the run's own outputs published, and says so.
        fake.fail["datasources"] = 500
        before = _sha((tmp_path / "exports" / "manifest.json").read_bytes())
        with pytest.raises(TableauPublishError, match=r"the run published its outputs to .*failed with HTTP 500"):
            traveltide_mart(settings=settings)
        assert _sha((tmp_path / "exports" / "manifest.json").read_bytes()) != before
    # Every library's log records, down to DEBUG (tableauserverclient's requests included).
    assert "Signed into" in caplog.text and "auth/signin" in caplog.text
    assert SECRET not in caplog.text
