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

# SMETS1 text: ``SMETS1``, ``SMETS-1``, ``S1``, also with a version written straight on
# (``SMETS1.2``) or after a space (``SMETS1 v1.2``); ``SMETS 1`` with a space only when the
# "1" stands alone, so ``SMETS 1.58`` (a SMETS2 version missing its V) is never SMETS1.
_S1_TEXT = re.compile(
    r"(?<![A-Z0-9.])(?:(?:SMETS-?1|S1)(?:\.\d+)*|SMETS\s+-?\s*1|SMETS\s*-\s*1)(?!\.?\d)", re.IGNORECASE
)
_S2_TEXT = re.compile(r"(?<![A-Z0-9.])(?:SMETS\s*-?\s*2\s*\+?|S2\s*\+?)(?![0-9.])", re.IGNORECASE)
_VERSIONISH = re.compile(r"\d")
_S1_VALUE = re.compile(r"(?:SMETS\s*-?\s*1|S1)(?:\.\d+)*(?:\s+V?\d+(?:\.\d+)*)?", re.IGNORECASE)
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
        if _S1_VALUE.fullmatch(str(text).strip()):
            return Generation.SMETS1  # "SMETS1.2", "SMETS-1 v1.2": SMETS1 with its version written on
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


class Cohort(StrEnum):
    """The SMETS1 migration cohort of a site's SMETS1 Service Provider (S1SP).

    Which S1SP is in which cohort is the supplier's knowledge (the ``s1sp_cohorts``
    setting); the cohort decides which SMETS1 firmware caveats apply (S1SR 18.63–18.65).
    """

    IOC = "IOC"
    MOC_SECURE = "MOC-Secure"
    FOC = "FOC"

    def __str__(self) -> str:
        return self.value


_COHORT_ALIASES = {"ioc": Cohort.IOC, "mocsecure": Cohort.MOC_SECURE, "foc": Cohort.FOC}


def parse_cohort(text: str) -> Cohort:
    """One cohort name (``IOC``, ``MOC-Secure``, ``FOC``; case, spaces and dashes ignored)."""
    key = re.sub(r"[\s_\-]", "", str(text)).lower()
    try:
        return _COHORT_ALIASES[key]
    except KeyError:
        raise DomainInputError(f"{text!r} is not a SMETS1 cohort; use IOC, MOC-Secure or FOC") from None


def parse_s1sp_cohorts(text: str) -> dict[str, Cohort]:
    """Read ``S1SP-A=IOC, S1SP-B=FOC`` (commas or semicolons between pairs) into a mapping.

    Keys are kept as written (trimmed); lookups ignore case. A pair without ``=``, an empty
    S1SP value or an unknown cohort is refused naming the pair, so a typing slip never
    silently drops a supplier's mapping.
    """
    mapping: dict[str, Cohort] = {}
    for part in re.split(r"[,;]", text or ""):
        pair = part.strip()
        if not pair:
            continue
        value, sep, cohort = pair.partition("=")
        if not sep or not value.strip():
            raise DomainInputError(f"{pair!r} is not an S1SP=COHORT pair (e.g. S1SP-B=FOC)")
        try:
            mapping[value.strip()] = parse_cohort(cohort)
        except DomainInputError as exc:
            raise DomainInputError(f"{pair!r}: {exc}") from None
    return mapping


def format_s1sp_cohorts(mapping: dict[str, Cohort]) -> str:
    """The canonical text of a mapping (what the setting stores and shows)."""
    return ", ".join(f"{value}={cohort.value}" for value, cohort in sorted(mapping.items(), key=lambda kv: kv[0].lower()))


def cohort_of(s1sp: str, mapping: dict[str, Cohort] | None = None) -> Cohort | None:
    """The cohort an S1SP value means: the supplier's mapping first, else what the name says.

    DOMAIN A5: without a mapping, a value containing ``Secure`` (any case) is the Secure
    S1SP (MOC) and one containing ``FOC`` is FOC; anything else is unknown (None).
    """
    value = (s1sp or "").strip()
    if not value:
        return None
    for key, cohort in (mapping or {}).items():
        if key.strip().lower() == value.lower():
            return cohort
    if "secure" in value.lower():
        return Cohort.MOC_SECURE
    if "foc" in value.lower():
        return Cohort.FOC
    return None
