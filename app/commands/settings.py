"""``hubcheck settings get|set|list``: keys are snake_case and part of the contract."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.commands.common import context, print_json


def register(subparsers: Any) -> None:
    settings = subparsers.add_parser("settings", help="read or change settings")
    sub = settings.add_subparsers(dest="settings_command", metavar="ACTION", parser_class=type(settings))
    sub.required = True
    get = sub.add_parser("get", help="print one setting's value")
    get.add_argument("key")
    get.set_defaults(handler=_get)
    set_ = sub.add_parser(
        "set",
        help="change one setting",
        epilog="A value that starts with '-' goes after '--': settings set backoffice_token -- -Ab3...",
    )
    set_.add_argument("key")
    set_.add_argument("value", help="the new value (after '--' when it starts with '-')")
    set_.set_defaults(handler=_set)
    lst = sub.add_parser("list", help="every setting and its value")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_list)


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _get(args: argparse.Namespace) -> int:
    from app.commands.common import CliError
    from app.store.settings import SettingError, require_spec

    ctx = context(args)
    try:
        require_spec(args.key)
    except SettingError as exc:
        raise CliError(str(exc)) from None
    loaded = ctx.settings.load()
    if loaded.problem:
        print(loaded.problem, file=sys.stderr)
    print(_format(loaded.values[args.key]))
    return 0


def _set(args: argparse.Namespace) -> int:
    from app.commands.common import CliError
    from app.domain.errors import DomainInputError
    from app.store.settings import SettingError

    ctx = context(args)
    try:
        if args.key == "regime":
            # Journaled, and refused when the back office owns the regime.
            from app.services.regime import change_regime_locally

            change_regime_locally(ctx, args.value, reason="hubcheck settings set")
        else:
            ctx.settings.set(args.key, args.value)
    except (SettingError, DomainInputError) as exc:
        raise CliError(str(exc)) from None
    return 0


def _list(args: argparse.Namespace) -> int:
    from app.store.settings import SPECS

    ctx = context(args)
    loaded = ctx.settings.load()
    if loaded.problem:
        print(loaded.problem, file=sys.stderr)
    shown = {k: ("***" if SPECS[k].secret and v else v) for k, v in loaded.values.items()}
    if args.json:
        print_json(shown)
    else:
        for key in sorted(shown):
            print(f"{key} = {_format(shown[key])}")
    return 0
