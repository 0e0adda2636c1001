"""ANTS's XML element style (the seed's ``<CALLBACK>`` report), both ways.

Writing: an upper-case root named after the document (``CALLBACK``, ``SEND``...) carrying the
``xsi``/``xsd`` namespace declarations of .NET's XmlSerializer, then one element per key in
order; a list is a container element named like the key holding one element per item named by
:data:`ITEM_NAMES` (``details`` -> ``detail``); ``None`` is ``xsi:nil="true"``.

Reading (requests): any root; an element with child elements is an object, except the list
containers of :data:`LIST_FIELDS` whose children are the items; a leaf is its text, so every
scalar arrives as a string (the models accept strings wherever XML can only give one). Parsing
uses defusedxml only: entity expansion, external entities and DTDs are refused as malformed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
ITEM_NAMES = {
    "details": "detail",
    "messages": "message",
    "destinations": "destination",
    "senders": "sender",
}
LIST_FIELDS = frozenset(ITEM_NAMES)


class XmlError(ValueError):
    """The body is not well-formed (or forbidden) XML."""


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _fill(element: Element, value: Any, item: str = "item") -> None:
    if value is None:
        element.set("xsi:nil", "true")
    elif isinstance(value, Mapping):
        for key, child in value.items():
            _fill(SubElement(element, key), child, ITEM_NAMES.get(key, "item"))
    elif isinstance(value, list | tuple):
        for child in value:
            _fill(SubElement(element, item), child, ITEM_NAMES.get(item + "s", "item"))
    else:
        element.text = _scalar(value)


def render(root: str, data: Any, *, item: str = "item", encoding: str = "utf-8") -> bytes:
    """``data`` as an XML document under ``root``; a top-level list's items are named ``item``."""
    element = Element(root, {"xmlns:xsi": XSI, "xmlns:xsd": XSD})
    _fill(element, data, item)
    indent(element, space="    ")
    body = tostring(element, encoding="unicode")
    return f'<?xml version="1.0" encoding="{encoding}"?>\n{body}'.encode(encoding)


def _read(element: Element) -> Any:
    children = list(element)
    if element.tag in LIST_FIELDS and children:
        return [_read(child) for child in children]
    if not children:
        if element.get(f"{{{XSI}}}nil") == "true":
            return None
        return element.text or ""
    out: dict[str, Any] = {}
    for child in children:
        out[child.tag] = _read(child)
    return out


def parse(raw: bytes) -> Any:
    """The document's root as plain data (see the module docstring); an empty root is ``{}``."""
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException, ValueError, UnicodeError) as exc:
        raise XmlError(str(exc)) from None
    if len(root) == 0:  # <BALANCE/>: an empty request document
        return {} if not (root.text or "").strip() else root.text
    try:
        return _read(root)
    except RecursionError:  # elements nested thousands deep: expat parses them, the walk cannot
        raise XmlError("elements nested too deeply") from None
