"""What a test does when something it needs is not there: skip locally, fail in CI.

A developer's laptop may lack PostgreSQL or the shared reference folder, and a skip with
the command to fix it is the kind answer there. CI runs every test on purpose: a skip
there would turn "untested" into a green run, so the same gap fails the test with its
reason (CI sets ``CI``).
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """True when ``CI`` is set to anything but an empty, ``0``, ``false`` or ``no`` value."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str, how_to_fix: str = "") -> NoReturn:
    """Skip the test with ``reason`` (and how to fix it), or fail it when running in CI."""
    if in_ci():
        pytest.fail(f"{reason} — CI runs every test, so this one fails instead of skipping", pytrace=False)
    pytest.skip(f"{reason}; {how_to_fix}" if how_to_fix else reason)
