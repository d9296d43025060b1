"""Masking personal data for copies of install records that leave the supplier's systems.

An analyst hands exports to people who must see what happened on a visit but must not be
able to find the home: a DCC support desk, a device manufacturer, an auditor. The only
personal data an install record holds is the MPxN, the address lines and the postcode
(ARCHITECTURE.md keeps them in their own columns for this reason), plus whatever the
installer typed into a free-text reason. The rules, chosen so that a redacted copy
cannot lead a reader to the door:

* **MPxN**: every character but the last two becomes ``*``, and the length is kept
  (``1900000000001`` → ``***********01``). Two digits tell two records of the same job
  apart on a phone call; they are 1 in 100 and cannot find a meter point. A value of
  four characters or fewer is masked entirely (two of four would say too much).
* **Postcode**: only the postcode *area* is kept, the leading letters of the outward
  code (``SW1A 1AA`` → ``SW *** ***``; there are 121 areas, each of hundreds of
  thousands of homes), so regional analysis still works. The outward code (``SW1A``)
  is *not* kept: with the installer and the date of the visit it narrows too far.
* **Address lines**: replaced by one ``[redacted]`` line; not even the number of lines
  is kept.
* **Free text typed by the installer** (override and abort reasons): the record's own
  MPxN, postcode and address lines are replaced wherever they appear, and so is anything
  shaped like a UK postcode or a run of six or more digits (an MPRN has 6 to 10, an
  MPAN 13). A firmware version mentioned in an override reason may be masked too: a
  redacted copy loses that rather than risk a meter point.
* **Reason texts HubCheck wrote** (verdict reasons, remedies): only the record's own
  values are replaced; the shapes are left alone, because these texts quote firmware
  versions and model IDs the reader needs, and HubCheck never writes personal data
  into them.

Device IDs, job references, verdicts and Service Request outcomes are not personal data
and stay as they are: they are what the reader of a redacted copy needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
MASK = "*"
#: Characters of an MPxN left visible at its end.
MPXN_VISIBLE = 2
#: A known personal value shorter than this is not searched for in text.
KNOWN_MIN_LENGTH = 3

# A UK postcode anywhere in free text: area, district, optional space, sector, unit.
_POSTCODE_IN_TEXT = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b", re.IGNORECASE)
# An MPRN (6-10 digits) or MPAN (13, or 21 with its top line) typed into a reason,
# possibly with spaces between groups of digits.
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ ]?[0-9]){5,}(?![0-9A-Za-z])")


def mask_mpxn(mpxn: str | None) -> str | None:
    """The MPxN with all but its last two characters masked; None stays None."""
    if mpxn is None:
        return None
    value = "".join(mpxn.split())
    if not value:
        return ""
    if len(value) <= 2 * MPXN_VISIBLE:
        return MASK * len(value)
    return MASK * (len(value) - MPXN_VISIBLE) + value[-MPXN_VISIBLE:]


def mask_postcode(postcode: str | None) -> str | None:
    """Only the postcode area (leading letters) kept: ``"SW1A 1AA"`` → ``"SW *** ***"``."""
    if postcode is None:
        return None
    value = postcode.strip().upper()
    if not value:
        return ""
    area = re.match(r"[A-Z]{1,2}(?=[0-9])", value)
    return f"{area.group(0)} *** ***" if area else REDACTED


def mask_address(lines: Iterable[str]) -> list[str]:
    """One ``[redacted]`` line when there was any address, else none."""
    return [REDACTED] if any(line.strip() for line in lines) else []


def scrub_text(text: str | None, known: Iterable[str | None] = (), *, shapes: bool = True) -> str | None:
    """Text with the record's own personal values replaced by ``[redacted]`` and, when
    ``shapes`` (installer free text), anything shaped like a postcode or a meter point
    number too. ``known`` are the exact values to find (case and spacing ignored),
    longest first so a line holding the postcode goes whole."""
    if text is None:
        return None
    result = text
    # Shorter values ("1", "B") would mask ordinary words and numbers all over the text.
    values = {v.strip() for v in known if v and len(v.strip()) >= KNOWN_MIN_LENGTH}
    for value in sorted(values, key=len, reverse=True):
        pattern = r"\s*".join(re.escape(part) for part in value.split())
        result = re.sub(pattern, REDACTED, result, flags=re.IGNORECASE)
    if not shapes:
        return result
    result = _POSTCODE_IN_TEXT.sub(REDACTED, result)
    return _DIGIT_RUN.sub(REDACTED, result)
