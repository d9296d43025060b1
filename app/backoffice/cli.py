"""``hubcheck-backoffice``: run the service and administer its database.

    hubcheck-backoffice --db URL serve [--host 127.0.0.1] [--port 8080] [--workers N]
                                       [--tls-cert FILE --tls-key FILE] [--log-format json] [--simulate-dcc ...]
    hubcheck-backoffice --db URL db upgrade | db current
    hubcheck-backoffice --db URL token create NAME [--admin | --analyst] [--expires YYYY-MM-DD]  (prints the token alone)
    hubcheck-backoffice --db URL token list [NAME]
    hubcheck-backoffice --db URL token revoke NAME | --id N | --prefix TEXT
    hubcheck-backoffice --db URL cpl upload FILE [--date YYYY-MM-DD]
    hubcheck-backoffice --db URL jobs upload FILE [--installer NAME]
    hubcheck-backoffice --db URL regime set mp202 --effective 2027-01-01
    hubcheck-backoffice --db URL intents list --awaiting-approval
    hubcheck-backoffice --db URL intents approve KEY --by NAME [--reason TEXT]
    hubcheck-backoffice --db URL intents refuse KEY --by NAME --reason TEXT
    hubcheck-backoffice --db URL installs approve|refuse INSTALL_ID --by NAME [--reason TEXT]
    hubcheck-backoffice --db URL audit verify [--installer NAME] [--json]   (exit 1: a broken journal)
    hubcheck-backoffice --db URL purge --older-than DAYS [--dry-run] [--json]
    hubcheck-backoffice --db URL export --format csv|pdf [--redact] [--from DATE] [--to DATE] OUT

``HUBCHECK_BACKOFFICE_DB`` may stand for ``--db``. Bad input is one line on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.backoffice.db import (
    ENV_DB,
    Store,
    StoreError,
    check_schema,
    current_revision,
    head_revision,
    open_store,
)
from app.backoffice.dccsim import DccSimulator, RuleError, parse_rule
from app.backoffice.files import UploadError, upload_cpl, upload_jobpack
from app.backoffice.models import Intent
from app.backoffice.ordering import approve, audit_entries, find_intents, refuse
from app.backoffice.regime import regime_on, set_regime
from app.backoffice.schemas import STATES
from app.backoffice.settings import get_originator, set_originator
from app.backoffice.timeutil import gb_today, utcnow
from app.backoffice.tokens import (
    TokenError,
    TokenInfo,
    expiry_from_date,
    find_installer,
    issue_token,
    list_tokens,
    revoke_token,
    revoke_tokens,
)
from app.backoffice.transitions import TransitionError
from app.backoffice.views import full_intent_view, intent_views
from app.domain.errors import DomainInputError

EXIT_OK = 0
EXIT_USAGE = 2


class CliError(Exception):
    """A user-facing failure: one line on stderr, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise CliError(f"{self.prog}: {message}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _key(text: str) -> str:
    try:
        return str(UUID(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an intent key (a UUID such as 6f1c2b1e-1d2a-4c55-9a3e-0b7d9f5e2a10)"
        ) from None


def _limit(text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit() and 1 <= int(text) <= 10_000):
        raise argparse.ArgumentTypeError(f"{text!r} is not a count from 1 to 10000")
    return int(text)


def _max_intakes(text: str) -> int:
    from app.backoffice.web.admission import AdmissionError, parse_limit

    try:
        return parse_limit(text, "--max-intakes")
    except AdmissionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _token_id(text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit() and 0 < int(text) < 2**31):
        raise argparse.ArgumentTypeError(f"{text!r} is not a token id (a number from token list)")
    return int(text)


def _workers(text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit() and 1 <= int(text) <= 64):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers from 1 to 64")
    return int(text)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (0-65535)")
    return port


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more, e.g. 2 or 0.5)")
    return value


def _open(args: argparse.Namespace, *, upgrade: bool = False) -> Store:
    """The ``--db`` store. An empty database gets the schema; an older one is refused with
    "run db upgrade" unless ``upgrade`` (``db upgrade``, ``init``): migrating is a step an
    operator takes on purpose, after a backup, never a side effect of another command."""
    url = args.db or os.environ.get(ENV_DB, "")
    if not url:
        raise CliError("no database: pass --db URL or set HUBCHECK_BACKOFFICE_DB")
    return open_store(url, upgrade=upgrade)


def _check_tls(cert: str | None, key: str | None) -> None:
    """Both or neither, and readable: one line now rather than a TLS traceback at start."""
    if (cert is None) != (key is None):
        raise CliError("--tls-cert and --tls-key go together: give both (PEM files) or neither")
    for option, path in (("--tls-cert", cert), ("--tls-key", key)):
        if path is None:
            continue
        try:
            head = Path(path).read_bytes()[:4096]
        except OSError as exc:
            raise CliError(f"{option}: cannot read {path}: {exc.strerror or exc}") from None
        if b"-----BEGIN " not in head:
            raise CliError(f"{option}: {path} is not a PEM file")


@contextmanager
def _session(args: argparse.Namespace, *, write: bool) -> Iterator[Session]:
    """One session on the ``--db`` store (a committed transaction when ``write``); the store is closed after."""
    store = _open(args)
    try:
        with store.write() if write else store.read() as session:
            yield session
    finally:
        store.dispose()


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, default=str))


