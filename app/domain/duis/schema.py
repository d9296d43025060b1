"""The DUIS v5.4 XSD as a validator, loaded from what the caller hands over.

Why here: every intent is rendered and checked against the published schema before it is
queued, so a malformed request is refused on the laptop, with the installer still on
site, rather than by the DCC days later.

File access: this is the one place in ``app.domain`` that reads files, and only when the
caller passes a *path*. libxml2 must open the XSD's imports (``mmc-v5.4.xsd``,
``xmldsig-core-schema.xsd``) beside it, so even :meth:`DuisSchema.from_bytes` needs a
``base_url`` naming where the main file lives. Which path to use (a setting, or the
shared reference copy) is the services layer's decision: see ``app/services/duis_schema.py``.
The XSD is trusted configuration; documents being *validated* go through the same
locked-down parser as responses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from lxml import etree

from app.domain.duis.errors import DuisSchemaError
from app.domain.duis.xml import NotWellFormed, UnsafeDocument, safe_parse


def _schema_parser() -> etree.XMLParser:
    # The XSD is trusted, but never let it reach the network or expand entities either.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class DuisSchema:
    """An lxml XMLSchema for DUIS, with validation that returns readable error lines."""

    def __init__(self, schema: etree.XMLSchema, source: str) -> None:
        self._schema = schema
        self.source = source
        # lxml keeps the error log on the schema object: one validation at a time.
        self._lock = threading.Lock()

    @classmethod
    def from_path(cls, path: str | Path) -> DuisSchema:
        """Load the XSD file at ``path`` (its imports are looked up beside it)."""
        location = Path(path)
        if not location.is_file():
            raise DuisSchemaError(f"the DUIS schema file {str(location)!r} does not exist")
        try:
            document = etree.parse(str(location), _schema_parser())
            schema = etree.XMLSchema(document)
        except (etree.XMLSyntaxError, etree.XMLSchemaParseError, OSError) as exc:
            raise DuisSchemaError(f"the DUIS schema {str(location)!r} could not be loaded: {exc}") from exc
        return cls(schema, str(location))

    @classmethod
    def from_bytes(cls, data: bytes, base_url: str | None = None) -> DuisSchema:
        """Build from XSD bytes; ``base_url`` (the file's path) lets its imports be found."""
        try:
            if base_url is None:
                root = etree.fromstring(data, _schema_parser())
            else:
                root = etree.fromstring(data, _schema_parser(), base_url=base_url)
            schema = etree.XMLSchema(etree.ElementTree(root))
        except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
            raise DuisSchemaError(f"the DUIS schema could not be loaded: {exc}") from exc
        return cls(schema, base_url or "<bytes>")

    def validate(self, xml_bytes: bytes | str) -> list[str]:
        """Schema errors as ``line N: message`` lines; an empty list means the document is valid."""
        try:
            root = safe_parse(xml_bytes)
        except UnsafeDocument as exc:
            return [f"refused: {exc}"]
        except NotWellFormed as exc:
            return [f"not well-formed XML: {exc}"]
        with self._lock:
            if self._schema.validate(etree.ElementTree(root)):
                return []
            entries: Iterable[Any] = cast("Iterable[Any]", self._schema.error_log)  # stubs lack iteration
            return [f"line {entry.line}: {entry.message}" for entry in entries]

    def is_valid(self, xml_bytes: bytes | str) -> bool:
        return not self.validate(xml_bytes)

    def assert_valid(self, xml_bytes: bytes | str, what: str = "document") -> None:
        """Raise DuisSchemaError listing every problem when the document is not valid DUIS."""
        errors = self.validate(xml_bytes)
        if errors:
            raise DuisSchemaError(
                f"the {what} does not validate against the DUIS schema: " + "; ".join(errors[:5]),
                errors,
            )

    def __repr__(self) -> str:
        return f"DuisSchema({self.source!r})"
