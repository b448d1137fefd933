"""What a reviewer sees on a Data Docs validation page: the values as text, and how much each check matters.

**No markup from the data.** Great Expectations 1.24 escapes an expectation's *parameters* (since
1.18.1), but writes the *values a result shows* into the validation pages as they are: the
unexpected values and their counts (``build_count_table``, ``build_count_and_index_table``, the
sampled list), the observed value, the query that lists them. A ``gender`` of
``<img src=x onerror=…>`` in users.csv became a live tag that ran in the reviewer's browser. The
values enter the rendering in one place, the validation result a page is rendered from: pages are
rendered from a copy of it whose every string inside the expectations' ``result`` (and exception)
dicts is HTML-escaped. The stored results, the JSON and the manifest keep the values as the export
holds them; the parameters (already escaped by GX) and GX's templates are left alone, so nothing
is escaped twice.

**Severity and why.** Every expectation's ``meta`` holds its severity (``critical`` stops the run,
``warning`` is reported) and why it exists. GX 1.24's own hook for extra columns
(``meta_properties_to_render``) reads them from the expectation's kwargs, which its pydantic
models now refuse; so the table renderer's rows get two cells, *Severity* (a badge) and *Why*,
and its header the two columns.

**What stopped a run.** GX calls a suite "Failed" when any expectation failed, so a suite with
only warnings looked like the critical failure that stopped the run. A suite's status here is
*passed*, *passed with warnings* or *critical failure — stops the run* (:func:`suite_status`):
the validation page's header says it, and the index shows it per suite and run (an amber warning
sign, or a red cross with the words) through :func:`with_status` on the context the index is
built from.

:func:`render_pages_for_reviewers` installs the page hooks, once per process (validation runs
build pages from several threads, so a wrapper is never stacked or removed).
"""

from __future__ import annotations

import copy
import html
from typing import Any

__all__ = ["COLUMNS", "SuiteStatus", "escape_values", "render_pages_for_reviewers", "suite_status", "with_status"]

# The extra columns of every validation page's table.
COLUMNS = ("Severity", "Why")
_BADGE = {"critical": "badge-danger", "warning": "badge-warning"}
_WORDS = {"passed": "Passed", "warnings": "Passed with warnings", "critical": "Critical failure: stops the run"}
_ICONS = {
    "passed": ["fas", "fa-check-circle", "text-success"],
    "warnings": ["fas", "fa-exclamation-triangle", "text-warning"],
    "critical": ["fas", "fa-times", "text-danger"],
}


class SuiteStatus(str):
    """A suite's status that GX can still read as its boolean ``success`` (true unless critical)."""

    def __bool__(self) -> bool:
        return self != "critical"


def suite_status(validation_results: Any) -> SuiteStatus:
    """'critical' when a failed expectation is critical (or says no severity), 'warnings' when only
    warnings failed, else 'passed'."""
    failed = [evr for evr in validation_results.results if not evr.success]
    severities = {str((evr.expectation_config.meta or {}).get("severity", "critical")) for evr in failed}
    if "critical" in severities or (failed and not severities <= {"warning"}):
        return SuiteStatus("critical")
    return SuiteStatus("warnings" if failed else "passed")


def with_status(get_validation_result: Any) -> Any:
    """A context's ``get_validation_result`` whose results carry :class:`SuiteStatus` as ``success``."""

    def get(*args: Any, **kwargs: Any) -> Any:
        found = get_validation_result(*args, **kwargs)
        if hasattr(found, "results"):
            found.success = suite_status(found)
        return found

    return get


def escape_values(value: Any) -> Any:
    """``value`` with every string in it (nested in lists, tuples and dict values) HTML-escaped."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {k: escape_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(escape_values(v) for v in value)
    return value


def render_pages_for_reviewers() -> None:
    """Validation pages render escaped values, a Severity and a Why column and the suite's status; the
    index renders the status (idempotent)."""
    from great_expectations.render.renderer.content_block.validation_results_table_content_block import (
        ValidationResultsTableContentBlockRenderer as Table,
    )
    from great_expectations.render.renderer.page_renderer import ValidationResultsPageRenderer as Page

    if getattr(Page.render, "_for_reviewers", False):
        return
    from great_expectations.render.renderer.site_index_page_renderer import SiteIndexPageRenderer as Index

    render, rows, header = (
        Page.render,
        Table.__dict__["_get_content_block_fn"],
        Table.__dict__["_process_content_block"],
    )
    overview, index_cell = Page.__dict__["_render_validation_header"], Index.__dict__["_render_validation_success_cell"]

    def render_escaped(self: Any, validation_results: Any, *args: Any, **kwargs: Any) -> Any:
        shown = copy.deepcopy(validation_results)
        for evr in shown.results:
            if evr.result:
                evr.result = escape_values(dict(evr.result))
            if evr.exception_info:
                evr.exception_info = escape_values(dict(evr.exception_info))
        return render(self, shown, *args, **kwargs)

    def rows_with_severity(cls: Any, *args: Any, **kwargs: Any) -> Any:
        make_rows = rows.__func__(cls, *args, **kwargs)
        if make_rows is None:
            return None

        def with_cells(*a: Any, **kw: Any) -> Any:
            made = make_rows(*a, **kw)
            result = kw.get("result")
            meta = dict(getattr(getattr(result, "expectation_config", None), "meta", None) or {})
            for row in made:
                row.extend(_cells(meta))
            return made

        return with_cells

    def header_with_severity(cls: Any, content_block: Any, *args: Any, **kwargs: Any) -> None:
        header.__func__(cls, content_block, *args, **kwargs)
        content_block.header_row = [*content_block.header_row, *COLUMNS]

    def overview_with_status(cls: Any, validation_results: Any) -> Any:
        content = overview.__func__(cls, validation_results)
        status = suite_status(validation_results)
        params = content.subheader.string_template["params"]
        params["success"] = _WORDS[status]
        params["html_success_icon"] = f'<i class="{" ".join(_ICONS[status])}" aria-hidden="true"></i>'
        return content

    def index_cell_with_status(cls: Any, validation_success: Any) -> Any:
        cell = index_cell.__func__(cls, validation_success)
        if isinstance(validation_success, SuiteStatus) and validation_success != "passed":
            template = cell.string_template
            template["template"] = "$validation_success $status"
            template["params"]["status"] = _WORDS[validation_success]
            template["styling"]["params"]["validation_success"]["classes"] = _ICONS[validation_success]
        return cell

    render_escaped._for_reviewers = True  # type: ignore[attr-defined]
    Page.render = render_escaped  # type: ignore[method-assign]
    Table._get_content_block_fn = classmethod(rows_with_severity)  # type: ignore[method-assign,assignment]
    Table._process_content_block = classmethod(header_with_severity)  # type: ignore[method-assign,assignment]
    Page._render_validation_header = classmethod(overview_with_status)  # type: ignore[method-assign,assignment]
    Index._render_validation_success_cell = classmethod(index_cell_with_status)  # type: ignore[method-assign,assignment]


def _cells(meta: dict[str, Any]) -> list[Any]:
    """The Severity badge and the Why text of one expectation, from its meta."""
    from great_expectations.render import RenderedStringTemplateContent

    severity = str(meta.get("severity", "–"))
    badge = RenderedStringTemplateContent(
        content_block_type="string_template",
        string_template={
            "template": "$severity",
            "params": {"severity": severity},
            "styling": {
                "params": {"severity": {"tag": "span", "classes": ["badge", _BADGE.get(severity, "badge-secondary")]}}
            },
        },
    )
    return [badge, html.escape(str(meta.get("why", "")))]
