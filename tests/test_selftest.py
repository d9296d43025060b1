"""``--self-test``: every step of a visit's chain is tried and printed, and the exit code is 0
only when all of them worked. Run from source here; packaging/check.sh runs the same on
the built program."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.services.selftest import SelfTestState, Step, StepFailed, run_steps, summary

REPO = Path(__file__).resolve().parents[1]
STEP_NAMES = ("data folder", "sample CPL", "sample job pack", "pairing check", "decoder zxing",
              "decoder zbar", "main window", "cameras")


def _run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    # HOME empty, as on a fresh laptop: the self-test must not need anything in it
    env = {**os.environ, "HOME": str(home), "QT_QPA_PLATFORM": "xcb"}
    env.pop("HUBCHECK_HOME", None)
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=180)


@pytest.mark.parametrize("face", [("-m", "app"), ("-m", "app.cli")], ids=["hubcheck-gui", "hubcheck"])
def test_a_working_installation_passes_every_step(tmp_path: Path, face: tuple[str, ...]) -> None:
    done = _run(*face, "--self-test", home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for name in STEP_NAMES:
        assert f"[ok] {name}: " in done.stdout, f"{name} missing or failed:\n{done.stdout}"
    assert "pairing check: J-000101: ok" in done.stdout
    assert "decoder zxing: read QRCode, Code128, DataMatrix" in done.stdout
    # the platform is forced offscreen whatever the environment says (xcb here, no display)
    assert "on the offscreen platform" in done.stdout
    assert lines[-1] == f"self-test passed: {len(STEP_NAMES)} of {len(STEP_NAMES)} steps"
    assert list(tmp_path.iterdir()) == [], "the self-test wrote into HOME"


def test_a_data_folder_that_cannot_be_written_fails_with_exit_1(tmp_path: Path) -> None:
    # a path below a plain file cannot be created, even by root (chmod would not stop root)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    done = _run("-m", "app", "--self-test", "--data-dir", str(blocker / "data"), home=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[FAILED] data folder: NotADirectoryError" in done.stdout
    # the steps that need the folder say why they did not run; the others still run
    assert "[FAILED] sample CPL: not run: the data folder did not open" in done.stdout
    assert "[ok] decoder zxing: " in done.stdout
    assert done.stdout.splitlines()[-1].startswith("self-test FAILED: ")
    assert "Traceback" not in done.stdout + done.stderr


def test_the_command_line_still_requires_a_command_without_the_flag(tmp_path: Path) -> None:
    done = _run("-m", "app.cli", home=tmp_path)
    assert done.returncode == 2
    assert "the following arguments are required: COMMAND" in done.stderr


def _passing(_state: SelfTestState) -> str:
    return "fine"


def _broken(_state: SelfTestState) -> str:
    raise OSError("disk on fire\nsecond line")


def test_one_failing_step_fails_the_run_and_the_others_still_run(tmp_path: Path) -> None:
    out = io.StringIO()
    results = run_steps([Step("a", _passing), Step("b", _broken), Step("c", _passing)], SelfTestState(tmp_path), out)
    assert [r.ok for r in results] == [True, False, True]
    assert out.getvalue().splitlines() == ["[ok] a: fine", "[FAILED] b: OSError: disk on fire", "[ok] c: fine"]
    assert summary(results) == (1, "self-test FAILED: 1 of 3 steps (b)")
    assert summary(results[:1]) == (0, "self-test passed: 1 of 1 steps")
    assert summary([])[0] == 1, "a run with no step proves nothing"


def _missing_zbar() -> object:
    from app.scan.decoders import DecoderUnavailable

    raise DecoderUnavailable("no zbar library")


@pytest.mark.parametrize(("expected", "ok"), [(True, False), (False, True)])
def test_a_missing_decoder_fails_only_where_it_should_be(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, expected: bool, ok: bool
) -> None:
    from app.scan import decoders
    from app.ui.selftest import decoder_step

    monkeypatch.setitem(decoders._FACTORIES, "zbar", _missing_zbar)
    out = io.StringIO()
    [result] = run_steps([decoder_step("zbar", lambda: expected)], SelfTestState(tmp_path), out)
    assert result.ok is ok
    assert "no zbar library" in result.detail
    assert ("should be here" in result.detail) is expected


def test_a_step_needing_the_data_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(StepFailed, match="data folder did not open"):
        SelfTestState(tmp_path).context()


def test_a_packaged_build_always_expects_zbar(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui.selftest import zbar_expected

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert zbar_expected() is True


def test_the_self_test_tries_every_decoder_the_scanner_offers() -> None:
    from app.scan.decoders import DECODER_NAMES
    from app.ui.selftest import DECODERS

    assert DECODERS == DECODER_NAMES
