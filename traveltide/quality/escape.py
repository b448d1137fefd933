"""Values from an export never become markup in the Data Docs.

Great Expectations 1.24 escapes an expectation's *parameters* (since 1.18.1), but writes the
*values a result shows* into the validation pages as they are: the unexpected values and their
counts (``build_count_table``, ``build_count_and_index_table``, the sampled list), the observed
value, the query that lists them. A ``gender`` of ``<img src=x onerror=…>`` in users.csv became a
live tag that ran in the reviewer's browser.

The values enter the rendering in one place: the validation result a validation page is rendered
from. :func:`escaping_result_values` wraps ``ValidationResultsPageRenderer.render`` so it renders a
copy of the result whose every string inside the expectations' ``result`` dicts is HTML-escaped;
the stored results, the JSON and the manifest keep the values as the export holds them. The
parameters (already escaped by GX) and GX's own templates are left alone, so nothing is escaped
twice.
"""

from __future__ import annotations

import copy
import html
from typing import Any

__all__ = ["escape_result_values_in_pages", "escape_values"]


def escape_values(value: Any) -> Any:
    """``value`` with every string in it (nested in lists, tuples and dict values) HTML-escaped."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {k: escape_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(escape_values(v) for v in value)
    return value


def escape_result_values_in_pages() -> None:
    """Render every validation page from a copy of its result whose values are escaped.

    Installed once per process and idempotent (validation runs build pages from several threads,
    so the wrapper is never stacked or removed).
    """
    from great_expectations.render.renderer.page_renderer import ValidationResultsPageRenderer

    original = ValidationResultsPageRenderer.render
    if getattr(original, "_escapes_values", False):
        return

    def render(self: Any, validation_results: Any, *args: Any, **kwargs: Any) -> Any:
        shown = copy.deepcopy(validation_results)
        for evr in shown.results:
            if evr.result:
                evr.result = escape_values(dict(evr.result))
            if evr.exception_info:
                evr.exception_info = escape_values(dict(evr.exception_info))
        return original(self, shown, *args, **kwargs)

    render._escapes_values = True  # type: ignore[attr-defined]
    ValidationResultsPageRenderer.render = render  # type: ignore[method-assign]
