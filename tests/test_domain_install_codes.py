"""Install codes (DOMAIN Part B §3.3, §8): CRC-16/X-25, little-endian on the label, 6/8/12/16 bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import DomainInputError
from app.domain.install_codes import (
    CODE_LENGTHS,
    InstallCode,
    InstallCodeError,
    crc16_x25,
    parse_label_install_code,
)
from tests.helpers_domain import SILABS_CODE, SILABS_LABEL, TEMPLATE_CODE, TEMPLATE_LABEL


def reference_crc(data: bytes) -> int:
    """Bit-at-a-time CRC-16/X-25 straight from its definition (reflected 0x1021, init/xorout 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        for bit in range(8):
            incoming = (byte >> bit) & 1
            top = crc & 1
            crc >>= 1
            if top ^ incoming:
                crc ^= 0x8408
    return crc ^ 0xFFFF


def test_reference_crc_matches_the_published_check_value() -> None:
    # Guard the guard: the test's own CRC must give the catalogue check value.
    assert reference_crc(b"123456789") == 0x906E


def test_crc_check_value_for_123456789() -> None:
    assert crc16_x25(b"123456789") == 0x906E


def test_silicon_labs_example_is_valid_and_crc_is_little_endian() -> None:
    code = parse_label_install_code(SILABS_LABEL)
    assert code.code_hex == SILABS_CODE
    assert code.crc == 0xB5C3
    assert code.label_hex == SILABS_LABEL


def test_duis_template_code_is_valid() -> None:
    code = parse_label_install_code(TEMPLATE_LABEL)
    assert code.code_hex == TEMPLATE_CODE
    assert code.crc == 0x96F5


def test_bare_code_for_duis_excludes_the_crc() -> None:
    code = InstallCode.from_code_hex(SILABS_CODE)
    assert code.code_hex == SILABS_CODE
    assert len(code.code) == 16
    assert code.label_hex.endswith("C3B5")


def test_big_endian_crc_is_refused() -> None:
    with pytest.raises(InstallCodeError, match="CRC"):
        parse_label_install_code(SILABS_CODE + "B5C3")


def test_separators_case_and_prefix_are_tolerated() -> None:
    spaced = " ".join(SILABS_LABEL[i : i + 4] for i in range(0, len(SILABS_LABEL), 4)).lower()
    assert parse_label_install_code(spaced).code_hex == SILABS_CODE
    assert parse_label_install_code("0x" + SILABS_LABEL).code_hex == SILABS_CODE
    dashed = "-".join(SILABS_LABEL[i : i + 2] for i in range(0, len(SILABS_LABEL), 2))
    assert parse_label_install_code(dashed).code_hex == SILABS_CODE


@pytest.mark.parametrize("code_bytes", [1, 5, 7, 9, 10, 11, 13, 14, 15, 17, 18])
def test_label_with_an_impossible_code_length_is_refused_even_with_a_correct_crc(code_bytes: int) -> None:
    code = bytes(range(code_bytes))
    label = (code + reference_crc(code).to_bytes(2, "little")).hex()
    with pytest.raises(InstallCodeError, match="6, 8, 12 or 16"):
        parse_label_install_code(label)


@pytest.mark.parametrize("length", [0, 5, 7, 17, 18])
def test_bare_code_of_impossible_length_is_refused(length: int) -> None:
    with pytest.raises(InstallCodeError):
        InstallCode(bytes(length))


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "empty"), ("   ", "empty"), ("83FE-D34G", "not a hex digit"), ("83F", "odd number")],
)
def test_malformed_text_is_explained(text: str, says: str) -> None:
    with pytest.raises(InstallCodeError, match=says):
        parse_label_install_code(text)


def test_failing_crc_message_says_what_to_do() -> None:
    with pytest.raises(InstallCodeError) as info:
        parse_label_install_code(SILABS_CODE + "C3B6")
    message = str(info.value)
    assert "fails its CRC" in message
    assert "re-scan" in message


def test_install_code_error_is_a_domain_error() -> None:
    assert issubclass(InstallCodeError, DomainInputError)


# --- properties -------------------------------------------------------------------------------

codes = st.sampled_from(CODE_LENGTHS).flatmap(lambda n: st.binary(min_size=n, max_size=n))


@settings(max_examples=300)
@given(st.binary(max_size=64))
def test_crc_agrees_with_the_bitwise_reference(data: bytes) -> None:
    assert crc16_x25(data) == reference_crc(data)


@settings(max_examples=200)
@given(codes)
def test_every_valid_code_round_trips_through_its_label(code: bytes) -> None:
    label = (code + reference_crc(code).to_bytes(2, "little")).hex().upper()
    parsed = parse_label_install_code(label)
    assert parsed.code == code
    assert parsed.label_hex == label
    assert parse_label_install_code(label.lower()) == parsed


@settings(max_examples=300)
@given(codes, st.data())
def test_every_install_code_with_a_flipped_nibble_fails_its_crc(code: bytes, data: st.DataObject) -> None:
    label = (code + reference_crc(code).to_bytes(2, "little")).hex().upper()
    position = data.draw(st.integers(min_value=0, max_value=len(label) - 1), label="nibble")
    old = int(label[position], 16)
    new = data.draw(st.integers(min_value=0, max_value=15).filter(lambda v: v != old), label="new value")
    corrupted = label[:position] + f"{new:X}" + label[position + 1 :]
    with pytest.raises(InstallCodeError, match="CRC"):
        parse_label_install_code(corrupted)


def test_every_nibble_of_the_spec_vectors_is_protected() -> None:
    # Exhaustive over the two published vectors: any single-nibble change must fail.
    for label in (SILABS_LABEL, TEMPLATE_LABEL):
        for position, char in enumerate(label):
            for value in "0123456789ABCDEF":
                if value == char:
                    continue
                corrupted = label[:position] + value + label[position + 1 :]
                with pytest.raises(InstallCodeError):
                    parse_label_install_code(corrupted)


@settings(max_examples=500)
@given(st.text())
def test_arbitrary_text_raises_only_the_install_code_error(text: str) -> None:
    try:
        parsed = parse_label_install_code(text)
    except InstallCodeError as exc:
        assert str(exc)
        return
    assert len(parsed.code) in CODE_LENGTHS
    assert reference_crc(parsed.code) == parsed.crc


def test_a_crc_failure_quotes_the_check_digits_as_printed_on_the_label() -> None:
    from app.domain.install_codes import InstallCodeError, parse_label_install_code

    with pytest.raises(InstallCodeError) as failed:
        parse_label_install_code("30313233343536373839414243444546F590")
    message = str(failed.value)
    assert "read F590 on the label" in message and "should be F596" in message
