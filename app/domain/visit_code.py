"""The text of the QR code on a visit certificate, and reading it back.

A printed or emailed certificate must be traceable to the one record it was made from,
and a reader must be able to tell whether that record was edited since: the code holds
the record ID and the hash of the audit-journal entry that recorded the visit
(``hubcheck audit verify`` proves the journal; the hash ties the certificate to it).

Format, version 1 (a contract: ``hubcheck decode`` and outside tools read it)::

    HUBCHECK-VISIT:1:<record_id>:<audit_hash>

``record_id`` is the install record's ID as stored (a UUID today; any text without a
colon), ``audit_hash`` the 64 lower-case hex digits of the journal entry, or empty when
the source holds no journal entry for the record. A later version bumps the number and
may add fields after the hash; a reader of version 1 ignores nothing and refuses other
versions rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "HUBCHECK-VISIT"
VERSION = 1
_HASH = re.compile(r"[0-9a-f]{64}")


class VisitCodeError(ValueError):
    """A value that cannot go into, or did not come from, a visit certificate's code."""


@dataclass(frozen=True, slots=True)
class VisitCode:
    record_id: str
    audit_hash: str | None

    def text(self) -> str:
        """The code's text; raises VisitCodeError for a value the format cannot carry."""
        if not self.record_id or ":" in self.record_id or self.record_id != self.record_id.strip():
            raise VisitCodeError(f"a record ID for a visit code must be non-empty text without ':' ({self.record_id!r})")
        digest = self.audit_hash or ""
        if digest and not _HASH.fullmatch(digest):
            raise VisitCodeError("an audit hash must be 64 lower-case hex digits")
        return f"{PREFIX}:{VERSION}:{self.record_id}:{digest}"


def parse_visit_code(text: str) -> VisitCode | None:
    """The record ID and audit hash in a code's text; None when the text is not a visit
    code at all (a device label); VisitCodeError when it claims to be one but is malformed."""
    if not text.startswith(PREFIX + ":"):
        return None
    parts = text.strip().split(":")
    if len(parts) != 4 or parts[1] != str(VERSION):
        raise VisitCodeError(f"not a version {VERSION} visit code: {text[:80]!r}")
    _prefix, _version, record_id, digest = parts
    if not record_id or (digest and not _HASH.fullmatch(digest)):
        raise VisitCodeError(f"a damaged visit code: {text[:80]!r}")
    return VisitCode(record_id, digest or None)
