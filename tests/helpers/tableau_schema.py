"""Validate Tableau documents (.tds, .twb) against Tableau's official 2026.1 schema, offline."""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).resolve().parents[1] / "assets" / "tableau_schemas"
_XS = "http://www.w3.org/2001/XMLSchema"
_LOCAL = {
    "http://www.tableausoftware.com/xml/user": SCHEMAS / "user.xsd",
    "http://www.w3.org/XML/1998/namespace": SCHEMAS / "xml.xsd",
}


@functools.cache
def _schema(*, datasource_root: bool) -> etree.XMLSchema:
    tree = etree.parse(str(SCHEMAS / "twb_2026.1.0.xsd"))
    for imported in tree.getroot().findall(f"{{{_XS}}}import"):
        local = _LOCAL.get(imported.get("namespace"))
        if local:
            imported.set("schemaLocation", local.as_uri())
    if datasource_root:
        root = etree.SubElement(tree.getroot(), f"{{{_XS}}}element")
        root.set("name", "datasource")
        root.set("type", "DataSource-CT")
    return etree.XMLSchema(tree)


def schema_errors(text: str | bytes) -> list[str]:
    """The schema's complaints about a document ([] when it is valid)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    doc = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    schema = _schema(datasource_root=doc.tag == "datasource")
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
