"""Label payloads (DOMAIN Part B §3.4, §8): scanned text → one device ID and maybe an install code."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import DomainInputError
from app.domain.labels import LabelError, parse_label
from tests.helpers_domain import SILABS_CODE, SILABS_LABEL, SPEC_QR, TEMPLATE_CODE, TEMPLATE_LABEL

SPEC_EUI = "00-DB-12-34-56-78-90-A4"


def test_spec_qr_gives_the_eui_and_the_verified_bare_code() -> None:
    data = parse_label(SPEC_QR)
    assert str(data.device_id) == SPEC_EUI
    assert data.install_code is not None
    assert data.install_code.code_hex == SILABS_CODE
    assert data.install_code_ok
    assert data.has_install_code
    assert data.raw == SPEC_QR


@pytest.mark.parametrize(
    "text",
    [
        f"Z:00DB1234567890A4$I:{SILABS_LABEL}",
        f"I:{SILABS_LABEL}$Z:00DB1234567890A4",
        f"V:1$Z:00DB1234567890A4$I:{SILABS_LABEL}$M:VENDOR",
        f"z:00db1234567890a4$i:{SILABS_LABEL.lower()}",
        f"00DB1234567890A4|{SILABS_LABEL}",
        f"G$M:1234$A:00DB1234567890A4$I:{SILABS_LABEL}",
        f"HUE:Z:{SILABS_LABEL} M:00DB1234567890A4 D:Some",
        f"PPMID 00:DB:12:34:56:78:90:A4 code {SILABS_LABEL}",
    ],
)
def test_zigbee_layouts_yield_id_and_code(text: str) -> None:
    data = parse_label(text)
    assert str(data.device_id) == SPEC_EUI
    assert data.install_code is not None
    assert data.install_code.code_hex == SILABS_CODE


@pytest.mark.parametrize(
    "text",
    ["00db1234567890a4", "0x00DB1234567890A4", "00:DB:12:34:56:78:90:A4", "Z:00DB1234567890A4", "ID: 00-DB-12-34-56-78-90-A4."],
)
def test_id_only_labels_have_no_install_code(text: str) -> None:
    data = parse_label(text)
    assert str(data.device_id) == SPEC_EUI
    assert not data.has_install_code
    assert data.install_code is None
    assert not data.install_code_ok


def test_failed_crc_keeps_the_id_and_the_text_and_says_why() -> None:
    bad = TEMPLATE_LABEL[:-1] + "0"
    data = parse_label(f"Z:00DB1234567890A4$I:{bad}")
    assert str(data.device_id) == SPEC_EUI
    assert data.has_install_code
    assert not data.install_code_ok
    assert data.install_code is None
    assert data.install_code_text == bad
    assert data.install_code_problem and "CRC" in data.install_code_problem


def test_code_of_impossible_length_is_a_problem_not_a_crash() -> None:
    data = parse_label(f"Z:00DB1234567890A4$I:{TEMPLATE_CODE}00")  # 17 bytes: 15-byte code + CRC
    assert data.has_install_code and not data.install_code_ok
    assert data.install_code_problem and "6, 8, 12 or 16" in data.install_code_problem


def test_two_different_ids_are_never_guessed_between() -> None:
    with pytest.raises(LabelError) as info:
        parse_label("PPMID 00-DB-12-34-56-78-90-A4 hub 00-DB-12-34-56-78-90-A2")
    message = str(info.value)
    assert "2 different device IDs" in message
    assert "00-DB-12-34-56-78-90-A4" in message and "00-DB-12-34-56-78-90-A2" in message


def test_the_same_id_twice_is_one_id() -> None:
    data = parse_label("00DB1234567890A4 / 00-DB-12-34-56-78-90-A4")
    assert str(data.device_id) == SPEC_EUI


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("   \x00 ", "empty"),
        ("xyz uvw", "no hex digits"),
        ("00DB1234567890A", "15"),
        ("00DB1234567890A4F", "17"),
        ("serial 1234", "4"),
    ],
)
def test_text_without_an_id_says_what_was_read(text: str, says: str) -> None:
    with pytest.raises(LabelError) as info:
        parse_label(text)
    assert says in str(info.value)
    if text.strip("\x00 "):
        assert text.strip() in str(info.value)


def test_label_error_is_a_domain_error() -> None:
    assert issubclass(LabelError, DomainInputError)
    with pytest.raises(LabelError):
        parse_label(None)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------

hex16 = st.text(alphabet="0123456789ABCDEFabcdef", min_size=16, max_size=16)


@settings(max_examples=500)
@given(st.text())
def test_arbitrary_text_raises_only_the_label_error(text: str) -> None:
    try:
        data = parse_label(text)
    except LabelError as exc:
        assert str(exc)
        return
    assert re.fullmatch(r"[0-9A-F]{2}(-[0-9A-F]{2}){7}", str(data.device_id))
    if data.install_code is not None:
        assert data.install_code_problem is None


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from("Z:I$|AM0123456789ABCDEFx -\n"), max_size=80))
def test_label_shaped_noise_raises_only_the_label_error(text: str) -> None:
    with contextlib.suppress(LabelError):
        parse_label(text)


@settings(max_examples=200)
@given(hex16, st.sampled_from(["Z:{eui}$I:{code}", "{eui}|{code}", "{eui}", "Z:{eui}"]))
def test_any_eui_in_a_zigbee_layout_round_trips(eui: str, layout: str) -> None:
    data = parse_label(layout.format(eui=eui, code=TEMPLATE_LABEL))
    assert data.device_id.compact == eui.upper()
    if "{code}" in layout:
        assert data.install_code is not None and data.install_code.code_hex == TEMPLATE_CODE
