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

:func:`render_pages_for_reviewers` installs both, once per process (validation runs build pages
from several threads, so a wrapper is never stacked or removed).
"""

from __future__ import annotations

import copy
import html
from typing import Any

__all__ = ["COLUMNS", "escape_values", "render_pages_for_reviewers"]

# The extra columns of every validation page's table.
COLUMNS = ("Severity", "Why")
_BADGE = {"critical": "badge-danger", "warning": "badge-warning"}


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
    """Validation pages render escaped values and a Severity and a Why column (idempotent)."""
    from great_expectations.render.renderer.content_block.validation_results_table_content_block import (
        ValidationResultsTableContentBlockRenderer as Table,
    )
    from great_expectations.render.renderer.page_renderer import ValidationResultsPageRenderer as Page

    if getattr(Page.render, "_for_reviewers", False):
        return
    render, rows, header = (
        Page.render,
        Table.__dict__["_get_content_block_fn"],
        Table.__dict__["_process_content_block"],
    )

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

    render_escaped._for_reviewers = True  # type: ignore[attr-defined]
    Page.render = render_escaped  # type: ignore[method-assign]
    Table._get_content_block_fn = classmethod(rows_with_severity)  # type: ignore[method-assign,assignment]
    Table._process_content_block = classmethod(header_with_severity)  # type: ignore[method-assign,assignment]


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
