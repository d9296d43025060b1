"""Helpers shared by the DUIS tests: sample reading, element walks, the cached schema."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from app.domain.duis import DuisSchema
from app.domain.duis.xml import SR_NS, safe_parse
from app.services.duis_schema import load_configured_schema

ORIGINATOR = "90-B3-D5-1F-30-01-00-00"


def schema_for(xsd: Path) -> DuisSchema:
    """The schema at ``xsd``, loaded once per test session (the services cache)."""
    schema = load_configured_schema(str(xsd))
    assert schema is not None
    return schema


def _element_of(xml: bytes, local: str) -> etree._Element:
    root = safe_parse(xml)
    found = root.find(f"{{{SR_NS}}}{local}")
    assert found is not None, f"no sr:{local}"
    return found


def walk(xml: bytes, local: str) -> list[tuple[str, str]]:
    """(local name, trimmed text) for every element under sr:Header or sr:Body, in document order."""
    out: list[tuple[str, str]] = []
    for el in _element_of(xml, local).iter():
        if isinstance(el.tag, str):
            out.append((etree.QName(el).localname, (el.text or "").strip()))
    return out[1:]


def body_names(xml: bytes) -> list[str]:
    return [name for name, _ in walk(xml, "Body")]


def header_value(xml: bytes, local: str) -> str:
    return dict(walk(xml, "Header"))[local]
