"""Result values are escaped once, wherever they sit in a result; the hooks never stack."""

from __future__ import annotations

from traveltide.quality.validation_pages import escape_values, render_pages_for_reviewers


def test_every_string_in_a_result_is_escaped_and_nothing_else_changes():
    result = {
        "observed_value": "<b>bold</b>",
        "partial_unexpected_list": ["<img src=x onerror=alert(1)>", None, 3],
        "partial_unexpected_counts": [{"value": "a&b", "count": 2}],
        "details": {"values": ("'quoted'", '"double"')},
        "unexpected_percent": 12.5,
    }
    assert escape_values(result) == {
        "observed_value": "&lt;b&gt;bold&lt;/b&gt;",
        "partial_unexpected_list": ["&lt;img src=x onerror=alert(1)&gt;", None, 3],
        "partial_unexpected_counts": [{"value": "a&amp;b", "count": 2}],
        "details": {"values": ("&#x27;quoted&#x27;", "&quot;double&quot;")},
        "unexpected_percent": 12.5,
    }


def test_installing_twice_wraps_the_page_renderer_once():
    from great_expectations.render.renderer.page_renderer import ValidationResultsPageRenderer

    render_pages_for_reviewers()
    first = ValidationResultsPageRenderer.render
    render_pages_for_reviewers()
    assert ValidationResultsPageRenderer.render is first
    assert getattr(first, "_for_reviewers", False)
