"""GeoReport v2 XML: the JSON documents with the spec's element names.

A list becomes a wrapper element with one child per item (``<services><service>…``,
``<attributes><attribute>…``); null becomes an empty element; booleans ``true``/``false``.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

# Characters XML 1.0 cannot carry at all (ElementTree would write them as they are).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# A list field's item element name.
_ITEM_NAMES = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, key), child)
    elif isinstance(value, list):
        item_name = _ITEM_NAMES.get(element.tag, "item")
        for item in value:
            _fill(ElementTree.SubElement(element, item_name), item)
    else:
        element.text = _text(value)


def render(root: str, document: Any, *, item: str | None = None) -> bytes:
    """UTF-8 XML with its declaration. ``document`` is a dict, or a list whose items become
    ``<item>`` children of ``<root>``."""
    element = ElementTree.Element(root)
    if isinstance(document, list):
        for entry in document:
            _fill(ElementTree.SubElement(element, item or "item"), entry)
    else:
        _fill(element, document)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
        element, encoding="unicode"
    ).encode("utf-8")
