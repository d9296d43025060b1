"""``hubcheck install record|abort|withdraw``: record a visit's outcome and queue its Service
Requests, or withdraw a visit none of whose requests has been sent yet.

Exit codes of ``record``: 0 recorded; 1 refused because the pairing verdict is STOP and no
``--override`` reason was given (the verdict is printed, nothing is written); 2 bad input.
Recording a job that already has a recorded install still records it (exit 0: scripts rely
on that); a note on stderr names the first record unless ``--again`` says the repeat is meant.

Exit codes of ``withdraw``: 0 withdrawn; 1 refused because a request of the visit already
left the laptop (the message names it); 2 bad input or no such visit.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.commands.common import EXIT_PARTIAL, CliError, open_context, print_json

_LOCATIONS = {
    "outside": "Outside Premises",
    "outside-premises": "Outside Premises",
    "external-wall": "Indoors on external wall",
    "indoors-on-external-wall": "Indoors on external wall",
    "deep-indoors": "Deep indoors",
    "basement": "Basement or Cellar",
    "basement-or-cellar": "Basement or Cellar",
}
_PREMISES = {
    "detached": "Detached / Semi Detached",
    "semi-detached": "Detached / Semi Detached",
    "terraced": "Terraced",
    "low-rise": "Low Rise Apartment (MDU <= 5 floors)",
    "high-rise": "High Rise Apartment (MDU > 5 floors)",
}
DEFAULT_LOCATION = "Indoors on external wall"


def register(subparsers: Any) -> None:
    install = subparsers.add_parser("install", help="record an install visit and queue its Service Requests")
    sub = install.add_subparsers(dest="install_command", metavar="ACTION", parser_class=type(install))
    sub.required = True

    rec = sub.add_parser(
        "record",
        help="record an install: re-check the pairing, queue the scenario's requests (8.14.x, 8.11, 8.7.x, 8.2, 11.2)",
    )
    rec.add_argument("--job", required=True, metavar="REF", help="the job reference")
    rec.add_argument("--ppmid", required=True, metavar="TEXT", help="what the scanner read from the PPMID label")
    rec.add_argument("--hub", required=True, metavar="TEXT", help="what the scanner read from the hub label")
    rec.add_argument("--meter", required=True, metavar="ID", help="the meter's device ID (ESME or GSME)")
    rec.add_argument("--meter-type", choices=("ESME", "GSME"), default=None, help="default: the job pack's, else ESME")
    rec.add_argument("--no-wan", action="store_true", help="the hub has no SM WAN: queue 8.14.2 with the site survey")
    rec.add_argument(
        "--premise-type",
        default=None,
        metavar="TEXT",
        help="with --no-wan: detached, terraced, low-rise, high-rise (or the DUIS text)",
    )
    rec.add_argument(
        "--obstruction",
        action="append",
        default=[],
        choices=("metal", "connectivity", "shared"),
        help="with --no-wan: an obstruction found (repeat for several)",
    )
    rec.add_argument(
        "--hub-location",
        default=DEFAULT_LOCATION,
        metavar="TEXT",
        help=f"DUIS CHFLocation: outside, external-wall, deep-indoors, basement (default {DEFAULT_LOCATION!r})",
    )
    rec.add_argument("--aerial", action="store_true", help="an external aerial was fitted")
    rec.add_argument("--override", default=None, metavar="REASON", help="record a STOP verdict anyway, for this reason")
    rec.add_argument("--mpxn", default=None, help="default: the job pack's MPxN")
    rec.add_argument(
        "--scenario",
        default=None,
        metavar="NAME",
        help="existing-hub (the hub was there already: no 8.14) or new-hub (fitted today, SMETS2+ only: 8.14 and "
        "an 8.11 for each meter); default: what the hub's SMI status proposes",
    )
    rec.add_argument(
        "--remedy",
        default=None,
        metavar="KIND",
        help="update-inventory (or 8.4): queue an 8.4 moving a Pending bilingual PPMID to its model's other CPL "
        "entry (values from the CPL; the back office approves it first); manual-inventory-change: record that the "
        "DCC is asked for that change instead",
    )
    # Typed remedy values were accepted once; they are refused now (the CPL gives them).
    rec.add_argument("--remedy-firmware", default=None, help=argparse.SUPPRESS)
    rec.add_argument("--remedy-smets-version", default=None, help=argparse.SUPPRESS)
    rec.add_argument("--hub-smets", choices=("SMETS1", "SMETS2+"), default=None, help="the hub's generation, if known on site")
    rec.add_argument(
        "--again",
        action="store_true",
        help="the job already has a recorded install and this second record is meant (silences the note)",
    )
    rec.add_argument("--json", action="store_true", help="print one JSON object")
    rec.set_defaults(handler=_record)

    abort = sub.add_parser("abort", help="record that a visit ended without an install")
    abort.add_argument("--job", required=True, metavar="REF")
    abort.add_argument("--reason", required=True, metavar="TEXT")
    abort.add_argument("--ppmid", default=None, metavar="TEXT")
    abort.add_argument("--hub", default=None, metavar="TEXT")
    abort.add_argument("--meter", default=None, metavar="ID")
    abort.add_argument("--json", action="store_true")
    abort.set_defaults(handler=_abort)

    withdraw = sub.add_parser(
        "withdraw", help="withdraw a recorded visit before any of its Service Requests was sent"
    )
    withdraw.add_argument("--job", required=True, metavar="REF", help="the job reference")
    withdraw.add_argument(
        "--install-id", default=None, metavar="ID", help="the visit to withdraw (default: the job's latest standing one)"
    )
    withdraw.add_argument("--reason", required=True, metavar="TEXT", help="why it is withdrawn (kept and journaled)")
    withdraw.add_argument("--json", action="store_true", help="print one JSON object")
    withdraw.set_defaults(handler=_withdraw)


def _enum(value: str, table: dict[str, str], enum_type: Any, what: str) -> Any:
    text = table.get(value.strip().lower().replace(" ", "-"), value.strip())
    for member in enum_type:
        if member.value.lower() == text.lower():
            return member
    allowed = ", ".join(sorted(set(table))) + "; or the DUIS text: " + "; ".join(m.value for m in enum_type)
    raise CliError(f"{what} {value!r} is not known; use one of: {allowed}")


def _record(args: argparse.Namespace) -> int:
    from app.domain.devices import DeviceType
    from app.domain.duis import CHFLocation, NoWanSurvey, PremiseType, parse_scenario
    from app.domain.errors import DomainInputError
    from app.domain.smets import Generation
    from app.services.installs import VisitBlocked, VisitRequest, parse_remedy, record_visit

    location = _enum(args.hub_location, _LOCATIONS, CHFLocation, "--hub-location")
    survey = None
    if args.no_wan:
        if not args.premise_type:
            raise CliError("--no-wan needs --premise-type (the 8.14.2 site survey)")
        survey = NoWanSurvey(
            premise_type=_enum(args.premise_type, _PREMISES, PremiseType, "--premise-type"),
            metal_obstruction="metal" in args.obstruction,
            connectivity_obstruction="connectivity" in args.obstruction,
            shared_obstruction="shared" in args.obstruction,
        )
    elif args.premise_type or args.obstruction:
        raise CliError("--premise-type and --obstruction describe a hub with no SM WAN: add --no-wan")
    if args.remedy_firmware is not None or args.remedy_smets_version is not None:
        flag = "--remedy-firmware" if args.remedy_firmware is not None else "--remedy-smets-version"
        raise CliError(
            f"{flag} is not accepted: the 8.4 remedy's firmware and SMETS version come from the CPL's other entry "
            "for the PPMID's model; use --remedy update-inventory"
        )
    try:
        scenario = parse_scenario(args.scenario) if args.scenario is not None else None
    except DomainInputError as exc:
        raise CliError(f"--scenario: {exc}") from None
    try:
        remedy = parse_remedy(args.remedy) if args.remedy is not None else None
    except DomainInputError as exc:
        raise CliError(f"--remedy: {exc}") from None
    ctx = open_context(args)
    request = VisitRequest(
        job_ref=args.job,
        ppmid=args.ppmid,
        hub=args.hub,
        meter=args.meter,
        hub_location=location,
        meter_type=DeviceType(args.meter_type) if args.meter_type else None,
        wan=not args.no_wan,
        no_wan=survey,
        aerial=args.aerial,
        override_reason=args.override,
        remedy=remedy,
        mpxn=args.mpxn,
        hub_smets=Generation(args.hub_smets) if args.hub_smets else None,
        scenario=scenario,
    )
    try:
        outcome = record_visit(ctx, request, confirm_repeat=True)
    except VisitBlocked as exc:
        if args.json:
            print_json({"refused": True, "message": str(exc), "verdict": exc.pairing.to_json()})
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except DomainInputError as exc:
        raise CliError(str(exc)) from None
    if outcome.repeat_of is not None and not args.again:
        print(
            f"note: job {outcome.job_ref} already had a recorded install ({outcome.repeat_of.describe()}); "
            "this is a second record (add --again when that is meant; `hubcheck install withdraw` undoes one "
            "whose requests were not sent yet)",
            file=sys.stderr,
        )
    if args.json:
        print_json(outcome.to_json())
    else:
        print(f"recorded install {outcome.install_id} for job {outcome.job_ref} (verdict {outcome.verdict_level})")
        if outcome.scenario is not None:
            print(f"  scenario {outcome.scenario.scenario}: {outcome.scenario.why}")
        if outcome.override_reason:
            print(f"  override: {outcome.override_reason}")
        if outcome.remedy is not None:
            done = outcome.remedy
            print(f"  remedy {done['kind']}: firmware {done['firmware_version']}, "
                  f"{done['smets_chts_version']} (needs the back office's approval)")
        position = {intent.idempotency_key: n for n, intent in enumerate(outcome.intents, start=1)}
        for n, intent in enumerate(outcome.intents, start=1):
            waits = ", ".join(f"#{position[key]}" for key in intent.depends_on if key in position)
            notes = (f"  waits for {waits}" if waits else "") + ("  needs approval" if intent.needs_approval else "")
            print(f"  #{n} queued {intent.srv:<7} -> {intent.target}  key {intent.idempotency_key}{notes}")
    return 0


def _abort(args: argparse.Namespace) -> int:
    from app.domain.errors import DomainInputError
    from app.services.installs import abort_visit

    ctx = open_context(args)
    try:
        outcome = abort_visit(ctx, args.job, args.reason, ppmid=args.ppmid, hub=args.hub, meter=args.meter)
    except DomainInputError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(outcome.to_json())
    else:
        print(f"recorded aborted visit {outcome.install_id} for job {outcome.job_ref}: {outcome.abort_reason}")
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    from app.services.visit_guard import AlreadySent, WithdrawError, previous_record, withdraw_visit

    job = (args.job or "").strip()
    if not job:
        raise CliError("--job needs a job reference")
    ctx = open_context(args)
    install_id = (args.install_id or "").strip()
    if not install_id:
        latest = previous_record(ctx, job)
        if latest is None:
            raise CliError(f"job {job} has no recorded visit to withdraw")
        install_id = latest.install_id
    try:
        outcome = withdraw_visit(ctx, install_id, args.reason, job_ref=job)
    except AlreadySent as exc:
        if args.json:
            print_json(
                {
                    "refused": True,
                    "install_id": exc.install_id,
                    "message": str(exc),
                    "already_sent": [s.to_json() for s in exc.sent],
                }
            )
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except WithdrawError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(outcome.to_json())
    else:
        what = "install" if outcome.outcome == "recorded" else "aborted visit"
        print(f"withdrew {what} {outcome.install_id} of job {outcome.job_ref}: {outcome.reason}")
        for key, srv in outcome.intents:
            print(f"  withdrawn {srv:<7} key {key}")
        if outcome.record == "at_backoffice":
            print("  the back office already has the visit record; tell the office it was withdrawn")
    return 0
