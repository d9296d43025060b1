"""Device IDs (DOMAIN Part B §3.1, §8): every notation in, one canonical form out."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import DomainInputError
from app.domain.ids import DeviceId, DeviceIdError, is_device_id, parse_device_id

CANONICAL = re.compile(r"^[0-9A-F]{2}(-[0-9A-F]{2}){7}$")
HEX = "0123456789abcdefABCDEF"


@pytest.mark.parametrize(
    "text",
    [
        "00db1234567890a4",
        "00:DB:12:34:56:78:90:A4",
        "0x00DB1234567890A4",
        "0X00db1234567890A4",
        "00-DB-12-34-56-78-90-A4",
        "00-db-12-34-56-78-90-a4",
        "00 DB 12 34 56 78 90 A4",
        "  00DB1234567890A4\n",
        "00DB 1234 5678 90A4",
    ],
)
def test_spec_notations_normalise_to_dashed_upper_case(text: str) -> None:
    assert str(parse_device_id(text)) == "00-DB-12-34-56-78-90-A4"


@pytest.mark.parametrize("digits", [15, 17, 0, 8, 32])
def test_wrong_digit_counts_are_refused_saying_how_many(digits: int) -> None:
    text = "A" * digits
    with pytest.raises(DeviceIdError) as info:
        parse_device_id(text)
    if digits:
        assert f"{digits} hex digits" in str(info.value)
        assert "16" in str(info.value)


def test_non_hex_characters_are_named_in_the_error() -> None:
    with pytest.raises(DeviceIdError, match="not hex digits") as info:
        parse_device_id("00DB1234567890AG")
    assert "G" in str(info.value)


def test_empty_and_non_text_inputs_are_refused_with_the_domain_error() -> None:
    with pytest.raises(DeviceIdError, match="empty"):
        parse_device_id("   ")
    with pytest.raises(DeviceIdError, match="must be text"):
        parse_device_id(1234)  # type: ignore[arg-type]
    # The module's error belongs to the one domain error family callers catch.
    assert issubclass(DeviceIdError, DomainInputError)


def test_device_id_value_object_only_holds_canonical_text() -> None:
    assert DeviceId("00-0D-6F-00-00-AB-CD-EF").compact == "000D6F0000ABCDEF"
    with pytest.raises(DeviceIdError):
        DeviceId("000d6f0000abcdef")
    with pytest.raises(DeviceIdError):
        DeviceId("00-0d-6f-00-00-ab-cd-ef")


def test_device_ids_compare_by_canonical_value() -> None:
    assert parse_device_id("00db1234567890a4") == parse_device_id("0x00DB1234567890A4")
    assert parse_device_id("00db1234567890a4") != parse_device_id("00db1234567890a5")


def test_is_device_id_mirrors_the_parser() -> None:
    assert is_device_id("00:11:22:33:44:55:66:77")
    assert not is_device_id("00:11:22:33:44:55:66")
    assert not is_device_id("hello")


# --- properties -------------------------------------------------------------------------------

hex16 = st.text(alphabet=HEX, min_size=16, max_size=16)
separator = st.sampled_from(["", "-", ":", " ", "."])


@st.composite
def notations(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, one way a person or scanner might write them)."""
    digits = draw(hex16)
    sep = draw(separator)
    groups = draw(st.sampled_from([2, 4, 16]))
    body = sep.join(digits[i : i + groups] for i in range(0, 16, groups))
    prefix = draw(st.sampled_from(["", "0x", "0X"]))
    pad_left = draw(st.sampled_from(["", " ", "\t", "\n "]))
    pad_right = draw(st.sampled_from(["", " ", "\r\n"]))
    return digits, f"{pad_left}{prefix}{body}{pad_right}"


@settings(max_examples=300)
@given(notations())
def test_every_accepted_notation_round_trips_to_its_canonical_form(case: tuple[str, str]) -> None:
    digits, text = case
    parsed = parse_device_id(text)
    assert CANONICAL.match(str(parsed))
    assert parsed.compact == digits.upper()
    # Canonical text parses to itself, and so does the compact form.
    assert parse_device_id(str(parsed)) == parsed
    assert parse_device_id(parsed.compact) == parsed
    assert DeviceId(str(parsed)) == parsed


@settings(max_examples=500)
@given(st.text())
def test_arbitrary_text_raises_only_the_device_id_error(text: str) -> None:
    try:
        parsed = parse_device_id(text)
    except DeviceIdError as exc:
        assert str(exc)
        return
    # Anything accepted is a real ID: its canonical form is well formed and stable.
    assert CANONICAL.match(str(parsed))
    assert parse_device_id(str(parsed)) == parsed


@settings(max_examples=200)
@given(st.text(alphabet=HEX, min_size=1, max_size=40).filter(lambda s: len(s) != 16))
def test_any_other_number_of_hex_digits_is_refused(digits: str) -> None:
    with pytest.raises(DeviceIdError):
        parse_device_id(digits)


@settings(max_examples=200)
@given(hex16, st.integers(min_value=0, max_value=15), st.characters(blacklist_characters=HEX + " \t\n\r\x0b\x0c-:.", blacklist_categories=("Zs", "Cc", "Zl", "Zp")))
def test_one_foreign_character_inside_an_id_is_refused(digits: str, where: int, char: str) -> None:
    text = digits[:where] + char + digits[where:]
    with pytest.raises(DeviceIdError):
        parse_device_id(text)
