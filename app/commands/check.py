"""``hubcheck check``: the pairing verdict for raw scanner text, for scripts and people."""

from __future__ import annotations

import argparse
from typing import Any

from app.commands.common import open_context, print_json


def register(subparsers: Any) -> None:
    check = subparsers.add_parser("check", help="judge a PPMID + Communications Hub pairing")
    check.add_argument("--ppmid", required=True, metavar="TEXT", help="what the scanner read from the PPMID label")
    check.add_argument("--hub", required=True, metavar="TEXT", help="what the scanner read from the hub label")
    check.add_argument("--regime", choices=("tactical", "mp202"), default=None, help="override the stored regime")
    check.add_argument(
        "--hub-smets", choices=("SMETS1", "SMETS2+"), default=None, help="the hub's generation, when known on site"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    from app.commands.common import CliError
    from app.domain.labels import LabelError, parse_label
    from app.domain.smets import Generation, Regime
    from app.services.pairing import check_labels

    try:
        ppmid = parse_label(args.ppmid)
    except LabelError as exc:
        raise CliError(f"--ppmid: {exc}") from None
    try:
        hub = parse_label(args.hub)
    except LabelError as exc:
        raise CliError(f"--hub: {exc}") from None
    ctx = open_context(args)
    result = check_labels(
        ctx,
        ppmid,
        hub,
        regime=Regime(args.regime) if args.regime else None,
        hub_smets=Generation(args.hub_smets) if args.hub_smets else None,
    )
    if args.json:
        print_json(result.to_json())
    else:
        print(format_for_person(result.to_json()))
    return 0


_LEVEL_WORDS = {
    "ok": "OK — this pairing will work",
    "warn": "WARNING — check before installing",
    "block": "STOP — do not install this pairing",
    "unknown": "UNKNOWN — the hub's SMETS generation is not known",
}


def format_for_person(data: dict[str, Any]) -> str:
    lines = [_LEVEL_WORDS[str(data["level"])]]
    regime = "Tactical" if data["regime"] == "tactical" else "MP202"
    resulting = data["resulting_smets"] or "none (no working PPMID results)"
    lines.append(f"Regime: {regime}    Resulting SMETS version: {resulting}")
    lines.append(f"PPMID {data['ppmid']['device_id']}    Hub {data['hub']['device_id']} ({data['hub']['smets'] or 'generation unknown'})")
    for reason in data["reasons"]:
        lines.append(f"  [{reason['severity']}] {reason['message']}")
    if data["remedies"]:
        lines.append("What to do:")
        for remedy in data["remedies"]:
            flag = " (needs back-office approval)" if remedy.get("needs_approval") else ""
            lines.append(f"  - {remedy['description']}{flag}")
    return "\n".join(lines)
