"""``hubcheck``: the command-line face. A contract: scripts outside this repository call it.

Each command group lives in ``app/commands/<group>.py`` and exposes
``register(subparsers)``; this module only builds the parser, routes errors to stderr
with exit code 2, and never shows a traceback for bad input.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app.commands.common import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, CliError

__all__ = ["EXIT_OK", "EXIT_PARTIAL", "EXIT_USAGE", "CliError", "build_parser", "main"]

# Command groups, in the order `hubcheck --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "app.commands.cpl",
    "app.commands.jobs",
    "app.commands.check",
    "app.commands.settings",
    "app.commands.scan",
    "app.commands.install",
    "app.commands.queue",
    "app.commands.sync",
    "app.commands.audit",
    "app.commands.purge",
    "app.commands.export",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise CliError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hubcheck", description="Check PPMID / Communications Hub pairings before the install.")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where HubCheck keeps its cache and settings (default: $HUBCHECK_HOME or the user data folder)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation (sample data, decoders, window, cameras) in a temporary data folder "
        "(or --data-dir), print each step, exit 0 only if all worked",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # A command is required unless --self-test is given (checked in main, same message as argparse's).
    subparsers.required = False
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _start_logging(args: argparse.Namespace) -> None:
    from app.services.logs import configure_logging
    from app.services.paths import resolve_log_dir

    try:
        configure_logging(resolve_log_dir(args.data_dir))
    except OSError as exc:  # a read-only home must not stop a check
        print(f"hubcheck: logging disabled ({exc})", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args: argparse.Namespace | None = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.self_test and args.command is None:
            return _self_test(args)
        if args.command is None:
            parser.error("the following arguments are required: COMMAND")
        _start_logging(args)
        handler = args.handler
        return int(handler(args))
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        # The database, the data folder or the disk failed mid-command (a damaged page, a
        # full disk while recording): one plain line and exit 2, never a traceback.
        from app.services.storage_errors import storage_problem

        data_dir = _data_dir(args)
        if data_dir is None or storage_problem(exc, data_dir) is None:
            raise
        from app.commands.common import storage_message

        print(storage_message(exc, data_dir), file=sys.stderr)
        return EXIT_USAGE


def _self_test(args: argparse.Namespace) -> int:
    """The installation check both programs share. It renders the window, so it imports the
    UI: only under this flag, the one place the command line does (a build is checked whole)."""
    from app.ui.selftest import main as self_test

    return self_test(args.data_dir)


def _data_dir(args: argparse.Namespace | None) -> Path | None:
    from app.services.paths import resolve_data_dir

    try:
        return resolve_data_dir(getattr(args, "data_dir", None)) if args is not None else None
    except Exception:  # the folder's name itself is unusable: nothing to explain with
        return None


if __name__ == "__main__":
    sys.exit(main())
