"""Make Great Expectations' Data Docs work without a network.

GX 1.24 pages load jQuery, Bootstrap, bootstrap-table, Vega and Font Awesome from public CDNs
and its logo from an S3 bucket; offline (as on the users' machines) the index renders as an
empty, unstyled page. :func:`localize_data_docs` copies the files vendored in ``docs_assets/``
(see its README) into the site and points every page at them with relative paths, so the docs
open from a file:// URL or any folder they are moved to. Links out of the site go too (GX's
footer invites to its newsletter; its name links to its website): a link is kept as its text.
The index lists every suite and run on one page (GX pages them ten at a time).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from urllib.parse import urlparse

from traveltide.errors import TravelTideError

__all__ = ["CDN_ASSETS", "VENDOR_DIR", "OfflineDocsError", "localize_data_docs"]

VENDOR_DIR = "static/vendor"

# Every CDN URL GX 1.24 pages load -> its vendored file under docs_assets/ (= static/vendor/).
# The two non-minified stylesheets GX names are served by the minified file of the same release.
CDN_ASSETS: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js-1.12.9/umd/popper.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1/js/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table-1.19.1/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table-1.19.0/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table-1.19.0/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker-1.9.0/css/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker-1.9.0/js/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome-free-6.6.0/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark-1.1.0/css/bootstrap-prefers-dark.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": "vega-5.33.1/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite-5.23.0/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed-6.29.0/vega-embed.min.js",
}
# GX fetches its logo from this bucket although the site ships copies in static/images/.
_GX_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
# The dark-mode navbar logo has no local copy in GX: the regular logo stands in.
_GX_IMAGE_STAND_INS = {"full_logo_dark.png": "logo-long.png"}
# Hosts whose URLs always mean a download, wherever they appear in a page (scripts included).
_CDN_HOSTS = {urlparse(url).netloc for url in CDN_ASSETS} | {
    "great-expectations-web-assets.s3.us-east-2.amazonaws.com",
    "use.fontawesome.com",
    "ajax.googleapis.com",
    "fonts.googleapis.com",
    "fonts.gstatic.com",
}

_TAG = re.compile(r"<(?P<name>[a-zA-Z][\w-]*)(?P<attrs>\s[^>]*)?>")
_URL_ATTR = re.compile(r"""\b(?:src|href)\s*=\s*(?P<q>["'])(?P<url>https?://[^"']*)(?P=q)""", re.IGNORECASE)
# A site-relative reference to GX's static folder (GX miscounts the depth of result pages' favicon).
_STATIC_ATTR = re.compile(
    r"""\b(?:src|href)\s*=\s*(?P<q>["'])(?P<url>(?:\./|(?:\.\./)+)static/(?P<rest>[^"'?#]+))(?P=q)"""
)
_INTEGRITY = re.compile(r"""\s+integrity\s*=\s*(?P<q>["'])(?P<value>[^"']*)(?P=q)""", re.IGNORECASE)
_CROSSORIGIN = re.compile(r"""\s+crossorigin(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?""", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?P<head>(?:url\(|@import)\s*(?P<q>["']?))(?P<url>https?://[^"')\s;]+)""", re.IGNORECASE)
_ANY_URL = re.compile(r"""https?://(?P<host>[^/"'\s)<>]+)[^"'\s)<>]*""")
# GX's newsletter footer, an external link (kept as its text) and the index tables' paging.
_NEWSLETTER = re.compile(r"<footer>\s*<p>Stay current on everything GX.*?</footer>", re.DOTALL)
_EXTERNAL_LINK = re.compile(r"""<a\s[^>]*href\s*=\s*["']https?://[^"']*["'][^>]*>(?P<text>.*?)</a>""", re.DOTALL)
_PAGED = "'pagination': 'true'"


class OfflineDocsError(TravelTideError, RuntimeError):
    """A Data Docs page loads something from the network that has no vendored copy."""


def localize_data_docs(*, docs_dir: Path) -> int:
    """Vendor the CDN assets into ``docs_dir/static/vendor`` and point every page at them.

    Also re-points GX's own ``static/`` references that miss their file (the favicon link of
    validation-result pages climbs one folder too few). Returns how many references were
    rewritten (0 when the pages were already local).
    Raises :class:`OfflineDocsError` naming each page and URL still loaded from the network,
    before changing any page, so a GX upgrade that adds an asset cannot ship broken docs.
    """
    docs_dir = Path(docs_dir).resolve()
    assets = files("traveltide.quality") / "docs_assets"
    vendor = docs_dir / VENDOR_DIR
    rewritten: dict[Path, str] = {}
    problems: list[str] = []
    total = 0
    for page in sorted(docs_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        new_text, count, unknown = _localize_page(text=text, page=page, docs_dir=docs_dir, assets=assets)
        problems += [f"{page.relative_to(docs_dir)}: {url}" for url in unknown]
        if count:
            rewritten[page] = new_text
            total += count
    if problems:
        listed = "\n  ".join(dict.fromkeys(problems))
        raise OfflineDocsError(
            f"Data Docs in {docs_dir} still load from the network, with no vendored copy:\n  {listed}\n"
            "Great Expectations added or changed an asset: vendor it (traveltide/quality/docs_assets/README.md) "
            "and map its URL in CDN_ASSETS in traveltide/quality/offline_docs.py."
        )
    _copy_tree(source=assets, target=vendor)
    for page, text in rewritten.items():
        page.write_text(text, encoding="utf-8")
    return total


def _localize_page(*, text: str, page: Path, docs_dir: Path, assets: Traversable) -> tuple[str, int, list[str]]:
    """The page with every loaded URL made local, the number rewritten, and the URLs that could not be."""
    count = 0
    unknown: list[str] = []

    def local(url: str) -> str | None:
        nonlocal count
        target = _local_target(url=url, docs_dir=docs_dir)
        if target is None:
            unknown.append(url)
            return None
        count += 1
        return Path(os.path.relpath(target, page.parent)).as_posix()

    def attribute(match: re.Match[str]) -> str:
        path = local(match.group("url"))
        return match.group(0) if path is None else match.group(0).replace(match.group("url"), path)

    def static(match: re.Match[str]) -> str:
        nonlocal count
        target = docs_dir / "static" / match.group("rest")
        if (page.parent / match.group("url")).is_file() or not target.is_file():
            return match.group(0)
        count += 1
        return match.group(0).replace(match.group("url"), Path(os.path.relpath(target, page.parent)).as_posix())

    def tag(match: re.Match[str]) -> str:
        whole = match.group(0)
        if match.group("name").lower() == "a":  # a hyperlink the reader may follow, not a download
            return whole
        urls = [m.group("url") for m in _URL_ATTR.finditer(whole)]
        integrity = _INTEGRITY.search(whole)
        if integrity and urls and urls[0] in CDN_ASSETS:
            # Prove the vendored copy is the pinned file, then drop SRI/CORS: file:// pages cannot do them.
            _check_integrity(url=urls[0], expected=integrity.group("value"), assets=assets)
            whole = _CROSSORIGIN.sub("", _INTEGRITY.sub("", whole))
        return _URL_ATTR.sub(attribute, _STATIC_ATTR.sub(static, whole))

    def css(match: re.Match[str]) -> str:
        path = local(match.group("url"))
        return match.group(0) if path is None else match.group("head") + path

    text, dropped = _NEWSLETTER.subn("", text)
    text, unlinked = _EXTERNAL_LINK.subn(lambda m: m.group("text"), text)
    count += dropped + unlinked + text.count(_PAGED)
    text = text.replace(_PAGED, "'pagination': false")  # a JS boolean: the string 'false' is true
    text = _TAG.sub(tag, text)
    text = _CSS_URL.sub(css, text)
    # Anything left on a CDN host (a script building a URL, a new tag kind) would still download.
    unknown += [m.group(0) for m in _ANY_URL.finditer(text) if m.group("host") in _CDN_HOSTS]
    return text, count, list(dict.fromkeys(unknown))


def _local_target(*, url: str, docs_dir: Path) -> Path | None:
    if url in CDN_ASSETS:
        return docs_dir / VENDOR_DIR / CDN_ASSETS[url]
    if url.startswith(_GX_IMAGES):
        name = url[len(_GX_IMAGES) :].split("?", 1)[0]
        image = docs_dir / "static" / "images" / _GX_IMAGE_STAND_INS.get(name, name)
        return image if image.is_file() else None
    return None


def _check_integrity(*, url: str, expected: str, assets: Traversable) -> None:
    data = (assets / CDN_ASSETS[url]).read_bytes()
    for token in expected.split():
        algorithm, _, digest = token.partition("-")
        if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == digest:
            return
    raise OfflineDocsError(
        f"the vendored {CDN_ASSETS[url]} does not match the integrity {expected!r} GX pins for {url}: "
        "refresh it (traveltide/quality/docs_assets/README.md)"
    )


def _copy_tree(*, source: Traversable, target: Path) -> None:
    """Copy the vendored packages (sub-folders, LICENSE files included), not the README or script."""
    for entry in source.iterdir():
        if entry.is_dir():
            _copy_files(source=entry, target=target / entry.name)


def _copy_files(*, source: Traversable, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.is_dir():
            _copy_files(source=entry, target=target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())
