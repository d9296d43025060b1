"""Decoding generated pictures with both back ends; frame preparation; the live schedule."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from app.scan.codes import DecodedCode, canonical_format
from app.scan.decoders import Decoder, ZxingDecoder, load_decoder
from app.scan.frames import FrameError, Roi, half_scale, prepare, squash_rows, to_grey
from app.scan.pipeline import LiveDecoder, decode_image
from app.scan.validate import ConsecutiveValidator
from tests.scan_helpers import CODE_HEX, EUI, EUI_DASHED, scene, symbol, zigbee_payload

ZIGBEE = zigbee_payload()


@pytest.fixture(scope="module", params=["zxing", "zbar"])
def decoder(request: pytest.FixtureRequest) -> Decoder:
    return load_decoder(request.param)


def _texts(codes: list[DecodedCode]) -> list[str]:
    return [c.text for c in codes]


def _case(fmt: str) -> tuple[str, np.ndarray]:
    text = EUI if fmt == "code128" else ZIGBEE
    return text, symbol(text, fmt, module_px=4 if fmt != "code128" else 3)


def _skip_unsupported(decoder: Decoder, fmt: str) -> None:
    if fmt == "datamatrix" and "DataMatrix" not in decoder.formats:
        pytest.skip("zbar cannot read DataMatrix (PLATFORM.md §2)")


@pytest.mark.parametrize(
    ("fmt", "generator"),
    [("qr", "qrcode"), ("qr", "segno"), ("qr", "zxing"), ("code128", "zxing"), ("datamatrix", "zxing")],
)
def test_clean_symbol_each_generator(decoder: Decoder, fmt: str, generator: str) -> None:
    _skip_unsupported(decoder, fmt)
    text = EUI if fmt == "code128" else ZIGBEE
    found = decode_image(symbol(text, fmt, generator=generator), decoder)
    assert _texts(found) == [text]
    assert found[0].format == {"qr": "QRCode", "code128": "Code128", "datamatrix": "DataMatrix"}[fmt]


def _rotate(a: np.ndarray, angle: float) -> np.ndarray:
    return np.asarray(Image.fromarray(a).rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255))


def _blur(a: np.ndarray, radius: float) -> np.ndarray:
    return np.asarray(Image.fromarray(a).filter(ImageFilter.GaussianBlur(radius)))


def _noise(a: np.ndarray, sigma: float) -> np.ndarray:
    noisy = a.astype(np.float32) + np.random.default_rng(3).normal(0, sigma, a.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _low_contrast(a: np.ndarray) -> np.ndarray:
    return (70 + a.astype(np.float32) / 255 * 120).astype(np.uint8)


def _small(a: np.ndarray, fmt: str) -> np.ndarray:
    # about 2.5 px per module: near the smallest either library reads (PLATFORM.md §5.1)
    factor = 2.5 / (3 if fmt == "code128" else 4)
    img = Image.fromarray(a)
    return np.asarray(img.resize((round(img.width * factor), round(img.height * factor)), Image.Resampling.BILINEAR))


DEGRADATIONS = {
    "rotated": lambda a, fmt: _rotate(a, 5 if fmt == "code128" else 30),
    "blurred": lambda a, fmt: _blur(a, 1.5),
    "noisy": lambda a, fmt: _noise(a, 20),
    "low-contrast": lambda a, fmt: _low_contrast(a),
    "small": _small,
}


@pytest.mark.parametrize("fmt", ["qr", "code128", "datamatrix"])
@pytest.mark.parametrize("degradation", list(DEGRADATIONS))
def test_degraded_symbol(decoder: Decoder, fmt: str, degradation: str) -> None:
    _skip_unsupported(decoder, fmt)
    text, clean = _case(fmt)
    assert _texts(decode_image(DEGRADATIONS[degradation](clean, fmt), decoder)) == [text]


@pytest.mark.parametrize("fmt", ["qr", "code128", "datamatrix"])
def test_symbol_in_photo_like_scene(decoder: Decoder, fmt: str) -> None:
    _skip_unsupported(decoder, fmt)
    text, clean = _case(fmt)
    width = {"qr": 260, "code128": 640, "datamatrix": 300}[fmt]
    frame = scene(clean, width_px=width, angle=3, contrast=(40, 215), blur=1.0, noise=8, seed=11)
    assert frame.shape == (720, 1280)
    assert text in _texts(decode_image(frame, decoder))


def test_several_codes_in_one_picture_are_all_returned(decoder: Decoder) -> None:
    a = symbol(ZIGBEE, "qr", module_px=4)
    b = symbol(EUI_DASHED, "qr", module_px=4)
    c = symbol(EUI, "code128", module_px=3)
    canvas = np.full((c.shape[0] + a.shape[0] + 20, max(c.shape[1], a.shape[1] + b.shape[1] + 20)), 255, np.uint8)
    canvas[: a.shape[0], : a.shape[1]] = a
    canvas[: b.shape[0], a.shape[1] + 20 : a.shape[1] + 20 + b.shape[1]] = b
    canvas[a.shape[0] + 20 :, : c.shape[1]] = c
    assert sorted(_texts(decode_image(canvas, decoder))) == sorted([ZIGBEE, EUI_DASHED, EUI])


def test_thorough_pass_reads_light_on_dark_labels(decoder: Decoder) -> None:
    inverted = 255 - symbol(ZIGBEE, "qr", module_px=4)
    assert _texts(decode_image(inverted, decoder, thorough=True)) == [ZIGBEE]


def test_vertical_code128_needs_the_thorough_pass() -> None:
    vertical = np.ascontiguousarray(np.rot90(symbol(EUI, "code128", module_px=3)))
    zx = ZxingDecoder()
    assert zx.decode(vertical) == []  # fast settings: no 90° search
    assert _texts(zx.decode(vertical, thorough=True)) == [EUI]


def test_formats_filter_narrows_the_search(decoder: Decoder) -> None:
    qr = symbol(ZIGBEE, "qr")
    assert decoder.decode(qr, formats=("Code128",)) == []
    assert _texts(decoder.decode(qr, formats=("QRCode",))) == [ZIGBEE]


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((0, 0), np.uint8),
        np.zeros((3, 3), np.uint8),
        np.zeros((10, 10, 7), np.uint8),
        np.array([["a", "b"]]),
        np.full((64, 64), np.nan),
        None,
        "not an image",
        b"\x89PNG",
    ],
    ids=["empty", "tiny", "7-channels", "strings", "nan", "none", "str", "bytes"],
)
def test_bad_input_reads_as_nothing_never_crashes(bad: object) -> None:
    assert decode_image(bad) == []
    assert LiveDecoder().decode_frame(bad) == []


def test_to_grey_accepts_numpy_pil_qimage_and_alpha() -> None:
    from PySide6.QtGui import QImage

    grey = symbol(EUI_DASHED, "qr")
    rgb = np.stack([grey] * 3, axis=2)
    rgba = np.dstack([rgb, np.full(grey.shape, 255, np.uint8)])
    transparent = rgba.copy()
    transparent[:, :, 3] = 0  # fully transparent → shown on white
    assert np.array_equal(to_grey(rgb), grey)
    assert np.array_equal(to_grey(rgba), grey)
    assert int(to_grey(transparent).min()) == 255
    assert np.array_equal(to_grey(Image.fromarray(rgb)), grey)
    assert np.array_equal(to_grey(to_grey(grey.astype(np.float64) / 255)), grey)
    qimage = QImage(rgba.tobytes(), grey.shape[1], grey.shape[0], grey.shape[1] * 4, QImage.Format.Format_RGBA8888)
    assert np.array_equal(to_grey(qimage), grey)
    with pytest.raises(FrameError):
        to_grey(QImage())


def test_roi_crop_and_downscale() -> None:
    frame = scene(symbol(ZIGBEE, "qr", module_px=4), width_px=300, seed=5)
    roi = Roi.centre(0.5, 0.5)
    assert prepare(frame, roi).shape == (360, 640)
    assert prepare(frame, max_side=640).shape == (360, 640)
    assert half_scale(frame).shape == (360, 640)
    assert squash_rows(frame).shape == (90, 1280)
    with pytest.raises(ValueError):
        Roi(0.5, 0.5, 1.5, 0.2)


def test_label_fields_in_decoded_code() -> None:
    code = DecodedCode("QRCode", ZIGBEE)
    assert code.to_json() == {"format": "QRCode", "text": ZIGBEE, "device_id": EUI_DASHED, "install_code": CODE_HEX}
    bad_crc = DecodedCode("QRCode", ZIGBEE[:-4] + "0000").to_json()
    assert bad_crc["device_id"] == EUI_DASHED and bad_crc["install_code"] is None
    assert DecodedCode("Code128", "HELLO").to_json()["device_id"] is None
    assert canonical_format("QRCODE") == "QRCode" and canonical_format("CODE128") == "Code128"


def test_live_decoder_finds_inverted_label_on_full_pass_then_keeps_it() -> None:
    frame = scene(255 - symbol(ZIGBEE, "qr", module_px=4), width_px=260, seed=2, invert=False)
    live = LiveDecoder(ZxingDecoder(), full_pass_every=4)
    live.decode_frame(frame)  # frame 0 runs every pass
    live.reset()
    live._frames = 1  # noqa: SLF001 - start between two full passes
    results = [_texts(live.decode_frame(frame)) for _ in range(6)]  # frames 1..6
    assert results[:3] == [[], [], []]  # fast passes alone miss a light-on-dark label
    assert results[3] == [ZIGBEE]  # the periodic full pass (frame 4) finds it …
    assert all(r == [ZIGBEE] for r in results[4:])  # … and its pass is tried first from then on
    assert live.preferred_pass == "half-inverted"


def test_live_decoder_reads_each_symbology_on_first_frame() -> None:
    for fmt in ("qr", "code128", "datamatrix"):
        text, clean = _case(fmt)
        frame = scene(clean, width_px=600 if fmt == "code128" else 240, contrast=(40, 215), noise=6, seed=4)
        assert _texts(LiveDecoder(ZxingDecoder()).decode_frame(frame)) == [text], fmt


def test_validator_needs_consecutive_frames_and_reports_changes_once() -> None:
    v = ConsecutiveValidator(confirm_frames=3, forget_after=2)
    assert v.feed(["A"]) == [] and v.feed(["A"]) == []
    assert v.feed(["A"]) == ["A"]
    assert v.feed(["A"]) == []  # same content: no repeat
    assert v.feed(["B"]) == [] and v.feed([]) == []  # broken streak for B
    assert v.feed(["B"]) == [] and v.feed(["B"]) == [] and v.feed(["B"]) == ["B"]
    v.feed([])
    v.feed([])  # A has now been gone for long enough to be forgotten
    assert "A" not in v.accepted
    assert [v.feed(["A"]) for _ in range(3)][-1] == ["A"]


@pytest.mark.parametrize(
    "fmt", ["Format_RGB32", "Format_ARGB32", "Format_RGBX8888", "Format_RGB888", "Format_BGR888", "Format_RGB16"]
)
def test_qimage_formats_give_the_same_grey(fmt: str) -> None:
    from PySide6.QtGui import QImage

    grey = symbol(EUI_DASHED, "qr")
    base = QImage(grey.tobytes(), grey.shape[1], grey.shape[0], grey.shape[1], QImage.Format.Format_Grayscale8)
    converted = base.convertToFormat(getattr(QImage.Format, fmt))
    assert np.array_equal(to_grey(converted), grey)


def test_yuv_video_frame_luma_plane_is_read_directly() -> None:
    from PySide6.QtCore import QSize
    from PySide6.QtMultimedia import QVideoFrame, QVideoFrameFormat

    grey = scene(symbol(ZIGBEE, "qr", module_px=4), size=(640, 480), width_px=240, seed=8)
    frame = QVideoFrame(QVideoFrameFormat(QSize(640, 480), QVideoFrameFormat.PixelFormat.Format_NV12))
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    stride = frame.bytesPerLine(0)
    plane = np.frombuffer(frame.bits(0), dtype=np.uint8, count=stride * 480).reshape(480, stride)
    plane[:, :640] = grey
    chroma = np.frombuffer(frame.bits(1), dtype=np.uint8, count=frame.bytesPerLine(1) * 240)
    chroma[:] = 128
    frame.unmap()
    assert np.array_equal(to_grey(frame), grey)
    assert _texts(LiveDecoder(ZxingDecoder()).decode_frame(frame)) == [ZIGBEE]
