"""SMETS generation and regime (DOMAIN Part A1): explicit evidence only, never the leading digit."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.devices import CplEntry, DeviceType
from app.domain.errors import DomainInputError
from app.domain.smets import (
    DEFAULT_REGIME,
    Generation,
    Regime,
    classify_generation,
    generation_from_version_text,
    parse_generation,
    parse_regime,
)

S1 = Generation.SMETS1
S2 = Generation.SMETS2_PLUS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SMETS V1.58", S2),  # the first SMETS2 specification, not SMETS1
        ("SMETS V1.58 ", S2),
        ("CHTS V1.4", S2),
        ("CHTS V1.3", S2),
        ("V4.2", S2),
        ("V1.3", S2),
        ("SMETS V5.1", S2),
        ("SMETS2", S2),
        ("SMETS2+", S2),
        ("SMETS1", S1),
        ("SMETS 1", S1),
        ("smets1", S1),
        ("S1", S1),
        ("SMETS-1", S1),
        ("", None),
        ("   ", None),
        (None, None),
        ("unknown", None),
    ],
)
def test_version_text(text: str | None, expected: Generation | None) -> None:
    assert generation_from_version_text(text) is expected


def test_a_leading_one_is_never_smets1() -> None:
    for text in ("SMETS V1.58", "CHTS V1.4", "V1.0", "1.58", "SMETS 1.58"):
        assert generation_from_version_text(text) is not S1, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SMETS1", S1),
        ("smets1", S1),
        ("S1", S1),
        ("SMETS 1", S1),
        ("SMETS2+", S2),
        ("SMETS2", S2),
        ("smets 2+", S2),
        ("S2+", S2),
        ("", None),
        (None, None),
    ],
)
def test_explicit_generation_values(text: str | None, expected: Generation | None) -> None:
    assert parse_generation(text) is expected


@pytest.mark.parametrize("text", ["SMETS3", "SMETS V1.58", "yes", "two"])
def test_bad_generation_value_is_refused_naming_the_allowed_ones(text: str) -> None:
    with pytest.raises(DomainInputError, match="SMETS1 or SMETS2\\+"):
        parse_generation(text)


class TestClassify:
    def test_no_information_stays_unknown(self) -> None:
        assert classify_generation() is None
        assert classify_generation(csp_region="4G Central") is None

    def test_csp_region_smets1_means_smets1(self) -> None:
        assert classify_generation(csp_region="SMETS1") is S1
        assert classify_generation(csp_region=" smets1 ") is S1

    def test_s1sp_element_means_smets1(self) -> None:
        assert classify_generation(has_s1sp=True) is S1

    def test_explicit_smets1_evidence_wins_over_any_version_text(self) -> None:
        assert classify_generation(csp_region="SMETS1", version_text="CHTS V1.4") is S1
        assert classify_generation(has_s1sp=True, version_text="SMETS V4.2") is S1
        assert classify_generation(explicit=S1, version_text="SMETS V4.2") is S1
        assert classify_generation(explicit=S2, csp_region="SMETS1") is S1

    def test_explicit_generation_is_used_when_text_says_nothing(self) -> None:
        assert classify_generation(explicit=S2) is S2
        assert classify_generation(explicit=S2, version_text="SMETS V1.58") is S2

    def test_version_text_alone(self) -> None:
        assert classify_generation(version_text="SMETS V1.58") is S2
        assert classify_generation(version_text="SMETS1") is S1


def test_cpl_entry_naming_only_a_gbcs_version_is_smets2() -> None:
    # A1: "Anything else that names a SMETS/CHTS/GBCS version is SMETS2+".
    entry = CplEntry(DeviceType.PPMID, "10E0", "00090100", "00020002", gbcs_version="3.2")
    assert entry.generation is S2
    blank = CplEntry(DeviceType.PPMID, "10E0", "00090100", "00020002")
    assert blank.generation is None
    s1 = CplEntry(DeviceType.PPMID, "10E0", "00090100", "5A000002", smets_generation=S1, gbcs_version="3.2")
    assert s1.generation is S1


def test_regimes() -> None:
    assert DEFAULT_REGIME is Regime.TACTICAL
    assert parse_regime("tactical") is Regime.TACTICAL
    assert parse_regime(" MP202 ") is Regime.MP202
    assert parse_regime("mp-202") is Regime.MP202
    with pytest.raises(DomainInputError, match="tactical, mp202"):
        parse_regime("enduring")
    assert S1.other is S2 and S2.other is S1
    assert str(S2) == "SMETS2+"


@settings(max_examples=300)
@given(st.text())
def test_arbitrary_text_never_breaks_the_classifiers(text: str) -> None:
    assert generation_from_version_text(text) in (S1, S2, None)
    with contextlib.suppress(DomainInputError):
        assert parse_generation(text) in (S1, S2, None)
    with contextlib.suppress(DomainInputError):
        assert parse_regime(text) in tuple(Regime)
