"""``hubcheck jobs import|list``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.commands.common import open_context, print_json


def register(subparsers: Any) -> None:
    jobs = subparsers.add_parser("jobs", help="job packs and DUIS inventory responses")
    sub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", parser_class=type(jobs))
    sub.required = True
    imp = sub.add_parser("import", help="import a job pack (JSON) or an 8.2 Read Inventory response (XML)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=_import)
    lst = sub.add_parser("list", help="list imported jobs")
    lst.add_argument("--search", default="", help="job reference, postcode or device ID")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_list)


def _import(args: argparse.Namespace) -> int:
    from app.commands.common import CliError
    from app.domain.errors import DomainInputError
    from app.services.jobs_import import import_jobs_file

    ctx = open_context(args)
    try:
        report = import_jobs_file(ctx, args.file)
    except DomainInputError as exc:
        raise CliError(f"{args.file.name}: {exc}") from None
    if args.json:
        print_json(report.to_json())
    else:
        what = "job pack" if report.kind == "jobpack" else "inventory response"
        print(f"{what} {report.file_name}: {report.jobs} jobs, {report.devices} devices imported, "
              f"{len(report.problems)} rejected")
        for where, message in report.problems[:50]:
            print(f"  {where}: {message}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from app.store import device_repo

    ctx = open_context(args)
    with ctx.engine.connect() as conn:
        jobs = device_repo.search_jobs(conn, args.search)
    if args.json:
        print_json([{"job_ref": j.job_ref, "postcode": j.postcode, "visit_date": j.visit_date,
                     "device_ids": list(j.device_ids)} for j in jobs])
    else:
        for j in jobs:
            print(f"{j.job_ref}  {j.postcode:8}  {len(j.device_ids)} devices")
    return 0
