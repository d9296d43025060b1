"""SMETS generations and regimes, classified only from explicit evidence.

``SMETS V1.58`` is the first *SMETS2* specification, so a leading "1" proves nothing.
A record is SMETS1 only when a source says so outright; any other SMETS/CHTS/GBCS
version makes it SMETS2+; no information stays unknown rather than becoming a guess.
"""

from __future__ import annotations

import re
from enum import StrEnum

from app.domain.errors import DomainInputError


class Generation(StrEnum):
    SMETS1 = "SMETS1"
    SMETS2_PLUS = "SMETS2+"

    def __str__(self) -> str:
        return self.value

    @property
    def other(self) -> Generation:
        return Generation.SMETS2_PLUS if self is Generation.SMETS1 else Generation.SMETS1


class Regime(StrEnum):
    """Which rules decide a bilingual PPMID's resulting generation."""

    TACTICAL = "tactical"
    MP202 = "mp202"

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return "Tactical" if self is Regime.TACTICAL else "MP202"


DEFAULT_REGIME = Regime.TACTICAL

_S1_TEXT = re.compile(r"(?<![A-Z0-9.])(?:SMETS\s*-?\s*1|S1)(?![0-9.])", re.IGNORECASE)
_S2_TEXT = re.compile(r"(?<![A-Z0-9.])(?:SMETS\s*-?\s*2\s*\+?|S2\s*\+?)(?![0-9.])", re.IGNORECASE)
_VERSIONISH = re.compile(r"\d")
_GENERATION_ALIASES = {
    "smets1": Generation.SMETS1,
    "s1": Generation.SMETS1,
    "1": Generation.SMETS1,
    "smets2": Generation.SMETS2_PLUS,
    "smets2+": Generation.SMETS2_PLUS,
    "s2": Generation.SMETS2_PLUS,
    "s2+": Generation.SMETS2_PLUS,
    "2": Generation.SMETS2_PLUS,
    "2+": Generation.SMETS2_PLUS,
}


def parse_generation(text: str | None) -> Generation | None:
    """Read an explicit generation value (``SMETS1``, ``SMETS2+`` and close spellings); blank → None."""
    if text is None:
        return None
    key = re.sub(r"[\s_\-]", "", str(text)).lower()
    if not key:
        return None
    try:
        return _GENERATION_ALIASES[key]
    except KeyError:
        raise DomainInputError(f"{text!r} is not a SMETS generation; use SMETS1 or SMETS2+") from None


def parse_regime(text: str) -> Regime:
    key = str(text).strip().lower().replace("-", "").replace("_", "")
    for regime in Regime:
        if key == regime.value:
            return regime
    raise DomainInputError(f"{text!r} is not a regime; allowed values: tactical, mp202")


def generation_from_version_text(text: str | None) -> Generation | None:
    """Generation named by a SMETS/CHTS version text; None when it says nothing usable."""
    if not text or not text.strip():
        return None
    if _S1_TEXT.search(text):
        return Generation.SMETS1
    if _S2_TEXT.search(text) or _VERSIONISH.search(text):
        return Generation.SMETS2_PLUS
    return None


def classify_generation(
    *,
    explicit: Generation | None = None,
    version_text: str | None = None,
    csp_region: str | None = None,
    has_s1sp: bool = False,
) -> Generation | None:
    """Combine the evidence one record carries; explicit SMETS1 evidence wins over version text."""
    if has_s1sp or (csp_region or "").strip().upper() == "SMETS1" or explicit is Generation.SMETS1:
        return Generation.SMETS1
    from_text = generation_from_version_text(version_text)
    if from_text is Generation.SMETS1:
        return Generation.SMETS1
    if explicit is not None:
        return explicit
    return from_text
