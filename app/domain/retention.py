"""What a retention purge removes from a record, and when a record may lose it.

Both the laptop (``hubcheck purge``) and the back office (``hubcheck-backoffice purge``)
forget personal data once a visit is old and nothing about it is still in flight. The
rules are the same at both ends, so they live here:

* **What is personal**: the MPxN, the address lines and the postcode (DOMAIN: a job's
  ``mpxn`` and ``address``), wherever a record carries them: the job's own columns, any
  JSON value under a key that names them (``mpxn``, ``ImportMPxN``, ``postcode``,
  ``address``…, at any depth: visit meta, a Service Request's body) and the DUIS elements
  that hold them in a request's XML. Each such value becomes ``[purged]``; the key, the
  element and every other value stay, so the record still says what happened.
* **When**: a record older than the retention period whose Service Requests are all in a
  final state. A request still on its way may need its MPxN (a resend, an answer to
  match), so such a record keeps everything until it settles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

PURGED = "[purged]"

#: JSON keys whose values are personal data (compared without case, anywhere in the key).
_PERSONAL_KEY = re.compile(r"mpxn|mpan|mprn|postcode|post_code|address|uprn", re.IGNORECASE)
#: DUIS elements that carry personal data (8.14.x ImportMPxN, 8.2 PropertyFilter, 12.1 PostCode…).
_PERSONAL_ELEMENT = re.compile(
    r"<((?:[\w.-]+:)?(?:ImportMPxN|MPxN|SecondaryImportMPAN|ExportMPAN|PostCode|AddressIdentifier|UPRN))"
    r"(\s[^>]*)?>([^<]*)</\1>"
)


def is_personal_key(key: str) -> bool:
    return bool(_PERSONAL_KEY.search(key))


def scrub_json(value: Any) -> tuple[Any, int]:
    """A copy of ``value`` with every personal value replaced, and how many were replaced.

    A value already purged, empty or null is left alone and not counted, so purging twice
    changes nothing the second time.
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        count = 0
        for key, item in value.items():
            if is_personal_key(str(key)) and item not in (None, "", [], {}, PURGED):
                out[key] = PURGED
                count += 1
            else:
                out[key], found = scrub_json(item)
                count += found
        return out, count
    if isinstance(value, list):
        items = [scrub_json(item) for item in value]
        return [item for item, _ in items], sum(found for _, found in items)
    return value, 0


def scrub_duis_xml(xml: str) -> tuple[str, int]:
    """The DUIS XML with the text of each personal element replaced, and how many were."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(3).strip() in ("", PURGED):
            return match.group(0)
        count += 1
        return f"<{match.group(1)}{match.group(2) or ''}>{PURGED}</{match.group(1)}>"

    return _PERSONAL_ELEMENT.sub(replace, xml), count


def all_final(states: Iterable[str], final: frozenset[str]) -> bool:
    """True when every Service Request state is final (a record with none has nothing pending)."""
    return all(state in final for state in states)
