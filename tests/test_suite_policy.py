"""The suite's own rules: a missing service skips locally and fails in CI; slow tests are
left out of a local run unless asked for, and CI always runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_ci_off_values_let_a_missing_service_skip(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from tests.availability import unavailable

    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is not configured; start one"):
        unavailable("PostgreSQL is not configured", "start one")


def test_in_ci_a_missing_service_fails_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.availability import unavailable

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI runs every test"):
        unavailable("PostgreSQL at 127.0.0.1:1 cannot be reached")


def _collect(env_ci: str | None, *extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if env_ci is not None:
        env["CI"] = env_ci
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/test_sync_chaos.py", *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    return done.stdout + done.stderr


def test_a_local_run_leaves_the_slow_tests_out_and_says_so() -> None:
    out = _collect(None)
    assert "test_sigkill_at_random_moments" not in out
    assert "deselected" in out


@pytest.mark.parametrize(("env_ci", "extra"), [(None, ("--slow",)), ("true", ())])
def test_slow_tests_run_with_the_option_or_in_ci(env_ci: str | None, extra: tuple[str, ...]) -> None:
    out = _collect(env_ci, *extra)
    assert "test_sigkill_at_random_moments" in out
    assert "deselected" not in out
