"""``hubcheck decode IMAGE...`` and ``hubcheck label``: barcodes in pictures, and test labels.

``decode --json`` is a contract: a list with one object per image, each with ``file``,
``codes`` (``format``, ``text``, ``device_id``, ``install_code`` — the last two null when
the text holds none; ``install_code`` is the bare code without CRC, and only when the CRC
holds) and ``error`` (null, or why the file could not be read). An unreadable file is an
entry, not a crash; the exit code is 0 when every file was read and 1 otherwise.

A PDF file is read page by page, rendered at 150 dpi (e.g. exported visit certificates).
Two extensions, present only where they apply so a device label's object keeps exactly
the keys above: the QR code of a visit certificate (``HUBCHECK-VISIT:1:…``) adds
``record_id`` and ``audit_hash`` (null when the record had none), and a code found in a
PDF adds ``page`` (1-based).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.commands.common import EXIT_OK, EXIT_PARTIAL, CliError, print_json

_DEFAULT_MODULE_PX = {"qr": 8, "datamatrix": 8, "code128": 3}


def register(subparsers: Any) -> None:
    decode = subparsers.add_parser("decode", help="read the barcodes in pictures of labels")
    decode.add_argument(
        "images", nargs="+", type=Path, metavar="IMAGE",
        help="PNG, JPEG, BMP, GIF, TIFF or WebP, or a PDF (e.g. exported visit certificates)",
    )
    decode.add_argument(
        "--decoder",
        choices=("zxing", "zbar"),
        default="zxing",
        help="zxing (default: QR, Code 128, DataMatrix) or zbar (QR, Code 128; needs libzbar0)",
    )
    decode.add_argument("--json", action="store_true", help="print a JSON list, one object per image")
    decode.set_defaults(handler=_decode)

    label = subparsers.add_parser("label", help="write a test label (QR, Code 128 or DataMatrix) as a PNG")
    label.add_argument("--device-id", required=True, help="EUI-64 in any notation, e.g. 00-0D-6F-00-00-AB-CD-EF")
    label.add_argument(
        "--install-code",
        default=None,
        metavar="HEX",
        help="install code without CRC (12, 16, 24 or 32 hex digits); the CRC is added on the label",
    )
    label.add_argument("--format", required=True, choices=("qr", "code128", "datamatrix"), dest="fmt")
    label.add_argument("--scale", type=int, default=None, help="pixels per module (default 8; 3 for code128)")
    label.add_argument("--no-caption", action="store_true", help="leave out the device ID printed under the symbol")
    label.add_argument("out", type=Path, metavar="OUT.png")
    label.set_defaults(handler=_label)


def _decode(args: argparse.Namespace) -> int:
    from app.scan.decoders import choose_decoder
    from app.scan.images import ImageReadError, decode_image_file

    decoder = choose_decoder(args.decoder, warn=lambda message: print(f"hubcheck: {message}", file=sys.stderr))
    from app.scan.pdf_pages import PdfReadError, is_pdf

    entries: list[dict[str, Any]] = []
    for path in args.images:
        try:
            if is_pdf(path):
                codes = _pdf_codes(path, decoder)
            else:
                codes = [_code_json(code, None) for code in decode_image_file(path, decoder)]
            entries.append({"file": str(path), "codes": codes, "error": None})
        except (ImageReadError, PdfReadError) as exc:
            entries.append({"file": str(path), "codes": [], "error": str(exc)})
    if args.json:
        print_json(entries)
    else:
        _print_human(entries)
    return EXIT_OK if all(entry["error"] is None for entry in entries) else EXIT_PARTIAL


def _pdf_codes(path: Path, decoder: Any) -> list[dict[str, Any]]:
    """The codes on every page of a PDF, each with its page number."""
    from app.scan.images import decode_qimage
    from app.scan.pdf_pages import render_pages

    return [_code_json(code, number) for number, image in render_pages(path) for code in decode_qimage(image, decoder)]


def _code_json(code: Any, page: int | None) -> dict[str, Any]:
    """The contract's keys for one code, plus the visit certificate's record ID and audit hash."""
    from app.domain.visit_code import VisitCodeError, parse_visit_code

    try:
        visit = parse_visit_code(code.text)
    except VisitCodeError:
        visit = None
    data: dict[str, Any] = code.to_json()
    if visit is not None:
        data["record_id"] = visit.record_id
        data["audit_hash"] = visit.audit_hash
    if page is not None:
        data["page"] = page
    return data


def _print_human(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        if entry["error"]:
            print(f"{entry['file']}: error: {entry['error']}")
            continue
        if not entry["codes"]:
            print(f"{entry['file']}: no barcode found")
        for code in entry["codes"]:
            where = f" page {code['page']}" if "page" in code else ""
            if "record_id" in code:
                digest = code["audit_hash"] or "none recorded"
                print(f"{entry['file']}{where}: visit certificate, record {code['record_id']}, audit hash {digest}")
                continue
            found = f"device {code['device_id']}" if code["device_id"] else "no device ID"
            if code["install_code"]:
                found += f", install code {code['install_code']}"
            print(f"{entry['file']}{where}: {code['format']} {code['text']!r} ({found})")


def _label(args: argparse.Namespace) -> int:
    from app.domain.ids import DeviceIdError, parse_device_id
    from app.scan.printing import label_payload, render_label

    try:
        device_id = parse_device_id(args.device_id)
    except DeviceIdError as exc:
        raise CliError(f"--device-id: {exc}") from None
    install_code = _install_code(args.install_code) if args.install_code is not None else None
    scale = args.scale if args.scale is not None else _DEFAULT_MODULE_PX[args.fmt]
    if not 1 <= scale <= 64:
        raise CliError("--scale: give 1 to 64 pixels per module")
    payload = label_payload(device_id, install_code)
    image = render_label(payload, args.fmt, module_px=scale, caption=None if args.no_caption else str(device_id))
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        image.save(args.out, format="PNG")
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"{args.out}: {args.fmt} label holding {payload}")
    return EXIT_OK


def _install_code(text: str) -> Any:
    """A bare code as typed by a tester; a code already followed by a valid CRC is accepted too."""
    from app.domain.install_codes import InstallCode, InstallCodeError, parse_label_install_code

    try:
        return InstallCode.from_code_hex(text)
    except InstallCodeError as bare_problem:
        try:
            return parse_label_install_code(text)
        except InstallCodeError:
            raise CliError(f"--install-code: {bare_problem}") from None
