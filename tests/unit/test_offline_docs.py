"""Data Docs that load nothing from the network: vendored CDN assets, relative paths, loud failures.

Real Data Docs are built once by ``validate_layer`` on a small bronze database and read back with
the standard library's HTML parser (not the module's regular expressions); small hand-written
sites pin the exact rewrites, the return count and the errors.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest

from helpers.bronze_builder import insert_one_user
from traveltide.quality.offline_docs import (
    CDN_ASSETS,
    OfflineDocsError,
    localize_data_docs,
)

ASSETS = Path(__file__).resolve().parents[2] / "traveltide" / "quality" / "docs_assets"
GX_TEMPLATES = Path(pytest.importorskip("great_expectations").__file__).parent / "render" / "view" / "templates"
CDN_HOSTS = ("unpkg.com", "cdnjs.cloudflare.com", "cdn.jsdelivr.net", "code.jquery.com", "bootstrapcdn.com")
JQUERY = "https://code.jquery.com/jquery-3.7.1.min.js"
POPPER = "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js"
VEGA = "https://cdn.jsdelivr.net/npm/vega@5"
FONTAWESOME = "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css"
S3 = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"


class Refs(HTMLParser):
    """What a page loads (script/img/iframe src, link href, CSS url()) and where its <a> lead."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.anchors: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.anchors.append(values["href"])
        elif tag == "link" and values.get("href"):
            self.loads.append(values["href"])
        elif values.get("src"):
            self.loads.append(values["src"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.loads += re.findall(r"""url\(\s*['"]?([^'")]+)""", data)


def refs(page: Path) -> Refs:
    parser = Refs()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data Docs of one bronze validation run (index, 4 suite pages, 4 result pages), as the pipeline builds them."""
    from traveltide.quality import validate_layer

    root = tmp_path_factory.mktemp("offline")
    db = root / "run.duckdb"
    with duckdb.connect(str(db)) as con:
        insert_one_user(con=con)
    validate_layer(db_path=db, layer="bronze", docs_dir=root / "data_docs", run_id="offline-test")
    return root / "data_docs"


def test_built_pages_load_only_local_files_that_exist(docs: Path) -> None:
    pages = sorted(docs.rglob("*.html"))
    depths = {len(p.relative_to(docs).parts) for p in pages}
    assert len(pages) == 9 and depths == {1, 3, 6}  # index, expectations/bronze/x, validations/bronze/x/run/time/y
    for page in pages:
        found = refs(page)
        remote = [u for u in found.loads if urlparse(u).scheme in ("http", "https") or u.startswith("//")]
        assert remote == [], page
        missing = [u for u in found.loads if not (page.parent / urlparse(u).path).resolve().is_file()]
        assert missing == [], page
        escaping = [u for u in found.loads if not (page.parent / u).resolve().is_relative_to(docs)]
        assert escaping == [], page
        # No http(s) text is left anywhere in the page: no download, no link out (the newsletter is gone).
        assert re.findall(r"https?://[^\"'\s)<>]+", page.read_text(encoding="utf-8")) == [], page
        assert "newsletter" not in page.read_text(encoding="utf-8"), page


def test_the_index_lists_every_row_on_one_page(docs: Path) -> None:
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "'pagination': false" in index
    assert "'pagination': 'true'" not in index
    assert "Great Expectations" in index  # the credit stays, as text


def test_built_index_loads_every_script_and_style_from_the_vendor_folder(docs: Path) -> None:
    loads = refs(docs / "index.html").loads
    assert "static/vendor/jquery-3.7.1/jquery.min.js" in loads
    assert "static/vendor/fontawesome-free-6.6.0/css/all.min.css" in loads
    assert "static/vendor/vega-5.33.1/vega.min.js" in loads
    assert "static/images/logo-long.png" in loads  # GX's own logo, fetched from S3 before
    results = next(docs.glob("validations/bronze/users/*/*/*.html"))
    assert "../../../../../static/vendor/bootstrap-4.3.1/js/bootstrap.min.js" in refs(results).loads
    assert "integrity=" not in (docs / "index.html").read_text(encoding="utf-8")
    assert (docs / "static/vendor/jquery-3.7.1/LICENSE.txt").is_file()


def test_second_pass_on_built_docs_rewrites_nothing(docs: Path) -> None:
    before = {p: p.read_bytes() for p in docs.rglob("*.html")}
    assert localize_data_docs(docs_dir=docs) == 0
    assert {p: p.read_bytes() for p in docs.rglob("*.html")} == before


def _site(root: Path, pages: dict[str, str]) -> Path:
    (root / "static" / "images").mkdir(parents=True)
    (root / "static" / "images" / "logo-long.png").write_bytes(b"\x89PNG")
    for name, html in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(html, encoding="utf-8")
    return root


def test_rewrites_to_relative_paths_at_each_depth_and_counts_them(tmp_path: Path) -> None:
    site = _site(
        tmp_path / "docs",
        {
            "index.html": f'<link rel="stylesheet" href="{FONTAWESOME}"><script src="{JQUERY}"></script>'
            f'<img src="{S3}logo-long.png?d=20261124T063552Z"><a href="https://greatexpectations.io">GX</a>',
            "a/b/page.html": f"<script src='{VEGA}'></script><style>.x {{ background: url('{S3}full_logo_dark.png') }}</style>",
        },
    )
    assert localize_data_docs(docs_dir=site) == 6  # 4 on the index (the link out kept as its text), 2 deep
    assert (site / "index.html").read_text(encoding="utf-8") == (
        '<link rel="stylesheet" href="static/vendor/fontawesome-free-6.6.0/css/all.min.css">'
        '<script src="static/vendor/jquery-3.7.1/jquery.min.js"></script>'
        '<img src="static/images/logo-long.png">GX'
    )
    assert (site / "a/b/page.html").read_text(encoding="utf-8") == (
        "<script src='../../static/vendor/vega-5.33.1/vega.min.js'></script>"
        "<style>.x { background: url('../../static/images/logo-long.png') }</style>"
    )
    assert (site / "static/vendor/vega-5.33.1/vega.min.js").read_bytes() == (
        ASSETS / "vega-5.33.1/vega.min.js"
    ).read_bytes()
    assert not (site / "static/vendor/README.md").exists()


def test_static_reference_one_folder_short_is_repointed(tmp_path: Path) -> None:
    """GX's favicon link on result pages climbs four folders where the page sits five deep."""
    site = _site(
        tmp_path / "docs",
        {
            "v/a/b/c/d/page.html": '<link rel="shortcut icon" href="../../../../static/images/logo-long.png" type="image/x-icon"/>',
            "e/s/page.html": '<link rel="shortcut icon" href="../../static/images/logo-long.png"/>',
        },
    )
    assert localize_data_docs(docs_dir=site) == 1
    assert (site / "v/a/b/c/d/page.html").read_text(encoding="utf-8") == (
        '<link rel="shortcut icon" href="../../../../../static/images/logo-long.png" type="image/x-icon"/>'
    )
    assert (site / "e/s/page.html").read_text(
        encoding="utf-8"
    ) == '<link rel="shortcut icon" href="../../static/images/logo-long.png"/>'


def test_pinned_integrity_is_checked_then_dropped(tmp_path: Path) -> None:
    popper = (ASSETS / "popper.js-1.12.9/umd/popper.min.js").read_bytes()
    pin = "sha384-" + base64.b64encode(hashlib.sha384(popper).digest()).decode()
    site = _site(
        tmp_path / "ok", {"index.html": f'<script src="{POPPER}" integrity="{pin}" crossorigin="anonymous"></script>'}
    )
    assert localize_data_docs(docs_dir=site) == 1
    assert (site / "index.html").read_text(
        encoding="utf-8"
    ) == '<script src="static/vendor/popper.js-1.12.9/umd/popper.min.js"></script>'

    wrong = "sha384-" + base64.b64encode(hashlib.sha384(b"another file").digest()).decode()
    bad = _site(
        tmp_path / "bad",
        {"index.html": f'<script src="{POPPER}" integrity="{wrong}" crossorigin="anonymous"></script>'},
    )
    with pytest.raises(OfflineDocsError, match=r"popper\.js-1\.12\.9/umd/popper\.min\.js does not match the integrity"):
        localize_data_docs(docs_dir=bad)


def test_unknown_cdn_asset_fails_naming_page_and_url_and_changes_nothing(tmp_path: Path) -> None:
    new_asset = "https://unpkg.com/some-new-lib@2.0.0/dist/lib.min.js"
    html = {
        "index.html": f'<script src="{JQUERY}"></script>',
        "deep/page.html": f'<script src="{new_asset}"></script><script>load("https://cdn.jsdelivr.net/npm/x@1")</script>',
    }
    site = _site(tmp_path / "docs", html)
    with pytest.raises(
        OfflineDocsError,
        match=r"(?s)deep/page\.html: https://unpkg\.com/some-new-lib@2\.0\.0/dist/lib\.min\.js.*"
        r"deep/page\.html: https://cdn\.jsdelivr\.net/npm/x@1.*map its URL in CDN_ASSETS",
    ):
        localize_data_docs(docs_dir=site)
    assert {n: (site / n).read_text(encoding="utf-8") for n in html} == html
    assert not (site / "static" / "vendor").exists()


def test_missing_gx_image_is_an_error(tmp_path: Path) -> None:
    site = _site(tmp_path / "docs", {"index.html": f'<img src="{S3}new_banner.png">'})
    with pytest.raises(
        OfflineDocsError, match=r"index\.html: https://great-expectations-web-assets\.s3\..*/new_banner\.png"
    ):
        localize_data_docs(docs_dir=site)


def test_every_cdn_url_in_the_installed_gx_templates_is_vendored() -> None:
    """Read GX's own templates: a new or changed CDN URL after an upgrade fails here first."""
    urls = set()
    for template in GX_TEMPLATES.rglob("*.j2"):
        urls |= set(re.findall(r"""(?:src|href)=["'](https://[^"']+)""", template.read_text(encoding="utf-8")))
    cdn = {u for u in urls if urlparse(u).hostname.endswith(CDN_HOSTS)}
    assert len(cdn) == 16
    assert cdn <= set(CDN_ASSETS)
    assert all((ASSETS / path).is_file() for path in CDN_ASSETS.values())


def test_vendored_stylesheets_find_their_fonts() -> None:
    """Font Awesome names each font as woff2 then ttf; only woff2 is vendored (every current browser takes it)."""
    for css in ASSETS.rglob("*.css"):
        for ref in re.findall(r"""url\(\s*['"]?([^'")]+)""", css.read_text(encoding="utf-8")):
            if ref.startswith("data:"):
                continue
            target = css.parent / ref
            assert (target.with_suffix(".woff2") if target.suffix == ".ttf" else target).is_file(), (css, ref)


def test_each_vendored_package_has_its_license_and_a_readme_row() -> None:
    readme = (ASSETS / "README.md").read_text(encoding="utf-8")
    no_license_file = {"popper.js-1.12.9", "vega-5.33.1"}  # their npm tarballs ship none (README says so)
    for package in sorted(p for p in ASSETS.iterdir() if p.is_dir()):
        assert package.name in no_license_file or list(package.glob("LICENSE*")), package.name
        assert f"| `{package.name}/` |" in readme, package.name
