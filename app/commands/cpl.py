"""``hubcheck cpl import|restore|status|lookup``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands.common import open_context, print_json

if TYPE_CHECKING:
    from app.store.cpl_repo import CplCacheStatus


def register(subparsers: Any) -> None:
    cpl = subparsers.add_parser("cpl", help="the local Central Products List cache")
    sub = cpl.add_subparsers(dest="cpl_command", metavar="ACTION", parser_class=type(cpl))
    sub.required = True

    imp = sub.add_parser("import", help="replace the cache with a CPL file (CSV or XLSX)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--json", action="store_true", help="print the import report as JSON")
    imp.set_defaults(handler=_import)

    restore = sub.add_parser("restore", help="bring back the CPL the last import replaced (twice: undo)")
    restore.add_argument("--json", action="store_true", help="print the restored and the kept CPL as JSON")
    restore.set_defaults(handler=_restore)

    status = sub.add_parser("status", help="which CPL file the cache holds")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)

    lookup = sub.add_parser("lookup", help="CPL entries for a device model")
    lookup.add_argument("--manufacturer", required=True, help="Manufacturer ID (hex)")
    lookup.add_argument("--model", required=True, help="Model ID (hex)")
    lookup.add_argument("--hardware", default=None)
    lookup.add_argument("--firmware", default=None)
    lookup.add_argument("--json", action="store_true")
    lookup.set_defaults(handler=_lookup)


def _import(args: argparse.Namespace) -> int:
    from app.commands.common import CliError
    from app.services.cpl_import import CplFileError, import_cpl

    ctx = open_context(args)
    if not args.file.is_file():
        raise CliError(f"cannot read {args.file}: no such file")
    try:
        report = import_cpl(ctx, args.file, progress=_progress if sys.stderr.isatty() else None)
    except CplFileError as exc:
        raise CliError(f"{args.file.name}: {exc}") from None
    if args.json:
        print_json(report.to_json())
    else:
        print(f"{report.imported} rows imported, {len(report.rejected)} rejected from {report.file_name}")
        for problem in report.rejected[:50]:
            print(f"  line {problem.line}: {problem.message}")
        if len(report.rejected) > 50:
            print(f"  … and {len(report.rejected) - 50} more")
        if report.previous is not None:
            prev = report.previous
            print(f"The CPL it replaced ({prev.file_name}, {prev.row_count} rows, {_dated(prev)}) is kept: "
                  "`hubcheck cpl restore` brings it back.")
    return 0


def _dated(st: CplCacheStatus) -> str:
    """How a CPL's date reads: the file's own date, or its modification time when it states none."""
    from app.domain.cpl_format import DATE_FROM_FILE

    if st.file_date is None:
        return "date unknown"
    if st.file_date_source == DATE_FROM_FILE:
        return f"dated {st.file_date.date().isoformat()}"
    return f"file modified {st.file_date.isoformat(sep=' ', timespec='minutes')}"


def _restore(args: argparse.Namespace) -> int:
    from app.commands.common import CliError
    from app.services.cpl_import import NoPreviousCplError, restore_previous_cpl

    ctx = open_context(args)
    try:
        report = restore_previous_cpl(ctx)
    except NoPreviousCplError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(report.to_json())
    else:
        now = report.restored
        print(f"Restored CPL {now.file_name}: {now.row_count} rows, {_dated(now)}.")
        if report.previous is not None:
            print(f"The CPL it replaced ({report.previous.file_name}) is kept: run `hubcheck cpl restore` again "
                  "to bring it back.")
    return 0


def _progress(rows: int) -> None:
    print(f"\r  {rows:,} rows read…", end="", file=sys.stderr, flush=True)


def _status(args: argparse.Namespace) -> int:
    from app.store import cpl_repo

    ctx = open_context(args)
    st = cpl_repo.status(ctx.engine)
    data = {
        "file": st.file_name,
        "file_date": st.file_date.isoformat() if st.file_date else None,
        "imported_at": st.imported_at.isoformat() if st.imported_at else None,
        "rows": st.row_count,
        "rejected": st.rejected_count,
        "file_date_source": st.file_date_source,
    }
    if args.json:
        print_json(data)
    elif st.empty:
        print("No CPL imported yet: run `hubcheck cpl import FILE`.")
    else:
        print(f"CPL {st.file_name}: {st.row_count} rows, {_dated(st)}, imported {data['imported_at']}")
    return 0


def _lookup(args: argparse.Namespace) -> int:
    from app.domain.devices import norm_hex
    from app.store import cpl_repo

    ctx = open_context(args)
    with ctx.engine.connect() as conn:
        entries = cpl_repo.entries_for_model(conn, args.manufacturer, args.model)
    if args.hardware:
        entries = [e for e in entries if not e.hardware_version or e.hardware_version == norm_hex(args.hardware)]
    if args.firmware:
        entries = [e for e in entries if e.firmware_version == norm_hex(args.firmware)]
    if args.json:
        print_json({"count": len(entries), "entries": [e.to_json() for e in entries]})
    else:
        if not entries:
            print("No CPL entry matches.")
        for e in entries:
            gen = e.generation.value if e.generation else "generation unknown"
            refs = f" (CPL entry {e.cpl_entry_id})" if e.cpl_entry_id else ""
            if e.upgrades_from:
                refs += f", upgrades from {', '.join(e.upgrades_from)}"
            print(f"{e.device_type} {e.manufacturer_id}/{e.model_id} hw {e.hardware_version or '-'} fw {e.firmware_version}: {gen}, {e.status}{refs}")
    return 0