# --------------------------------------------------------------------------- handlers


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.backoffice.web.app import create_app
    from app.backoffice.web.guards import KEEP_ALIVE_SECONDS, GuardedH11Protocol
    from app.backoffice.web.logging import ENV_LOG_FORMAT, ENV_LOG_LEVEL, configure_access_log

    rules = [parse_rule(text) for text in args.dcc_rule]
    if (rules or args.dcc_delay is not None) and not args.simulate_dcc:
        raise CliError("--dcc-delay and --dcc-rule need --simulate-dcc")
    if args.simulate_dcc and args.workers > 1:
        raise CliError("--simulate-dcc runs in one process: leave out --workers")
    _check_tls(args.tls_cert, args.tls_key)
    store = _open(args, upgrade=False)
    simulator = None
    if args.simulate_dcc:
        simulator = DccSimulator(
            store, delay=args.dcc_delay if args.dcc_delay is not None else 2.0, rules=rules
        )
    from app.backoffice.web.admission import AdmissionError, limit_from_env

    try:
        max_intakes = args.max_intakes if args.max_intakes is not None else limit_from_env()
    except AdmissionError as exc:
        store.dispose()
        raise CliError(str(exc)) from None
    app = create_app(store, simulator=simulator, max_intakes=max_intakes)
    try:
        if args.workers > 1:
            # Each worker builds its own app from the environment (app.backoffice.asgi); the
            # schema is already created or checked above, so no worker races to create it.
            os.environ[ENV_DB] = args.db or os.environ.get(ENV_DB, "")
            os.environ[ENV_LOG_FORMAT] = args.log_format
            os.environ[ENV_LOG_LEVEL] = args.log_level
            if getattr(args, "max_intakes", None) is not None:  # each worker's own admission limit
                os.environ["HUBCHECK_BACKOFFICE_MAX_INTAKES"] = str(args.max_intakes)
        # --log-level governs the request lines too: "warning" means no line per request (a
        # supervisor reading only warnings must not have to drain one line per intake).
        configure_access_log(args.log_format, level=logging.getLevelName(args.log_level.upper()))
        uvicorn.run(
            app if args.workers == 1 else "app.backoffice.asgi:app",
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            workers=args.workers,
            # Workers import the app and check the schema at once; on a small, busy machine that
            # takes longer than uvicorn's 5 s health check, which would kill and restart them.
            timeout_worker_healthcheck=60,
            access_log=False,  # our own line per request (web/logging.py) replaces uvicorn's
            ssl_certfile=args.tls_cert,
            ssl_keyfile=args.tls_key,
            http=GuardedH11Protocol,  # a header-read timeout uvicorn lacks (docs/API.md, "Limits")
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
    finally:
        store.dispose()
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    _open(args, upgrade=True).dispose()
    print("schema ready")
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    store = _open(args, upgrade=True)  # migrates to the newest revision under the migration lock
    try:
        check_schema(store)
        print(f"database at {current_revision(store)} (newest)")
    finally:
        store.dispose()
    return EXIT_OK


def cmd_db_current(args: argparse.Namespace) -> int:
    url = args.db or os.environ.get(ENV_DB, "")
    if not url:
        raise CliError("no database: pass --db URL or set HUBCHECK_BACKOFFICE_DB")
    store = open_store(url, create=False)
    try:
        revision = current_revision(store)
        head = head_revision()
        if revision == head:
            state = "newest"
        elif revision is None:
            state = "not migrated: run db upgrade"
        else:
            state = f"behind {head}: run db upgrade"
        _print_json({"revision": revision, "head": head, "state": state})
    finally:
        store.dispose()
    return EXIT_OK if revision == head else EXIT_USAGE


def cmd_token_create(args: argparse.Namespace) -> int:
    expires = expiry_from_date(args.expires) if args.expires is not None else None
    with _session(args, write=True) as session:
        token, _info = issue_token(
            session, args.name, utcnow(), admin=args.admin, expires_at=expires, analyst=args.analyst
        )
    print(token)
    return EXIT_OK


def _token_json(info: TokenInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "installer": info.installer,
        "prefix": info.prefix,
        "admin": info.admin,
        "analyst": info.analyst,
        "state": info.state(utcnow()),
        "created_at": info.created_at.isoformat(),
        "expires_at": info.expires_at.isoformat() if info.expires_at else None,
        "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
    }


def cmd_token_list(args: argparse.Namespace) -> int:
    with _session(args, write=False) as session:
        tokens = list_tokens(session, args.name)
    _print_json({"tokens": [_token_json(info) for info in tokens]})
    return EXIT_OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    chosen = sum(x is not None for x in (args.name, args.id, args.prefix))
    if chosen != 1:
        raise CliError("token revoke: give exactly one of NAME (every token of NAME), --id N or --prefix TEXT")
    with _session(args, write=True) as session:
        if args.name is not None:
            count = revoke_tokens(session, args.name, utcnow())
            message = f"revoked {count} token(s) of {args.name}"
        else:
            info = revoke_token(session, utcnow(), token_id=args.id, prefix=args.prefix)
            role = info.role
            message = f"revoked token {info.id} ({info.prefix}…, {role}) of {info.installer}"
    print(message)
    return EXIT_OK


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None


def cmd_cpl_upload(args: argparse.Namespace) -> int:
    content = _read(args.file)
    with _session(args, write=True) as session:
        row = upload_cpl(session, args.name or args.file.name, content, utcnow(), args.date)
        result = {"id": row.id, "name": row.name, "published_on": row.published_on, "size": row.size}
    _print_json(result)
    return EXIT_OK


def cmd_jobs_upload(args: argparse.Namespace) -> int:
    content = _read(args.file)
    with _session(args, write=True) as session:
        installer_id = None
        if args.installer:
            found = find_installer(session, args.installer)
            if found is None:
                raise CliError(f"no installer named {args.installer!r}; create one with token create NAME")
            installer_id = found.id
        row = upload_jobpack(session, args.name or args.file.name, content, utcnow(), installer_id)
        result = {"id": row.id, "name": row.name, "installer": args.installer, "job_refs": row.job_refs}
    _print_json(result)
    return EXIT_OK


def cmd_regime_set(args: argparse.Namespace) -> int:
    now = utcnow()
    today = gb_today(now)
    with _session(args, write=True) as session:
        set_regime(session, args.regime, args.effective or today, now)
        result = regime_on(session, today).model_dump(mode="json")
    _print_json(result)
    return EXIT_OK


def cmd_regime_show(args: argparse.Namespace) -> int:
    with _session(args, write=False) as session:
        result = regime_on(session, gb_today()).model_dump(mode="json")
    _print_json(result)
    return EXIT_OK


def cmd_originator(args: argparse.Namespace) -> int:
    with _session(args, write=args.value is not None) as session:
        value = get_originator(session) if args.value is None else set_originator(session, args.value)
    print(value)
    return EXIT_OK


CLI_VIA = "command line"


def cmd_intents_list(args: argparse.Namespace) -> int:
    with _session(args, write=False) as session:
        rows = find_intents(
            session, state=args.state, awaiting_approval=args.awaiting_approval, limit=args.limit
        )
        views = intent_views(session, rows)
        result = [views[row.id].model_dump(mode="json") for row in rows]
    _print_json({"intents": result})
    return EXIT_OK


def _intent_json(session: Session, intent: Intent) -> dict[str, Any]:
    view = full_intent_view(session, intent).model_dump(mode="json")
    view["audit"] = [e.model_dump(mode="json") for e in audit_entries(session, intent.idempotency_key)]
    return view


def cmd_intents_show(args: argparse.Namespace) -> int:
    with _session(args, write=False) as session:
        intent = session.scalar(select(Intent).where(Intent.idempotency_key == args.key))
        if intent is None:
            raise CliError(f"no intent with the key {args.key}")
        result = _intent_json(session, intent)
    _print_json(result)
    return EXIT_OK


def cmd_intents_approve(args: argparse.Namespace) -> int:
    with _session(args, write=True) as session:
        result = _intent_json(session, approve(session, args.key, args.by, CLI_VIA, utcnow(), args.reason))
    _print_json(result)
    return EXIT_OK


def cmd_intents_refuse(args: argparse.Namespace) -> int:
    with _session(args, write=True) as session:
        result = _intent_json(session, refuse(session, args.key, args.by, args.reason, CLI_VIA, utcnow()))
    _print_json(result)
    return EXIT_OK


# --------------------------------------------------------------------------- parser


def _sub(
    parent: argparse._SubParsersAction[Any],
    name: str,
    help_text: str,
    handler: Callable[..., int] | None = None,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = parent.add_parser(name, help=help_text, description=help_text)
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hubcheck-backoffice", description="The HubCheck back-office service and its admin commands."
    )
    parser.add_argument("--db", default=None, help=f"database URL or SQLite file path (default: ${ENV_DB})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    serve = _sub(commands, "serve", "run the HTTP service", cmd_serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8080)
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.add_argument(
        "--workers", type=_workers, default=1, help="worker processes, 1-64 (1); each has its own connection pool"
    )
    serve.add_argument("--tls-cert", default=None, metavar="FILE", help="serve HTTPS with this PEM certificate (chain)")
    serve.add_argument("--tls-key", default=None, metavar="FILE", help="the certificate's PEM private key")
    serve.add_argument(
        "--log-format", default="text", choices=["text", "json"], help="request log lines on stderr (text)"
    )
    serve.add_argument(
        "--max-intakes",
        type=_max_intakes,
        default=None,
        metavar="N",
        help="intake batches in progress per worker; past it 503 + Retry-After "
        "(default $HUBCHECK_BACKOFFICE_MAX_INTAKES, else 8)",
    )
    serve.add_argument("--simulate-dcc", action="store_true", help="answer accepted intents like a DCC would")
    serve.add_argument(
        "--dcc-delay", type=_seconds, default=None, help="seconds before the simulated answer (2)"
    )
    serve.add_argument(
        "--dcc-rule",
        action="append",
        default=[],
        metavar="FIELD=VALUE:CODE",
        help="answer matching intents with CODE (srv=8.11:E081101, target=CDEF:E65, cv=4:I99, job_ref=J1:reject)",
    )

    _sub(commands, "init", "create the schema (serve does this too)", cmd_init)

    db = _sub(commands, "db", "the database schema's migrations")
    db_cmds = db.add_subparsers(dest="db_command", metavar="ACTION", parser_class=_Parser)
    db_cmds.required = True
    _sub(db_cmds, "upgrade", "migrate the schema to this version's newest revision (back up first)", cmd_db_upgrade)
    _sub(db_cmds, "current", "the schema's revision and the newest (JSON; exit 2 when behind)", cmd_db_current)

    token = _sub(commands, "token", "installer tokens")
    token_cmds = token.add_subparsers(dest="token_command", metavar="ACTION", parser_class=_Parser)
    token_cmds.required = True
    create = _sub(token_cmds, "create", "issue a token for NAME (printed alone on stdout)", cmd_token_create)
    create.add_argument("name")
    create.add_argument(
        "--admin",
        action="store_true",
        help="this token (only this one) may upload files and report DCC events",
    )
    create.add_argument(
        "--analyst",
        action="store_true",
        help="a read-only token for the review: every installer's records through /v1/review, nothing else",
    )
    create.add_argument(
        "--expires",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the token stops working at the start of this GB date (default: never)",
    )
    token_list = _sub(
        token_cmds, "list", "every token (or NAME's): id, prefix, role, state; never the token (JSON)", cmd_token_list
    )
    token_list.add_argument("name", nargs="?", default=None)
    revoke = _sub(
        token_cmds, "revoke", "revoke every token of NAME, or one token by --id or --prefix", cmd_token_revoke
    )
    revoke.add_argument("name", nargs="?", default=None)
    revoke.add_argument("--id", type=_token_id, default=None, help="the token's id (token list)")
    revoke.add_argument("--prefix", default=None, help="the token's first characters (token list)")

    cpl = _sub(commands, "cpl", "CPL files")
    cpl_cmds = cpl.add_subparsers(dest="cpl_command", metavar="ACTION", parser_class=_Parser)
    cpl_cmds.required = True
    cpl_up = _sub(
        cpl_cmds, "upload", "store a CPL file (.csv or .xlsx) for laptops to download", cmd_cpl_upload
    )
    cpl_up.add_argument("file", type=Path)
    cpl_up.add_argument("--date", type=_date, default=None, help="the CPL's date (default today)")
    cpl_up.add_argument("--name", default=None, help="the file name laptops see (default the file's)")

    jobs = _sub(commands, "jobs", "job packs")
    jobs_cmds = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", parser_class=_Parser)
    jobs_cmds.required = True
    jobs_up = _sub(jobs_cmds, "upload", "store a hubcheck-jobpack/1 file", cmd_jobs_upload)
    jobs_up.add_argument("file", type=Path)
    jobs_up.add_argument("--installer", default=None, help="for this installer only (default everyone)")
    jobs_up.add_argument("--name", default=None)

    regime = _sub(commands, "regime", "the supplier's regime")
    regime_cmds = regime.add_subparsers(dest="regime_command", metavar="ACTION", parser_class=_Parser)
    regime_cmds.required = True
    regime_set = _sub(regime_cmds, "set", "schedule a regime (tactical or mp202) from a date", cmd_regime_set)
    regime_set.add_argument("regime")
    regime_set.add_argument(
        "--effective", type=_date, default=None, help="GB date it takes effect (default today)"
    )
    _sub(regime_cmds, "show", "the regime in force and the next scheduled", cmd_regime_show)

    intents = _sub(commands, "intents", "intents: list, show, approve or refuse")
    intents_cmds = intents.add_subparsers(dest="intents_command", metavar="ACTION", parser_class=_Parser)
    intents_cmds.required = True
    listing = _sub(intents_cmds, "list", "every installer's intents, newest first (JSON)", cmd_intents_list)
    listing.add_argument("--state", choices=STATES, default=None, help="only this state")
    listing.add_argument(
        "--awaiting-approval", action="store_true", help="only those whose approval is still to be decided"
    )
    listing.add_argument("--limit", type=_limit, default=100, help="at most this many, 1-10000 (100)")
    show = _sub(
        intents_cmds, "show", "one intent with its prerequisites, approval and audit (JSON)", cmd_intents_show
    )
    show.add_argument("key", type=_key)
    approve_cmd = _sub(
        intents_cmds,
        "approve",
        "approve an intent that waits for approval (it goes to the DCC once its prerequisites succeeded)",
        cmd_intents_approve,
    )
    approve_cmd.add_argument("key", type=_key)
    approve_cmd.add_argument("--by", required=True, help="who approves (kept in the audit log)")
    approve_cmd.add_argument("--reason", default=None, help="why (optional; kept in the audit log)")
    refuse_cmd = _sub(
        intents_cmds,
        "refuse",
        "refuse an intent that waits for approval: it fails, and so does everything waiting on it",
        cmd_intents_refuse,
    )
    refuse_cmd.add_argument("key", type=_key)
    refuse_cmd.add_argument("--by", required=True, help="who refuses (kept in the audit log)")
    refuse_cmd.add_argument("--reason", required=True, help="why (the installer's laptop shows it)")

    orig = _sub(
        commands, "originator", "show or set the BusinessOriginatorID used in RequestIDs", cmd_originator
    )
    orig.add_argument("value", nargs="?", default=None, help="an EUI-64 such as 90-B3-D5-1F-30-01-00-00")

    from app.backoffice import cli_records  # audit verify, purge

    cli_records.register(commands, _sub)

    from app.backoffice import cli_installs  # installs approve|refuse (a visit's manual inventory change)

    cli_installs.register(commands, _sub)

    from app.backoffice import cli_export  # export (the same options as the laptop's)

    cli_export.register(commands, _sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.handler(args))
    except (
        CliError,
        StoreError,
        UploadError,
        TokenError,
        RuleError,
        DomainInputError,
        TransitionError,
    ) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except DBAPIError as exc:  # an unreachable or refusing database: one line, not a traceback
        from app.backoffice.web.guards import db_error_line

        print(f"cannot use the database: {db_error_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # e.g. a SQLite path whose folder cannot be made
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"cannot use the database: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # ``python -m app.backoffice.cli`` runs this file as ``__main__`` while the commands'
    # modules (export, records…) import ``app.backoffice.cli``: a second copy, whose CliError
    # the ``except`` above would not match (a traceback instead of one line and exit 2).
    # Run the copy everything else imports.
    from app.backoffice.cli import main as _main

    sys.exit(_main())
