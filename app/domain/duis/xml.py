"""Namespaces, element helpers and the one locked-down XML parser the package uses.

Responses arrive from the network via the back office, so every parse here goes through
:func:`safe_parse`: no DTD loading, no entity substitution, no network, no huge-tree
mode — and any document that carries a DOCTYPE at all is refused, because DUIS messages
never have one and a DOCTYPE is exactly how entity-expansion (billion laughs) and
external-entity (XXE) attacks arrive.
"""

from __future__ import annotations

from lxml import etree

SR_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"
RA_NS = "http://www.dccinterface.co.uk/ResponseAndAlert"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SCHEMA_VERSION = "5.4"

#: Largest response HubCheck will read (an 8.2 inventory of 17 devices is a few kB).
MAX_DOCUMENT_BYTES = 2_000_000


def q(local: str) -> str:
    """Clark-notation name in the ServiceUserGateway namespace."""
    return f"{{{SR_NS}}}{local}"


def sub(parent: etree._Element, local: str, value: str | None = None) -> etree._Element:
    """Append an ``sr:`` child, with text when given."""
    child = etree.SubElement(parent, q(local))
    if value is not None:
        child.text = value
    return child


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def make_safe_parser() -> etree.XMLParser:
    """A parser that never loads a DTD, substitutes an entity or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


class UnsafeDocument(Exception):
    """Internal signal: the document was refused for safety (carries the reason)."""


class NotWellFormed(Exception):
    """Internal signal: the document is not well-formed XML (carries the parser's reason)."""


def safe_parse(data: bytes | str) -> etree._Element:
    """Parse untrusted XML, refusing DTDs/entities; raise UnsafeDocument or NotWellFormed."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not isinstance(raw, bytes):
        raise NotWellFormed(f"XML must be bytes or text, got {type(data).__name__}")
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise UnsafeDocument(f"the document is {len(raw)} bytes; HubCheck reads at most {MAX_DOCUMENT_BYTES}")
    try:
        root = etree.fromstring(raw, make_safe_parser())
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if "entit" in message.lower() or "amplification" in message.lower():
            raise UnsafeDocument(f"entity use refused: {message}") from exc
        raise NotWellFormed(message) from exc
    docinfo = root.getroottree().docinfo
    # libxml2 records an internal-subset node for *any* DOCTYPE, with or without declarations.
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeDocument(
            "the document has a DOCTYPE (DTD); DUIS messages never do, and DTDs are how "
            "entity-expansion and external-entity attacks arrive"
        )
    return root
